"""Ids from names: lowercase ASCII with dashes, stable, and clashes settled in order.

An id is the name without a legal form (`Inc.`, `L.L.C.`, `GmbH`, ...) or a web suffix
(`.io`), or the acronym a name ends with in parentheses (`Amazon Web Services (AWS)`
-> `aws`); an `id` column wins. Names that would share an id keep their legal form,
then take `-2`, `-3` in source order, and the report says so.
"""

from __future__ import annotations

import re
import unicodedata

from subreg.importer.entries import Draft
from subreg.importer.source import Source
from subreg.model import ID_PATTERN

_LEGAL_FORMS = [f.split() for f in (
    "inc", "incorporated", "llc", "l l c", "ltd", "limited", "plc", "gmbh", "ag", "sa", "s a",
    "sas", "sarl", "bv", "b v", "nv", "n v", "corp", "corporation", "co", "pty", "ab", "as", "asa", "aps",
    "oy", "oyj",
    "spa", "s p a", "srl", "s r l", "kk", "lp", "llp", "ulc", "unlimited company", "se",
)]
MAX_ID = 64

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


def assign(source: Source, out: list[Draft]) -> None:
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
            if unique != base:
                d.id_note = (f"id {unique!r}, not {base!r}, which would also be the id of "
                             + ", ".join(repr(o) for o in others))

