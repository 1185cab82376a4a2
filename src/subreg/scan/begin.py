"""The first step of a whole-tree scan, kept free of heavy imports: `git grep` starts
before subreg imports pydantic and loads the catalogue and the registry, so that the
two overlap on the machine's cores.

The `subreg` command starts it earlier still (`early`, from entry.py): when its
arguments are those of a whole-tree scan, git grep and git ls-files start in SOURCE
before click is imported, and `start` later takes them over once it has made sure that
SOURCE is in a git repository and that they run where it would have run them. What is
started and not taken over is stopped at exit."""

from __future__ import annotations

import atexit
import os
from typing import TYPE_CHECKING

from subreg.spool import LIST, Spooled, grep_args

if TYPE_CHECKING:
    from pathlib import Path

    from subreg.gitrepo import Git

_EARLY: dict[str, tuple[Spooled, Spooled]] = {}  # realpath of SOURCE -> (grep, ls-files)


class Started:
    def __init__(self, root: Path, git: Git | None, grep: Spooled | None, listing: Spooled | None = None) -> None:
        self.root = root
        self.git = git  # None: SOURCE is not in a git repository
        self.grep = grep
        self.listing = listing  # git ls-files, started beside the grep

    def close(self) -> None:
        """Stop what still runs (the scan stopped early, e.g. on a registry error)."""
        for proc in (self.grep, self.listing):
            if proc is not None:
                proc.close()
        if self.git is not None:
            self.git.close()


def git_of(root: Path) -> Git | None:
    from subreg.errors import InputError
    from subreg.gitrepo import Git

    try:
        return Git(root)
    except InputError:
        return None


def start(root: Path) -> Started:
    from subreg.gitrepo import ProductTree

    git = git_of(root)
    if git is None:
        _stop()
        return Started(root, None, None)
    tree = ProductTree(git)
    early = _EARLY.pop(str(tree.cwd), None)
    _stop()
    if early is not None:
        return Started(root, git, *early)
    return Started(root, git, tree.grep_start(), tree.files_start())


# The command line of a whole-tree scan: global options, `scan`, its options, SOURCE.
_GLOBAL = ("--repo", "--today")
_SCAN = ("--format", "--sarif")


def source_of(argv: list[str]) -> str | None:
    """SOURCE, when argv is a whole-tree scan's (`[--repo R] [--today D] scan [--format
    F] [--sarif S] SOURCE`, in any order after `scan`); None for anything else, or for
    what this reading is not sure of (click has the last word on every argument)."""
    args = iter(argv)
    for arg in args:
        if arg in _GLOBAL:
            next(args, None)
        elif arg.startswith(tuple(f"{o}=" for o in _GLOBAL)):
            continue
        elif arg == "scan":
            break
        else:
            return None
    else:
        return None
    source = None
    for arg in args:
        if arg in _SCAN:
            next(args, None)
        elif arg.startswith(tuple(f"{o}=" for o in _SCAN)):
            continue
        elif arg.startswith("-") or source is not None:
            return None  # --base, --catalog, --help, `--`, a second SOURCE...
        else:
            source = arg
    return source


def early(argv: list[str]) -> None:
    """Start the grep and the file list of the whole-tree scan that argv asks for."""
    source = source_of(argv)
    if source is None or not os.path.isdir(source):
        return
    where = os.path.realpath(source)
    started: list[Spooled] = []
    try:
        for args in (grep_args(), LIST):
            started.append(Spooled.start(args, where))
    except OSError:  # no git, or a folder git cannot enter: `start` says so
        for proc in started:
            proc.close()
        return
    _EARLY[where] = (started[0], started[1])
    atexit.register(_stop)


def _stop() -> None:
    """Stop what was started early and not taken over."""
    while _EARLY:
        for proc in _EARLY.popitem()[1]:
            proc.close()
