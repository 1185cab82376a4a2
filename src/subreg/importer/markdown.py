"""A Markdown page: every pipe table, with the heading it stands under.

Tables are found by markdown-it (CommonMark with GitHub's tables), so that what counts
as a table is what a Markdown reader shows as one; cell text is the inline text with
its emphasis dropped (`**AWS**` is `AWS`). Lines are the page's; a column is the
character column where the cell starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from subreg.errors import InputError
from subreg.importer.source import MAX_COLUMNS, MAX_ROWS, MAX_TEXT_BYTES, Cell, Source, Table, cell, decode, read_bytes


def _inline_text(token: Any) -> str:
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak", "html_inline"):
            parts.append(" ")
    return "".join(parts)


def _cell_columns(line: str, count: int) -> list[int]:
    """1-based character columns where each of a table row's `count` cells starts; zeros
    when the row is written in a way this simple scan does not follow. As in GitHub's
    tables, only an escaped pipe does not split cells (not even inside a code span)."""
    starts: list[int] = []
    i, n = 0, len(line)
    while i < n and line[i] == " ":
        i += 1
    if i < n and line[i] == "|":
        i += 1
    begin = i
    escaped = False
    while i <= n:
        ch = line[i] if i < n else "|"
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "|":
            segment = line[begin:i]
            if i < n or segment.strip():
                starts.append(begin + len(segment) - len(segment.lstrip()) + 1)
            begin = i + 1
        i += 1
    return starts if len(starts) == count else [0] * count


def read(path: Path, display: str) -> Source:
    from markdown_it import MarkdownIt

    text = decode(read_bytes(path, display, MAX_TEXT_BYTES), display, "Markdown page")
    lines = text.splitlines()
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    tables: list[Table] = []
    heading = ""
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "heading_open":
            heading = cell(display, _inline_text(tokens[i + 1]), (tok.map or [0])[0] + 1, 1).text
        elif tok.type == "table_open":
            i, table = _table(tokens, i, lines, display, heading)
            tables.append(table)
        i += 1
    return Source(display, path.name, "markdown", tables)


def _table(tokens: list[Any], i: int, lines: list[str], display: str, heading: str) -> tuple[int, Table]:
    rows: list[list[Cell]] = []
    start = tokens[i].map[0] + 1
    current: list[str] = []
    line = 0
    while tokens[i].type != "table_close":
        tok = tokens[i]
        if tok.type == "tr_open":
            current, line = [], tok.map[0] + 1
        elif tok.type == "inline":
            current.append(_inline_text(tok))
        elif tok.type == "tr_close":
            if len(current) > MAX_COLUMNS:
                raise InputError.at(display, f"{len(current)} columns; the limit is {MAX_COLUMNS}", line)
            cols = _cell_columns(lines[line - 1], len(current))
            rows.append([cell(display, t, line, c) for t, c in zip(current, cols, strict=True)])
            if len(rows) > MAX_ROWS:
                raise InputError.at(display, f"more than {MAX_ROWS:,} rows in one table", line)
        i += 1
    header, body = rows[0], [r for r in rows[1:] if any(c.text for c in r)]
    return i, Table(f"table at line {start}" + (f" ({heading})" if heading else ""), heading, header, body)

