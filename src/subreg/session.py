"""Everything a check run needs, prepared once: registries, changes, history, scope,
the policy the change is judged by, and how its notices are dated."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from subreg import diff, history, strictness, yamlio
from subreg import findings as fd
from subreg import registry as reg
from subreg.dating import Dating, RangeDating
from subreg.diff import Change
from subreg.errors import InputError
from subreg.evidence import ledger as ledgers
from subreg.evidence import objections as objs
from subreg.findings import Finding
from subreg.history import History
from subreg.model import Policy, Waiver
from subreg.project import WORKTREE, Project, Range
from subreg.registry import Registry


@dataclass
class Session:
    project: Project
    rng: Range | None
    registry: Registry
    base_registry: Registry
    changes: list[Change]
    history: History
    scope: list[str]  # ids the per-subprocessor checks run on
    policy: Policy  # what the change is judged by: the stricter of base's and head's
    dating: Dating
    everything: bool = True  # --all (or the audit): every entry is in scope
    findings: list[Finding] = field(default_factory=list)
    passed: int = 0
    problems: list[str] = field(default_factory=list)  # broken custom checks
    crashed: list[BaseException] = field(default_factory=list)  # subreg's own bugs, under pytest
    # waivers that waived something outside this run's checks (the audit's replay)
    waivers_used: set[tuple[str, str]] = field(default_factory=set)
    # the evidence at head (SPEC 9): records of sendings, customers' objections
    ledger: ledgers.Ledger = field(default_factory=ledgers.Ledger)
    objections: list[objs.Filed] = field(default_factory=list)

    def __repr__(self) -> str:
        # cheap: pytest puts the repr of a fixture in every failing assertion's message
        return f"<Session of {len(self.registry)} entries, {len(self.changes)} changes>"

    @property
    def today(self) -> dt.date:
        return self.project.today

    def change_of(self, sp_id: str) -> Change | None:
        return next((c for c in self.changes if c.id == sp_id and c.new is not None), None)


def _current(sp_retired: dt.date | None, today: dt.date) -> bool:
    return sp_retired is None or sp_retired > today


def prepare(project: Project, base: str | None, head: str | None, everything: bool) -> Session:
    """Resolve base..head, read both registries and policies, diff them, and read the
    history of the changed files only (a notice new in the change first appears in
    base..head)."""
    rng = project.resolve(base, head)
    project.positions = project.positions or everything  # lines of any entry may be asked for
    base_reg, head_reg = project.pair(rng)
    policy, found = _policy(project, rng)
    changes = diff.compare(base_reg, head_reg, policy, project.today)
    hist = History()
    fresh = [c for c in changes if c.notice_is_new]
    if fresh:
        tip = project.git.head() if rng.head == WORKTREE else rng.head
        if tip is not None and tip != rng.base:
            paths = sorted({p for c in fresh for p in (c.new.path if c.new else None,
                                                      c.old.path if c.old else None) if p})
            hist = history.scan(project.git, policy, [f"^{rng.base}", tip], paths=paths, parsed=project.parsed)
    found += [fd.make("history-invalid", "warning", None, p.path, p.line or 1, p.message)
              for p in base_reg.warnings]
    found += fd.new_waivers(_base_waivers(project, rng, found), project.waivers)
    scope = _scope(head_reg, changes, project.today, everything)
    ledger = ledgers.load(project, rng.head, policy)
    objections = objs.load(project, rng.head, head_reg, policy)
    found += objs.findings(objections, policy, project.today, None if everything else set(scope))
    return Session(project, rng, head_reg, base_reg, changes, hist, scope, policy,
                   dating(policy, ledger, hist, project.today), everything, found,
                   ledger=ledger, objections=objections)


def dating(policy: Policy, ledger: ledgers.Ledger, hist: History, today: dt.date) -> Dating:
    """How this run dates notices: by the ledger with `notice_evidence: ledger`, else by
    the range's history and the day of the run (SPEC 4)."""
    if policy.notice_evidence == "ledger":
        return ledgers.LedgerDating(ledger, today)
    return RangeDating(hist, today)


def _policy(project: Project, rng: Range) -> tuple[Policy, list[Finding]]:
    """The stricter of base's and head's policy, and each relaxation as a finding."""
    head = project.policy
    base, problems = project.policy_at(rng.base)
    found = [fd.make("history-invalid", "warning", None, p.path, p.line or 1,
                     f"{p.message} (the base's policy is invalid: the change is judged by head's)")
             for p in problems]
    policy, relaxed = strictness.judge(base, head)
    if relaxed:
        doc = yamlio.loads(reg.read_file(project.root, reg.POLICY), reg.POLICY)
        for r in relaxed:
            line = doc.where((r.field,), key=True)[0] if isinstance(doc.data, dict) and r.field in doc.data else 1
            found.append(fd.make("policy-relaxed", "warning", None, reg.POLICY, line, r.message))
    return policy, found


def _base_waivers(project: Project, rng: Range, found: list[Finding]) -> list[Waiver]:
    waivers, problems = project.waivers_at(rng.base)
    found += [fd.make("history-invalid", "warning", None, p.path, p.line or 1,
                      f"{p.message} (the base's waivers are invalid: every waiver counts as new)")
              for p in problems]
    return waivers


def _scope(head: Registry, changes: list[Change], today: dt.date, everything: bool) -> list[str]:
    ids = [sp.id for sp in head] if everything else sorted({c.id for c in changes if c.new is not None})
    return [i for i in ids if _current(head[i].retired_on, today)]


def standalone(project: Project) -> Session:
    """For plain `pytest checks/`: every entry of the working tree; the changes since
    the default branch when git can tell them, none otherwise."""
    head = project.worktree
    try:
        return prepare(project, None, None, everything=True)
    except InputError:  # not a git repo, no default branch, shallow clone...
        ledger = ledgers.load(project, WORKTREE, project.policy)
        return Session(project, None, head, head, [], History(), _scope(head, [], project.today, True),
                       project.policy, dating(project.policy, ledger, History(), project.today), ledger=ledger,
                       objections=objs.load(project, WORKTREE, head, project.policy))

