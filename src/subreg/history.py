"""One pass over the history of registry/.

One `git log --raw -z` process lists every commit that touched the registry with the
blobs it changed; one persistent `git cat-file --batch` reads each blob once; each blob
is parsed once, cached by its id. Never a git process per commit.

From that pass come: for each notice of each entry (a notice is its entry and its
`announced_on`, SPEC 4), the first commit (earliest committer date) that contains it,
and, along the first-parent history, the first commit of that history that contains it
(the merge or squash commit that brought it in: what dates a notice in the audit); for
each entry the commits that changed it; and, along first-parent history, each commit's
registry changes and the waivers of that commit, for the nightly replay. The first
first-parent commit that adds `registry/` is the baseline; a registry deleted and
restored later is not a new one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from subreg import diff, model, yamlio
from subreg import registry as reg
from subreg.errors import InputError, Problem, SubregError
from subreg.gitrepo import ZERO, BlobStream, Commit, Git, LogParser, kind_of
from subreg.model import Notice, Policy, Subprocessor, Waiver
from subreg.registry import Registry

_EPOCH = dt.date(1970, 1, 1)


def utc_date(epoch: int) -> dt.date:
    """The UTC calendar date of a commit time (integer arithmetic: called per change)."""
    return _EPOCH + dt.timedelta(days=epoch // 86400)


@dataclass
class Step:
    """A first-parent commit that changed the registry, what it changed, and the
    waivers of that commit (SPEC 3: the replay judges it with them)."""

    sha: str
    time: int
    changes: list[diff.Change]
    waivers: list[Waiver] = field(default_factory=list)

    @property
    def date(self) -> dt.date:
        return utc_date(self.time)


Sighting = tuple[int, str]  # (committer time, sha) of a commit


@dataclass
class History:
    # (entry id, announced_on) -> the earliest commit of the scan containing that notice
    sightings: dict[tuple[str, dt.date], Sighting] = field(default_factory=dict)
    # (entry id, announced_on) -> the first first-parent commit containing it (replay only)
    mainline: dict[tuple[str, dt.date], Sighting] = field(default_factory=dict)
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

    def notice_first_seen(self, ids: Iterable[str | None], notice: Notice,
                          mainline: bool = False) -> tuple[dt.date, str] | None:
        """Date and commit of the first commit that contains `notice` for any of `ids`
        (with `mainline`, of the first-parent history: what the replay walked)."""
        table = self.mainline if mainline else self.sightings
        keys = [(i, notice.announced_on) for i in ids if i]
        found = [table[k] for k in keys if k in table]
        if not found:
            return None
        time, sha = min(found)
        return utc_date(time), sha


class Reader:
    """Parses registry blobs once each, keeping what was invalid."""

    def __init__(self, git: Git, cache: reg.Parsed | None = None) -> None:
        self.git = git
        self.cache: reg.Parsed = {} if cache is None else cache
        self.raw: dict[str, tuple[bytes, str]] = {}  # sha -> (content, path parsed as), parsed here

    def load(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Read and parse every (sha, path) not yet cached, in one cat-file stream."""
        todo = {sha: path for sha, path in pairs if sha != ZERO and sha not in self.cache}
        with yamlio.bulk():
            self._parse(todo)

    def _parse(self, todo: dict[str, str]) -> None:
        for sha, raw in self.git.blobs.read_many(todo):
            self.parse(sha, raw, todo[sha])

    def parse(self, sha: str, raw: bytes, path: str) -> None:
        """Parse the blob `sha` (content `raw`) as the entry at `path`."""
        try:
            self.cache[sha] = reg.parse_entry(raw, path, marks=False, parts=True)[0]
        except InputError as exc:
            self.cache[sha] = exc
        self.raw[sha] = (raw, path)

    def invalid(self, sha: str) -> bool:
        return isinstance(self.cache.get(sha), InputError)

    def get(self, sha: str, path: str) -> Subprocessor | None:
        if sha == ZERO:
            return None
        value = self.cache[sha]  # every blob of the scan was loaded up front
        if isinstance(value, InputError):
            return None
        # the same content may stand at another path: the id comes from the path
        if value.path != path:
            value = value.model_copy(update={"id": reg.entry_id(path), "path": path})
        return value


def _entry_path(path: str) -> bool:
    name = path.removeprefix(reg.FOLDER + "/")
    return name != path and "/" not in name and name.endswith(".yaml")


_REGULAR = ("100644", "100755")
_BAD_DATE = ("the commit's committer date cannot be read (malformed, or after the year 9999): "
             "it is dated as the commit before it")


def _readable(commits: list[Commit], hist: History) -> list[Commit]:
    """The commits as subreg can read them (see `Readable`)."""
    return Readable(hist).feed(commits)


class Readable:
    """The commits as subreg can read them, as they come; what it cannot read becomes a
    problem of that commit (a `history-invalid` warning), never a crash, since a past
    commit can no longer be fixed.

    - A committer date that cannot be used (malformed, or past the year 9999) is taken
      to be the previous commit's.
    - A file under registry/ that is not a regular `<id>.yaml` file (a submodule, a
      symlink, a name with control characters or bytes that are not UTF-8) is left
      out of the commit: the entry keeps its last readable state.
    """

    def __init__(self, hist: History) -> None:
        self.hist = hist
        self.last = 0

    def feed(self, commits: Iterable[Commit]) -> list[Commit]:
        hist = self.hist
        out = []
        for c in commits:
            time = c.time
            if time is None:
                hist.problems.append((c.sha, Problem(reg.FOLDER, 0, 0, _BAD_DATE)))
                time = self.last
            self.last = time
            kept = []
            for ch in c.changes:
                in_registry = ch.path.startswith(reg.FOLDER + "/")
                if ch.new_sha != ZERO and in_registry and (_entry_path(ch.path) or ch.new_mode not in _REGULAR):
                    problem = reg.history_problem(ch.path, ch.new_mode)
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
    parsed: reg.Parsed | None = None,
) -> History:
    """Walk the commits of `revs` that touched the registry (or `paths` in it).

    With `replay_from` (a commit sha, the tip of the first-parent chain) every
    first-parent commit is also turned into a Step with its registry changes.
    `parsed` holds entries already parsed by blob id (a Project's), and gets the others.
    """
    hist = History()
    reader = Reader(git, parsed)
    # the whole registry, and the waivers (the replay judges each commit with its own)
    with yamlio.bulk():
        commits = _read(git, git.log_args(revs, "", paths or [reg.FOLDER, reg.WAIVERS]), hist, reader)
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
                key = (sid, value.notice.announced_on)
                seen = hist.sightings.get(key)
                if seen is None or (time, c.sha) < seen:
                    hist.sightings[key] = (time, c.sha)
    if replay_from is not None:
        _replay(git, policy, hist, commits, replay_from, reader)
    return hist


def _read(git: Git, log_args: list[str], hist: History, reader: Reader) -> list[Commit]:
    """The readable commits of `git log LOG_ARGS`, with every entry blob they name
    parsed into `reader`: one pipeline, where each blob is asked of git as soon as
    the log names it, and parsed while git still writes the log (the blobs of the
    first commits are parsed before the last ones are listed).

    Each blob is parsed once, as the first path it is met at; an invalid one is parsed
    again as the last path it is met at, as its problems name that path."""
    started = git.stream(log_args)
    blobs: BlobStream | None = None
    readable = Readable(hist)
    parser = LogParser(git.rel)
    commits: list[Commit] = []
    last_path: dict[str, str] = {}  # entry blob -> the last path the log names it at
    pending = 0  # blobs asked for, not parsed yet
    ended: tuple[int, bytes] | None = None
    try:
        while ended is None or pending:
            kind, value = started.events.get()
            if kind == "blob":
                sha, raw = value
                reader.parse(sha, raw, last_path[sha])
                pending -= 1
                continue
            if kind == "blob-error":
                raise SubregError(f"git cat-file could not read object {value.split()[0] if value else ''}")
            if kind == "out":
                found = parser.feed(value)
            else:
                ended = value
                found = parser.close()
            for c in readable.feed(found):
                commits.append(c)
                for ch in c.changes:
                    sha = ch.new_sha
                    if sha == ZERO or not _entry_path(ch.path):
                        continue
                    if sha not in last_path and sha not in reader.cache:
                        if blobs is None:
                            blobs = BlobStream(git.cwd, started.events)
                        blobs.request(sha)
                        pending += 1
                    last_path[sha] = ch.path
            if ended is not None:
                if ended[0] != 0:
                    detail = ended[1].decode(errors="replace").strip().splitlines()
                    raise InputError(f"git log failed: {detail[-1] if detail else 'git exited ' + str(ended[0])}")
                if blobs is not None:
                    blobs.done()
    finally:
        if ended is None:
            started.stop()
        if blobs is not None:
            blobs.close()
    for sha, path in last_path.items():
        value = reader.cache.get(sha)
        if isinstance(value, InputError) and any(p.path != path for p in value.problems):
            raw = reader.raw[sha][0] if sha in reader.raw else git.blobs.read(sha)
            reader.parse(sha, raw, path)
    return commits


def _chain_args(tip: str) -> list[str]:
    return ["rev-list", "--first-parent", "--reverse", "--end-of-options", tip]


def prefetch(git: Git, revs: list[str], replay_from: str | None = None) -> None:
    """Start the git commands of `scan(git, _, revs, replay_from=...)` now, in the
    background, while the caller reads the working tree."""
    git.start(git.log_args(revs, "", [reg.FOLDER, reg.WAIVERS]))
    if replay_from is not None:
        git.start(_chain_args(replay_from))


def _replay(git: Git, policy: Policy, hist: History, commits: list[Commit], tip: str, reader: Reader) -> None:
    by_sha = {c.sha: c for c in commits}
    chain = git.run(_chain_args(tip)).split()
    state: dict[str, str] = {}  # path -> blob sha, along first-parent history
    waivers: list[Waiver] = []
    started = False  # the registry's first commit (the baseline) is behind us
    for raw_sha in chain:
        commit = by_sha.get(raw_sha.decode())
        if commit is None:
            continue
        before = Registry(exists=started)
        after = Registry()
        for ch in commit.changes:
            if ch.path == reg.WAIVERS:
                waivers = _waivers(git, hist, commit.sha, ch.new_sha)
                continue
            started = True
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
                if new.notice is not None:
                    hist.mainline.setdefault((new.id, new.notice.announced_on), (_time(commit), commit.sha))
        changes = diff.compare(before, after, policy, utc_date(_time(commit)))
        if changes:
            hist.steps.append(Step(commit.sha, _time(commit), changes, waivers))
    for path, sha in state.items():
        sp = reader.get(sha, path)
        if sp is not None:
            hist.final[path] = sp


def _waivers(git: Git, hist: History, commit: str, blob: str) -> list[Waiver]:
    """The waivers file of a past commit; an invalid one waives nothing there (the gate
    would have stopped on it) and is reported."""
    if blob == ZERO:
        return []
    path = f"{commit[:12]}:{reg.WAIVERS}"
    try:
        return model.parse_waivers(yamlio.loads(git.blobs.read(blob), path))
    except InputError as exc:
        hist.problems.extend((commit, p) for p in exc.problems)
        return []


def last_valid(git: Git, commit: str, path: str) -> tuple[str, bytes] | None:
    """The last valid version of the entry at `path` in the history of `commit`: (the
    commit that wrote it, its content); None when the file was deleted since, or never
    valid (SPEC 4, invalid base)."""
    versions = [(c.sha, ch) for c in git.log([commit], "", paths=[path]) for ch in c.changes]
    for sha, ch in reversed(versions):
        if ch.new_sha == ZERO:
            return None
        if kind_of(ch.new_mode) != "file":
            continue
        raw = git.blobs.read(ch.new_sha)
        try:
            reg.parse_entry(raw, path, marks=False)
        except InputError:
            continue
        return sha, raw
    return None
