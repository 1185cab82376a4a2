"""A Registry read from a folder or from a git tree, by the same code.

Every reader collects all problems before raising, so `subreg validate` reports
everything that is wrong at once.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from subreg import model, yamlio
from subreg.errors import InputError, Problem
from subreg.escape import UNSAFE
from subreg.gitrepo import blob_sha
from subreg.model import Policy, Subprocessor

FOLDER = "registry"
POLICY = "policies/policy.yaml"
WAIVERS = "policies/waivers.yaml"
_FILE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\.yaml")


@dataclass
class Registry:
    """Subprocessors by id, with the position of each of their fields."""

    entries: dict[str, Subprocessor] = field(default_factory=dict)
    docs: dict[str, yamlio.Doc] = field(default_factory=dict)
    blobs: dict[str, str] = field(default_factory=dict)  # path -> git blob id of its content
    exists: bool = True  # False when the registry folder is missing (the first PR)

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


def check_name(path: str) -> Problem | None:
    name = Path(path).name
    if not _FILE.fullmatch(name):
        return Problem(path, 0, 0, f"bad file name {name!r}: registry files are named <id>.yaml, "
                       "with an id of lowercase letters, digits and dashes")
    return None


def layout_problem(path: str, mode: str) -> str | None:
    """Why the file `path` (under registry/, with the git file `mode`) cannot be a
    registry entry, or None when it can: registry/ holds only regular `<id>.yaml` files.

    For the history side (a past commit is read as far as it can be, and each file
    refused here is a warning of that commit); a pull request's files are refused by
    the layout validator of the gate.
    """
    name = path[len(FOLDER) + 1:] if path.startswith(FOLDER + "/") else path
    if mode == "160000":
        return "is a submodule (a gitlink); registry/ holds only <id>.yaml files"
    if mode == "120000":
        return "is a symlink; subreg reads regular files only"
    if mode == "040000" or "/" in name:
        return "is in a subfolder; registry/ holds only <id>.yaml files"
    if mode not in ("100644", "100755"):
        return f"has the git file mode {mode}; registry/ holds only regular <id>.yaml files"
    if UNSAFE.search(name):
        return "has a file name with control characters or bytes that are not UTF-8"
    bad = check_name(path)
    return bad.message if bad else None


def parse_entry(raw: bytes, path: str, label: str = "", marks: bool = True) -> tuple[Subprocessor, yamlio.Doc]:
    """One registry file, validated; `label` prefixes the path in messages (a ref).

    Without `marks`, positions are not kept; a problem is then reported by parsing
    again with them, so it still names its line.
    """
    if not marks:
        try:
            return _parse_entry(raw, path, label, False)
        except InputError:
            pass
    return _parse_entry(raw, path, label, True)


def _parse_entry(raw: bytes, path: str, label: str, marks: bool) -> tuple[Subprocessor, yamlio.Doc]:
    display = f"{label}:{path}" if label else path
    doc = yamlio.loads(raw, display, marks)
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
    if policy is None or not sp.regions:
        return []
    return [
        doc.problem(("regions", i), f"unknown region {key!r}: the policy defines "
                    f"{', '.join(sorted(policy.regions))}")
        for i, key in enumerate(sp.regions) if key not in policy.regions
    ]


def build(files: Iterable[tuple[str, bytes | Problem]], policy: Policy | None, label: str = "") -> Registry:
    """A Registry from (path, content) pairs; a Problem in place of content is reported."""
    with yamlio.bulk():
        return _build(files, policy, label)


def _build(files: Iterable[tuple[str, bytes | Problem]], policy: Policy | None, label: str) -> Registry:
    reg = Registry()
    problems: list[Problem] = []
    for path, raw in sorted(files, key=lambda f: (entry_id(f[0]), f[0])):
        if isinstance(raw, Problem):
            problems.append(raw)
            continue
        bad = check_name(path)
        if bad:
            problems.append(Problem(f"{label}:{path}" if label else path, 0, 0, bad.message))
            continue
        try:
            sp, doc = parse_entry(raw, path, label)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        problems.extend(cross_check(sp, doc, policy))
        reg.entries[sp.id] = sp
        reg.docs[sp.id] = doc
        reg.blobs[path] = blob_sha(raw)
    if problems:
        raise InputError(problems=problems)
    return reg


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
    """The registry files of a working tree; None when there is no registry folder."""
    folder = root / FOLDER
    if folder.is_symlink():
        return [(FOLDER, Problem(FOLDER, 0, 0, "the registry folder is a symlink; it must be a real folder"))]
    if not folder.is_dir():
        return None
    files: list[tuple[str, bytes | Problem]] = []
    for name in sorted(os.listdir(folder)):
        rel = f"{FOLDER}/{name}"
        if name.startswith(".") or not (name.endswith(".yaml") or name.endswith(".yml")):
            continue
        try:
            files.append((rel, read_file(root, rel)))
        except InputError as exc:
            files.append((rel, exc.problems[0]))
    return files


def load_policy(root: Path, label: str = "") -> Policy:
    raw = read_file(root, POLICY)
    return model.parse(Policy, yamlio.loads(raw, POLICY))


def load_waivers(root: Path) -> list[model.Waiver]:
    if not (root / WAIVERS).exists() and not (root / WAIVERS).is_symlink():
        return []
    return model.parse_waivers(yamlio.loads(read_file(root, WAIVERS), WAIVERS))
