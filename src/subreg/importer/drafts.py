"""From rows to entries: what the source states and no more, validated by the schema.

- **What is not stated is not invented.** A missing location is written `Global`
  (anywhere) with a comment, since an entry needs one; `personal_data` is `true`
  unless the source says the entry has no customer data; an absent text is an empty
  map, for `subreg check` to list. Each of these is a note in the report.
- **Certifications as listed**, one item per certificate (`SOC 1/2` is SOC 1 and SOC 2);
  a law or a compliance claim (`GDPR compliant`) and an invalid transfer mechanism
  (`Privacy Shield`) are reported, not written; a valid mechanism (`SCC`) is written as
  a transfer mechanism.
- **Every value is checked by the registry schema** before anything is written; a
  value it refuses is an error at its cell.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from subreg.errors import InputError
from subreg.importer import ids, values
from subreg.importer.columns import TEXT_FIELDS, normalize
from subreg.importer.entries import Draft, ReadTable, Row, pair, read_rows, where
from subreg.importer.source import Cell, Source
from subreg.model import Subprocessor

# Texts that say an entry sees no customer data ("Data Access: No customer data").
_NO_DATA = {
    "no customer data", "no personal data", "no data", "none", "n a", "aucune donnee client",
    "aucune donnee personnelle", "aucune donnee", "aucune", "keine kundendaten", "keine",
}


def _value_error(source: Source, c: Cell, exc: Exception) -> InputError:
    return source.error(str(exc), c.line, c.col)


def _draft(source: Source, group: list[Row], langs: list[str]) -> Draft:
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
                draft.notes.append(f"{text_key[0]}.{text_key[1]}: {where(source, c)} says {c.text!r}; "
                                   f"{where(source, texts[text_key])} is written")
            texts.setdefault(text_key, c)
    origin.update(texts)
    read_langs = tuple(dict.fromkeys([first.table.lang, *langs]))
    titles = {k: v for row in reversed(group) for k, v in row.titles.items()}
    _personal_data(source, draft, first, texts, titles)
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


def _personal_data(source: Source, draft: Draft, row: Row, texts: dict[tuple[str, str], Cell],
                   titles: dict[Any, str]) -> None:
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
        draft.trailing["personal_data"] = f'source: "{titles[said]}: {texts[said].text}"'
    else:
        draft.fields["personal_data"] = True
        draft.trailing["personal_data"] = "not stated in the source: true unless it sees no customer data"
        draft.notes.append("personal_data: not stated in the source; true written (set false if it sees "
                           "no personal data)")


def _opt_in(source: Source, draft: Draft, row: Row) -> None:
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


def _locations(source: Source, draft: Draft, group: list[Row], langs: tuple[str, ...]) -> None:
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


def _certifications(source: Source, draft: Draft, group: list[Row]) -> None:
    cells = group[0].cells
    names: list[str] = []
    mechanisms: list[str] = []
    comments: list[str] = []
    if "certifications" in cells:
        found = values.certifications(cells["certifications"].text)
        names, mechanisms = found.names, found.mechanisms
        comments += found.notes
        if names != [i.strip() for i in re.split(r"[,;]", cells["certifications"].text) if i.strip()]:
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


def _compare(source: Source, draft: Draft, first: Row, other: Row, langs: tuple[str, ...]) -> None:
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
            draft.notes.append(f"{key}: the {other.table.lang} table ({where(source, c)}) says {c.text!r}; "
                               f"the {first.table.lang} table's value is written")


def build(source: Source, tables: list[ReadTable], langs: list[str]) -> list[Draft]:
    """Every entry of the source, validated against the registry schema, with its id."""
    rows = read_rows(source, tables, langs)
    if not rows:
        raise source.error(f"{tables[0].table.where}: a header and no rows: there is nothing to import",
                           tables[0].table.header[0].line)
    out = [_draft(source, group, langs) for group in pair(source, rows, langs)]
    ids.assign(source, out)
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


