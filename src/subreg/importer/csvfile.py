"""A CSV export of a spreadsheet: one table, its first row the header.

The delimiter is the one of `,`, `;` (spreadsheets in French and German locales) and
tab that the header line uses most. Lines and columns in messages are the file's line
and the spreadsheet's column number.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from subreg.errors import InputError
from subreg.importer.source import MAX_COLUMNS, MAX_ROWS, MAX_TEXT_BYTES, Cell, Source, Table, cell, decode, read_bytes


def _delimiter(first_line: str) -> str:
    counts: dict[str, int] = {",": 0, ";": 0, "\t": 0}
    quoted = False
    for ch in first_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read(path: Path, display: str) -> Source:
    text = decode(read_bytes(path, display, MAX_TEXT_BYTES), display, "CSV table")
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first), strict=True)
    header: list[Cell] | None = None
    rows: list[list[Cell]] = []
    start = 1
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            if not any(value.strip() for value in record):
                continue
            if len(record) > MAX_COLUMNS:
                raise InputError.at(display, f"{len(record)} columns; the limit is {MAX_COLUMNS}", line)
            cells = [cell(display, value, line, i + 1) for i, value in enumerate(record)]
            if header is None:
                header = cells
                continue
            if len(cells) > len(header) and any(c.text for c in cells[len(header):]):
                extra = next(c for c in cells[len(header):] if c.text)
                raise InputError.at(display, f"this row has {len(record)} cells but the header (line "
                                    f"{header[0].line}) names {len(header)} columns", line, extra.col)
            rows.append(cells[:len(header)])
            if len(rows) > MAX_ROWS:
                raise InputError.at(display, f"more than {MAX_ROWS:,} rows", line)
    except csv.Error as exc:
        raise InputError.at(display, f"not a valid CSV table: {exc}", reader.line_num) from None
    if header is None:  # pragma: no cover - read_bytes refuses a blank file first
        raise InputError.at(display, "empty file: there is no table to import")
    return Source(display, path.name, "csv", [Table(f"the table of {path.name}", "", header, rows)])
