"""Whether a service the code uses was already in effect before its pending notice.

`activation-before-notice` is for a service whose use would begin before customers had
their notice period: an entry that is new (no earlier version in the registry's
history) or whose every earlier version was itself still waiting for its notice. An
entry long in use whose pending notice announces a *material change* (a new location,
a wider purpose) was used legitimately before that notice: the code using it is not
an activation, and the change's own notice is the gate's business, not the scan's.

The compliance repository's git history tells them apart: every committed version of
`registry/<id>.yaml` is read (one `git log`, one `cat-file` stream, each blob parsed
once, by history.Reader), and the entry counts as in effect before when one of them
was in effect on the scan's day: no notice (a baseline entry) or a notice whose
`effective_on` has come, and not retired. Without git, or without a commit, nothing
can be shown to have been in effect: the entry counts as new. A shallow clone cannot
show it either, and stops with the message of every history-dependent command.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property

from subreg import registry as reg
from subreg.errors import InputError
from subreg.gitrepo import ZERO
from subreg.model import Subprocessor
from subreg.project import Project

MAX_PATHS = 200  # pending entries whose files are named to git log; more: the folder is read


def _in_effect(sp: Subprocessor, today: dt.date) -> bool:
    live = sp.notice is None or sp.notice.effective_on <= today
    return live and (sp.retired_on is None or sp.retired_on > today)


class Earlier:
    """Answers `in_effect_before(entry)` for the entries of one compliance repo. The
    first question reads the history of every pending entry of the registry at once
    (one `git log` for all their files), since the scan asks of each in turn."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._cache: dict[str, bool] = {}

    @cached_property
    def _pending(self) -> frozenset[str]:
        """The entries of the working tree not in effect today."""
        today = self.project.today
        return frozenset(e.id for e in self.project.worktree.entries.values() if not _in_effect(e, today))

    def start(self) -> None:
        """Start the `git log` of the first question now, in the background, while the
        scan reads the product's files (nothing when no entry is pending)."""
        pending = sorted(self._pending)
        if pending:
            try:
                git = self.project.git
            except InputError:  # not a git repository: _look says so
                return
            git.start(git.log_args(["HEAD"], "", paths=self._named(pending)))

    def in_effect_before(self, sp: Subprocessor) -> bool:
        if sp.id not in self._cache:
            self._cache.update(self._look(sorted(self._pending - self._cache.keys() | {sp.id})))
        return self._cache[sp.id]

    @staticmethod
    def _named(ids: list[str]) -> list[str]:
        """The pathspecs of the entries' files; many files: the folder's log, filtered
        (a command line stays short)."""
        return [f"{reg.FOLDER}/{i}.yaml" for i in ids] if len(ids) <= MAX_PATHS else [reg.FOLDER]

    def _look(self, ids: list[str]) -> dict[str, bool]:
        try:
            git = self.project.git
        except InputError:  # not a git repository
            return dict.fromkeys(ids, False)
        if git.head() is None:
            return dict.fromkeys(ids, False)
        git.require_full_history()
        paths = {f"{reg.FOLDER}/{i}.yaml": i for i in ids}
        pairs = [(ch.new_sha, ch.path) for c in git.log(["HEAD"], "", paths=self._named(ids)) for ch in c.changes
                 if ch.path in paths and ch.new_sha != ZERO]
        from subreg import history

        reader = history.Reader(git)
        reader.load(pairs)
        today = self.project.today
        out = dict.fromkeys(ids, False)
        for sha, path in pairs:
            version = reader.get(sha, path)
            if version is not None and _in_effect(version, today):
                out[paths[path]] = True
        return out
