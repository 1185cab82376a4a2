"""The module that runs git (with spool.py, its light part that a scan starts with).

Git is run as a plain subprocess with arguments we build: a ref from the command line or
from a pull request is checked before git sees it (no value starting with `-`, no
control characters) and is always placed after `--end-of-options`, so it can never be
taken as an option. Blobs are read through one persistent `git cat-file --batch`.
"""

from __future__ import annotations

import contextlib
import io
import os
import queue
import re
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from subreg.errors import InputError, SubregError
from subreg.spool import ENV, LIST, Spooled, grep_args

_BAD_REF = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|^-|^/|/$|\.lock$")
ZERO = "0" * 40


def check_ref(ref: str) -> str:
    """Refuse a ref that git could read as an option or that is not a plain name."""
    if ref.startswith("-"):
        raise InputError(f"refusing ref {ref!r}: a ref may not start with '-'")
    base = re.sub(r"(?:[~^]\d*)+$", "", ref)  # allow HEAD~1 / main^2 style suffixes
    if not ref or _BAD_REF.search(base):
        raise InputError(f"refusing ref {ref!r}: not a valid git ref")
    return ref


_KINDS = {"040000": "folder", "120000": "symlink", "160000": "submodule",
          "100644": "file", "100755": "file"}


def kind_of(mode: str) -> str:
    """What a git tree entry is, by its mode: file, folder, symlink, submodule or other."""
    return _KINDS.get(mode, "other")


@dataclass(frozen=True)
class TreeItem:
    mode: str
    sha: str
    size: int
    path: str  # relative to the compliance repo

    @property
    def kind(self) -> str:
        return kind_of(self.mode)


@dataclass(frozen=True)
class FileChange:
    old_sha: str  # ZERO when added
    new_sha: str  # ZERO when deleted
    new_mode: str
    path: str  # relative to the compliance repo


@dataclass(frozen=True)
class Commit:
    sha: str
    parents: tuple[str, ...]
    time: int | None  # committer date, epoch seconds; None when git cannot give a usable one
    changes: tuple[FileChange, ...]


# Committer dates subreg can compute with: 1970 to the end of year 9999 (a commit object
# can say anything: a date in the year 10000 overflows every date type, a malformed one
# prints nothing).
MAX_EPOCH = 253402300799


def epoch(text: bytes | str) -> int | None:
    """A committer date as git prints it (`%ct`), or None when it is not a usable one."""
    value = text.strip() if isinstance(text, str) else text.strip().decode("ascii", "replace")
    if not value.isascii() or not value.isdigit() or len(value) > 12:
        return None
    number = int(value)
    return number if number <= MAX_EPOCH else None


class Git:
    """A git repository seen from a compliance repo that may be a subfolder of it."""

    def __init__(self, where: Path) -> None:
        self.cwd = where
        self._started: dict[tuple[str, ...], _Started] = {}
        # `--show-cdup` prints only "../" steps: unlike --show-toplevel and --show-prefix
        # it cannot hold a line break, whatever the folders are called.
        out = self._run(["rev-parse", "--is-shallow-repository", "--show-cdup"], fail=None)
        if out is None:
            raise InputError(f"{where} is not inside a git repository")
        shallow, _, cdup = out.decode().partition("\n")
        here = Path(os.path.realpath(where))
        self.top = Path(os.path.realpath(here / cdup.rstrip("\n"))) if cdup.strip() else here
        rel = here.relative_to(self.top).as_posix()
        self.prefix = "" if rel == "." else rel + "/"  # e.g. "" or "compliance/"
        self._shallow = shallow == "true"
        self._catfile: CatFile | None = None
        # From here on git runs at the top of the work tree, where a pathspec of
        # `prefix + folder` names the folder (from a subfolder it would be relative).
        self.cwd = self.top

    def _run(self, args: list[str], fail: str | None = "git failed", stdin: bytes | None = None) -> bytes | None:
        started = self._started.pop(tuple(args), None) if stdin is None else None
        if started is not None:
            code, out, err = started.result()
        else:
            proc = subprocess.run(
                ["git", *args], cwd=self.cwd, env=ENV, input=stdin,
                capture_output=True, check=False,
            )
            code, out, err = proc.returncode, proc.stdout, proc.stderr
        if code != 0:
            if fail is None:
                return None
            detail = err.decode(errors="replace").strip().splitlines()
            raise InputError(f"{fail}: {detail[-1] if detail else 'git exited ' + str(code)}")
        return out

    def stream(self, args: list[str]) -> _Started:
        """`git ARGS` running, its output to be read as it comes (`_Started.events`):
        the one `start` began, else a new one."""
        started = self._started.pop(tuple(args), None)
        return started if started is not None else _Started(["git", *args], self.cwd)

    def start(self, args: list[str]) -> None:
        """Start `git ARGS` now, in the background (git works on the other core while
        this process does something else); the later `run` of the same ARGS takes its
        output instead of running git again."""
        if tuple(args) not in self._started:
            self._started[tuple(args)] = _Started(["git", *args], self.cwd)

    def run(self, args: list[str], fail: str = "git failed") -> bytes:
        out = self._run(args, fail)
        assert out is not None
        return out

    # -- refs ---------------------------------------------------------------------

    def resolve(self, ref: str) -> str:
        """The commit a ref names; exit 2 when it names none."""
        check_ref(ref)
        out = self._run(["rev-parse", "--verify", "--quiet", "--end-of-options", ref + "^{commit}"], None)
        if out is None:
            hint = " (this is a shallow clone: fetch full history with fetch-depth: 0)" if self.shallow() else ""
            raise InputError(f"unknown ref {ref!r}: no such commit in this repository{hint}")
        return out.decode().strip()

    def try_resolve(self, ref: str) -> str | None:
        out = self._run(["rev-parse", "--verify", "--quiet", "--end-of-options", ref + "^{commit}"], None)
        return out.decode().strip() if out else None

    def shallow(self) -> bool:
        return self._shallow

    def require_full_history(self) -> None:
        if self.shallow():
            raise InputError(
                "this is a shallow clone, and subreg needs the full history of registry/: "
                "run `git fetch --unshallow`, or in GitHub Actions check out with "
                "`fetch-depth: 0`"
            )

    def head(self) -> str | None:
        return self.try_resolve("HEAD")

    def merge_base(self, a: str, b: str) -> str:
        out = self._run(["merge-base", "--end-of-options", a, b], None)
        if not out:
            raise InputError(
                f"{a[:12]} and {b[:12]} have no common history (unrelated histories): "
                "pass --base explicitly"
            )
        return out.decode().strip()

    def default_base(self, head: str) -> str:
        """Merge-base of head with the default branch: origin/HEAD, origin/main, main."""
        for ref in ("origin/HEAD", "origin/main", "main"):
            sha = self.try_resolve(ref)
            if sha:
                return self.merge_base(sha, head)
        raise InputError("no default branch found (origin/HEAD, origin/main or main): pass --base")

    # -- trees and blobs ----------------------------------------------------------

    def tree(self, commit: str, folder: str) -> list[TreeItem] | None:
        """Everything under `folder` at `commit`, the folder itself first, subfolders,
        symlinks and submodules included (what they are is for the caller to judge);
        None when nothing is there."""
        out = self.run(self.tree_args(commit, folder))
        items = []
        for rec in out.split(b"\0"):
            if not rec:
                continue
            meta, _, path = rec.partition(b"\t")
            mode, _kind, sha, size = meta.decode().split()
            items.append(TreeItem(mode, sha, int(size) if size.isdigit() else 0, self.rel(path)))
        return items or None

    def tree_args(self, commit: str, folder: str) -> list[str]:
        """The arguments of `tree`."""
        return ["ls-tree", "-r", "-t", "-z", "-l", "--full-tree", "--end-of-options", commit,
                "--", self.prefix + folder]

    def rel(self, path: bytes) -> str:
        text = path.decode("utf-8", errors="surrogateescape")
        return text[len(self.prefix):] if text.startswith(self.prefix) else text

    @property
    def blobs(self) -> CatFile:
        if self._catfile is None:
            self._catfile = CatFile(self.cwd)
        return self._catfile

    def close(self) -> None:
        if self._catfile is not None:
            self._catfile.close()
            self._catfile = None
        for started in self._started.values():  # started, and not needed in the end
            started.stop()
        self._started.clear()

    # -- history ------------------------------------------------------------------

    def log(self, revs: list[str], folder: str, paths: list[str] | None = None,
            first_parent: bool = False) -> Iterator[Commit]:
        """Commits that touched `folder`, oldest first, each with its file changes.

        One `git log --raw -z` process. Renames are not asked of git: registry files
        look alike, so subreg pairs moved files itself by legal entity. Merge commits
        are diffed against their first parent.
        """
        out = self.run(self.log_args(revs, folder, paths, first_parent), "git log failed")
        yield from _parse_log(out, self.rel)

    def log_args(self, revs: list[str], folder: str, paths: list[str] | None = None,
                 first_parent: bool = False) -> list[str]:
        """The arguments of `log` (for `start`, to run it ahead)."""
        args = [
            "log", "--raw", "-z", "--no-renames", "--no-abbrev", "--reverse", "--full-history",
            "--diff-merges=first-parent", "--format=%x01%H %ct %P",
        ]
        if first_parent:
            args.append("--first-parent")
        pathspecs = [self.prefix + p for p in paths] if paths else [self.prefix + folder]
        return [*args, "--end-of-options", *revs, "--", *pathspecs]

    def touched(self, commit: str, folder: str) -> bool:
        """Whether any commit of the first-parent history of `commit` touched `folder`."""
        out = self.run(["log", "-1", "--first-parent", "--format=%H", "--end-of-options", commit,
                        "--", self.prefix + folder])
        return bool(out.strip())

    def file_at(self, commit: str, path: str) -> bytes | None:
        """The content of the regular file `path` at `commit`; None when it is absent.
        Anything else there (a folder, a symlink, a submodule) is an InputError."""
        return self.file_in(self.tree(commit, path), commit, path)

    def file_in(self, listing: list[TreeItem] | None, commit: str, path: str) -> bytes | None:
        """`file_at(commit, path)`, from a `tree` of `commit` that holds `path` (the
        listing of a folder above it)."""
        items = [i for i in listing or () if i.path == path]
        if not items:
            return None
        if items[0].kind != "file":
            raise InputError.at(f"{commit[:12]}:{path}", f"is a {items[0].kind}; subreg reads regular files only")
        return self.blobs.read(items[0].sha)

    def last_commit_time(self, folder: str) -> int | None:
        """The committer date of the last commit that touched `folder` (the latest usable
        one, when a commit's date cannot be read)."""
        out = self.run(self.last_commit_args(folder))
        return next((t for t in map(epoch, out.split(b"\n")) if t is not None), None)

    def last_commit_args(self, folder: str) -> list[str]:
        """The arguments of `last_commit_time` (for `start`, to run it ahead)."""
        return ["log", "--format=%ct", "--", self.prefix + folder]


def _parse_log(out: bytes, rel: Callable[[bytes], str]) -> Iterator[Commit]:
    """Commits from `git log --raw -z --format=%x01%H %ct %P` (see LogParser)."""
    parser = LogParser(rel)
    yield from parser.feed(out)
    yield from parser.close()


class LogParser:
    """Commits from the output of `git log --raw -z --format=%x01%H %ct %P`, fed in
    pieces as git writes it.

    With -z every field ends with NUL: a header (after the commit's \\x01), then a
    `:modes shas status` field and its path, per file. A path is taken whole, whatever
    bytes it holds (a \\x01, a line break, bytes that are not UTF-8): only the field
    after a `:` field is a path. A commit is complete when the next one starts, or at
    the end.
    """

    def __init__(self, rel: Callable[[bytes], str]) -> None:
        self.rel = rel
        self._rest = b""  # the field being written (no NUL after it yet)
        self._header: list[str] | None = None
        self._changes: list[FileChange] = []
        self._meta: list[str] | None = None  # a `:` field waiting for its path

    def feed(self, data: bytes) -> list[Commit]:
        """The commits completed by this piece of output."""
        fields = (self._rest + data).split(b"\0")
        self._rest = fields.pop()
        return self._fields(fields)

    def close(self) -> list[Commit]:
        """The commits left at the end of the output."""
        out = self._fields([self._rest])
        self._rest, self._meta = b"", None  # a `:` field with nothing after it: no path
        if self._header is not None:
            out.append(_commit(self._header, self._changes))
            self._header = None
        return out

    def _fields(self, fields: list[bytes]) -> list[Commit]:
        out = []
        for raw in fields:
            meta = self._meta
            if meta is not None:  # this field is the path of the `:` field before it
                self._meta = None
                if len(meta) >= 4:
                    self._changes.append(FileChange(meta[2], meta[3], meta[1], self.rel(raw)))
                continue
            field = raw.lstrip(b"\n")
            if field.startswith(b"\x01"):
                if self._header is not None:
                    out.append(_commit(self._header, self._changes))
                self._header, self._changes = field[1:].decode("ascii", "replace").split(" "), []
            elif field.startswith(b":") and self._header is not None:
                self._meta = field[1:].decode("ascii", "replace").split()
        return out


def _commit(header: list[str], changes: list[FileChange]) -> Commit:
    sha = header[0]
    time = epoch(header[1]) if len(header) > 1 else None
    return Commit(sha, tuple(p for p in header[2:] if p), time, tuple(changes))


class _Started:
    """A git process running in the background, its output read by a thread (so that a
    full pipe never stops it) into `events`: ("out", bytes) for each piece of its
    output as it comes, then ("end", (exit code, stderr)). Other threads may send their
    own events to the same queue (BlobStream), so that one reader waits on both."""

    def __init__(self, cmd: list[str], cwd: Path) -> None:
        self._proc = subprocess.Popen(cmd, cwd=cwd, env=ENV, stdin=subprocess.DEVNULL,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.events: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._collect, daemon=True)
        self._thread.start()

    def _collect(self) -> None:
        proc = self._proc
        assert isinstance(proc.stdout, io.BufferedReader) and proc.stderr is not None
        try:
            while chunk := proc.stdout.read1(1 << 16):
                self.events.put(("out", chunk))
            err = proc.stderr.read()
        except (OSError, ValueError):  # pragma: no cover - stopped while reading
            err = b""
        proc.stdout.close()
        proc.stderr.close()
        self.events.put(("end", (proc.wait(), err)))

    def result(self) -> tuple[int, bytes, bytes]:
        """(exit code, stdout, stderr), once git has finished."""
        chunks = []
        while True:
            kind, value = self.events.get()
            if kind == "out":
                chunks.append(value)
            elif kind == "end":
                code, err = value
                return code, b"".join(chunks), err

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        self._thread.join()


class BlobStream:
    """A pipelined `git cat-file --batch --buffer` whose requests come as the caller
    learns which blobs it needs (from a log still being written): a writer thread
    feeds git, a reader thread sends each answer to `events` as ("blob", (sha, data)),
    or ("blob-error", text) for an object git cannot read."""

    def __init__(self, cwd: Path, events: queue.SimpleQueue[tuple[str, Any]]) -> None:
        self._proc = subprocess.Popen(
            ["git", "cat-file", "--batch", "--buffer"], cwd=cwd, env=ENV,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        self._events = events
        self._requests: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._write, daemon=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._writer.start()
        self._reader.start()

    def request(self, sha: str) -> None:
        self._requests.put(sha)

    def done(self) -> None:
        """No more requests: git writes what it still holds, and stops."""
        self._requests.put(None)

    def _write(self) -> None:
        stdin = self._proc.stdin
        assert stdin is not None
        try:
            while True:
                shas = [self._requests.get()]
                while not self._requests.empty() and shas[-1] is not None:
                    shas.append(self._requests.get())
                last = shas[-1] is None
                stdin.write("".join(sha + "\n" for sha in shas if sha is not None).encode())
                if last:
                    break
            stdin.close()
        except (BrokenPipeError, ValueError):  # pragma: no cover - git was stopped
            pass

    def _read(self) -> None:
        stdout = self._proc.stdout
        assert stdout is not None
        try:
            while header := stdout.readline():
                parts = header.split()
                if len(parts) != 3:
                    self._events.put(("blob-error", header.decode(errors="replace").strip()))
                    return
                data = stdout.read(int(parts[2]) + 1)[:-1]
                self._events.put(("blob", (parts[0].decode(), data)))
        except (OSError, ValueError):  # pragma: no cover - stopped while reading
            pass

    def close(self) -> None:
        self._requests.put(None)
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        self._writer.join()
        self._reader.join()
        assert self._proc.stdout is not None and self._proc.stdin is not None
        self._proc.stdout.close()
        if not self._proc.stdin.closed:
            with contextlib.suppress(BrokenPipeError):  # git was stopped with requests unread
                self._proc.stdin.close()


class CatFile:
    """One persistent `git cat-file --batch` for the blobs a command reads one by one,
    and a pipelined `git cat-file --batch --buffer` for each batch of many."""

    BULK = 1024  # from this many blobs, a buffered process of their own (fewer, larger writes)

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self._proc: subprocess.Popen[bytes] | None = None

    def _persistent(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            self._proc = subprocess.Popen(
                ["git", "cat-file", "--batch"], cwd=self.cwd, env=ENV,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            )
        return self._proc

    def read_many(self, shas: Iterable[str]) -> Iterator[tuple[str, bytes]]:
        """(sha, content) for each sha, in order; requests are written by a thread so
        that neither side of the pipe can fill up and block the other. Many blobs are
        read through a `--buffer` process of their own: git writes its answers in large
        blocks while this side parses the previous ones."""
        wanted = list(dict.fromkeys(shas))
        bulk = len(wanted) >= self.BULK
        proc = subprocess.Popen(
            ["git", "cat-file", "--batch", "--buffer"], cwd=self.cwd, env=ENV,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        ) if bulk else self._persistent()
        stdin, stdout = proc.stdin, proc.stdout
        assert stdin is not None and stdout is not None
        writer = threading.Thread(target=_write_requests, args=(stdin, wanted, bulk), daemon=True)
        writer.start()
        done = False
        try:
            for sha in wanted:
                header = stdout.readline().split()
                if len(header) != 3:
                    raise SubregError(f"git cat-file could not read object {sha}")
                size = int(header[2])
                data = stdout.read(size + 1)[:-1]
                yield sha, data
            done = True
        finally:
            if bulk:
                if not done:
                    proc.kill()  # the reader stopped early: so does git (and the writer)
                proc.wait()
                stdout.close()
            writer.join()

    def read(self, sha: str) -> bytes:
        return next(self.read_many([sha]))[1]

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.stdin:
            proc.stdin.close()
        proc.wait()
        if proc.stdout:
            proc.stdout.close()


def _write_requests(stdin: IO[bytes], shas: list[str], close: bool = False) -> None:
    try:
        stdin.write("".join(sha + "\n" for sha in shas).encode())
        if close:
            stdin.close()  # --buffer: git writes what it still holds, and stops
        else:
            stdin.flush()
    except (BrokenPipeError, ValueError):  # pragma: no cover - git was stopped early
        pass


def blob_sha(data: bytes) -> str:
    """The id git gives a blob with this content (to compare a work tree with a commit)."""
    import hashlib

    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


# -- product trees (`subreg scan`) ----------------------------------------------------------

_C_ESCAPES = {b"a": 7, b"b": 8, b"t": 9, b"n": 10, b"v": 11, b"f": 12, b"r": 13, b'"': 34, b"\\": 92}


def unquote_path(raw: bytes) -> bytes:
    """A path as a diff header prints it: as it is, or, when it holds a line break, a
    quote, a backslash or a control byte (and, with core.quotePath, any byte over 0x7f),
    in double quotes with C escapes (`"b/a\\nb.py"`, `"caf\\303\\251"`)."""
    if not (raw.startswith(b'"') and raw.endswith(b'"') and len(raw) >= 2):
        return raw
    body, out, i = raw[1:-1], bytearray(), 0
    while i < len(body):
        ch = body[i:i + 1]
        if ch != b"\\" or i + 1 == len(body):
            out += ch
            i += 1
        elif body[i + 1:i + 2] in _C_ESCAPES:
            out.append(_C_ESCAPES[body[i + 1:i + 2]])
            i += 2
        else:  # \ooo, an octal byte
            out.append(int(body[i + 1:i + 4], 8) & 0xFF)
            i += 4
    return bytes(out)


@dataclass(frozen=True)
class Changed:
    status: str  # A, M, T, D, ...
    old_sha: str
    new_sha: str
    new_mode: str
    path: str  # relative to the folder the Git object was made for


class ProductTree:
    """The git side of `subreg scan`: file lists, a grep that names the files holding
    any of some fixed strings, and the change base..head. Paths are relative to the
    scanned folder (git's working directory here), which may be a subfolder."""

    def __init__(self, git: Git) -> None:
        self.git = git
        # git runs in the scanned folder itself: `ls-files`, `grep` and `diff --relative`
        # then see only what lies below it, with paths relative to it (a monorepo's
        # `services/api` is scanned as that folder, not as the whole repository).
        self.cwd = git.top / git.prefix if git.prefix else git.top

    def run(self, args: list[str], fail: str, stdin: bytes | None = None) -> bytes:
        proc = subprocess.run(["git", *args], cwd=self.cwd, env=ENV, input=stdin, capture_output=True, check=False)
        if proc.returncode != 0:
            detail = proc.stderr.decode(errors="replace").strip().splitlines()
            raise InputError(f"{fail}: {detail[-1] if detail else 'git exited ' + str(proc.returncode)}")
        return proc.stdout

    def files_start(self) -> Spooled:
        """Start listing the files git tracks (what CI checks out; untracked files are not
        the product yet); collect with files()."""
        return Spooled.start(LIST, self.cwd)

    def files(self, proc: Spooled | None = None) -> list[str]:
        """The files git tracks, from files_start()'s process (or a new one)."""
        code, out, err = (proc or self.files_start()).wait()
        if code != 0:
            raise InputError(f"git ls-files failed: {err.decode(errors='replace').strip()[-200:]}")
        # decoded at once: UTF-8 never holds a NUL inside a character, so this is each path decoded
        listed = dict.fromkeys(out.decode("utf-8", errors="surrogateescape").split("\0"))  # each once (an unmerged
        listed.pop("", None)  # path is listed per stage); the empty name: after the last NUL
        return list(listed)

    def grep_start(self, perl: bool = True) -> Spooled:
        """Start `git grep` for URLs (spool.grep_args); collect with grep_output() while
        other work goes on."""
        return Spooled.start(grep_args(perl), self.cwd)

    def grep_output(self, proc: Spooled) -> tuple[bytes, bool]:
        """(output, whether it is the -o -P form)."""
        code, out, err = proc.wait()
        perl = "-P" in proc.args
        if perl and code == 128 and b"perl" in err.lower().replace(b"pcre", b"perl"):  # pragma: no cover
            return self.grep_output(self.grep_start(perl=False))
        if code not in (0, 1):  # 1: no match
            raise InputError(f"git grep failed: {err.decode(errors='replace').strip()[-200:]}")
        return out, perl

    @staticmethod
    def grep_records(out: bytes, perl: bool) -> Iterator[tuple[bytes, bytes]]:
        """(path, text) for each match of grep_start()'s output, where text is the
        `://...` match (-o -P) or the whole line (the form without PCRE). With -z a path
        ends in NUL, and may hold any other byte, a line break included; a match or a
        line holds neither, so each piece between NULs ends where its first line break
        is, and the next path begins after it."""
        pieces = out.split(b"\0")
        path = pieces[0]
        step = 1 if perl else 2  # without PCRE: path NUL line-number NUL text
        for i in range(step, len(pieces), step):
            text, _, path_next = pieces[i].partition(b"\n")
            if text or path_next:
                yield path, text
            path = path_next

    def changes(self, base: str, head: str) -> list[Changed]:
        """Files changed between two commits, under the scanned folder."""
        out = self.run(["diff", "--raw", "-z", "--no-renames", "--no-abbrev", "--relative", "--no-ext-diff",
                            "--end-of-options", base, head], "git diff failed")
        fields = out.split(b"\0")
        items = []
        for i in range(0, len(fields) - 1, 2):
            meta = fields[i].decode()
            if not meta.startswith(":"):
                break
            _old_mode, new_mode, old_sha, new_sha, status = meta[1:].split()
            items.append(Changed(status[0], old_sha, new_sha, new_mode,
                                 fields[i + 1].decode("utf-8", errors="surrogateescape")))
        return items

    def added_lines(self, base: str, head: str, paths: list[str]) -> dict[str, set[int]]:
        """Line numbers (in head) of the lines each file gained since base."""
        if not paths:
            return {}
        out = self.run(["diff", "-U0", "--no-color", "--no-ext-diff", "--no-renames", "--relative",
                            "--src-prefix=a/", "--dst-prefix=b/", "--end-of-options", base, head, "--", *paths],
                           "git diff failed")
        added: dict[str, set[int]] = {}
        current: set[int] | None = None
        for line in out.split(b"\n"):
            if line.startswith(b"+++ "):
                # git ends the name with a TAB when it holds a space (for patch tools)
                name = unquote_path(line[4:].removesuffix(b"\t")).decode("utf-8", errors="surrogateescape")
                current = added.setdefault(name[2:], set()) if name.startswith("b/") else None
            elif line.startswith(b"@@ ") and current is not None:
                m = re.match(rb"@@ -\S+ \+(\d+)(?:,(\d+))? @@", line)
                if m:
                    start, count = int(m.group(1)), int(m.group(2) or 1)
                    current.update(range(start, start + count))
        return added

    def sizes(self, shas: list[str]) -> dict[str, int]:
        if not shas:
            return {}
        out = self.run(["cat-file", "--batch-check"], "git cat-file failed",
                       stdin="".join(s + "\n" for s in shas).encode())
        sizes = {}
        for line in (out or b"").decode().splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[2].isdigit():
                sizes[parts[0]] = int(parts[2])
        return sizes
