"""The first step of a whole-tree scan, kept free of heavy imports: `git grep` starts
before subreg imports pydantic and loads the catalogue and the registry, so that the
two overlap on the machine's cores."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from subreg.errors import InputError
from subreg.gitrepo import Git, ProductTree, Spooled


@dataclass
class Started:
    root: Path
    git: Git | None  # None: SOURCE is not in a git repository
    grep: Spooled | None
    listing: Spooled | None = None  # git ls-files, started beside the grep

    def close(self) -> None:
        """Stop what still runs (the scan stopped early, e.g. on a registry error)."""
        for proc in (self.grep, self.listing):
            if proc is not None:
                proc.close()
        if self.git is not None:
            self.git.close()


def git_of(root: Path) -> Git | None:
    try:
        return Git(root)
    except InputError:
        return None


def start(root: Path) -> Started:
    git = git_of(root)
    if git is None:
        return Started(root, None, None)
    tree = ProductTree(git)
    return Started(root, git, tree.grep_start(), tree.files_start())
