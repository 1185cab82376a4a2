"""What the click layer hands a command, and what a command hands back.

Below `cli.py` and above every command, so that the click layer only points down.
"""

from __future__ import annotations

import datetime as dt
import gc
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from subreg.project import Project

# SPEC 2: dates are years 1900-2999 (so that date arithmetic can never overflow). Here,
# not in model.py, so that `--today` is checked without importing pydantic: `subreg scan`
# starts git grep before that import.
MIN_YEAR, MAX_YEAR = 1900, 2999


@dataclass
class Outcome:
    """What a command returns: its exit code and what to print."""

    code: int
    out: str = ""
    err: str = ""


def started() -> None:
    """The command has started (its modules are imported): the garbage collector that
    entry.py turned off is turned on, what start-up made frozen out of its passes.
    Where it was never turned off (subreg called in-process), nothing changes."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


@dataclass
class Options:
    repo: Path | None
    today: dt.date
    _project: Project | None = None

    def project(self) -> Project:
        """The compliance repo, found upward from --repo or the current folder."""
        if self._project is None:
            from subreg.project import Project, find_root

            self._project = Project(find_root(self.repo or Path.cwd()), self.today)
            started()
        return self._project

    def close(self) -> None:
        if self._project is not None:
            self._project.close()
