"""git processes whose output is spooled to a file, and the environment every git
process of subreg runs in. Kept free of heavy imports: `subreg scan` starts its
`git grep` from here before subreg imports click, pydantic and the rest (entry.py).
gitrepo.py, which runs every other git command, builds on it."""

from __future__ import annotations

import os
import subprocess
import tempfile
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path
    from typing import IO

ENV = {
    **os.environ,
    "LC_ALL": "C",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_PAGER": "cat",
    "GIT_LITERAL_PATHSPECS": "1",
}

# What follows `://`, or the `//` of a protocol-relative URL (after a quote, `(` or `=`,
# as text.py reads them): a URL's authority and its first path segments. With -o git
# prints only that, so a minified bundle costs a few bytes of output, not megabytes of
# lines; the path lets a service that lives under a path of a shared host be told apart.
AUTHORITY = r"(?::|(?<=[\"'`(=]))//[^\s/\\?#\"'`<>()\[\]|,;]+(?:/[^\s/\\?#\"'`<>()\[\]|,;]+){0,3}"
# Without PCRE (-F): the fixed strings that every such URL holds.
FIXED = ("://", "\"//", "'//", "`//", "(//", "=//")
LIST = ["ls-files", "-z", "--cached"]


def grep_args(perl: bool = True) -> list[str]:
    """`git grep` for URLs in the text files git tracks. One thread: subreg's own
    Python has the other core meanwhile."""
    pattern = ["-o", "-P", "-e", AUTHORITY] if perl else ["-n", "-F", *(a for f in FIXED for a in ("-e", f))]
    return ["grep", "--threads=1", "-z", "-I", *pattern]


class Spooled:
    """A git process whose output goes to an unnamed temporary file, not a pipe: git runs
    at full speed while subreg is busy elsewhere (on a pipe it would stop each time the
    64 KiB buffer is full, until subreg reads), and wait() reads it all at once."""

    def __init__(self, proc: subprocess.Popen[bytes], args: list[str], out: IO[bytes], err: IO[bytes]) -> None:
        self.proc, self.args, self.out, self.err = proc, args, out, err

    @classmethod
    def start(cls, args: list[str], cwd: str | Path) -> Spooled:
        out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()  # noqa: SIM115 - closed by wait() or close()
        try:
            proc = subprocess.Popen(["git", *args], cwd=cwd, env=ENV, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        except OSError:  # no git, or a folder it cannot enter: nothing runs, nothing stays open
            out.close()
            err.close()
            raise
        return cls(proc, args, out, err)

    def wait(self) -> tuple[int, bytes, bytes]:
        code = self.proc.wait()
        try:
            self.out.seek(0)
            self.err.seek(0)
            return code, self.out.read(), self.err.read()
        finally:
            self.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.out.close()
        self.err.close()
