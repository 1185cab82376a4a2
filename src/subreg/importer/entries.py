"""From tables to rows: columns understood, rows read, and a page's languages paired.

- **Tiers** come from a tier column, else from the heading a Markdown table stands
  under (`Current ...`, `Infrastructure ...`, `... Integrations`), else from a name
  column titled `Integration`; a table that says none of these is `core` (the
  strictest), and the report says so.
- **Languages.** A page's tables of one tier in several languages (the seed's English
  and French tables) are paired row by row by name: the first language's table gives
  the entries, the others add their texts. A row with no partner of the same name in
  the first language's table is an error (a translated name cannot be guessed).
- **Duplicates.** Two rows whose names are the same ignoring case, spaces and
  punctuation are an error, as two such entries would be (the `duplicate` check).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from subreg.importer import values
from subreg.importer.columns import KNOWN, TEXT_FIELDS, Column, classify, hint, normalize, table_language
from subreg.importer.source import Cell, Source, Table
from subreg.model import identity


@dataclass
class Draft:
    """One entry to write: its fields in registry order, and what the report says of it."""

    name: str
    fields: dict[str, Any]
    origin: dict[Any, Cell]  # field, or (field, lang): the cell it came from
    rows: str  # where the source has it: "lines 21 and 107", "row 4"
    comments: dict[str, str] = field(default_factory=dict)  # above a field
    trailing: dict[str, str] = field(default_factory=dict)  # after a field's value
    notes: list[str] = field(default_factory=list)
    id: str = ""
    id_note: str = ""


@dataclass
class ReadTable:
    """A table with its columns understood."""

    table: Table
    columns: list[Column | None]
    lang: str
    tier: str | None  # from the heading or the name column's title
    has_tier_column: bool


@dataclass
class Row:
    """One row of a table, its cells by field."""

    table: ReadTable
    cells: dict[str, Cell]  # non-text field -> its cell
    texts: dict[tuple[str, str], Cell]  # (field, lang) -> its cell
    titles: dict[Any, str]  # field or (field, lang) -> the title of its column
    name: Cell
    tier: str
    tier_said: bool


def _columns(source: Source, table: Table) -> list[Column | None] | None:
    """Each header cell understood; None for a Markdown table that is not a list of
    subprocessors (no name column). Unknown and repeated columns are errors."""
    columns = [classify(h) if h.text else None for h in table.header]
    if not any(c is not None and c.field == "name" for c in columns):
        if source.kind == "markdown":
            return None
        if not any(columns):
            raise source.error(f"not a subprocessor table: its first row names no known column; {KNOWN}",
                               table.header[0].line if table.header else 0)
        raise source.error(f"no name column: the header (line {table.header[0].line}) must name the "
                           "subprocessor, e.g. 'name' or 'Subprocessor'", table.header[0].line, 1)
    seen: dict[tuple[str, str | None], Cell] = {}
    for head, col in zip(table.header, columns, strict=True):
        if not head.text:
            used = next((r[head.col - 1] for r in table.rows if len(r) >= head.col and r[head.col - 1].text), None)
            if used is not None:
                raise source.error("a value in a column with no header: name the column", used.line, used.col)
            continue
        if col is None:
            raise source.error(f"unknown column {head.text!r}{hint(head.text)}; {KNOWN}", head.line, head.col)
        key = (col.field, col.lang if col.field in TEXT_FIELDS else None)
        if key in seen and (col.field not in TEXT_FIELDS or col.explicit or col.lang):
            first = seen[key]
            raise source.error(f"column {head.text!r} repeats column {first.text!r} (column {first.col})",
                               head.line, head.col)
        seen[key] = head
    return columns


def read_tables(source: Source) -> list[ReadTable]:
    tables: list[ReadTable] = []
    for table in source.tables:
        columns = _columns(source, table)
        if columns is None:
            source.notes.append(f"{table.where}: not a list of subprocessors (no name column); not read")
            continue
        name_col = next(c for c in columns if c is not None and c.field == "name")
        tier = values.tier_of_heading(table.heading)
        if tier is None and normalize(name_col.cell.text) == "integration":
            tier = "integration"
        has_tier = any(c is not None and c.field == "tier" for c in columns)
        tables.append(ReadTable(table, columns, table_language(columns) or "", tier, has_tier))
    if not tables:
        found = f"{len(source.tables)} table(s), none" if source.tables else "no table"
        raise source.error(f"no recognisable table: found {found} with a subprocessor name column "
                           "(e.g. | Subprocessor | Location | Purpose |)")
    return tables


def source_languages(tables: list[ReadTable]) -> list[str]:
    """The languages the source's texts are in, in order of appearance (unsaid: none)."""
    found: list[str] = []
    for t in tables:
        for col in t.columns:
            if col is not None and col.field in TEXT_FIELDS:
                lang = col.lang if col.explicit or col.lang else t.lang
                if lang:
                    found.append(lang)
    return list(dict.fromkeys(found))


def read_rows(source: Source, tables: list[ReadTable], langs: list[str]) -> list[Row]:
    rows: list[Row] = []
    skipped: set[str] = set()
    for t in tables:
        t.lang = t.lang or langs[0]
        for cells in t.table.rows:
            plain: dict[str, Cell] = {}
            texts: dict[tuple[str, str], Cell] = {}
            titles: dict[Any, str] = {}
            for col, c in zip(t.columns, cells, strict=False):
                if col is None or not c.text:
                    continue
                if col.field in TEXT_FIELDS:
                    lang = col.lang if (col.explicit or col.lang) else t.lang
                    assert lang is not None
                    if lang not in langs:
                        if col.cell.text not in skipped:
                            skipped.add(col.cell.text)
                            source.notes.append(f"column {col.cell.text!r} ({t.table.where}) is in {lang}, not "
                                                f"one of the languages imported ({', '.join(langs)}); not read")
                        continue
                    texts[(col.field, lang)] = c
                    titles[(col.field, lang)] = col.cell.text
                else:
                    plain[col.field] = c
                    titles[col.field] = col.cell.text
            if "name" not in plain:
                first = next((c for c in cells if c.text), cells[0])
                raise source.error("a row with no name", first.line, first.col)
            tier = t.tier or "core"
            if "tier" in plain:
                try:
                    tier = values.tier(plain["tier"].text)
                except ValueError as exc:
                    raise source.error(str(exc), plain["tier"].line, plain["tier"].col) from None
            rows.append(Row(t, plain, texts, titles, plain["name"], tier, t.tier is not None or "tier" in plain))
    return rows


def where(source: Source, c: Cell) -> str:
    return f"line {c.line}" if source.kind != "xlsx" else f"row {c.line}"


def pair(source: Source, rows: list[Row], langs: list[str]) -> list[list[Row]]:
    """Groups of rows that are one entry: the first language's row and its translations."""
    order = {lang: i for i, lang in enumerate(langs)}
    tiers: dict[str, list[Row]] = {}
    for row in rows:
        tiers.setdefault(row.tier, []).append(row)
    groups: list[list[Row]] = []
    seen: dict[str, Cell] = {}
    for tier_rows in tiers.values():
        tables = list(dict.fromkeys(id(r.table) for r in tier_rows))
        langs_here = sorted({r.table.lang for r in tier_rows}, key=lambda lang: order.get(lang, len(order)))
        primary = langs_here[0] if len(tables) > 1 else None
        by_name: dict[str, list[Row]] = {}
        for row in tier_rows:
            if primary is not None and row.table.lang != primary:
                continue
            key = identity(row.name.text)
            if key in seen:
                raise source.error(f"duplicate row: {row.name.text!r} is already on {where(source, seen[key])}"
                                   f" ({seen[key].text!r})", row.name.line, row.name.col)
            seen[key] = row.name
            by_name[key] = [row]
            groups.append(by_name[key])
        if primary is None:
            continue
        partnered: dict[tuple[str, str], Cell] = {}
        for row in tier_rows:
            if row.table.lang == primary:
                continue
            key = identity(row.name.text)
            if (key, row.table.lang) in partnered:
                first = partnered[(key, row.table.lang)]
                raise source.error(f"duplicate row: {row.name.text!r} is already on {where(source, first)}"
                                   f" ({first.text!r})", row.name.line, row.name.col)
            if key not in by_name:
                raise source.error(
                    f"{row.name.text!r} ({row.table.lang} table) has no row of the same name in the {primary} "
                    f"table of its tier ({next(r.table.table.where for r in tier_rows if r.table.lang == primary)})"
                    ": give it the same name in both, so that its translations can be paired",
                    row.name.line, row.name.col)
            partnered[(key, row.table.lang)] = row.name
            by_name[key].append(row)
    return groups


