"""The audit report a DPO reads: summary, findings by severity, upcoming activations,
the last 90 days of changes."""

from __future__ import annotations

from typing import Any

from subreg.report.github import cell


def render(report: dict[str, Any], company: str) -> str:
    s = report["summary"]
    out = [
        f"# Subprocessor audit: {cell(company)}",
        "",
        f"As of {report['today']}, head `{report['head'][:12]}`.",
        "",
        f"**{'FAILED' if s['failed'] else 'passed'}**: {s['failed']} failed, {s['warnings']} "
        f"warnings, {s['waived']} waived, {s['passed']} checks passed.",
        "",
    ]
    for title, outcome in (("Errors", "failed"), ("Warnings", "warning"), ("Waived", "waived")):
        rows = [f for f in report["findings"] if f["outcome"] == outcome]
        out += [f"## {title} ({len(rows)})", ""]
        if rows:
            out += ["| check | subprocessor | where | message |", "|---|---|---|---|"]
            out += [f"| {f['check']} | {cell(f['subprocessor'] or '-')} | {cell(f['path'])}:{f['line']} "
                    f"| {cell(f['message'])} |" for f in rows]
        else:
            out.append("None.")
        out.append("")
    for title, key in (("Upcoming activations (next 30 days)", "upcoming"),
                       ("Now active (last 7 days)", "now_active")):
        out += [f"## {title}", ""]
        details = {a["id"]: a for a in report["activations"]}
        items = [details[i] for i in report[key]]
        out += [f"- {cell(i['name'])} (`{cell(i['id'])}`): effective {i['effective_on']}" for i in items] or ["None."]
        out.append("")
    out += ["## Objections", ""]
    notices = report.get("objections", [])
    if notices:
        out += ["| subprocessor | notice | effective | open | resolved | withdrawn |", "|---|---|---|---|---|---|"]
        out += [f"| {cell(n['subprocessor'])} | {n['notice']} | {n['effective_on']} | {n['open']} | {n['resolved']} "
                f"| {n['withdrawn']} |" for n in notices]
        out += ["", "| customer | subprocessor | notice | received | terms | status | resolution | file |",
                "|---|---|---|---|---|---|---|---|"]
        for n in notices:
            for i in n["items"]:
                res = i["resolution"]
                shown = "-" if res is None else f"{res['on']}" + (f" ({res['outcome']})" if res["outcome"] else "")
                out.append(f"| {cell(i['customer'])} | {cell(n['subprocessor'])} | {n['notice']} | {i['received_on']} "
                           f"| {cell(i['terms'] or 'standard')} | {i['status']} | {cell(shown)} | {cell(i['path'])} |")
    else:
        out.append("None.")
    out.append("")
    out += ["## Changes in the last 90 days", ""]
    changes = report["recent_changes"]
    if changes:
        out += ["| date | commit | change | subprocessor | fields |", "|---|---|---|---|---|"]
        out += [f"| {c['date']} | `{c['commit'][:12]}` | {c['kind']}{' (material)' if c['material'] else ''} "
                f"| {cell(c['id'])} | {cell(', '.join(c['fields']) or '-')} |" for c in changes]
    else:
        out.append("None.")
    return "\n".join(out) + "\n"
