"""Everything a check run needs, prepared once: registries, changes, history, scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from subreg import diff, history
from subreg.diff import Change
from subreg.errors import InputError
from subreg.findings import Finding
from subreg.history import History
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
    findings: list[Finding] = field(default_factory=list)
    passed: int = 0
    problems: list[str] = field(default_factory=list)  # broken custom checks

    def __repr__(self) -> str:
        # cheap: pytest puts the repr of a fixture in every failing assertion's message
        return f"<Session of {len(self.registry)} entries, {len(self.changes)} changes>"

    @property
    def today(self) -> dt.date:
        return self.project.today

    def change_of(self, sp_id: str) -> Change | None:
        return next((c for c in self.changes if c.id == sp_id and c.new is not None), None)

    def seen(self, change: Change) -> tuple[dt.date, str] | None:
        """First commit (date, sha) that contains the head notice of `change`."""
        if change.new is None or change.new.notice is None:
            return None
        found = self.history.notice_first_seen((change.id, change.old_id), change.new.notice)
        if found is not None:
            return found
        if self.rng is None or self.rng.head == WORKTREE:
            return (self.today, WORKTREE)
        return None


def _current(sp_retired: dt.date | None, today: dt.date) -> bool:
    return sp_retired is None or sp_retired > today


def prepare(project: Project, base: str | None, head: str | None, everything: bool) -> Session:
    """Resolve base..head, read both registries, diff them, and read the history of
    the changed files only (a notice new in the change first appears in base..head)."""
    rng = project.resolve(base, head)
    base_reg, head_reg = project.pair(rng)
    changes = diff.compare(base_reg, head_reg, project.policy)
    hist = History()
    fresh = [c for c in changes if c.notice_is_new]
    if fresh:
        tip = project.git.head() if rng.head == WORKTREE else rng.head
        if tip is not None and tip != rng.base:
            paths = sorted({p for c in fresh for p in (c.new.path if c.new else None,
                                                      c.old.path if c.old else None) if p})
            hist = history.scan(project.git, project.policy, [f"^{rng.base}", tip], paths=paths)
    scope = _scope(head_reg, changes, project.today, everything)
    return Session(project, rng, head_reg, base_reg, changes, hist, scope)


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
        return Session(project, None, head, head, [], History(), _scope(head, [], project.today, True))
