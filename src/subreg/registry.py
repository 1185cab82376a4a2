"""A Registry read from a folder or from a git tree, by the same code.

Every reader collects all problems before raising, so `subreg validate` reports
everything that is wrong at once.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

from subreg import model, yamlio
from subreg.errors import InputError, Problem
from subreg.escape import UNSAFE
from subreg.gitrepo import blob_sha, kind_of
from subreg.model import Policy, Subprocessor

FOLDER = "registry"
POLICY = "policies/policy.yaml"
WAIVERS = "policies/waivers.yaml"
_FILE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\.yaml")


class Docs(MutableMapping[str, yamlio.Doc]):
    """Each entry's document with the position of every value, parsed when first asked
    for (the line of a finding): recording positions costs a third of parsing, and a
    registry of thousands of entries that all pass needs none of them."""

    def __init__(self) -> None:
        self._docs: dict[str, yamlio.Doc] = {}
        self._sources: dict[str, tuple[bytes, str]] = {}  # id -> (content, path as shown)

    def add(self, sid: str, raw: bytes, display: str) -> None:
        """The entry `sid` was parsed from `raw` (valid): its positions, when asked for."""
        self._docs.pop(sid, None)
        self._sources[sid] = (raw, display)

    def share(self, sid: str, other: MutableMapping[str, yamlio.Doc]) -> None:
        """The document of `sid` is the one `other` has (parsed or not yet)."""
        if isinstance(other, Docs) and sid not in other._docs and sid in other._sources:
            self.add(sid, *other._sources[sid])
        else:
            self[sid] = other[sid]

    def __getitem__(self, sid: str) -> yamlio.Doc:
        doc = self._docs.get(sid)
        if doc is None:
            raw, display = self._sources[sid]
            doc = self._docs[sid] = yamlio.loads(raw, display)
        return doc

    def __setitem__(self, sid: str, doc: yamlio.Doc) -> None:
        self._sources.pop(sid, None)
        self._docs[sid] = doc

    def __delitem__(self, sid: str) -> None:
        if sid not in self._docs and sid not in self._sources:
            raise KeyError(sid)
        self._docs.pop(sid, None)
        self._sources.pop(sid, None)

    def __contains__(self, sid: object) -> bool:
        return sid in self._docs or sid in self._sources

    def __iter__(self) -> Iterator[str]:
        return iter([*self._docs, *(s for s in self._sources if s not in self._docs)])

    def __len__(self) -> int:
        return len(self._docs) + sum(1 for s in self._sources if s not in self._docs)

    def update_from(self, other: MutableMapping[str, yamlio.Doc]) -> None:
        """`update`, without parsing what `other` has not parsed yet."""
        for sid in list(other):
            self.share(sid, other)


@dataclass
class Registry:
    """Subprocessors by id, with the position of each of their fields."""

    entries: dict[str, Subprocessor] = field(default_factory=dict)
    docs: MutableMapping[str, yamlio.Doc] = field(default_factory=Docs)
    blobs: dict[str, str] = field(default_factory=dict)  # path -> git blob id of its content
    # False only before the baseline: no registry in this state nor in the history
    # before it (a registry deleted and restored is not a new baseline, SPEC 4)
    exists: bool = True
    # a base read leniently (SPEC 4, invalid base): what was wrong, and what was done
    warnings: list[Problem] = field(default_factory=list)

    def __repr__(self) -> str:
        # cheap: pytest puts the repr of a fixture in every failing assertion's message
        return f"<Registry of {len(self.entries)} entries>"

    def __iter__(self) -> Iterator[Subprocessor]:
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, sp_id: object) -> bool:
        return sp_id in self.entries

    def __getitem__(self, sp_id: str) -> Subprocessor:
        return self.entries[sp_id]

    def get(self, sp_id: str) -> Subprocessor | None:
        return self.entries.get(sp_id)

    def line(self, sp_id: str, *loc: str | int) -> int:
        """Line of a field of an entry (or of the nearest enclosing one)."""
        doc = self.docs.get(sp_id)
        if doc is None:
            return 1
        return doc.where(tuple(loc), key=True)[0] if loc else 1


def entry_id(path: str) -> str:
    """The id of an entry: its file name without the extension (string operations:
    this runs for every file of every commit of a history)."""
    name = path.rpartition("/")[2]
    stem, dot, _ext = name.rpartition(".")
    return stem if dot and stem else name


def layout_problem(name: str, kind: str) -> str | None:
    """Why an item of `registry/` is not an entry, or None when it is one (SPEC 2).

    The one rule for every reader, the working tree and git trees alike, at every ref:
    `registry/` holds regular files named `<id>.yaml` and nothing else. Anything else
    (a dot-file, a folder, a symlink, a submodule, a `.yml`, an odd name) is an error,
    rather than skipped: an entry that one command reads and another skips could pass
    the gate unseen. `kind` is file, folder, symlink, submodule or other.
    """
    if kind == "file" and _FILE.fullmatch(name):
        return None
    what = {"folder": "a folder", "symlink": "a symlink", "submodule": "a submodule (gitlink)",
            "other": "not a regular file"}.get(kind)
    if what is not None:
        return f"is {what}; {FOLDER}/ holds only <id>.yaml files, nothing else"
    if name.startswith("."):
        return f"hidden file {name!r}; {FOLDER}/ holds only <id>.yaml files, nothing else"
    return (f"bad file name {name!r}: registry files are named <id>.yaml, "
            "with an id of lowercase letters, digits and dashes")


def folder_problem(kind: str) -> str | None:
    """Why `registry` itself is not a usable registry folder, or None."""
    if kind == "folder":
        return None
    what = {"symlink": "a symlink", "submodule": "a submodule (gitlink)", "file": "a file"}.get(kind, "not a folder")
    return f"the registry folder is {what}; it must be a real folder"


def check_name(path: str) -> Problem | None:
    message = layout_problem(path.rpartition("/")[2], "file")
    return Problem(path, 0, 0, message) if message else None


def layout(items: Iterable[tuple[str, str]], label: str = "") -> tuple[list[str], list[tuple[str, Problem]]]:
    """Split (path, kind) items of a registry into entry paths and layout problems.

    `items` are what a reader found under the registry (the folder itself may be among
    them, as `registry`); an item inside a subfolder is left out, the subfolder being
    the problem."""
    good: list[str] = []
    problems: list[tuple[str, Problem]] = []
    prefix = FOLDER + "/"
    for path, kind in items:
        shown = f"{label}:{path}" if label else path
        if path == FOLDER:
            message = folder_problem(kind)
        elif path.startswith(prefix) and "/" not in path[len(prefix):]:
            message = layout_problem(path[len(prefix):], kind)
        else:
            continue
        if message:
            problems.append((path, Problem(shown, 0, 0, message)))
        elif path != FOLDER:
            good.append(path)
    return good, problems


def fs_kind(mode: int) -> str:
    """What a file of the working tree is (from lstat: a symlink is never followed)."""
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISDIR(mode):
        return "folder"
    return "file" if stat.S_ISREG(mode) else "other"


def history_problem(path: str, mode: str) -> str | None:
    """Why the file `path` of a past commit (under registry/, with the git file `mode`)
    cannot be a registry entry, or None when it can: the rule of `layout_problem`, plus
    what only a git tree can hold (an odd file mode, a name that is not UTF-8).

    For the history side: a past commit is read as far as it can be, and each file
    refused here is a `history-invalid` warning of that commit, never a crash.
    """
    name = path.removeprefix(FOLDER + "/")
    if mode == "040000" or "/" in name:
        return f"is in a subfolder; {FOLDER}/ holds only <id>.yaml files, nothing else"
    if UNSAFE.search(name):
        return "has a file name with control characters or bytes that are not UTF-8"
    kind = kind_of(mode)
    if kind == "other":
        return f"has the git file mode {mode}; {FOLDER}/ holds only regular <id>.yaml files"
    return layout_problem(name, kind)


def parse_entry(raw: bytes, path: str, label: str = "", marks: bool = True,
                parts: bool = False) -> tuple[Subprocessor, yamlio.Doc]:
    """One registry file, validated; `label` prefixes the path in messages (a ref).

    Without `marks`, positions are not kept; a problem is then reported by parsing
    again with them, so it still names its line. `parts`: read it by parts
    (`yamlio.loads`), for the versions of a history.
    """
    if not marks:
        try:
            return _parse_entry(raw, path, label, False, parts)
        except InputError:
            pass
    return _parse_entry(raw, path, label, True)


def _parse_entry(raw: bytes, path: str, label: str, marks: bool,
                 parts: bool = False) -> tuple[Subprocessor, yamlio.Doc]:
    display = f"{label}:{path}" if label else path
    doc = yamlio.loads(raw, display, marks, parts)
    if isinstance(doc.data, dict):
        for reserved in ("id", "path"):
            if reserved in doc.data:
                raise InputError(problems=[doc.problem((reserved,), f"unknown field '{reserved}' "
                                                       "(the id is the file name)", key=True)])
    sp = model.parse(Subprocessor, doc)
    object.__setattr__(sp, "id", entry_id(path))
    object.__setattr__(sp, "path", path)
    return sp, doc


def cross_check(sp: Subprocessor, doc: yamlio.Doc, policy: Policy | None) -> list[Problem]:
    """What the schema alone cannot see: region keys must be the policy's."""
    if not cross_fails(sp, policy):
        return []
    assert policy is not None and sp.regions is not None
    return [
        doc.problem(("regions", i), f"unknown region {key!r}: the policy defines "
                    f"{', '.join(sorted(policy.regions))}")
        for i, key in enumerate(sp.regions) if key not in policy.regions
    ]


def cross_fails(sp: Subprocessor, policy: Policy | None) -> bool:
    """Whether `cross_check` has something to say (without needing positions)."""
    return policy is not None and bool(sp.regions) and any(k not in policy.regions for k in sp.regions or ())


# Entries already parsed and validated, by the git blob id of their content (a Project's:
# its working tree, its refs and its history share them, each blob parsed once).
Parsed = dict[str, "Subprocessor | InputError"]


def build(files: Iterable[tuple[str, bytes | Problem]], policy: Policy | None, label: str = "",
          parsed: Parsed | None = None, positions: bool = False) -> Registry:
    """A Registry from (path, content) pairs; a Problem in place of content is reported.
    With `positions`, each entry not parsed yet is parsed with its positions at once
    (when the lines of many entries will be asked for: a second parse of each would
    cost more); else they are parsed when first asked for (`Docs`)."""
    reg, problems = build_lenient(files, policy, label, parsed, positions)
    if problems:
        raise InputError(problems=[p for found in problems.values() for p in found])
    return reg


def build_lenient(files: Iterable[tuple[str, bytes | Problem]], policy: Policy | None,
                  label: str = "", parsed: Parsed | None = None,
                  positions: bool = False) -> tuple[Registry, dict[str, list[Problem]]]:
    """A Registry of the valid files, and the problems of the others, by path.
    `parsed` holds entries already parsed (by blob id), and gets the ones parsed here."""
    with yamlio.bulk():
        return _build(files, policy, label, {} if parsed is None else parsed, positions)


def cached_entry(parsed: Parsed, sha: str, raw: bytes, path: str) -> Subprocessor:
    """The entry of the blob `sha` (content `raw`) at `path`: parsed once, without
    positions, whichever path and ref it is met at; raises its InputError each time."""
    value = parsed.get(sha)
    if value is None:
        try:
            value = parse_entry(raw, path, marks=False)[0]
        except InputError as exc:
            value = exc
        parsed[sha] = value
    if isinstance(value, InputError):
        raise value
    if value.path != path:  # the same content at another path: the id comes from the path
        value = value.model_copy(update={"id": entry_id(path), "path": path})
    return value


def _build(files: Iterable[tuple[str, bytes | Problem]], policy: Policy | None,
           label: str, parsed: Parsed, positions: bool) -> tuple[Registry, dict[str, list[Problem]]]:
    reg = Registry()
    docs = reg.docs
    assert isinstance(docs, Docs)
    problems: dict[str, list[Problem]] = {}
    for path, raw in sorted(files, key=lambda f: (entry_id(f[0]), f[0])):
        if isinstance(raw, Problem):
            problems.setdefault(path, []).append(raw)
            continue
        bad = check_name(path)
        if bad:  # the readers judged the layout already: this is for other callers
            problems.setdefault(path, []).append(Problem(f"{label}:{path}" if label else path, 0, 0, bad.message))
            continue
        sha = blob_sha(raw)
        display = f"{label}:{path}" if label else path
        doc: yamlio.Doc | None = None
        fresh = positions and sha not in parsed
        try:
            if fresh:
                sp, doc = parse_entry(raw, path, label)
                parsed[sha] = sp
            else:
                sp = cached_entry(parsed, sha, raw, path)
        except InputError as exc:
            found = exc.problems
            if not fresh:
                try:  # again, to report each problem at its line, with the ref's label
                    parse_entry(raw, path, label)
                except InputError as labelled:
                    found = labelled.problems
            problems.setdefault(path, []).extend(found)
            continue
        if cross_fails(sp, policy):
            problems.setdefault(path, []).extend(cross_check(sp, doc or yamlio.loads(raw, display), policy))
            continue
        reg.entries[sp.id] = sp
        if doc is not None:
            docs[sp.id] = doc
        else:
            docs.add(sp.id, raw, display)
        reg.blobs[path] = sha
    return reg, problems


def read_file(root: Path, rel: str) -> bytes:
    """Read a repo file safely: no symlinks, no special files, size capped first."""
    path = root / rel
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        raise InputError.at(rel, "file not found") from None
    if stat.S_ISLNK(st.st_mode):
        target = os.readlink(path)
        raise InputError.at(rel, f"is a symlink (to {target!r}); subreg reads regular files only")
    if not stat.S_ISREG(st.st_mode):
        raise InputError.at(rel, "is not a regular file")
    if st.st_size > yamlio.MAX_BYTES:
        raise InputError.at(rel, f"file is {st.st_size:,} bytes; the limit is {yamlio.MAX_BYTES:,}")
    with open(path, "rb") as fh:
        return fh.read(yamlio.MAX_BYTES + 1)


def worktree_files(root: Path) -> list[tuple[str, bytes | Problem]] | None:
    """The registry files of a working tree; None when there is no registry folder.
    Everything in the folder is judged by `layout`, as in git trees."""
    folder = root / FOLDER
    try:
        top = os.lstat(folder)
    except FileNotFoundError:
        return None
    items = [(FOLDER, fs_kind(top.st_mode))]
    if stat.S_ISDIR(top.st_mode):
        with os.scandir(folder) as it:
            items += [(f"{FOLDER}/{e.name}", _entry_kind(e)) for e in it]
    good, problems = layout(sorted(items))
    files: list[tuple[str, bytes | Problem]] = list(problems)
    top_dir = str(root)
    for rel in good:
        try:
            files.append((rel, _read_regular(root, top_dir, rel)))
        except InputError as exc:
            files.append((rel, exc.problems[0]))
    return files


def _entry_kind(entry: os.DirEntry[str]) -> str:
    """`fs_kind` of a folder's entry, from the type the folder listing gives (no stat)."""
    if entry.is_symlink():
        return "symlink"
    if entry.is_dir(follow_symlinks=False):
        return "folder"
    return "file" if entry.is_file(follow_symlinks=False) else "other"


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def _read_regular(root: Path, top_dir: str, rel: str) -> bytes:
    """`read_file` with one system call fewer: opened without following a symlink nor
    waiting on a FIFO, then judged by what was opened; anything but a regular file
    within the size limit is left to `read_file`, which says what it is."""
    try:
        fd = os.open(os.path.join(top_dir, rel), _OPEN_FLAGS)
    except OSError:
        return read_file(root, rel)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > yamlio.MAX_BYTES:
            return read_file(root, rel)
        chunks = []
        left = yamlio.MAX_BYTES + 1
        while left > 0:
            chunk = os.read(fd, left)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def load_policy(root: Path, label: str = "") -> Policy:
    raw = read_file(root, POLICY)
    return model.parse(Policy, yamlio.loads(raw, POLICY))


def load_waivers(root: Path) -> list[model.Waiver]:
    if not (root / WAIVERS).exists() and not (root / WAIVERS).is_symlink():
        return []
    return model.parse_waivers(yamlio.loads(read_file(root, WAIVERS), WAIVERS))
