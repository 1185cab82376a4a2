"""The YAML files of an evidence folder (`notices/ledger/`, `objections/`), read at the
head of a run (the working tree, or a commit) by the same rules as `registry/`: the
folder holds regular `<name>.yaml` files and nothing else, so that no record can be
seen by one command and missed by another."""

from __future__ import annotations

import os
import re
import stat
from typing import TypeVar

from pydantic import BaseModel

from subreg import model, yamlio
from subreg import registry as reg
from subreg.errors import InputError, Problem
from subreg.project import WORKTREE, Project

M = TypeVar("M", bound=BaseModel)

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\.yaml")

Files = list[tuple[str, bytes | Problem]]


def _problem(name: str, kind: str, folder: str) -> str | None:
    if kind == "file" and _NAME.fullmatch(name) and ".." not in name:
        return None
    if kind != "file":
        return f"is a {kind}; {folder}/ holds only <name>.yaml files, nothing else"
    return f"bad file name {name!r}: {folder}/ holds only <name>.yaml files (letters, digits, . _ -)"


def parsed(items: Files, kind: type[M]) -> tuple[list[tuple[str, M, yamlio.Doc]], list[Problem]]:
    """Each readable file parsed strictly and validated as `kind`: the (path, value,
    document) of those that are, and the problems of those that are not."""
    good: list[tuple[str, M, yamlio.Doc]] = []
    problems: list[Problem] = []
    for path, raw in items:
        if isinstance(raw, Problem):
            problems.append(raw)
            continue
        try:
            doc = yamlio.loads(raw, path)
            good.append((path, model.parse(kind, doc), doc))
        except InputError as exc:
            problems.extend(exc.problems)
    return good, problems


def read(project: Project, head: str, folder: str) -> Files:
    """(path, content or the problem that stops it being read) of each file of
    `folder` at `head`; empty when there is no such folder."""
    if head == WORKTREE:
        return _worktree(project, folder)
    items = project.git.tree(head, folder)
    if items is None:
        return []
    label = head[:12]
    out: Files = []
    readable = {}
    for item in items:
        if item.path != folder and not item.path.startswith(folder + "/"):
            continue  # a parent folder, listed by ls-tree -t
        if item.path == folder:
            if item.kind != "folder":
                out.append((item.path, Problem(f"{label}:{item.path}", 0, 0, f"is a {item.kind}; it must be a folder")))
            continue
        name = item.path[len(folder) + 1:]
        if "/" in name:
            continue  # the subfolder is the problem
        why = _problem(name, item.kind, folder)
        if why is not None:
            out.append((item.path, Problem(f"{label}:{item.path}", 0, 0, why)))
        elif item.size > yamlio.MAX_BYTES:
            out.append((item.path, Problem(f"{label}:{item.path}", 0, 0,
                                           f"file is {item.size:,} bytes; the limit is {yamlio.MAX_BYTES:,}")))
        else:
            readable[item.sha] = item.path
    out.extend((readable[sha], raw) for sha, raw in project.git.blobs.read_many(readable))
    return sorted(out, key=lambda f: f[0])


def _worktree(project: Project, folder: str) -> Files:
    path = project.root / folder
    try:
        top = os.lstat(path)
    except FileNotFoundError:
        return []
    if not stat.S_ISDIR(top.st_mode):
        return [(folder, Problem(folder, 0, 0, f"is a {reg.fs_kind(top.st_mode)}; it must be a folder"))]
    out: Files = []
    with os.scandir(path) as it:
        entries = sorted((e.name, reg.fs_kind(e.stat(follow_symlinks=False).st_mode)) for e in it)
    for name, kind in entries:
        rel = f"{folder}/{name}"
        why = _problem(name, kind, folder)
        if why is not None:
            out.append((rel, Problem(rel, 0, 0, why)))
            continue
        try:
            out.append((rel, reg.read_file(project.root, rel)))
        except InputError as exc:
            out.append((rel, exc.problems[0]))
    return out
