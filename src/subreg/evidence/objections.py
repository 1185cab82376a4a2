"""Customers' objections to notices (SPEC 9): `objections/<name>.yaml`, one each.

An objection names the customer by your own reference (a CRM id, never a person's name
or address), the subprocessor (a registry id) and the notice (its `announced_on`), the
day it was received, the `dpa_terms` it falls under (absent: the standard terms) and
its status. Objections are internal: they appear in `check` and the audit, never in
what `publish` writes, never in a notice draft.

Validation (exit 2, at the file's line): the subprocessor must be in the registry, the
notice one the entry has or had (at head, or in the history of its file), the terms
one of the policy's, and a resolution must fit the status.

Findings, each at the objection's own file and line:

- `objection-open`: still open once the notice's `effective_on` has arrived (error),
  or within 7 days of it (warning);
- `objection-late`: received after the objection deadline of its terms (warning).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from subreg import findings as fd
from subreg import history, yamlio
from subreg import registry as reg
from subreg.errors import InputError, Problem
from subreg.evidence import files
from subreg.gitrepo import ZERO
from subreg.model import Objection, Policy
from subreg.notices import STANDARD, objection_deadlines
from subreg.project import WORKTREE, Project
from subreg.registry import Registry

FOLDER = "objections"
SOON_DAYS = 7
STATUSES = ("open", "resolved", "withdrawn")

NoticeKey = tuple[str, dt.date]  # (subprocessor id, announced_on)


@dataclass(frozen=True)
class Filed:
    """An objection and where it stands."""

    path: str
    objection: Objection
    doc: yamlio.Doc
    effective_on: dt.date  # of the notice objected to

    def line(self, key: str) -> int:
        return self.doc.where((key,), key=True)[0]


def _check(obj: Objection, doc: yamlio.Doc, policy: Policy) -> list[Problem]:
    out = []
    res = obj.resolution
    if obj.status == "resolved" and (res is None or res.outcome is None):
        out.append(doc.problem(("resolution",) if res else ("status",), (
            "a resolved objection has resolution: {on, outcome, note?}, outcome one of "
            "not-engaged-for-customer, alternative-offered, terminated"), key=True))
    if obj.status == "open" and res is not None:
        out.append(doc.problem(("resolution",), "an open objection has no resolution yet (or set status: resolved)",
                               key=True))
    if obj.status == "withdrawn" and res is not None and res.outcome is not None:
        out.append(doc.problem(("resolution", "outcome"), "a withdrawn objection has no outcome (only "
                                                          "resolution.on, the day it was withdrawn)", key=True))
    if res is not None and res.on < obj.received_on:
        out.append(doc.problem(("resolution", "on"), f"{res.on} is before received_on {obj.received_on}"))
    if obj.terms is not None and obj.terms not in policy.dpa_terms:
        known = ", ".join(sorted(policy.dpa_terms)) or "none"
        out.append(doc.problem(("terms",), f"unknown terms {obj.terms!r}: the policy's dpa_terms are {known}"))
    return out


def notices_in_history(project: Project, head: str, ids: list[str]) -> dict[NoticeKey, dt.date]:
    """Every notice the files of `ids` held in the history of head, with the last
    `effective_on` each had (one `git log` of those files)."""
    try:
        tip = project.git.head() if head == WORKTREE else head
    except InputError:  # not a git repository: the working tree is all there is
        return {}
    if tip is None or not ids:
        return {}
    commits = list(project.git.log([tip], "", paths=[f"{reg.FOLDER}/{i}.yaml" for i in ids]))
    reader = history.Reader(project.git)
    reader.load((ch.new_sha, ch.path) for c in commits for ch in c.changes if ch.path.endswith(".yaml"))
    out: dict[NoticeKey, dt.date] = {}
    for c in commits:
        for ch in c.changes:
            if ch.new_sha == ZERO or ch.new_sha not in reader.cache:
                continue
            sp = reader.get(ch.new_sha, ch.path)
            if sp is not None and sp.notice is not None:
                out[(sp.id, sp.notice.announced_on)] = sp.notice.effective_on
    return out


def parse(items: files.Files, registry: Registry, policy: Policy,
          past: Any = None) -> list[Filed]:
    """The objections of the folder, validated against the registry and the notices its
    entries have or had (`past`: a callable ids -> {(id, announced_on): effective_on})."""
    read: list[tuple[str, Objection, yamlio.Doc]] = []
    parsed, problems = files.parsed(items, Objection)
    for path, obj, doc in parsed:
        found = _check(obj, doc, policy)
        if obj.subprocessor not in registry:
            found.append(doc.problem(("subprocessor",), f"unknown subprocessor {obj.subprocessor!r}: there is no "
                                                        f"{reg.FOLDER}/{obj.subprocessor}.yaml"))
        problems.extend(found)
        if not found:
            read.append((path, obj, doc))
    current = {(sp.id, sp.notice.announced_on): sp.notice.effective_on for sp in registry if sp.notice}
    missing = sorted({o.subprocessor for _, o, _ in read if (o.subprocessor, o.notice) not in current})
    known = {**(past(missing) if past is not None and missing else {}), **current}
    out = []
    for path, obj, doc in read:
        effective = known.get((obj.subprocessor, obj.notice))
        if effective is None:
            had = sorted(str(a) for (i, a) in known if i == obj.subprocessor)
            problems.append(doc.problem(("notice",), (
                f"{obj.subprocessor} never had a notice announced on {obj.notice}: its notices were announced on "
                f"{', '.join(had)}" if had else f"{obj.subprocessor} never had a notice announced on {obj.notice}: "
                "it has had no notice")))
            continue
        out.append(Filed(path, obj, doc, effective))
    if problems:
        raise InputError(problems=problems)
    return out


def load(project: Project, head: str, registry: Registry, policy: Policy) -> list[Filed]:
    items = files.read(project, head, FOLDER)
    if not items:
        return []
    return parse(items, registry, policy, lambda ids: notices_in_history(project, head, ids))


def deadline(filed: Filed, policy: Policy) -> dt.date:
    """The objection deadline of the terms the objection falls under."""
    obj = filed.objection
    return objection_deadlines(policy, obj.notice, filed.effective_on)[obj.terms or STANDARD]


def findings(filed: list[Filed], policy: Policy, today: dt.date, scope: set[str] | None) -> list[fd.Finding]:
    """objection-open and objection-late, for the objections of subprocessors in
    `scope` (None: all of them)."""
    out = []
    for f in filed:
        obj = f.objection
        if scope is not None and obj.subprocessor not in scope:
            continue
        what = (f"the objection of customer {obj.customer} (received {obj.received_on}) to the notice of "
                f"{obj.subprocessor} announced on {obj.notice}")
        if obj.status == "open":
            left = (f.effective_on - today).days
            if left <= 0:
                out.append(fd.make("objection-open", "error", obj.subprocessor, f.path, f.line("status"), (
                    f"{what} is still open, and the notice took effect on {f.effective_on}: resolve it (not engaged "
                    "for the customer, an alternative offered, or the contract terminated), or record its "
                    "withdrawal")))
            elif left <= SOON_DAYS:
                out.append(fd.make("objection-open", "warning", obj.subprocessor, f.path, f.line("status"), (
                    f"{what} is still open, and the notice takes effect on {f.effective_on}, in {left} day(s): "
                    "resolve it before then")))
        limit = deadline(f, policy)
        if obj.received_on > limit:
            terms = f"the {obj.terms} terms" if obj.terms else "the standard terms"
            out.append(fd.make("objection-late", "warning", obj.subprocessor, f.path, f.line("received_on"), (
                f"{what} arrived after the objection deadline of {terms}, {limit}: it is still recorded; "
                "decide whether to honour it")))
    return out


def summary(filed: list[Filed]) -> list[dict[str, Any]]:
    """audit.json `objections`: per notice, the counts by status, and the objections."""
    groups: dict[NoticeKey, list[Filed]] = {}
    for f in filed:
        groups.setdefault((f.objection.subprocessor, f.objection.notice), []).append(f)
    out = []
    for (sid, announced), items in sorted(groups.items()):
        counts = {s: sum(i.objection.status == s for i in items) for s in STATUSES}
        out.append({
            "subprocessor": sid, "notice": announced.isoformat(), "effective_on": items[0].effective_on.isoformat(),
            **counts,
            "items": [{"path": i.path, "customer": i.objection.customer, "status": i.objection.status,
                       "received_on": i.objection.received_on.isoformat(), "terms": i.objection.terms,
                       "resolution": None if i.objection.resolution is None else {
                           "on": i.objection.resolution.on.isoformat(),
                           "outcome": i.objection.resolution.outcome}}
                      for i in sorted(items, key=lambda i: i.path)],
        })
    return out
