"""The public subprocessor list: one page per language, `subprocessors.L.md` per language
and `subprocessors.json`.

Pages. `index.html` is the policy's first language, `index.L.html` each other one. Each
page has its language in `<html lang>`, names the others with `<link rel="alternate"
hreflang>`, and starts with the language switch (a `<nav>` before the title), so that
every language is one click away without scrolling. Then the seed document's sections
(overview, notification of changes and how to object, the three tables, upcoming
changes, data residency and, per residency region, who may touch its data, security
standards, due diligence, rights, contact). With `public_url` the switch and the
alternates are absolute links beside it (a relative link from a folder URL without its
trailing slash would resolve one level up); without, they are relative.

Public fields only (SPEC 2): templates get `public.Public` views, never the entries
themselves. Per residency region, what the law says of each place (laws.py) is worked
out here from the whole entry and handed over as labels.

Status at `today`: an entry whose `notice.effective_on` is after today is *upcoming*,
unless history has a version of it in force (pending.py): then it stays *current* in
its table with those values, and its change is listed under upcoming changes with the
new values and date (SPEC 8). An entry whose `retired_on` is today or earlier is gone
(it stays in the feed). A current entry with a later `retired_on` is also listed under
upcoming changes with its end date.

Texts come from page_strings.j2 (words.py); what they claim comes from the data: the
notice period, the breach-notice hours, the contacts, the laws of the residency regions
(the due-diligence frameworks), and whether an infrastructure entry has personal data
(then it is marked, and the table's intro says so).

Safety. Registry and policy text is data: it is passed to templates, never rendered as
one. HTML is autoescaped (env.py) and carries a Content-Security-Policy that allows no
script at all and only the page's own stylesheet (by hash); Markdown uses the `md` and
`md_text` filters; JSON is `json.dumps`. Links are written only for https values.
E-mail contacts are plain text, not `mailto:` links, so that every link is https.

Output is deterministic: nothing here reads the clock; "last updated" and `today` come in.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlsplit

import jinja2
from markupsafe import Markup

from subreg import laws, public
from subreg.errors import InputError
from subreg.laws import Judgement, LawData
from subreg.model import Notice, Policy, Region, Subprocessor
from subreg.public import Public
from subreg.registry import Registry
from subreg.render import env as envmod
from subreg.render.words import Words, language_name, words

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


def beside(policy: Policy, name: str) -> str | None:
    """The URL of the file `name` published beside the page at `public_url` (a folder
    URL gets `/name`, a file URL has its last segment replaced). None without one."""
    base = https(policy.public_url)
    if base is None:
        return None
    parts = urlsplit(base)
    path = parts.path or "/"
    last = path.rsplit("/", 1)[-1]
    path = path.rsplit("/", 1)[0] + "/" + name if "." in last else path.rstrip("/") + "/" + name
    return parts._replace(path=path, query="", fragment="").geturl()


def feed_url(policy: Policy) -> str | None:
    """Where the feed is published, beside the page (None without `public_url`)."""
    return beside(policy, FEED_FILE)


def page_file(lang: str, languages: list[str]) -> str:
    """`index.html` for the first policy language, `index.L.html` for the others."""
    return "index.html" if lang == languages[0] else f"index.{lang}.html"


def page_url(policy: Policy, lang: str) -> str:
    """The link to a language's page: absolute beside `public_url`, else relative."""
    languages = list(policy.languages)
    if lang == languages[0] and https(policy.public_url):
        return str(policy.public_url)
    return beside(policy, page_file(lang, languages)) or page_file(lang, languages)


@dataclass(frozen=True)
class Cell:
    """A text and the language it is really written in (a fallback may differ)."""

    text: str
    lang: str


def pick(texts: dict[str, str], lang: str, languages: list[str]) -> Cell:
    """The text in `lang` or its fallback, with the language it is really written in."""
    return Cell(*envmod.translation(texts, lang, languages))


@dataclass(frozen=True)
class Announced:
    """A change announced to customers that takes effect later: a new subprocessor, or
    new values of a current one (`values`: the public fields that change, as JSON)."""

    sp: Public  # the values from `notice.effective_on`
    kind: Literal["added", "changed"]
    notice: Notice
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def fields(self) -> list[str]:
        return list(self.values)


@dataclass(frozen=True)
class Entry:
    """One subprocessor as the public outputs show it."""

    sp: Public
    status: Status
    pending: Announced | None = None  # a current entry's announced change

    @property
    def id(self) -> str:
        return self.sp.id


@dataclass
class Listing:
    """The registry sorted for the page at `today`."""

    tables: dict[str, list[Entry]] = field(default_factory=lambda: {t: [] for t in TIERS})
    upcoming: list[Announced] = field(default_factory=list)
    ending: list[Entry] = field(default_factory=list)  # current, with a later retired_on
    entries: list[Entry] = field(default_factory=list)  # current and upcoming, by id

    @property
    def current(self) -> int:
        return sum(len(rows) for rows in self.tables.values())

    @property
    def added(self) -> int:
        return sum(1 for a in self.upcoming if a.kind == "added")


def _order(sp: Public) -> tuple[str, str]:
    return sp.name.casefold(), sp.id


def listing(registry: Registry, today: dt.date,
            in_force: dict[str, Subprocessor] | None = None) -> tuple[Listing, list[Subprocessor]]:
    """The entries at `today`, and the current ones as in force (whole: for the transfer
    rules, never for templates). `in_force`: the version in force of the entries whose
    change is pending (pending.py)."""
    in_force = in_force or {}
    out, in_use = Listing(), []
    for sp in sorted(registry, key=lambda s: s.id):
        st = status(sp, today)
        if st is None:
            continue
        shown = public.view(sp, today)
        if st == "upcoming":
            assert sp.notice is not None
            old = in_force.get(sp.id)
            if old is None:
                out.entries.append(Entry(shown, "upcoming"))
                out.upcoming.append(Announced(shown, "added", sp.notice))
                continue
            current = public.view(old, today)
            change = Announced(shown, "changed", sp.notice, public.changes(current, shown))
            out.upcoming.append(change)
            entry, sp = Entry(current, "current", change), old
        else:
            entry = Entry(shown, "current")
        out.entries.append(entry)
        in_use.append(sp)
        out.tables[entry.sp.tier].append(entry)
        if entry.sp.retired_on is not None:
            out.ending.append(entry)
    for rows in (*out.tables.values(), out.ending):
        rows.sort(key=lambda e: _order(e.sp))
    out.upcoming.sort(key=lambda a: (a.notice.effective_on, *_order(a.sp)))
    return out, in_use


# -- residency --------------------------------------------------------------------------

@dataclass(frozen=True)
class RegionRow:
    """One subprocessor that may touch a region's data, and what its law says of it."""

    sp: Public
    places: list[str]  # where the region's data goes: its locations, then its chain's
    safeguards: dict[str, list[tuple[str, list[str]]]]  # per language: (safeguard, places)


@dataclass(frozen=True)
class Residency:
    """A residency region, its transfer law, and the subprocessors that may touch its data."""

    key: str
    region: Region
    law: LawData
    rows: list[RegionRow]


def residency(in_use: list[Subprocessor], policy: Policy, today: dt.date, sections: list[Words]) -> list[Residency]:
    """Per residency region (policy order): the current entries with personal data whose
    `regions` include it, by name, with where they process that data (their chain
    included) and the law's verdict on each place, in each language."""
    languages = list(policy.languages)
    current = sorted((sp for sp in in_use if sp.personal_data), key=lambda s: (s.name.casefold(), s.id))
    out = []
    for key, region in policy.regions.items():
        rows = []
        for sp in current:
            if key not in laws.regions(sp, policy):
                continue
            judgement = laws.judge(sp, key, policy, today)
            rows.append(RegionRow(public.view(sp, today), list(dict.fromkeys(f.place for f in laws.flows(sp))),
                                  {s.lang: safeguards(judgement, s.lang, languages, s.t) for s in sections}))
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


def frameworks(policy: Policy) -> list[LawData]:
    """The laws the due diligence verifies: those of the residency regions, in policy
    order (the GDPR when no region names one)."""
    found = {law.id: law for law in (laws.law(policy.law(k)) for k in policy.regions) if law.id != "none"}
    return list(found.values()) or [laws.law("gdpr")]


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


def context(env: jinja2.Environment, policy: Policy, registry: Registry, today: dt.date,
            updated: dt.date, in_force: dict[str, Subprocessor] | None = None) -> dict[str, Any]:
    """What the page and Markdown templates are rendered from."""
    lst, in_use = listing(registry, today, in_force)
    languages = list(policy.languages)
    sections = words(env, languages)

    def chain_text(sp: Public, lang: str) -> str:
        """The entry's chain for readers: "Name (Country, Country); ..."."""
        return "; ".join(f"{m.name} ({envmod.country_names(list(m.locations), lang)})" for m in sp.subprocessors)

    contacts = [(key, value, https(value)) for key, value in policy.contacts.items()]
    return {
        "sections": sections,
        "company": policy.company,
        "updated": updated,
        "languages": languages,
        "pages": [(lang, language_name(lang), page_url(policy, lang)) for lang in languages],
        "days": policy.notice_period_days,
        "hours": policy.max_breach_notice_hours,
        "public_url": https(policy.public_url),
        "feed_url": feed_url(policy),
        "listing": lst,
        "personal_infrastructure": any(e.sp.personal_data for e in lst.tables["infrastructure"]),
        "frameworks": frameworks(policy),
        "regions": list(policy.regions.values()),
        "contacts": contacts,
        "objection_contact": policy.contacts.get("privacy") or contacts[0][1],
        "objection_process": policy.objection_process or {},
        "pick": lambda texts, lang: pick(texts, lang, languages),
        "residency": residency(in_use, policy, today, sections),
        "translate": lambda texts, lang: envmod.translation(texts, lang, languages)[0],
        "chain_text": chain_text,
    }


def as_json(lst: Listing, updated: dt.date) -> str:
    """SPEC 8: `{"updated", "subprocessors": [{"id", "status", ...public fields}]}`, by id;
    a current entry with an announced change has the values in force, plus `pending`:
    the change's dates and the public fields that change, with their new values."""
    items = []
    for e in lst.entries:
        item: dict[str, Any] = {"id": e.id, "status": e.status, **e.sp.as_json()}
        if e.pending is not None:
            notice = e.pending.notice
            item["pending"] = {"effective_on": notice.effective_on.isoformat(),
                               "announced_on": notice.announced_on.isoformat(), **e.pending.values}
        items.append(item)
    return json.dumps({"updated": updated.isoformat(), "subprocessors": items}, indent=2, ensure_ascii=False) + "\n"


def render(root: Path | None, policy: Policy, registry: Registry, today: dt.date, updated: dt.date,
           in_force: dict[str, Subprocessor] | None = None) -> dict[str, str | bytes]:
    """The pages (one per policy language), subprocessors.L.md per language, and
    subprocessors.json."""
    env = environment(root)
    ctx = context(env, policy, registry, today, updated, in_force)
    css, style_hash = _style(env)
    files: dict[str, str | bytes] = {}
    template = env.get_template("page.html.j2")
    for section in ctx["sections"]:
        files[page_file(section.lang, ctx["languages"])] = template.render(
            ctx, s=section, css=css, style_hash=style_hash)
    md = env.get_template("subprocessors.md.j2")
    for section in ctx["sections"]:
        files[f"subprocessors.{section.lang}.md"] = md.render(ctx, s=section)
    files["subprocessors.json"] = as_json(ctx["listing"], updated)
    return files
