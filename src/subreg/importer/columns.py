"""What a header cell means: a registry field, and the language of its text.

A header is either a registry field name (`name`, `legal_name`, `data_processed`,
...; a text field may carry a language, `purpose_fr`, `purpose.fr`, `purpose (fr)`)
or one of the usual titles of a subprocessor list in English or French (`Subprocessor`,
`Location`, `Data Processed`, `Sous-traitant`, `Localisation`, `Données traitées`,
...), also with an optional language (`Purpose (de)`). A title that belongs to one
language gives its column that language; a table's language is the one most of its
titles are in.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache

from subreg.importer.source import Cell

TEXT_FIELDS = ("purpose", "data_processed")
# The fields an import reads, in the order a report lists them.
FIELDS = (
    "id", "name", "legal_name", "tier", "personal_data", "opt_in", "locations", "purpose",
    "data_processed", "certifications", "transfer_mechanisms", "address", "contact", "website",
    "subprocessors_url", "dpa_signed_on",
)

_TITLES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "name": ("name", "subprocessor", "sub processor", "subprocessors", "vendor", "service", "integration"),
        "legal_name": ("provider", "legal name", "legal entity", "entity"),
        "tier": ("tier", "category", "type"),
        "personal_data": ("personal data",),
        "opt_in": ("opt in", "opt in required"),
        "locations": ("location", "locations", "country", "countries", "data location", "processing location"),
        "purpose": ("purpose", "purposes", "purpose of processing"),
        "data_processed": ("data processed", "data access", "data", "personal data processed",
                           "data categories", "categories of data"),
        "certifications": ("certifications", "certification", "security certifications"),
        "transfer_mechanisms": ("transfer mechanisms", "transfer mechanism", "transfer safeguards", "safeguards"),
        "address": ("address", "registered address"),
        "contact": ("contact", "privacy contact"),
        "website": ("website", "web site", "url"),
        "subprocessors_url": ("subprocessors url", "sub processors url", "subprocessor list"),
        "dpa_signed_on": ("dpa signed on", "dpa signed", "dpa date"),
    },
    "fr": {
        "name": ("sous traitant", "sous traitant ulterieur", "nom", "service", "integration", "prestataire"),
        "legal_name": ("fournisseur", "entite juridique", "entite", "raison sociale", "societe"),
        "tier": ("niveau", "categorie", "type"),
        "personal_data": ("donnees personnelles", "donnees a caractere personnel"),
        "opt_in": ("opt in", "opt in requis"),
        "locations": ("localisation", "localisations", "pays", "lieu", "lieu de traitement",
                      "localisation des donnees"),
        "purpose": ("objectif", "finalite", "finalites", "objet", "objet du traitement"),
        "data_processed": ("donnees traitees", "acces donnees", "acces aux donnees", "donnees",
                           "categories de donnees"),
        "certifications": ("certifications", "certification", "certifications securite",
                           "certifications de securite"),
        "transfer_mechanisms": ("mecanismes de transfert", "mecanisme de transfert", "garanties"),
        "address": ("adresse", "adresse du siege"),
        "contact": ("contact", "contact confidentialite"),
        "website": ("site web", "site internet", "site"),
        "subprocessors_url": ("liste des sous traitants",),
        "dpa_signed_on": ("date du dpa", "dpa signe le"),
    },
}

# `purpose (fr)`, `purpose [fr]`, `purpose.fr`, `purpose_fr`, `purpose: fr`, `purpose fr`
_SUFFIX = re.compile(
    r"(?P<base>.+?)\s*(?:\((?P<a>[A-Za-z]{2,3})\)|\[(?P<b>[A-Za-z]{2,3})\]|[._:\s](?P<c>[A-Za-z]{2,3}))"
)


@dataclass(frozen=True)
class Column:
    """A header cell understood: its field, and the language of its text (None: not said)."""

    field: str
    lang: str | None
    explicit: bool  # the language was written in the header (`purpose (fr)`)
    cell: Cell


def normalize(text: str) -> str:
    """Case, accents, punctuation and spacing ignored: `Données traitées` -> `donnees traitees`."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


@cache
def _vocabulary() -> dict[str, tuple[str, str | None]]:
    langs: dict[tuple[str, str], set[str]] = {}
    for lang, fields in _TITLES.items():
        for fieldname, titles in fields.items():
            for title in titles:
                langs.setdefault((title, fieldname), set()).add(lang)
    vocab: dict[str, tuple[str, str | None]] = {}
    for (title, fieldname), found in langs.items():
        vocab[title] = (fieldname, next(iter(found)) if len(found) == 1 else None)
    return vocab


@cache
def is_language(code: str) -> bool:
    from babel import Locale, UnknownLocaleError

    if not re.fullmatch(r"[a-z]{2,3}", code):
        return False
    try:
        Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return False
    return True


def classify(header: Cell) -> Column | None:
    """The meaning of one header cell, or None when it is not a known column."""
    raw = header.text.strip()
    if raw in FIELDS:
        return Column(raw, None, False, header)
    found = _SUFFIX.fullmatch(raw)
    suffix = (found.group("a") or found.group("b") or found.group("c") or "").lower() if found else ""
    if found and found.group("base") in TEXT_FIELDS and is_language(suffix):
        return Column(found.group("base"), suffix, True, header)
    vocab = _vocabulary()
    key = normalize(raw)
    if key in vocab:
        fieldname, lang = vocab[key]
        return Column(fieldname, lang, False, header)
    if found and is_language(suffix):
        base = vocab.get(normalize(found.group("base")))
        if base is not None and base[0] in TEXT_FIELDS:
            return Column(base[0], suffix, True, header)
    return None


def hint(header: str) -> str:
    """` (did you mean 'X'?)` for a misspelt header, else ''."""
    names = [*FIELDS, *_vocabulary()]
    close = difflib.get_close_matches(normalize(header), names, n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


def table_language(columns: list[Column | None]) -> str | None:
    """The language most of a table's titles are in (the first of a tie), or None."""
    counts = Counter(c.lang for c in columns if c is not None and c.lang is not None and not c.explicit)
    if not counts:
        return None
    top = max(counts.values())
    return next(c.lang for c in columns if c is not None and c.lang is not None and counts[c.lang] == top)


KNOWN = ("known columns: " + ", ".join(FIELDS) + ", or titles such as Subprocessor, Provider, Location, "
         "Purpose, Data Processed, Security Certifications, Opt-in Required (in French: Sous-traitant, "
         "Fournisseur, Localisation, Objectif, Données traitées, ...); a text column may name its language, "
         "as in 'Purpose (fr)'")
