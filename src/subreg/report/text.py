"""Plain text, grouped by subprocessor: `path:line: [severity] check: message`."""

from __future__ import annotations

from subreg.escape import one_line
from subreg.findings import Finding


def render(findings: list[Finding], summary: dict[str, int], header: str = "") -> str:
    lines = [one_line(header)] if header else []
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.subprocessor or "(registry)", []).append(f)
    for name in sorted(groups):
        lines.append(f"{one_line(name)}:")
        for f in groups[name]:
            label = "waived" if f.outcome == "waived" else f.severity
            lines.append(f"  {f.path}:{f.line}: [{label}] {f.check}: {f.message}")
    lines.append(
        f"{summary['failed']} failed, {summary['warnings']} warnings, "
        f"{summary['waived']} waived, {summary['passed']} passed"
    )
    return "\n".join(lines) + "\n"
