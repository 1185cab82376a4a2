"""One error base, mapped to exit codes in one place (cli.main)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_INPUT = 2
EXIT_INTERNAL = 3


@dataclass(frozen=True, order=True)
class Problem:
    """One problem with an input file, located as precisely as we can."""

    path: str
    line: int = 0
    col: int = 0
    message: str = ""

    def __str__(self) -> str:
        where = self.path
        if self.line:
            where += f":{self.line}"
            if self.col:
                where += f":{self.col}"
        return f"{where}: {self.message}"


class SubregError(Exception):
    """Base of every error subreg raises on purpose; anything else is a bug (exit 3)."""

    exit_code = EXIT_INTERNAL


class InputError(SubregError):
    """The input or the invocation is wrong: exit 2.

    Either a plain message (unknown ref, shallow clone, ...) or a list of located
    problems, so that `validate` can report every problem at once.
    """

    exit_code = EXIT_INPUT

    def __init__(self, message: str = "", problems: Iterable[Problem] = ()) -> None:
        self.problems = sorted(set(problems))
        text = "\n".join(str(p) for p in self.problems) if self.problems else message
        super().__init__(text)

    @classmethod
    def at(cls, path: str, message: str, line: int = 0, col: int = 0) -> InputError:
        return cls(problems=[Problem(path, line, col, message)])
