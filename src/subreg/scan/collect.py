"""Evidence from a product tree: the whole tree, or what a change base..HEAD adds.

Whole tree, when SOURCE is in a git repository: git lists the files (`ls-files`, so
.gitignore'd build output never costs a read) and `git grep -l -F` names the files
that hold any catalogue host at all, in C and in parallel, while Python reads the
manifests; only those files are then read and parsed for URLs. Elsewhere the walk
skips excluded folders before descending, and reads each candidate file once as
bytes, parsing only those that contain `://`.

A change: the files base..HEAD touched, read from git objects; a dependency counts
when head's manifest has it and base's does not (a version bump is no addition); a
host, variable or provider counts when it is on a line the change added.
"""

from __future__ import annotations

import functools
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from subreg import escape
from subreg.errors import InputError
from subreg.gitrepo import ProductTree
from subreg.scan import halves, manifests, names, paths, text
from subreg.scan.begin import Started, git_of
from subreg.scan.built import Built
from subreg.scan.catalog import Matcher
from subreg.spool import AUTHORITY

MAX_FILE = 2 * 1024 * 1024  # larger files are data, bundles or generated code
_TOO_LARGE = "file is "  # how too_large() starts: _one() tells a file too large from other refusals by it


def too_large(size: int, limit: int = MAX_FILE) -> str:
    """Why a file is not read: its size, over the limit."""
    return f"{_TOO_LARGE}{size:,} bytes; the limit is {limit:,}"
MANIFEST_KINDS = frozenset(manifests.PARSERS)
CODE_KINDS = frozenset({"source", "bundle"})  # files read for URLs only


@dataclass(frozen=True, order=True)
class Evidence:
    path: str
    line: int
    service: str
    kind: str  # dependency | host | terraform | env
    text: str

    def as_json(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line, "kind": self.kind, "text": self.text}


_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def one_line(value: str) -> str:
    """Product text (a path, a parser's message quoting a manifest) shown to people:
    its first line, with control and bidirectional-override characters replaced."""
    first = value.split("\n", 1)[0].strip()
    return _UNPRINTABLE.sub("?", first)[:300]


@dataclass(frozen=True, order=True)
class ScanWarning:
    path: str
    line: int
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", escape.one_line(self.path))  # escaped whole: a path is not cut
        object.__setattr__(self, "message", one_line(self.message))

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: warning: {self.message}"


@dataclass
class Collected:
    evidence: list[Evidence] = field(default_factory=list)
    warnings: list[ScanWarning] = field(default_factory=list)
    files: int = 0  # files read
    scope: str = "whole tree"
    base: str | None = None  # the change's start (merge-base of --base and HEAD)
    head: str = "worktree"  # HEAD's sha for a change


@dataclass
class Reader:
    """Turns one file's text into evidence, by the file's kind."""

    matcher: Matcher
    own: tuple[str, ...]
    out: Collected
    built: Built | _HeadSources | None = None  # places a bundle's URLs in its sources

    def text(self, rel: str, data: bytes, kind: str) -> str | None:
        if b"\0" in data[:8192]:
            if kind in MANIFEST_KINDS or kind == "env":
                self.out.warnings.append(ScanWarning(rel, 1, "binary file where a text manifest was expected"))
            return None
        self.out.files += 1
        return data.decode("utf-8", errors="replace")

    def dependencies(self, rel: str, deps: Iterable[manifests.Dep]) -> list[Evidence]:
        found = []
        for d in deps:
            sid = self.matcher.package(d.eco, d.name)
            if sid:
                found.append(Evidence(rel, d.line, sid, "dependency", d.text))
        return found

    def evidence(self, rel: str, content: str, kind: str, needles: tuple[str, ...] = ()) -> list[Evidence]:
        m = self.matcher
        found: list[Evidence] = []
        if kind in MANIFEST_KINDS:
            deps, problems = manifests.parse(kind, content)
            self.out.warnings += [ScanWarning(rel, p.line, p.message) for p in problems]
            return self.dependencies(rel, deps)
        if kind == "env":
            found += [Evidence(rel, h.line, h.service, "env", h.text) for h in text.env_template(content, m)]
        elif kind == "deploy":
            found += [Evidence(rel, h.line, h.service, "env", h.text) for h in text.env_names(content, rel, m)]
        elif kind == "terraform":
            found += [Evidence(rel, h.line, h.service, "terraform", h.text) for h in text.terraform(content, rel, m)]
        if kind in CODE_KINDS and text.vendored(content, rel):
            return found
        hits = text.hosts(content, rel, m, self.own, bundle=kind == "bundle", needles=needles)
        if kind == "bundle" and self.built is not None:
            built = self.built
            hits = [h for h in hits if not built.bundled(rel, h.line, h.column)]
        found += [Evidence(rel, h.line, h.service, "host", h.text) for h in hits]
        return found


def _skipped(rel: str, skip: tuple[str, ...]) -> bool:
    return any(rel == s or rel.startswith(s + "/") for s in skip)


def _read(root: Path, rel: str, real_root: str, limit: int = MAX_FILE, partial: bool = False) -> bytes | str:
    """The bytes of a regular file inside root, or why not (symlinks are not followed);
    `partial`: the first `limit` bytes of a larger file, else it is refused."""
    full = os.path.join(root, rel)
    try:
        fd = os.open(full, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        return "is a symlink; not followed" if os.path.islink(full) else f"cannot read: {exc.strerror}"
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return "not a regular file"
        if st.st_size > limit and not partial:
            return too_large(st.st_size, limit)
        if not _inside(os.path.dirname(full), real_root):
            return "lies outside SOURCE (through a symlinked folder); not read"
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read(limit if partial else limit + 1)
    finally:
        os.close(fd)


@functools.lru_cache(maxsize=4096)
def _inside(folder: str, real_root: str) -> bool:
    return (os.path.realpath(folder) + os.sep).startswith(real_root)


def _head(root: Path, rel: str, size: int) -> bytes | None:
    """The first `size` bytes of a regular file inside root (for built.py), or None."""
    data = _read(root, rel, os.path.realpath(root) + os.sep, limit=size, partial=True)
    return data if isinstance(data, bytes) else None


def _walk(root: Path) -> Iterable[str]:
    """Every regular file below root, excluded folders pruned before descending."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not paths.excluded_dir(d))
        base = os.path.relpath(folder, root)
        prefix = "" if base == "." else base.replace(os.sep, "/") + "/"
        for name in sorted(files):
            yield prefix + name


# What git grep's -o -P pattern takes, for its output without PCRE (whole lines).
_URLS = re.compile(AUTHORITY.encode())
_AUTHORITIES = re.compile(rb"\x00:?//([^/\n]*)")  # the -o -P form: each match follows its path's NUL


def whole(started: Started, matcher: Matcher, own: tuple[str, ...], skip: tuple[str, ...]) -> Collected:
    out = Collected()
    reader = Reader(matcher, own, out)
    root, git, grep = started.root, started.git, started.grep
    real_root = os.path.realpath(root) + os.sep
    def head(rel: str, size: int) -> bytes | None:
        return _head(root, rel, size)

    if git is None or grep is None:
        listed = list(_walk(root))
        built = reader.built = Built(listed, head)
        for rel in listed:
            kind = paths.kind(rel, built)
            if kind is not None and not _skipped(rel, skip):
                _one(root, rel, kind, real_root, reader, need_url=kind in CODE_KINDS)
        out.evidence.sort()
        return out
    tree = ProductTree(git)
    try:
        listed = tree.files(started.listing)
        built = reader.built = Built(listed, head)
        for rel in listed:
            if not paths.listed(rel.rsplit("/", 1)[-1]):
                continue
            kind = paths.kind(rel, built)
            if kind is not None and kind not in CODE_KINDS and not _skipped(rel, skip):
                _one(root, rel, kind, real_root, reader, need_url=False)
        seen = {e.path for e in out.evidence} | {w.path for w in out.warnings}
        candidates = _url_files(tree.grep_output(grep), matcher, own)
        todo = [(rel, kind) for rel in sorted(candidates)
                if (kind := paths.kind(rel, built)) in CODE_KINDS and rel not in seen and not _skipped(rel, skip)]

        def read(share: list[tuple[str, str]]) -> Collected:
            part = Collected()
            part_reader = Reader(matcher, own, part, built)
            for rel, kind in share:
                _one(root, rel, kind, real_root, part_reader, need_url=True, needles=candidates[rel])
            return part

        def weight(item: tuple[str, str]) -> int:
            return _cost(root, item[0], len(candidates[item[0]]))

        for part in halves.halves(todo, weight, read):
            out.evidence += part.evidence
            out.warnings += part.warnings
            out.files += part.files
    finally:
        git.close()
    out.evidence.sort()
    out.warnings.sort()  # by path, as the walk without git gives them
    return out


def _cost(root: Path, rel: str, authorities: int) -> int:
    """What reading a code file for URLs costs, about, in microseconds (measured on
    n8n's 354 such files): each catalogue authority it holds about 100 (its URLs are
    judged one by one), each KiB of the source map that places a bundle's URLs 5, each
    KiB of the file 1; a file over MAX_FILE is not read."""
    full = os.path.join(root, rel)
    try:
        size = os.lstat(full).st_size
    except OSError:
        return 0
    if size > MAX_FILE:
        return 0
    try:
        mapped = os.lstat(full + ".map").st_size
    except OSError:
        mapped = 0
    return 20 + 100 * authorities + (5 * mapped + size) // 1024


def _url_files(grep: tuple[bytes, bool], matcher: Matcher, own: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """The files whose URLs name a catalogue service, each with the authorities of those
    URLs as the file writes them (the lines to read; none: read every URL). Every
    distinct authority is looked up once (most are no service's); only the occurrences
    of a candidate authority are looked at one by one (its path decides when the service
    is known by host and path); so the cost follows the tree's distinct hosts, not its
    lines."""
    out, perl = grep
    if not perl:  # without PCRE: whole lines, from git's -n -F form (rare)
        hits = {u for path, line in ProductTree.grep_records(out, perl) for u in _URLS.findall(line)}
        known = {u for u in hits if _known(u, matcher, own, {})}
        return {path.decode("utf-8", errors="surrogateescape"): () for path, line in
                ProductTree.grep_records(out, perl) if known.intersection(_URLS.findall(line))}
    kinds: dict[bytes, int] = {}
    candidates = [a for a in set(_AUTHORITIES.findall(out)) if _kind(a, matcher, own, kinds)]
    if not candidates:
        return {}
    # A host where the path decides is matched only where its path may name a service:
    # under one of its prefixes (ASCII, in any case), or when the path is not ASCII (the
    # matcher decides). Any other candidate is a service's, whatever the path.
    alternatives = []
    under = set()  # the authorities whose path decides
    for a in sorted(candidates, key=len, reverse=True):
        prefixes = _prefixes(a, matcher) if kinds[a] == 2 else None
        if prefixes is None:
            alternatives.append(re.escape(a))
        else:
            under.add(a)
            listed = b"|".join(re.escape(p) for p in prefixes)
            alternatives.append(re.escape(a) + b"(?=(?i:" + listed + b")(?:/|\n)|[^\n]*[\x80-\xff])")
    # path NUL url LF path NUL url LF: a path ends at a NUL, and starts after the LF ending the url before it
    pattern = re.compile(b"\\x00(:?//(" + b"|".join(alternatives) + b")(?:/[^\\n]*)?)\n")
    files: dict[bytes, set[bytes]] = {}
    for m in pattern.finditer(out):
        url = m.group(1)
        if m.group(2) in under and not url.isascii() and not _names_service(url, matcher):
            continue
        before = out.rfind(b"\0", 0, m.start())
        segment = out[before + 1:m.start()]
        files.setdefault(segment if before < 0 else segment.split(b"\n", 1)[1], set()).add(m.group(2))
    return {f.decode("utf-8", errors="surrogateescape"): tuple(sorted(a.decode("utf-8", errors="replace")
                                                                      for a in found)) for f, found in files.items()}


def _prefixes(authority: bytes, matcher: Matcher) -> tuple[bytes, ...] | None:
    """For an authority whose path decides: the path prefixes that name a service (the
    catalogue's are ASCII, by its schema); None: any path does, the host being a
    service's."""
    host = text.host_of(authority.decode("utf-8", errors="replace")) or ""
    if matcher.host(host) is not None:
        return None
    return tuple(p.encode("ascii") for p, _ in matcher.urls[host])


def _kind(authority: bytes, matcher: Matcher, own: tuple[str, ...], kinds: dict[bytes, int]) -> int:
    """0: no service's host; 1: a service's, whatever the path; 2: its path decides."""
    kind = kinds.get(authority)
    if kind is None:
        host = text.host_of(authority.decode("utf-8", errors="replace"))
        if not host or text.is_own(host, own):
            kind = 0
        else:
            kind = 2 if host in matcher.urls else int(matcher.host(host) is not None)
        kinds[authority] = kind
    return kind


def _known(url: bytes, matcher: Matcher, own: tuple[str, ...], kinds: dict[bytes, int]) -> bool:
    kind = _kind(_after_slashes(url).split(b"/", 1)[0], matcher, own, kinds)
    return kind == 1 or (kind == 2 and _names_service(url, matcher))


def _after_slashes(url: bytes) -> bytes:
    """A grep match without its `://` or, protocol-relative, its `//`."""
    return url[3:] if url.startswith(b":") else url[2:]


def _names_service(url: bytes, matcher: Matcher) -> bool:
    authority, _, path = _after_slashes(url).decode("utf-8", errors="replace").partition("/")
    host = text.host_of(authority)
    return bool(host and matcher.url(host, "/" + path))


def _one(root: Path, rel: str, kind: str, real_root: str, reader: Reader, need_url: bool,
         needles: tuple[str, ...] = ()) -> None:
    data = _read(root, rel, real_root)
    if isinstance(data, str):
        if kind not in CODE_KINDS:
            reader.out.warnings.append(ScanWarning(rel, 1, data))
        elif data.startswith(_TOO_LARGE):
            # code too large to read that may hold evidence (in a git tree, git grep saw it
            # name a catalogue service: a 5 MB bundle that is the product's only code): a
            # place the scan did not look, said, as a pull request's scan says it of any
            # file too large; a symlink or a special file stays silent, as it is not code
            named = ", ".join(needles[:3]) + (", ..." if len(needles) > 3 else "")
            reader.out.warnings.append(ScanWarning(rel, 1, f"{data}: not read, though it names {named}"
                                                   if needles else data))
        return
    if need_url and b"://" not in data and (b"//" not in data or not text.RELATIVE.search(data)):
        return
    content = reader.text(rel, data, kind)
    if content is not None:
        reader.out.evidence += reader.evidence(rel, content, kind, needles)


def change(root: Path, base: str, matcher: Matcher, own: tuple[str, ...], skip: tuple[str, ...]) -> Collected:
    """What HEAD adds to base (from their merge-base, as a pull request shows it)."""
    git = git_of(root)
    if git is None:
        raise InputError(f"{root} is not inside a git repository: --base needs the product's git history")
    try:
        head = git.head()
        if head is None:
            raise InputError(f"{root}: the repository has no commits yet")
        base_sha = git.resolve(base)
        start = git.merge_base(base_sha, head)
        tree = ProductTree(git)
        out = Collected(scope=f"{base}..HEAD", base=start, head=head)
        reader = Reader(matcher, own, out)
        picked = []
        sources = reader.built = _HeadSources(tree, head)
        for c in tree.changes(start, head):
            kind = paths.kind(c.path, sources)
            regular = c.new_mode in ("100644", "100755")  # not a symlink or a submodule
            if c.status not in "AMT" or kind is None or not regular or _skipped(c.path, skip):
                continue
            picked.append((c, kind))
        shas = [c.new_sha for c, _ in picked]
        shas += [c.old_sha for c, k in picked if k in MANIFEST_KINDS and c.status != "A"]
        sizes = tree.sizes(shas)
        big = {s for s, n in sizes.items() if n > MAX_FILE}
        for c, _kind in picked:
            if c.new_sha in big:
                size = sizes[c.new_sha]
                out.warnings.append(ScanWarning(c.path, 1, too_large(size)))
        readable = [s for s in shas if s not in big and s in sizes]
        blobs = dict(git.blobs.read_many(readable))
        added = tree.added_lines(start, head, [c.path for c, k in picked if k not in MANIFEST_KINDS])
        for c, kind in picked:
            data = blobs.get(c.new_sha)
            if data is None:
                continue
            content = reader.text(c.path, data, kind)
            if content is None:
                continue
            if kind in MANIFEST_KINDS:
                deps, problems = manifests.parse(kind, content)
                out.warnings += [ScanWarning(c.path, p.line, p.message) for p in problems]
                old = blobs.get(c.old_sha) if c.status != "A" else None
                before = _names(old, kind) if old is not None else set()
                out.evidence += reader.dependencies(c.path, [d for d in deps if _name(d) not in before])
            else:
                lines = added.get(c.path, set())
                out.evidence += [e for e in reader.evidence(c.path, content, kind) if e.line in lines]
        out.evidence.sort()
        return out
    finally:
        git.close()


class _HeadSources:
    """built.Built over HEAD's tree, listed only when the change touches build output
    (so that a pull-request scan still grows with the change, not the tree)."""

    MAX_BLOB = 16 * 1024 * 1024

    def __init__(self, tree: ProductTree, head: str) -> None:
        self.tree, self.head = tree, head
        self._built: Built | None = None
        self._sizes: dict[str, tuple[str, int]] = {}

    def generated(self, folder: str) -> bool:
        return self._tree().generated(folder)

    def unplaced(self, rel: str) -> bool:
        return self._tree().unplaced(rel)

    def bundled(self, rel: str, line: int, column: int) -> bool:
        return self._tree().bundled(rel, line, column)

    def _tree(self) -> Built:
        if self._built is None:
            out = self.tree.run(["ls-tree", "-r", "-z", "-l", "--end-of-options", self.head], "git ls-tree failed")
            for rec in out.split(b"\0"):
                meta, _, path = rec.partition(b"\t")
                fields = meta.split()
                if len(fields) == 4 and fields[1] == b"blob":
                    size = int(fields[3]) if fields[3].isdigit() else 0
                    self._sizes[path.decode("utf-8", errors="surrogateescape")] = (fields[2].decode(), size)
            self._built = Built(self._sizes, self._blob)
        return self._built

    def _blob(self, rel: str, size: int) -> bytes | None:
        sha, length = self._sizes.get(rel, ("", 0))
        if not sha or length > self.MAX_BLOB:
            return None
        return dict(self.tree.git.blobs.read_many([sha])).get(sha, b"")[:size]


def _name(d: manifests.Dep) -> tuple[str, str]:
    return d.eco, names.normalise(d.eco, d.name)


def _names(data: bytes, kind: str) -> set[tuple[str, str]]:
    """The dependencies of base's version of a manifest (its problems are base's, not this change's)."""
    if b"\0" in data[:8192]:
        return set()
    deps, _problems = manifests.parse(kind, data.decode("utf-8", errors="replace"))
    return {_name(d) for d in deps}
