"""From tables to registry entries: one entry per row, what the source states and no more.

- **Tiers** come from a tier column, else from the heading a Markdown table stands
  under (`Infrastructure ...`, `... Integrations`), else from a name column titled
  `Integration`; a table that says none of these is `core` (the strictest), and the
  report says so.
- **Languages.** A page's tables of one tier in several languages (the seed's English
  and French tables) are paired row by row by name: the first language's table gives
  the entries, the others add their texts. A row with no partner of the same name in
  the first language's table is an error (a translated name cannot be guessed).
- **What is not stated is not invented.** A missing location is written `Global`
  (anywhere) with a comment, since an entry needs one; `personal_data` is `true`
  unless the source says the entry has no customer data; an absent text is an empty
  map, for `subreg check` to list. Each of these is a note in the report.
- **Ids** are the name in lowercase ASCII with dashes, without a legal form (`Inc.`,
  `L.L.C.`, `GmbH`, ...) or a web suffix (`.io`), or the acronym a name ends with in
  parentheses (`Amazon Web Services (AWS)` -> `aws`); an `id` column wins. Names that
  would share an id keep their legal form, then take `-2`, `-3` in source order.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from subreg.errors import InputError
from subreg.importer import values
from subreg.importer.columns import KNOWN, TEXT_FIELDS, Column, classify, hint, normalize, table_language
from subreg.importer.source import Cell, Source, Table
from subreg.model import ID_PATTERN, Subprocessor, identity

# Texts that say an entry sees no customer data ("Data Access: No customer data").
_NO_DATA = {
    "no customer data", "no personal data", "no data", "none", "n a", "aucune donnee client",
    "aucune donnee personnelle", "aucune donnee", "aucune", "keine kundendaten", "keine",
}
_LEGAL_FORMS = [f.split() for f in (
    "inc", "incorporated", "llc", "l l c", "ltd", "limited", "plc", "gmbh", "ag", "sa", "s a",
    "sas", "sarl", "bv", "b v", "nv", "n v", "corp", "corporation", "co", "pty", "ab", "as", "asa", "aps",
    "oy", "oyj",
    "spa", "s p a", "srl", "s r l", "kk", "lp", "llp", "ulc", "unlimited company", "se",
)]
MAX_ID = 64


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
class _Row:
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


def _rows(source: Source, tables: list[ReadTable], langs: list[str]) -> list[_Row]:
    rows: list[_Row] = []
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
            rows.append(_Row(t, plain, texts, titles, plain["name"], tier, t.tier is not None or "tier" in plain))
    return rows


def _where(source: Source, c: Cell) -> str:
    return f"line {c.line}" if source.kind != "xlsx" else f"row {c.line}"


def _pair(source: Source, rows: list[_Row], langs: list[str]) -> list[list[_Row]]:
    """Groups of rows that are one entry: the first language's row and its translations."""
    order = {lang: i for i, lang in enumerate(langs)}
    tiers: dict[str, list[_Row]] = {}
    for row in rows:
        tiers.setdefault(row.tier, []).append(row)
    groups: list[list[_Row]] = []
    seen: dict[str, Cell] = {}
    for tier_rows in tiers.values():
        tables = list(dict.fromkeys(id(r.table) for r in tier_rows))
        langs_here = sorted({r.table.lang for r in tier_rows}, key=lambda lang: order.get(lang, len(order)))
        primary = langs_here[0] if len(tables) > 1 else None
        by_name: dict[str, list[_Row]] = {}
        for row in tier_rows:
            if primary is not None and row.table.lang != primary:
                continue
            key = identity(row.name.text)
            if key in seen:
                raise source.error(f"duplicate row: {row.name.text!r} is already on {_where(source, seen[key])}"
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
                raise source.error(f"duplicate row: {row.name.text!r} is already on {_where(source, first)}"
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


def _value_error(source: Source, c: Cell, exc: Exception) -> InputError:
    return source.error(str(exc), c.line, c.col)


def _draft(source: Source, group: list[_Row], langs: list[str]) -> Draft:
    first = group[0]
    cells = first.cells
    origin: dict[Any, Cell] = dict(cells)
    numbers = [str(r.name.line) for r in group]
    unit = ("row" if source.kind == "xlsx" else "line") + ("s" if len(numbers) > 1 else "")
    draft = Draft(first.name.text, {}, origin, f"{unit} {' and '.join(numbers)}")
    data = draft.fields
    data["name"] = first.name.text
    if "legal_name" in cells:
        data["legal_name"] = cells["legal_name"].text
    for key in ("address", "contact", "website", "subprocessors_url"):
        if key in cells:
            data[key] = cells[key].text
    data["tier"] = first.tier
    if not first.tier_said:
        draft.notes.append("tier: the source does not say; core written (the strictest tier): change it if needed")
    texts: dict[tuple[str, str], Cell] = {}
    for row in group:
        for text_key, c in row.texts.items():
            if text_key in texts and texts[text_key].text != c.text:
                draft.notes.append(f"{text_key[0]}.{text_key[1]}: {_where(source, c)} says {c.text!r}; "
                                   f"{_where(source, texts[text_key])} is written")
            texts.setdefault(text_key, c)
    origin.update(texts)
    read_langs = tuple(dict.fromkeys([first.table.lang, *langs]))
    _personal_data(source, draft, first, texts)
    _opt_in(source, draft, first)
    _locations(source, draft, group, read_langs)
    for name in TEXT_FIELDS:
        data[name] = {lang: texts[(name, lang)].text for lang in langs if (name, lang) in texts}
        if not data[name]:
            draft.comments[name] = "Not stated in the source: add it in each language."
            draft.notes.append(f"{name}: not stated in the source")
    _certifications(source, draft, group)
    if "dpa_signed_on" in cells:
        data["dpa_signed_on"] = cells["dpa_signed_on"].text
    for row in group[1:]:
        _compare(source, draft, first, row, read_langs)
    if "id" in cells:
        draft.id = cells["id"].text
    return draft


def _personal_data(source: Source, draft: Draft, row: _Row, texts: dict[tuple[str, str], Cell]) -> None:
    cells = row.cells
    if "personal_data" in cells:
        try:
            draft.fields["personal_data"] = values.yes_no(cells["personal_data"].text)
        except ValueError as exc:
            raise _value_error(source, cells["personal_data"], exc) from None
        return
    said = next((key for key, c in texts.items() if key[0] == "data_processed" and normalize(c.text) in _NO_DATA),
                None)
    if said is not None:
        draft.fields["personal_data"] = False
        title = next((r.titles[said] for r in [row] if said in r.titles), "")
        draft.trailing["personal_data"] = f'source: "{title + ": " if title else ""}{texts[said].text}"'
    else:
        draft.fields["personal_data"] = True
        draft.trailing["personal_data"] = "not stated in the source: true unless it sees no customer data"
        draft.notes.append("personal_data: not stated in the source; true written (set false if it sees "
                           "no personal data)")


def _opt_in(source: Source, draft: Draft, row: _Row) -> None:
    cells = row.cells
    if "opt_in" not in cells:
        return
    c = cells["opt_in"]
    try:
        opt_in = values.yes_no(c.text)
    except ValueError as exc:
        raise _value_error(source, c, exc) from None
    if opt_in and draft.fields["tier"] != "integration":
        raise source.error(f"opt-in is only for integrations: a {draft.fields['tier']} subprocessor cannot "
                           "be opted out of a notice", c.line, c.col)
    if draft.fields["tier"] == "integration":
        draft.fields["opt_in"] = opt_in
        draft.trailing["opt_in"] = f'source: "{row.titles["opt_in"]}: {c.text}"'


def _locations(source: Source, draft: Draft, group: list[_Row], langs: tuple[str, ...]) -> None:
    c = group[0].cells.get("locations")
    if c is None:
        draft.fields["locations"] = ["Global"]
        draft.comments["locations"] = "Not stated in the source: Global (anywhere) until you record where."
        draft.notes.append("locations: not stated in the source; Global written until you record where")
        return
    try:
        places = values.locations(c.text, langs)
    except values.UnknownPlace as exc:
        raise _value_error(source, c, exc) from None
    if not places.codes:
        raise source.error("no location in this cell", c.line, c.col)
    draft.fields["locations"] = places.codes
    if places.interpreted:
        draft.comments["locations"] = f'Source: "{c.text}".'


def _certifications(source: Source, draft: Draft, group: list[_Row]) -> None:
    cells = group[0].cells
    names: list[str] = []
    mechanisms: list[str] = []
    comments: list[str] = []
    if "certifications" in cells:
        found = values.certifications(cells["certifications"].text)
        names, mechanisms = found.names, found.mechanisms
        comments += found.notes
        if [n for n in names] != [i.strip() for i in re.split(r"[,;]", cells["certifications"].text) if i.strip()]:
            comments.insert(0, f'Source: "{cells["certifications"].text}".')
    if "transfer_mechanisms" in cells:
        more, notes = values.mechanisms(cells["transfer_mechanisms"].text)
        mechanisms = list(dict.fromkeys([*mechanisms, *more]))
        comments += notes
    if names:
        draft.fields["certifications"] = [{"name": n} for n in names]
    if mechanisms:
        draft.fields["transfer_mechanisms"] = mechanisms
    if comments:
        draft.comments["certifications" if names or not mechanisms else "transfer_mechanisms"] = " ".join(
            m[0].upper() + m[1:] + ("" if m.endswith(".") else ".") for m in comments)
        draft.notes.extend(f"certifications: {m}" for m in comments if not m.startswith("Source:"))


def _compare(source: Source, draft: Draft, first: _Row, other: _Row, langs: tuple[str, ...]) -> None:
    """A translated row that disagrees with the first language's on a field that is not
    a text is worth a note: only the first language's value is written."""
    for key, c in other.cells.items():
        mine = first.cells.get(key)
        if key == "name":
            continue
        if key == "locations":
            try:
                theirs = values.locations(c.text, langs).codes
            except values.UnknownPlace as exc:
                raise _value_error(source, c, exc) from None
            same = theirs == draft.fields["locations"]
        elif key == "certifications":
            same = mine is not None and values.certifications(c.text).names == values.certifications(mine.text).names
        elif key in ("opt_in", "personal_data"):
            try:
                same = mine is not None and values.yes_no(c.text) == values.yes_no(mine.text)
            except ValueError as exc:
                raise _value_error(source, c, exc) from None
        else:
            same = mine is not None and mine.text == c.text
        if not same:
            draft.notes.append(f"{key}: the {other.table.lang} table ({_where(source, c)}) says {c.text!r}; "
                               f"the {first.table.lang} table's value is written")


def drafts(source: Source, tables: list[ReadTable], langs: list[str]) -> list[Draft]:
    """Every entry of the source, validated against the registry schema, with its id."""
    rows = _rows(source, tables, langs)
    if not rows:
        raise source.error(f"{tables[0].table.where}: a header and no rows: there is nothing to import",
                           tables[0].table.header[0].line)
    out = [_draft(source, group, langs) for group in _pair(source, rows, langs)]
    _ids(source, out)
    for d in out:
        validate(source, d)
    return out


def validate(source: Source, draft: Draft) -> Subprocessor:
    """The entry as the registry schema reads it; a refused value is an error at its cell."""
    try:
        return Subprocessor.model_validate(draft.fields)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = err["loc"]
        c = draft.origin.get(tuple(loc[:2])) or draft.origin.get(loc[0]) or draft.origin["name"]
        message = str(err["msg"]).removeprefix("Value error, ")
        raise source.error(f"{'.'.join(str(p) for p in loc)}: {message}", c.line, c.col) from None


# -- ids ------------------------------------------------------------------------------

def _ascii_words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", text.replace("&", " and "))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"['’`]", "", text)
    return re.sub(r"[^a-z0-9]+", " ", text).split()


def _join(words: list[str]) -> str:
    out = ""
    for w in words:
        candidate = f"{out}-{w}" if out else w
        if len(candidate) > MAX_ID:
            break
        out = candidate
    return out or "subprocessor"


def base_id(name: str) -> str:
    """The id a name gives: `Stripe, Inc.` -> `stripe`, `Amazon Web Services (AWS)` ->
    `aws`, `Apollo.io` -> `apollo`, `Let's Encrypt` -> `lets-encrypt`."""
    acronym = re.search(r"\(([A-Z][A-Z0-9]{1,9})\)\s*$", name)
    if acronym:
        return acronym.group(1).lower()
    bare = re.sub(r"\([^)]*\)", " ", name)
    bare = re.sub(r"(?<=[A-Za-z0-9])\.(?:com|io|ai|co|net|org|dev|app)\b", "", bare, flags=re.IGNORECASE)
    words = _ascii_words(bare)
    changed = True
    while changed:
        changed = False
        for form in _LEGAL_FORMS:
            if len(words) > len(form) and words[-len(form):] == form:
                words = words[:-len(form)]
                changed = True
    return _join(words)


def full_id(name: str) -> str:
    return _join(_ascii_words(name))


def _ids(source: Source, out: list[Draft]) -> None:
    taken: dict[str, Draft] = {}
    for d in out:
        if d.id:
            c = d.origin["id"]
            if not ID_PATTERN.fullmatch(d.id):
                raise source.error(f"{d.id!r} is not an id (lowercase letters, digits and dashes)", c.line, c.col)
            if d.id in taken:
                raise source.error(f"id {d.id!r} is already the id of {taken[d.id].name!r}", c.line, c.col)
            taken[d.id] = d
    wanted: dict[str, list[Draft]] = {}
    for d in out:
        if not d.id:
            wanted.setdefault(base_id(d.name), []).append(d)
    clashes = []
    for base, group in wanted.items():
        if len(group) == 1 and base not in taken:
            group[0].id = base
            taken[base] = group[0]
        else:
            clashes.append((base, group))
    for base, group in clashes:
        for d in group:
            others = [o.name for o in group if o is not d] or [taken[base].name]
            candidate = unique = full_id(d.name)
            n = 2
            while unique in taken:
                unique = f"{candidate}-{n}"
                n += 1
            d.id = unique
            taken[unique] = d
            d.id_note = (f"id {unique!r}, not {base!r}, which would also be the id of "
                         + ", ".join(repr(o) for o in others))
