"""Reading cell values: locations, tiers, yes/no answers, certifications.

Locations are matched against the country names Babel (CLDR) gives in each language
the import reads, so `Allemagne`, `Germany` and `Deutschland` are all `DE`; the
European Union by its name or abbreviation (`EU`, `UE`); anything worldwide (`Global`,
`Global CDN`, `CDN Global`, `Mondial`, `World`) is `Global`. An unknown place is an
error, never a guess.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

from subreg.importer.columns import normalize
from subreg.model import countries

# Names Babel does not give (old and informal names, abbreviations), by normalized text.
_ALIASES = {
    "usa": "US", "u s": "US", "u s a": "US", "united states of america": "US", "america": "US",
    "etats unis d amerique": "US", "uk": "GB", "great britain": "GB", "britain": "GB",
    "grande bretagne": "GB", "czech republic": "CZ", "republique tcheque": "CZ",
    "holland": "NL", "the netherlands": "NL", "eu": "EU", "ue": "EU", "european union": "EU",
}
_OTHER_LANGUAGES = ("fr", "de", "es", "it", "nl", "pt")  # for a hint only, when a name is in another language
_GLOBAL_WORDS = {"global", "worldwide", "world", "mondial", "mondiale", "monde", "international"}
_SPLIT = re.compile(r"[,;/|]")
_AND = re.compile(r"\s+(?:and|&|et|und|y|e)\s+", re.IGNORECASE)


@cache
def _names(langs: tuple[str, ...]) -> dict[str, str]:
    """Normalized place name -> location, in each of `langs` (and English)."""
    from babel import Locale

    codes = countries()
    table: dict[str, str] = {}
    for lang in ("en", *langs):
        territories = Locale.parse(lang).territories
        for code, name in territories.items():
            if code in codes:
                table.setdefault(normalize(name), code)
        if "EU" in territories:
            table.setdefault(normalize(territories["EU"]), "EU")
        if "001" in territories:
            table.setdefault(normalize(territories["001"]), "Global")
    for code in codes:
        table.setdefault(code.lower(), code)
    for alias, code in _ALIASES.items():
        table.setdefault(alias, code)
    return table


class UnknownPlace(ValueError):
    """A place the location reader does not know; its message says what to write."""


def _one(part: str, langs: tuple[str, ...]) -> tuple[str | None, bool]:
    """The location `part` names, and whether that took more than a name or a code."""
    key = normalize(part)
    table = _names(langs)
    if key in table:
        return table[key], False
    if _GLOBAL_WORDS & set(key.split()):
        return "Global", True
    bare = normalize(re.sub(r"\([^)]*\)", " ", part))  # "Germany (Frankfurt)"
    if bare != key and bare in table:
        return table[bare], True
    return None, False


@dataclass
class Places:
    codes: list[str]
    interpreted: bool  # something other than a plain name or code was read ("Global CDN")


def locations(text: str, langs: tuple[str, ...]) -> Places:
    """`US, EU, Canada` -> US, EU, CA. Raises UnknownPlace."""
    found: list[str] = []
    interpreted = False
    for part in (p.strip() for p in _SPLIT.split(text)):
        if not part:
            continue
        code, loose = _one(part, langs)
        if code is not None:
            found.append(code)
            interpreted |= loose
            continue
        pieces = [p for p in _AND.split(part) if p.strip()]
        codes = [_one(p, langs) for p in pieces]
        if len(pieces) > 1 and all(c for c, _ in codes):
            found.extend(c for c, _ in codes if c)
            interpreted |= any(loose for _, loose in codes)
            continue
        bad = next((p for p, (c, _) in zip(pieces, codes, strict=True) if c is None), part)
        raise UnknownPlace(_unknown(bad, langs))
    return Places(list(dict.fromkeys(found)), interpreted)


def _unknown(part: str, langs: tuple[str, ...]) -> str:
    key = normalize(part)
    table = _names(langs)
    hint = ""
    if key in ("europe", "eea", "eee", "espace economique europeen", "european economic area"):
        hint = " (the EEA or Europe is not a location here: write EU for the European Union, or the countries)"
    else:
        other = next(((lang, _names((lang,))[key]) for lang in _OTHER_LANGUAGES
                      if lang not in langs and key in _names((lang,))), None)
        close = difflib.get_close_matches(key, list(table), n=1, cutoff=0.8)
        if other:
            hint = (f" ({part!r} is {other[1]} in {other[0]}: write {other[1]}, or import with {other[0]} "
                    "among the languages)")
        elif close:
            code = table[close[0]]
            from babel import Locale

            hint = f" (did you mean {code}, {Locale('en').territories.get(code, code)}?)"
    return (f"unknown location {part!r}: write a country name (in {', '.join(dict.fromkeys(('en', *langs)))}), "
            f"an ISO 3166-1 alpha-2 code, EU or Global{hint}")


_YES = {"yes", "y", "true", "oui", "o", "vrai", "x", "1", "ja", "si"}
_NO = {"no", "n", "false", "non", "faux", "0", "nein"}


def yes_no(text: str) -> bool:
    key = normalize(text)
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise ValueError(f"{text!r} is not a yes/no answer: write yes or no (true/false, oui/non)")


_TIERS = {
    "core": "core", "current": "core", "principal": "core", "actuel": "core",
    "infrastructure": "infrastructure", "infra": "infrastructure",
    "integration": "integration", "integrations": "integration", "optional integration": "integration",
    "optional integrations": "integration", "integration optionnelle": "integration",
    "integrations optionnelles": "integration", "optional": "integration",
}


def tier(text: str) -> str:
    key = normalize(text)
    if key in _TIERS:
        return _TIERS[key]
    raise ValueError(f"unknown tier {text!r}: write core, infrastructure or integration")


def tier_of_heading(heading: str) -> str | None:
    """The tier a section heading names: `Current Subprocessors`, `Infrastructure
    Subprocessors`, `Optional Integrations`, `Intégrations optionnelles`; None when it
    names none."""
    words = set(normalize(heading).split())
    if "infrastructure" in words:
        return "infrastructure"
    if words & {"integration", "integrations"}:
        return "integration"
    if words & {"core", "current", "actuels", "actuel", "principaux"}:
        return "core"
    return None


# Items of a certifications cell that are not certifications.
_INVALID_MECHANISMS = {
    "privacy shield": "the EU-US Privacy Shield was invalidated by the CJEU on 16 July 2020 (C-311/18, Schrems II)",
    "safe harbor": "Safe Harbor was invalidated by the CJEU on 6 October 2015 (C-362/14, Schrems I)",
    "safe harbour": "Safe Harbor was invalidated by the CJEU on 6 October 2015 (C-362/14, Schrems I)",
}
_MECHANISMS = {
    "dpf": "DPF", "data privacy framework": "DPF", "eu us data privacy framework": "DPF",
    "eu us dpf": "DPF", "scc": "SCC", "sccs": "SCC", "standard contractual clauses": "SCC",
    "clauses contractuelles types": "SCC", "cct": "SCC", "bcr": "BCR", "bcrs": "BCR",
    "binding corporate rules": "BCR", "regles d entreprise contraignantes": "BCR",
}
_LAWS = {"gdpr", "rgpd", "dsgvo", "ccpa", "cpra", "pipeda", "hipaa", "lgpd", "uk gdpr"}
_COMPLIANCE = re.compile(r"\b(compliant|compliance|conforme|conformite|ready)\b")
_SHORTHAND = re.compile(r"(?P<prefix>[A-Za-z][A-Za-z ]*?)\s*(?P<numbers>\d+(?:\s*/\s*\d+)+)(?P<rest>.*)")


def _invalid(key: str) -> str:
    """Why a mechanism named in `key` (normalized) is invalid, or ''."""
    return next((why for name, why in _INVALID_MECHANISMS.items() if name in key), "")


@dataclass
class Certifications:
    names: list[str] = field(default_factory=list)
    mechanisms: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def certifications(text: str) -> Certifications:
    """`SOC 2 Type II, ISO 27001, GDPR compliant` -> the certificates as listed; what is
    not one (a law, a compliance claim, a transfer mechanism) is said in `notes`."""
    out = Certifications()
    for item, key, invalid in _items(text):
        if invalid:
            out.notes.append(f'"{item}" is not a certification, and not a valid transfer mechanism: '
                             f"{invalid}; not written")
        elif key in _MECHANISMS:
            out.mechanisms.append(_MECHANISMS[key])
            out.notes.append(f'"{item}" is a transfer mechanism, not a certification: written as '
                             f"transfer_mechanisms {_MECHANISMS[key]}")
        elif key in _LAWS or _COMPLIANCE.search(key):
            out.notes.append(f'"{item}" is not a certification (complying with the law is an obligation, '
                             "not a certificate); not written")
        else:
            short = _SHORTHAND.fullmatch(item)
            if short:  # "SOC 1/2" lists SOC 1 and SOC 2
                numbers = [n.strip() for n in short.group("numbers").split("/")]
                out.names.extend(f"{short.group('prefix').strip()} {n}{short.group('rest')}" for n in numbers)
            else:
                out.names.append(item)
    out.names = list(dict.fromkeys(out.names))
    out.mechanisms = list(dict.fromkeys(out.mechanisms))
    return out


def _items(text: str) -> Iterator[tuple[str, str, str | None]]:
    """The items of a comma- or semicolon-separated cell: (as written, normalised, why
    it is not a valid transfer mechanism or None)."""
    for item in (i.strip() for i in re.split(r"[,;]", text)):
        if item:
            key = normalize(item)
            yield item, key, _invalid(key)


def mechanisms(text: str) -> tuple[list[str], list[str]]:
    """A transfer-mechanisms cell: (mechanisms as written or canonical, notes)."""
    found: list[str] = []
    notes: list[str] = []
    for item, key, invalid in _items(text):
        if invalid:
            notes.append(f'transfer mechanism "{item}" is not valid: {invalid}; not written')
        else:
            found.append(_MECHANISMS.get(key, item))
    return list(dict.fromkeys(found)), notes
