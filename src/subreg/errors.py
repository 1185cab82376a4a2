"""One error base, mapped to exit codes in one place (cli.main)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import groupby

from subreg.escape import one_line

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_INPUT = 2
EXIT_INTERNAL = 3

# At most this many problems of one file are printed, then a count of the rest: a
# hostile file with tens of thousands of bad keys must not flood the log.
MAX_PER_FILE = 100


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
        return f"{one_line(where)}: {one_line(self.message)}"


def format_problems(problems: Iterable[Problem]) -> list[str]:
    """One inert line per problem, sorted, at most MAX_PER_FILE per file, then a count."""
    out: list[str] = []
    for path, group in groupby(sorted(set(problems)), key=lambda p: p.path):
        items = list(group)
        out += [str(p) for p in items[:MAX_PER_FILE]]
        rest = len(items) - MAX_PER_FILE
        if rest > 0:
            out.append(f"{one_line(path)}: ... and {rest} more problem{'s' if rest != 1 else ''} "
                       f"in this file (the first {MAX_PER_FILE} are shown)")
    return out


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
        text = "\n".join(format_problems(self.problems)) if self.problems else one_line(message)
        super().__init__(text)

    @classmethod
    def of_lines(cls, lines: Iterable[str]) -> InputError:
        """Several messages, one inert line each."""
        err = cls()
        err.args = ("\n".join(one_line(line) for line in lines),)
        return err

    @classmethod
    def at(cls, path: str, message: str, line: int = 0, col: int = 0) -> InputError:
        return cls(problems=[Problem(path, line, col, message)])
