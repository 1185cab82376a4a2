"""GitHub Actions: workflow-command annotations and the job summary (Markdown).

GitHub shows at most 10 annotations of each kind per step, so the most severe come
first. Messages are escaped as the workflow-command syntax requires, so registry text
cannot inject a command of its own.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from subreg.escape import one_line

if TYPE_CHECKING:
    from subreg.diff import Change
    from subreg.findings import Finding


def _data(text: str) -> str:
    return one_line(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def annotate(findings: list[Finding]) -> str:
    lines = []
    for f in findings:
        if f.outcome == "waived":
            continue
        kind = "error" if f.outcome == "failed" else "warning"
        lines.append(f"::{kind} file={_prop(f.path)},line={f.line},title={_prop(f.check)}::{_data(f.message)}")
    return "\n".join(lines) + ("\n" if lines else "")


def cell(text: object) -> str:
    """A Markdown table cell: pipes, line breaks, backticks, HTML and @mentions neutralised."""
    value = one_line(text)
    for raw, safe in (("\\", "\\\\"), ("|", "\\|"), ("`", "\\`"), ("<", "&lt;"), (">", "&gt;"),
                      ("@", "@\u200b"), ("\r", " "), ("\n", " "), ("[", "\\["), ("]", "\\]")):
        value = value.replace(raw, safe)
    return value


def summary(findings: list[Finding], totals: dict[str, int], changes: list[Change], title: str) -> str:
    out = [f"## {cell(title)}", ""]
    verdict = "failed" if totals["failed"] else "passed"
    out.append(f"**{verdict}**: {totals['failed']} failed, {totals['warnings']} warnings, "
               f"{totals['waived']} waived, {totals['passed']} passed")
    out.append("")
    if changes:
        out += ["### Changes", "", "| change | subprocessor | fields | notice needed |", "|---|---|---|---|"]
        for c in changes:
            name = c.new.name if c.new else c.old.name if c.old else c.id
            fields = ", ".join(sorted(c.changed)) or "-"
            out.append(f"| {c.kind} | {cell(name)} (`{cell(c.id)}`) | {cell(fields)} | "
                       f"{'yes' if c.needs_notice else 'no'} |")
        out.append("")
    if findings:
        out += ["### Findings", "", "| outcome | check | subprocessor | where | message |",
                "|---|---|---|---|---|"]
        for f in findings:
            out.append(f"| {f.outcome} | {f.check} | {cell(f.subprocessor or '-')} | "
                       f"{cell(f.path)}:{f.line} | {cell(f.message)} |")
        out.append("")
    return "\n".join(out) + "\n"


def in_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def add_to_summary(markdown: str) -> str | None:
    """Append to the job summary of the current step, when running in GitHub Actions.
    Returns a warning (one line, for stderr) when the summary file cannot be written:
    the run itself is not at fault, so that is no reason to fail it."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not (in_actions() and path):
        return None
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(markdown)
    except OSError as exc:
        return one_line(f"warning: cannot add to the job summary ({path}): {exc.strerror}") + "\n"
    return None
