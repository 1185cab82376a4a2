"""`subreg audit`: the nightly job.

Runs every check on every current entry of head as of --today (so certificates that
expired overnight, stale due diligence and expired waivers surface here, not on some
unrelated pull request), then replays the whole first-parent history of registry/:
every addition or material change that reached the branch without a compliant notice
is reported with the same check ids as `subreg check`, until a waiver acknowledges it.
This catches merges that bypassed the pull-request gate.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from subreg import findings as fd
from subreg import history, notices, runner, session
from subreg.dating import Dating, MainlineDating
from subreg.errors import EXIT_OK, EXIT_VIOLATIONS, InputError
from subreg.evidence import objections
from subreg.evidence.ledger import LedgerDating
from subreg.history import History
from subreg.options import Options, Outcome
from subreg.outputs import write_tree
from subreg.project import Project
from subreg.registry import Registry
from subreg.report import audit_md, github, text

UPCOMING_DAYS = 30
ACTIVE_DAYS = 7
RECENT_DAYS = 90


def run(opts: Options, out: Path | None) -> Outcome:
    project: Project = opts.project()
    project.waivers  # noqa: B018 - a malformed waivers file stops the run first
    git = project.git
    git.require_full_history()
    head = git.head()
    if head is None:
        raise InputError("this repository has no commits yet: nothing to audit")
    history.prefetch(git, [head], replay_from=head)  # git reads the history while subreg reads the tree
    sess = session.prepare(project, head, None, everything=True)
    hist = history.scan(git, project.policy, [head], replay_from=head, parsed=project.parsed)
    sess.history = hist
    dating: Dating = LedgerDating(sess.ledger, project.today) if sess.policy.notice_evidence == "ledger" \
        else MainlineDating(hist)
    replayed, sess.waivers_used = replay(hist, project, sess.registry, dating)
    sess.findings.extend(replayed)
    found = runner.run(sess)
    totals = fd.summary(found, sess.passed)
    today = project.today
    soon, active = upcoming(sess.registry, today), now_active(sess.registry, today)
    report = {
        "head": head,
        "today": today.isoformat(),
        "findings": [f.as_json() for f in found],
        "summary": totals,
        "upcoming": [a["id"] for a in soon],
        "now_active": [a["id"] for a in active],
        "activations": soon + active,  # details of both, for readers of the report
        "recent_changes": recent(hist, today),
        "objections": objections.summary(sess.objections),
        "notices_due": notices_due(sess, hist, project),
    }
    md = audit_md.render(report, project.policy.company)
    if out is not None:
        write_tree(out, {"audit.json": json.dumps(report, indent=2, ensure_ascii=False) + "\n",
                         "audit.md": md})
    warning = github.add_to_summary(md)
    lines = text.render(found, totals, f"subreg audit of {head[:12]} as of {today}: "
                        f"{len(hist.steps)} registry commit(s) replayed")
    if github.in_actions():
        lines = github.annotate(found) + lines
    return Outcome(EXIT_VIOLATIONS if totals["failed"] else EXIT_OK, lines, warning or "")


def replay(hist: History, project: Project, current: Registry,
           dating: Dating | None = None) -> tuple[list[fd.Finding], set[tuple[str, str]]]:
    """Notice violations of every first-parent commit, and invalid files in history.

    Each commit is judged with the waivers file of that commit (SPEC 3): a finding that
    a waiver live on the commit's date covers is waived, for good, even once the waiver
    has expired or been deleted. Returns the findings and the (check, subprocessor) of
    what was waived, for waiver-unused."""
    out: list[fd.Finding] = []
    used: set[tuple[str, str]] = set()
    reported: set[tuple[str, str, str]] = set()
    dating = dating or MainlineDating(hist)
    for step in hist.steps:
        for change in step.changes:
            verdicts = notices.evaluate(change, project.policy, dating.evidence(change), step.date)
            for check, verdict in verdicts.items():
                key = (check, change.id, step.sha)
                if key in reported:
                    continue
                reported.add(key)
                line = current.line(change.id, *verdict.field) if change.id in current else 1
                finding = fd.make(check, "error", change.id, f"registry/{change.id}.yaml", line,
                                  f"commit {step.sha[:12]} ({step.date}): {verdict.message}")
                waiver = next((w for w in step.waivers if w.check == check and w.subprocessor == change.id
                               and w.expires_on >= step.date), None)
                if waiver is not None:
                    used.add((check, change.id))
                    finding = replace(finding, outcome="waived", message=(
                        f"{finding.message} (waived by the waiver of that commit, approved by "
                        f"{waiver.approved_by} until {waiver.expires_on})"))
                out.append(finding)
    for sha, problem in hist.problems:
        out.append(fd.make("history-invalid", "warning", None, problem.path,
                           problem.line or 1, f"commit {sha[:12]}: {problem}"))
    return out, used


def notices_due(sess: session.Session, hist: History, project: Project) -> list[dict[str, Any]]:
    """The notices to send today: announced today, not yet proven sent by the ledger,
    grouped by the first-parent commit that brought them in (`base`: its first parent),
    so that `subreg notice --base BASE --head COMMIT` writes the drafts of that merged
    change for `subreg notice send`. A notice of the baseline is never due."""
    today = project.today
    groups: dict[str, dict[str, Any]] = {}
    for sp in sess.registry:
        notice = sp.notice
        if notice is None or notice.announced_on != today or not sp.needs_notice():
            continue
        if sess.ledger.proof(sp.id, notice, today) is not None:
            continue
        found = hist.notice_first_seen([sp.id], notice, mainline=True)
        if found is None:
            continue
        commit = found[1]
        parent = project.git.try_resolve(f"{commit}^1")
        if parent is None:
            continue
        item = groups.setdefault(commit, {"commit": commit, "base": parent, "announced_on": today.isoformat(),
                                          "subprocessors": []})
        item["subprocessors"].append(sp.id)
    return sorted(groups.values(), key=lambda g: g["commit"])


def upcoming(reg: Registry, today: dt.date) -> list[dict[str, Any]]:
    """Entries whose notice takes effect in the 30 days after today."""
    return [
        {"id": sp.id, "name": sp.name, "effective_on": sp.notice.effective_on.isoformat()}
        for sp in reg
        if sp.notice and today < sp.notice.effective_on <= today + dt.timedelta(days=UPCOMING_DAYS)
    ]


def now_active(reg: Registry, today: dt.date) -> list[dict[str, Any]]:
    """Entries whose notice took effect in the 7 days up to and including today."""
    return [
        {"id": sp.id, "name": sp.name, "effective_on": sp.notice.effective_on.isoformat()}
        for sp in reg
        if sp.notice and today - dt.timedelta(days=ACTIVE_DAYS - 1) <= sp.notice.effective_on <= today
    ]


def recent(hist: History, today: dt.date) -> list[dict[str, Any]]:
    since = today - dt.timedelta(days=RECENT_DAYS)
    rows = []
    for step in reversed(hist.steps):
        if step.date < since:
            break
        for c in step.changes:
            rows.append({"date": step.date.isoformat(), "commit": step.sha, "kind": c.kind,
                         "id": c.id, "material": c.material, "fields": sorted(c.changed)})
    return rows

