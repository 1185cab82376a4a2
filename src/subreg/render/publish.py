"""The public subprocessor list: `index.html`, `subprocessors.L.md` and `subprocessors.json`.

The page regenerates the seed document from data: one page holding every policy
language, each in its own `lang` section with the seed's sections (overview, notification
of changes, the three tables, upcoming changes, data residency, security standards, due
diligence, rights), then a shared contact section. Each Markdown file holds one language.

An entry's chain (`subprocessors`) is shown under its row as names and locations only
(chain.py), and in `subprocessors.json` as `[{name, locations}]`. Per residency region,
the page and the Markdown list the current entries with personal data that may touch
the region's data, where they process it (their chain included) and, by the region's
law (laws.py), the safeguard for each place: the adequacy finding, the mechanisms the
entry lists that cover it, the Québec assessment, or "no safeguard recorded".

Status at `today`: an entry whose `notice.effective_on` is after today is *upcoming* (its
own table, with its date); one whose `retired_on` is today or earlier is gone (it stays in
the feed); any other is *current*. A current entry with a later `retired_on` is also
listed under "upcoming changes" with its end date. Certifications expired at `today` are
not shown: the page must not claim them.

Safety. Registry and policy text is data: it is passed to templates, never rendered as
one. HTML is autoescaped (env.py) and carries a Content-Security-Policy that allows no
script at all and only the page's own stylesheet (by hash); Markdown uses the `md` and
`md_text` filters; JSON is `json.dumps`. Links are written only for https values (the
model refuses others; the templates check again). E-mail contacts are plain text, not
`mailto:` links, so that every link on the page is https.

Output is deterministic: nothing here reads the clock; "last updated" and `today` come in.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlsplit

import jinja2
from markupsafe import Markup

from subreg import chain, diff, laws
from subreg.errors import InputError
from subreg.laws import Judgement, LawData
from subreg.model import Policy, Region, Subprocessor
from subreg.registry import Registry
from subreg.render import env as envmod

Status = Literal["current", "upcoming"]
TIERS = ("core", "infrastructure", "integration")
FEED_FILE = "feed.xml"


def status(sp: Subprocessor, today: dt.date) -> Status | None:
    """`current`, `upcoming`, or None when the entry is retired at `today`."""
    if sp.retired_on is not None and sp.retired_on <= today:
        return None
    if sp.notice is not None and sp.notice.effective_on > today:
        return "upcoming"
    return "current"


def https(url: str | None) -> str | None:
    """The URL when it is an https link, else None: only https links are written."""
    if url and urlsplit(url).scheme == "https" and not re.search(r"[\s\x00-\x1f\x7f]", url):
        return url
    return None


def feed_url(policy: Policy) -> str | None:
    """Where the feed is published: beside the page at `public_url` (a folder URL gets
    `/feed.xml`, a file URL has its last segment replaced). None without `public_url`."""
    base = https(policy.public_url)
    if base is None:
        return None
    parts = urlsplit(base)
    path = parts.path or "/"
    last = path.rsplit("/", 1)[-1]
    path = path.rsplit("/", 1)[0] + "/" + FEED_FILE if "." in last else path.rstrip("/") + "/" + FEED_FILE
    return parts._replace(path=path, query="", fragment="").geturl()


@dataclass(frozen=True)
class Cell:
    """A text and the language it is really written in (a fallback may differ)."""

    text: str
    lang: str


def pick(texts: dict[str, str], lang: str, languages: list[str]) -> Cell:
    """The text in `lang` or its fallback, with the language it is really written in."""
    return Cell(*envmod.translation(texts, lang, languages))


@dataclass(frozen=True)
class Entry:
    """One subprocessor as the page shows it."""

    sp: Subprocessor
    status: Status
    website: str | None
    certifications: list[str]

    @property
    def id(self) -> str:
        return self.sp.id


@dataclass
class Listing:
    """The registry sorted for the page at `today`."""

    tables: dict[str, list[Entry]] = field(default_factory=lambda: {t: [] for t in TIERS})
    upcoming: list[Entry] = field(default_factory=list)
    ending: list[Entry] = field(default_factory=list)  # current, with a later retired_on
    entries: list[Entry] = field(default_factory=list)  # current and upcoming, by id

    @property
    def current(self) -> int:
        return sum(len(rows) for rows in self.tables.values())


def _order(entry: Entry) -> tuple[str, str]:
    return entry.sp.name.casefold(), entry.id


def listing(registry: Registry, today: dt.date) -> Listing:
    out = Listing()
    for sp in sorted(registry, key=lambda s: s.id):
        st = status(sp, today)
        if st is None:
            continue
        certs = [c.name for c in sp.certifications if c.expires_on is None or c.expires_on >= today]
        entry = Entry(sp, st, https(sp.website), certs)
        out.entries.append(entry)
        if st == "upcoming":
            out.upcoming.append(entry)
            continue
        out.tables[sp.tier].append(entry)
        if sp.retired_on is not None:
            out.ending.append(entry)
    for rows in (*out.tables.values(), out.ending):
        rows.sort(key=_order)
    out.upcoming.sort(key=lambda e: (e.sp.notice.effective_on if e.sp.notice else today, *_order(e)))
    return out


def frameworks(entries: list[Entry]) -> list[str]:
    """The compliance frameworks the due-diligence assessments cover (the seed's
    "GDPR/CCPA/PIPEDA"): most used first, then in the order the entries list them;
    GDPR when no assessment names any."""
    counts: Counter[str] = Counter()
    rank: dict[str, int] = {}
    for e in entries:
        if e.sp.due_diligence is None:
            continue
        for i, fw in enumerate(dict.fromkeys(e.sp.due_diligence.frameworks)):
            counts[fw] += 1
            rank[fw] = min(rank.get(fw, i), i)
    names = sorted(counts, key=lambda fw: (-counts[fw], rank[fw], fw))
    return names or ["GDPR"]


@dataclass(frozen=True)
class RegionRow:
    """One subprocessor that may touch a region's data, and what its law says of it."""

    entry: Entry
    places: list[str]  # where the region's data goes: its locations, then its chain's
    judgement: Judgement


@dataclass(frozen=True)
class Residency:
    """A residency region, its transfer law, and the subprocessors that may touch its data."""

    key: str
    region: Region
    law: LawData
    rows: list[RegionRow]


def residency(lst: Listing, policy: Policy, today: dt.date) -> list[Residency]:
    """Per residency region (policy order): the current entries with personal data whose
    `regions` include it, by name, with where they process that data (their chain
    included) and the law's verdict on each place."""
    out = []
    current = sorted((e for rows in lst.tables.values() for e in rows if e.sp.personal_data), key=_order)
    for key, region in policy.regions.items():
        rows = [RegionRow(e, list(dict.fromkeys(f.place for f in laws.flows(e.sp))),
                          laws.judge(e.sp, key, policy, today))
                for e in current if key in laws.regions(e.sp, policy)]
        out.append(Residency(key, region, laws.law(policy.law(key)), rows))
    return out


def safeguards(j: Judgement, lang: str, languages: list[str], t: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """(safeguard, places) pairs, for a reader: the adequacy finding, the mechanisms the
    entry relies on, the assessment, then places with no safeguard recorded. Places at
    home (no transfer) are not listed; the labels come from the law's data."""
    groups: dict[str, list[str]] = {}

    def add(label: str, place: str) -> None:
        places = groups.setdefault(label, [])
        if place not in places:
            places.append(place)

    data = j.law
    for f in j.adequate:
        add(envmod.translation(data.adequacy_label or {}, lang, languages)[0], f.place)
    for f, ms in j.covered:
        add(", ".join(m.id for m in ms), f.place)
    for f in j.assessed:
        add(envmod.translation(data.assessment_label or {}, lang, languages)[0], f.place)
    for f in j.uncovered:
        add(str(t["no_safeguard"]), f.place)
    return list(groups.items())


# -- rendering ------------------------------------------------------------------------

def md_url(url: str) -> str:
    """An https URL inside a Markdown autolink `<...>`: no spaces, controls or angle brackets."""
    return quote(url, safe="/:?#[]@!$&'()*+,;=%~-._")


def environment(root: Path | None) -> jinja2.Environment:
    env = envmod.environment(root)
    env.filters["md_url"] = md_url
    env.filters["md_contact"] = lambda v: envmod.md_text(v).replace("@\u200b", "@")
    env.globals["https"] = https
    return env


def _style(env: jinja2.Environment) -> tuple[Markup, str]:
    """The page's stylesheet and its CSP hash. It must stay inside its <style> element."""
    css = env.get_template("page.css.j2").render()
    if "</" in css or "<!--" in css:
        raise InputError.at("templates/page.css.j2", "a stylesheet may not contain '</' or '<!--'")
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    return Markup(css), f"sha256-{digest}"  # noqa: S704 - our own stylesheet, checked above


@dataclass(frozen=True)
class Words:
    """The words of one policy language (`lang`), from page_strings.j2; `words_lang` is
    the language they are really in ("en" when page_strings.j2 lacks `lang`)."""

    lang: str
    words_lang: str
    t: dict[str, Any]


def words(env: jinja2.Environment, languages: list[str]) -> list[Words]:
    assert isinstance(env, envmod.SandboxedEnvironment)
    strings = getattr(env.module_of("page_strings.j2"), "strings", None)
    if not isinstance(strings, dict) or not isinstance(strings.get("en"), dict) \
            or not all(isinstance(v, dict) for v in strings.values()):
        raise InputError.at("templates/page_strings.j2", "must set `strings`: a mapping of each language "
                            "to a mapping of words, with at least 'en'")
    out = []
    for lang in languages:
        have = lang if lang in strings else "en"
        out.append(Words(lang, have, strings[have]))
    return out


def context(env: jinja2.Environment, policy: Policy, registry: Registry, today: dt.date,
            updated: dt.date) -> dict[str, Any]:
    """What the page and Markdown templates are rendered from."""
    lst = listing(registry, today)
    languages = list(policy.languages)

    def chain_text(sp: Subprocessor, lang: str) -> str:
        """The entry's chain for readers: "Name (Country, Country); ..."."""
        return "; ".join(f"{m.name} ({envmod.country_names(list(m.locations), lang)})" for m in sp.subprocessors)

    return {
        "sections": words(env, languages),
        "company": policy.company,
        "updated": updated,
        "languages": languages,
        "days": policy.notice_period_days,
        "hours": policy.max_breach_notice_hours,
        "public_url": https(policy.public_url),
        "feed_url": feed_url(policy),
        "listing": lst,
        "frameworks": frameworks(lst.entries),
        "regions": list(policy.regions.values()),
        "contacts": [(key, value, https(value)) for key, value in policy.contacts.items()],
        "pick": lambda texts, lang: pick(texts, lang, languages),
        "residency": residency(lst, policy, today),
        "safeguards": lambda j, lang, t: safeguards(j, lang, languages, t),
        "translate": lambda texts, lang: envmod.translation(texts, lang, languages)[0],
        "chain_text": chain_text,
    }


def _public(sp: Subprocessor) -> dict[str, Any]:
    """An entry for subprocessors.json: its chain as names and locations only, and
    without its transfer assessment date (internal, SPEC 2)."""
    data = diff.dump(sp)
    data.pop("transfer_assessed_on", None)
    data["subprocessors"] = chain.public(sp.subprocessors)
    return data


def as_json(lst: Listing, updated: dt.date) -> str:
    """SPEC 8: `{"updated", "subprocessors": [{"id", "status", ...all fields}]}`, by id."""
    doc = {
        "updated": updated.isoformat(),
        "subprocessors": [{"id": e.id, "status": e.status, **_public(e.sp)} for e in lst.entries],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def render(root: Path | None, policy: Policy, registry: Registry, today: dt.date,
           updated: dt.date) -> dict[str, str | bytes]:
    """index.html, subprocessors.L.md per policy language, and subprocessors.json."""
    env = environment(root)
    ctx = context(env, policy, registry, today, updated)
    css, style_hash = _style(env)
    page = env.get_template("page.html.j2").render(ctx, css=css, style_hash=style_hash)
    files: dict[str, str | bytes] = {"index.html": page}
    md = env.get_template("subprocessors.md.j2")
    for section in ctx["sections"]:
        files[f"subprocessors.{section.lang}.md"] = md.render(ctx, s=section)
    files["subprocessors.json"] = as_json(ctx["listing"], updated)
    return files
