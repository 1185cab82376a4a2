"""The first step of a whole-tree scan, kept free of heavy imports: `git grep` starts
before subreg imports pydantic and loads the catalogue and the registry, so that the
two overlap on the machine's cores."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from subreg.errors import InputError
from subreg.gitrepo import Git, ProductTree


@dataclass
class Started:
    root: Path
    git: Git | None  # None: SOURCE is not in a git repository
    grep: subprocess.Popen[bytes] | None

    def close(self) -> None:
        """Stop what still runs (the scan stopped early, e.g. on a registry error)."""
        if self.grep is not None and self.grep.poll() is None:
            self.grep.kill()
        if self.grep is not None:
            self.grep.communicate()
        if self.git is not None:
            self.git.close()


def git_of(root: Path) -> Git | None:
    try:
        return Git(root)
    except InputError:
        return None


def start(root: Path) -> Started:
    git = git_of(root)
    grep = ProductTree(git).grep_start() if git is not None else None
    return Started(root, git, grep)
