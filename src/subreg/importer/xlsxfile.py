"""An XLSX workbook: its first worksheet is the table, its first row the header.

A workbook is untrusted input. Before openpyxl sees it, the zip container is checked:
the file, the number of members and their declared sizes are capped (zipfile never
inflates a member past its declared size, so the caps bound memory), and a member that
inflates more than `MAX_RATIO` times is refused as a zip bomb. openpyxl then opens it
read-only for the values last cached by the spreadsheet (`data_only`): no formula is
evaluated, no macro or external link is loaded, and its XML goes through defusedxml.
"""

from __future__ import annotations

import datetime as dt
import io
import warnings
import zipfile
from pathlib import Path
from typing import Any

from subreg.errors import InputError
from subreg.importer.source import MAX_COLUMNS, MAX_ROWS, Cell, Source, Table, cell, read_bytes

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_MEMBERS = 2000
MAX_INFLATED = 100 * 1024 * 1024  # all members together, inflated
MAX_RATIO = 100  # inflated / compressed, for members over RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024
MAX_SHEET_ROWS = 50_000  # rows read, blank ones included: a cell at row 1,048,576 costs a million


def _check_zip(raw: bytes, display: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise InputError.at(display, "not an XLSX workbook (not a zip container): save the spreadsheet "
                            "as .xlsx, or export it as CSV") from None
    if len(members) > MAX_MEMBERS:
        raise InputError.at(display, f"the workbook has {len(members):,} parts; the limit is {MAX_MEMBERS:,}")
    total = 0
    for info in members:
        total += info.file_size
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise InputError.at(display, f"refused: part {info.filename!r} inflates {info.file_size:,} bytes "
                                f"from {info.compress_size:,} (a zip bomb?)")
    if total > MAX_INFLATED:
        raise InputError.at(display, f"refused: the workbook inflates to {total:,} bytes; the limit is "
                            f"{MAX_INFLATED:,}")
    if "xl/workbook.xml" not in {info.filename for info in members}:
        raise InputError.at(display, "not an XLSX workbook (no xl/workbook.xml): save the spreadsheet as .xlsx")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _column(number: int) -> str:
    name = ""
    while number:
        number, rest = divmod(number - 1, 26)
        name = chr(65 + rest) + name
    return name


def read(path: Path, display: str) -> Source:
    raw = read_bytes(path, display, MAX_FILE_BYTES)
    _check_zip(raw, display)
    import openpyxl

    if not openpyxl.DEFUSEDXML:  # pragma: no cover - only with OPENPYXL_DEFUSEDXML=False
        raise InputError("subreg import reads XLSX files only through defusedxml: unset OPENPYXL_DEFUSEDXML")
    header: list[Cell] | None = None
    rows: list[list[Cell]] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips
            book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True,
                                          keep_vba=False, keep_links=False)
            try:
                sheets = book.worksheets
                if not sheets:
                    raise InputError.at(display, "the workbook has no worksheet")
                sheet = sheets[0]
                for number, values in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True),
                                                start=1):
                    if number > MAX_SHEET_ROWS:
                        raise InputError.at(display, f"the first worksheet runs past row {MAX_SHEET_ROWS:,}; "
                                            "a list of subprocessors is shorter", number)
                    texts = [_text(v) for v in values]
                    if not any(t.strip() for t in texts):
                        continue
                    if len(texts) > MAX_COLUMNS and texts[MAX_COLUMNS].strip():
                        raise InputError.at(display, f"more than {MAX_COLUMNS} columns (cell "
                                            f"{_column(MAX_COLUMNS + 1)}{number})", number, MAX_COLUMNS + 1)
                    cells = [cell(display, t, number, i + 1) for i, t in enumerate(texts[:MAX_COLUMNS])]
                    if header is None:
                        while cells and not cells[-1].text:
                            cells.pop()
                        header = cells
                        continue
                    extra = next((c for c in cells[len(header):] if c.text), None)
                    if extra is not None:
                        raise InputError.at(display, f"cell {_column(extra.col)}{number} is right of the last "
                                            "column the header names", number, extra.col)
                    rows.append(cells[:len(header)] + [Cell("", number, i + 1)
                                                      for i in range(len(cells), len(header))])
                    if len(rows) > MAX_ROWS:
                        raise InputError.at(display, f"more than {MAX_ROWS:,} rows", number)
                others = [s.title for s in sheets[1:]]
                title = sheet.title
            finally:
                book.close()
    except InputError:
        raise
    except Exception as exc:  # a malformed workbook may fail anywhere inside openpyxl
        raise InputError.at(display, f"not a readable XLSX workbook ({type(exc).__name__}: {exc})") from None
    if header is None:
        raise InputError.at(display, f"the first worksheet ({title!r}) is empty: there is no table to import")
    source = Source(display, path.name, "xlsx", [Table(f"sheet {title!r}", "", header, rows)])
    if others:
        source.notes.append(f"only the first worksheet ({title!r}) was read; not read: "
                            + ", ".join(repr(t) for t in others))
    return source
