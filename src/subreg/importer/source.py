"""What every reader produces: tables of one-line text cells that know where they stand."""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from subreg.errors import InputError

MAX_TEXT_BYTES = 5 * 1024 * 1024  # a CSV or Markdown list; real ones are a few KiB
MAX_ROWS = 5000
MAX_COLUMNS = 64
MAX_CELL = 2000  # characters in one cell

# Control characters, line and paragraph separators, bidirectional overrides and
# isolates, and non-characters: none belongs in a one-line registry text, and a cell
# that holds one could disguise what a reviewer reads.
_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufdd0-\ufdef\ufffe\uffff]")


@dataclass(frozen=True)
class Cell:
    """One cell's text (whitespace collapsed), at its 1-based line (or row) and column."""

    text: str
    line: int
    col: int


@dataclass
class Table:
    """A header row and the rows below it."""

    where: str  # how the report names it: "table at line 19", "sheet 'Vendors'"
    heading: str  # the section heading above a Markdown table ("" elsewhere)
    header: list[Cell]
    rows: list[list[Cell]]


@dataclass
class Source:
    """A file read into tables; `display` names it in messages, `name` in file headers."""

    display: str
    name: str
    kind: str  # csv | xlsx | markdown
    tables: list[Table]
    notes: list[str] = field(default_factory=list)

    def error(self, message: str, line: int = 0, col: int = 0) -> InputError:
        return InputError.at(self.display, message, line, col)


def cell(display: str, text: str, line: int, col: int) -> Cell:
    """A cell of untrusted text: whitespace runs (line breaks too) become one space;
    anything else invisible or structural is refused at the cell."""
    text = " ".join(text.split())
    bad = _FORBIDDEN.search(text)
    if bad:
        raise InputError.at(display, f"control or invisible character U+{ord(bad.group()):04X} in a cell: "
                            "registry texts are one line of visible text", line, col)
    if len(text) > MAX_CELL:
        raise InputError.at(display, f"a cell of {len(text):,} characters; the limit is {MAX_CELL:,}", line, col)
    return Cell(text, line, col)


def read_bytes(path: Path, display: str, limit: int) -> bytes:
    """The file's bytes: a regular file (a FIFO would hang), size capped before reading."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError.at(display, "file not found") from None
    except OSError as exc:
        raise InputError.at(display, f"cannot read: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError.at(display, "is not a regular file")
    if st.st_size > limit:
        raise InputError.at(display, f"file is {st.st_size:,} bytes; the limit is {limit:,}")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise InputError.at(display, f"cannot read: {exc.strerror}") from None
    if len(raw) > limit:
        raise InputError.at(display, f"file is over {limit:,} bytes")
    if not raw.strip():
        raise InputError.at(display, "empty file: there is no table to import")
    return raw


def decode(raw: bytes, display: str, what: str) -> str:
    """UTF-8 text (a BOM is fine); a NUL byte means a binary file, not a table."""
    if b"\x00" in raw:
        line = raw.count(b"\n", 0, raw.index(b"\x00")) + 1
        raise InputError.at(display, f"binary file (NUL byte): not a {what}", line)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError.at(
            display, f"not UTF-8 text (byte 0x{raw[exc.start]:02x}): save the file as UTF-8 "
            "(in a spreadsheet: 'CSV UTF-8')", line, col,
        ) from None
