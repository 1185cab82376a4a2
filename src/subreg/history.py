"""One pass over the history of registry/.

One `git log --raw -z` process lists every commit that touched the registry with the
blobs it changed; one persistent `git cat-file --batch` reads each blob once; each blob
is parsed once, cached by its id. Never a git process per commit.

From that pass come: for each notice value of each entry, the first commit (earliest
committer date) that contains it, for the backdating rule; for each entry the commits
that changed it; and, along first-parent history, each commit's registry changes, for
the nightly replay.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from subreg import diff, yamlio
from subreg import registry as reg
from subreg.errors import InputError, Problem
from subreg.gitrepo import ZERO, Commit, Git
from subreg.model import Notice, Policy, Subprocessor
from subreg.registry import Registry

_EPOCH = dt.date(1970, 1, 1)


def utc_date(epoch: int) -> dt.date:
    """The UTC calendar date of a commit time (integer arithmetic: called per change)."""
    return _EPOCH + dt.timedelta(days=epoch // 86400)


@dataclass
class Step:
    """A first-parent commit that changed the registry, and what it changed."""

    sha: str
    time: int
    changes: list[diff.Change]

    @property
    def date(self) -> dt.date:
        return utc_date(self.time)


@dataclass
class History:
    # (entry id, notice) -> (committer time, sha) of the first commit containing it
    sightings: dict[tuple[str, Notice], tuple[int, str]] = field(default_factory=dict)
    # entry id -> shas of the commits that changed its file, oldest first
    commits_of: dict[str, list[str]] = field(default_factory=dict)
    # entry id -> time of the first commit that contained it
    first_seen: dict[str, int] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    # invalid files met in old commits: (commit sha, problem at registry/<id>.yaml)
    problems: list[tuple[str, Problem]] = field(default_factory=list)
    # registry state at the last replayed commit: path -> entry
    final: dict[str, Subprocessor] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"<History of {len(self.steps)} steps, {len(self.commits_of)} entries>"

    def notice_first_seen(self, ids: Iterable[str | None], notice: Notice) -> tuple[dt.date, str] | None:
        """Date and commit of the first commit that contains `notice` for any of `ids`."""
        found = [self.sightings[(i, notice)] for i in ids if i and (i, notice) in self.sightings]
        if not found:
            return None
        time, sha = min(found)
        return utc_date(time), sha


class Reader:
    """Parses registry blobs once each, keeping what was invalid."""

    def __init__(self, git: Git) -> None:
        self.git = git
        self.cache: dict[str, Subprocessor | InputError] = {}

    def load(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Read and parse every (sha, path) not yet cached, in one cat-file stream."""
        todo = {sha: path for sha, path in pairs if sha != ZERO and sha not in self.cache}
        with yamlio.bulk():
            self._parse(todo)

    def _parse(self, todo: dict[str, str]) -> None:
        for sha, raw in self.git.blobs.read_many(todo):
            path = todo[sha]
            try:
                self.cache[sha] = reg.parse_entry(raw, path, marks=False)[0]
            except InputError as exc:
                self.cache[sha] = exc

    def invalid(self, sha: str) -> bool:
        return isinstance(self.cache.get(sha), InputError)

    def get(self, sha: str, path: str) -> Subprocessor | None:
        if sha == ZERO:
            return None
        if sha not in self.cache:
            self.load([(sha, path)])
        value = self.cache[sha]
        if isinstance(value, InputError):
            return None
        # the same content may stand at another path: the id comes from the path
        if value.path != path:
            value = value.model_copy(update={"id": reg.entry_id(path), "path": path})
        return value


def _entry_path(path: str) -> bool:
    name = path[len(reg.FOLDER) + 1:]
    return path.startswith(reg.FOLDER + "/") and "/" not in name and name.endswith(".yaml")


_REGULAR = ("100644", "100755")
_BAD_DATE = ("the commit's committer date cannot be read (malformed, or after the year 9999): "
             "it is dated as the commit before it")


def _readable(commits: list[Commit], hist: History) -> list[Commit]:
    """The commits as subreg can read them; what it cannot read becomes a problem of
    that commit (a `history-invalid` warning), never a crash, since a past commit can
    no longer be fixed.

    - A committer date that cannot be used (malformed, or past the year 9999) is taken
      to be the previous commit's.
    - A file under registry/ that is not a regular `<id>.yaml` file (a submodule, a
      symlink, a name with control characters or bytes that are not UTF-8) is left
      out of the commit: the entry keeps its last readable state.
    """
    out = []
    last = 0
    for c in commits:
        time = c.time
        if time is None:
            hist.problems.append((c.sha, Problem(reg.FOLDER, 0, 0, _BAD_DATE)))
            time = last
        last = time
        kept = []
        for ch in c.changes:
            if ch.new_sha != ZERO and (_entry_path(ch.path) or ch.new_mode not in _REGULAR):
                problem = reg.layout_problem(ch.path, ch.new_mode)
                if problem is not None:
                    hist.problems.append((c.sha, Problem(ch.path, 0, 0, problem)))
                    continue
            kept.append(ch)
        out.append(replace(c, time=time, changes=tuple(kept)))
    return out


def _time(commit: Commit) -> int:
    assert commit.time is not None, "dated by _readable"
    return commit.time


def scan(
    git: Git,
    policy: Policy,
    revs: list[str],
    paths: list[str] | None = None,
    replay_from: str | None = None,
) -> History:
    """Walk the commits of `revs` that touched the registry (or `paths` in it).

    With `replay_from` (a commit sha, the tip of the first-parent chain) every
    first-parent commit is also turned into a Step with its registry changes.
    """
    hist = History()
    commits = _readable(list(git.log(revs, reg.FOLDER if paths is None else "", paths=paths)), hist)
    reader = Reader(git)
    reader.load((ch.new_sha, ch.path) for c in commits for ch in c.changes if _entry_path(ch.path))
    for c in commits:
        time = _time(c)
        for ch in c.changes:
            if not _entry_path(ch.path) or ch.new_sha == ZERO:
                continue
            sid = reg.entry_id(ch.path)
            hist.commits_of.setdefault(sid, []).append(c.sha)
            hist.first_seen[sid] = min(hist.first_seen.get(sid, time), time)
            value = reader.cache.get(ch.new_sha)
            if isinstance(value, InputError):
                hist.problems.extend((c.sha, p) for p in value.problems)
                continue
            if value is not None and value.notice is not None:
                key = (sid, value.notice)
                seen = hist.sightings.get(key)
                if seen is None or (time, c.sha) < seen:
                    hist.sightings[key] = (time, c.sha)
    if replay_from is not None:
        _replay(git, policy, hist, commits, replay_from, reader)
    return hist


def _replay(git: Git, policy: Policy, hist: History, commits: list[Commit], tip: str, reader: Reader) -> None:
    by_sha = {c.sha: c for c in commits}
    chain = git.run(["rev-list", "--first-parent", "--reverse", "--end-of-options", tip]).split()
    state: dict[str, str] = {}  # path -> blob sha, along first-parent history
    for raw_sha in chain:
        commit = by_sha.get(raw_sha.decode())
        if commit is None:
            continue
        before = Registry(exists=bool(state))
        after = Registry()
        for ch in commit.changes:
            # an invalid file (reported in hist.problems) changes nothing: the entry keeps
            # its last valid state, rather than reading as a removal, then an addition
            if not _entry_path(ch.path) or reader.invalid(ch.new_sha):
                continue
            old = reader.get(state.get(ch.path, ZERO), ch.path)
            if old is not None:
                before.entries[old.id] = old
            if ch.new_sha == ZERO:
                state.pop(ch.path, None)
            else:
                state[ch.path] = ch.new_sha
            new = reader.get(ch.new_sha, ch.path)
            if new is not None:
                after.entries[new.id] = new
        changes = diff.compare(before, after, policy)
        if changes:
            hist.steps.append(Step(commit.sha, _time(commit), changes))
    for path, sha in state.items():
        sp = reader.get(sha, path)
        if sp is not None:
            hist.final[path] = sp
