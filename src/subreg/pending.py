"""The values in force of an entry whose announced change has not taken effect yet.

SPEC 8: an existing subprocessor with a pending change (a notice new in that change,
whose `effective_on` is after today) stays in its table with the values in force: its
last version, in first-parent history, before the notice. A brand-new subprocessor (no
earlier version, or one that was retired or itself not yet in effect) is *upcoming*.

The versions of each entry come from the history's replay (`history.Step`, oldest
first), followed by the change from the last commit to the working tree. They are
followed across renames; a removal ends them (an entry added back later is new, as
SPEC 4 has it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from subreg import diff
from subreg.history import Step
from subreg.model import Policy, Subprocessor
from subreg.registry import Registry


def _pending(sp: Subprocessor, today: dt.date) -> bool:
    return sp.notice is not None and sp.notice.effective_on > today


def versions(steps: Iterable[Step], last: Registry, worktree: Registry,
             policy: Policy) -> dict[str, list[Subprocessor]]:
    """Each entry's versions along first-parent history, oldest first, by its id in the
    working tree. `last` is the registry of the last commit (the replay's final state)."""
    out: dict[str, list[Subprocessor]] = {}
    changes = [change for step in steps for change in step.changes]
    changes += diff.compare(last, worktree, policy)
    for change in changes:
        if change.kind == "removed":
            out.pop(change.id, None)
            continue
        assert change.new is not None
        earlier = out.pop(change.old.id, []) if change.old is not None else []
        out[change.new.id] = [*earlier, change.new]
    return out


def in_force(worktree: Registry, history: dict[str, list[Subprocessor]],
             today: dt.date) -> dict[str, Subprocessor]:
    """For each entry of `worktree` with a pending notice, the version in force at
    `today`, when there is one: the newest version whose own notice (if any) is in
    effect, unless that version was retired."""
    out: dict[str, Subprocessor] = {}
    for sp in worktree:
        if not _pending(sp, today) or (sp.retired_on is not None and sp.retired_on <= today):
            continue
        for old in reversed(history.get(sp.id, [])):
            if _pending(old, today):
                continue  # this announcement (or an earlier one), not in effect either
            if old.retired_on is None or old.retired_on > today:
                out[sp.id] = old if old.id == sp.id else old.model_copy(update={"id": sp.id, "path": sp.path})
            break  # a retired version: the entry comes back, as a new one
    return out
