"""Dating a notice: the earliest date it can be shown to have existed (SPEC 4).

`notice-backdated` compares a notice's `announced_on` with that date, less the policy's
`notice_grace_days`. Where the date comes from depends on the run, and is decided here
only: a run picks one `Dating` and every notice rule asks it (`notices.evaluate` takes
the `Evidence` it gives).

- `RangeDating`, for `check` (and `notice`) on base..head: the later of the first commit
  of base..head that contains the notice and today. Commit dates inside a pull request
  are set by its author (`GIT_COMMITTER_DATE`): a claim, not evidence. Today is the date
  of the run: the machine's clock in UTC, or `--today`, which fixes "now" for the whole
  run (reproducible runs give the same verdict tomorrow). `--today` is part of the
  invocation, which the gate's workflow fixes and a pull request cannot edit once the
  rulesets of the README are in place; it is never read from the pull request's data.
- `MainlineDating`, for the audit's replay: the first commit of the default branch's
  first-parent history that contains the notice (the merge or squash commit that
  brought it in; those are made by the hosting service at merge time).

A third source (`notice_evidence: ledger`, SPEC 9: the date of the ledger record showing
the notice was sent) is one more class with the same `evidence` method, replacing both.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from subreg.diff import Change
from subreg.history import History
from subreg.notices import Evidence


class Dating(Protocol):
    def evidence(self, change: Change) -> Evidence | None:
        """The evidence dating the head notice of `change`; None when it has none."""


@dataclass
class RangeDating:
    """base..head: the later of the notice's first commit in the range and today."""

    history: History  # of base..head
    today: dt.date

    def evidence(self, change: Change) -> Evidence | None:
        if change.new is None or change.new.notice is None:
            return None
        found = self.history.notice_first_seen((change.id, change.old_id), change.new.notice)
        if found is not None and found[0] > self.today:
            return Evidence(found[0], f"it first appears in commit {found[1][:12]}, dated {found[0]}, "
                                      f"after the date of this run, {self.today}")
        seen = (f"it first appears in commit {found[1][:12]}, dated {found[0]}, but commit dates "
                "in a pull request are its author's claim" if found else "it is not committed yet")
        return Evidence(self.today, f"the date of this run; {seen}")


@dataclass
class MainlineDating:
    """The audit: the first first-parent commit of the default branch containing it."""

    history: History  # of the whole default branch, replayed

    def evidence(self, change: Change) -> Evidence | None:
        if change.new is None or change.new.notice is None:
            return None
        found = self.history.notice_first_seen((change.id, change.old_id), change.new.notice, mainline=True)
        if found is None:
            return None
        return Evidence(found[0], f"the default branch's first commit containing it is "
                                  f"{found[1][:12]}, dated {found[0]}")
