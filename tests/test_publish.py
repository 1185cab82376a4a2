"""`subreg publish`: the public page, its Markdown and JSON, and the Atom feed, from real
registries in real git repositories, through the real CLI."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import shutil
import xml.etree.ElementTree as ET
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from conftest import POLICY, ROOT, Repo, dump, entry

HOSTILE = "New<img src=x onerror=alert(1)>Co"
ATOM = "{http://www.w3.org/2005/Atom}"
XHTML = "{http://www.w3.org/1999/xhtml}"
FILES = ["feed.xml", "index.fr.html", "index.html", "subprocessors.en.md", "subprocessors.fr.md", "subprocessors.json"]
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class Page(HTMLParser):
    """What the tests read from a page: its language (`<html lang>`), each table's rows
    (cell texts, the row header first), the rows under entries (`chains`: an entry's
    chain; `notes`: a pending change's note, by table), every element with its
    attributes, the text of the body by language, and structural errors (unclosed or
    misnested elements, duplicate ids)."""

    def __init__(self, html: str = "") -> None:
        super().__init__(convert_charrefs=True)
        self.lang = ""
        self.stack: list[tuple[str, dict[str, str]]] = []
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.chains: dict[str, list[str]] = {}
        self.notes: dict[str, list[str]] = {}
        self._row: dict[str, list[str]] | None = None
        self.sections: dict[str, str] = {}
        self.errors: list[str] = []
        self.ids: set[str] = set()
        self.styles: list[str] = []
        self._cell: list[str] | None = None
        if html:
            self.feed(html)
            self.close()
            if self.stack:
                self.errors.append(f"unclosed: {[t for t, _ in self.stack]}")

    @classmethod
    def site(cls, out: Path) -> Page:
        """Every language's page of a published folder, read as one: tables, rows and
        text of all of them (ids are language-prefixed, so they do not collide)."""
        merged = cls()
        for path in sorted(out.glob("index*.html")):
            one = cls(path.read_text(encoding="utf-8"))
            merged.errors += [f"{path.name}: {e}" for e in one.errors]
            merged.elements += one.elements
            for mine, theirs in ((merged.tables, one.tables), (merged.chains, one.chains),
                                 (merged.notes, one.notes), (merged.sections, one.sections)):
                mine.update(theirs)  # type: ignore[attr-defined]
            merged.styles += one.styles
        return merged

    def _open(self, tag: str) -> dict[str, str] | None:
        return next((a for t, a in reversed(self.stack) if t == tag), None)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.elements.append((tag, a))
        if tag == "html":
            self.lang = a.get("lang", "")
        if "id" in a:
            if a["id"] in self.ids:
                self.errors.append(f"duplicate id {a['id']!r}")
            self.ids.add(a["id"])
        if tag in VOID:
            return
        self.stack.append((tag, a))
        table = self._open("table")
        if tag == "tr" and table is not None and self._open("tbody") is not None:
            kind = a.get("class")
            self._row = {"chain": self.chains, "pending": self.notes}.get(kind or "")
            if self._row is not None:  # a row under an entry's row: not a row of the table
                self._row.setdefault(table.get("id", ""), []).append("")
            else:
                self.tables.setdefault(table.get("id", ""), []).append([])
        if tag in ("td", "th") and self._open("tbody") is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1][0] if self.stack else 'nothing'}")
            return
        if tag in ("td", "th") and self._cell is not None:
            table = self._open("table")
            assert table is not None
            if self._row is not None:
                self._row[table.get("id", "")][-1] = "".join(self._cell).strip()
            else:
                self.tables[table.get("id", "")][-1].append("".join(self._cell).strip())
            self._cell = None
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self.stack and self.stack[-1][0] == "style":
            self.styles.append(data)
        if self._open("body") is not None:
            self.sections[self.lang] = self.sections.get(self.lang, "") + data

    def names(self, table: str) -> list[str]:
        """The row headers (subprocessor names) of a table."""
        return [row[0] for row in self.tables.get(table, [])]

    def row(self, table: str, name: str) -> list[str]:
        return next(r for r in self.tables[table] if r[0] == name)

    def all(self, tag: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == tag]


def publish(run, repo_path: Path, out: Path, today: str = "2026-11-28"):
    res = run("--repo", repo_path, "--today", today, "publish", "--out", out)
    assert res.code == 0, res.err
    return res


def page(out: Path) -> Page:
    """Both language pages of a published folder (index.html and index.fr.html), as one."""
    return Page.site(out)


def md_sections(text: str) -> dict[str, str]:
    """A Markdown file split at its `## ` headings."""
    parts = re.split(r"^## (.+)$", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def md_names(section: str) -> list[str]:
    """The first column of a Markdown table's body rows."""
    body = section.split("|---", 1)[1] if "|---" in section else ""
    return re.findall(r"^\| \*\*(.+?)\*\* \|", body, flags=re.M)


# -- this repository's own registry ---------------------------------------------------

# The chains of five core entries were recorded on 2026-12-01 with a notice effective on
# 2027-01-01: from the announcement until then, the page shows them in force without
# their chains, and the chains under upcoming changes.
OWN_ANNOUNCED = "2026-12-01"
OWN_EFFECTIVE = "2027-01-01"
CHAINED = {"aws": "Amazon Web Services (AWS)", "intercom": "Intercom", "openai": "OpenAI, L.L.C.",
           "sendgrid": "Twilio SendGrid", "stripe": "Stripe, Inc."}


def own_registry() -> dict[str, list[str]]:
    """Names by tier, read straight from registry/*.yaml."""
    tiers: dict[str, list[str]] = {}
    for path in sorted((ROOT / "registry").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        tiers.setdefault(data["tier"], []).append(data["name"])
    return {tier: sorted(names, key=str.casefold) for tier, names in tiers.items()}


def own_history(tmp_path: Path) -> Repo:
    """This repository's registry, policies and checks with the history the page needs:
    the list as first published (2026-11-01), then the commit of 2026-12-01 that records
    five chains with their notice. The first commit holds those five entries as they
    were before (without the notice and the chain); the files are ours, the history is
    made here, so that tests do not depend on how CI cloned us."""
    repo = Repo(tmp_path / "own")
    shutil.rmtree(repo.path / "policies")
    shutil.copytree(ROOT / "policies", repo.path / "policies")
    shutil.copytree(ROOT / "checks", repo.path / "checks", ignore=shutil.ignore_patterns("__pycache__"))
    announced = []
    for path in sorted((ROOT / "registry").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
        if str((data.get("notice") or {}).get("announced_on")) == OWN_ANNOUNCED:
            announced.append(path.stem)
            data.pop("notice")
            data.pop("subprocessors", None)
            text = dump({k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in data.items()})
        repo.write(f"registry/{path.name}", text)
    assert announced == sorted(CHAINED)
    repo.commit("2026-11-01", "registry baseline")
    shutil.rmtree(repo.path / "registry")
    shutil.copytree(ROOT / "registry", repo.path / "registry")
    repo.commit(OWN_ANNOUNCED, "Record the chains of five core subprocessors")
    return repo


@pytest.fixture
def own(tmp_path: Path) -> Repo:
    return own_history(tmp_path)


@pytest.mark.parametrize("today", [OWN_ANNOUNCED, "2026-12-31"])
def test_own_registry_with_its_pending_chains(cli, own: Repo, tmp_path: Path, today: str) -> None:
    """From the announcement to the day before it takes effect: all 21 in their tables
    with the values in force, and the five chains under upcoming changes."""
    out = tmp_path / "site"
    res = publish(cli, own.path, out, today=today)
    assert "published 21 current and 0 upcoming subprocessors, 5 pending changes" in res.out
    assert sorted(p.name for p in out.iterdir()) == FILES
    expected = own_registry()
    assert {tier: len(names) for tier, names in expected.items()} == {"core": 10, "infrastructure": 4, "integration": 7}

    doc = page(out)
    assert doc.errors == []
    for lang in ("en", "fr"):
        for tier, names in expected.items():
            assert doc.names(f"{lang}-{tier}") == names, (lang, tier)
        # in force: no chain yet; each of the five says that a change is coming
        assert f"{lang}-core" not in doc.chains
        assert doc.names(f"{lang}-upcoming") == sorted(CHAINED.values(), key=str.casefold)
    assert doc.notes["en-core"] == ["A change to this subprocessor takes effect on 1 January 2027: "
                                    "see Upcoming Changes."] * 5
    assert doc.notes["fr-core"][0] == ("Un changement concernant ce sous-traitant ultérieur prendra effet "
                                       "le 1er janvier 2027 : voir « Changements à venir ».")
    assert doc.row("en-upcoming", "Amazon Web Services (AWS)") == [
        "Amazon Web Services (AWS)", "Change of its sub-processors", "Core", "United States, European Union, Canada",
        "Cloud infrastructure and data storage", "All customer data (encrypted)", "1 January 2027"]
    assert doc.row("fr-upcoming", "Stripe, Inc.")[1:3] == ["Modification : ses propres sous-traitants", "Principal"]
    assert doc.chains["en-upcoming"][0] == ("Its sub-processors: Amazon Web Services EMEA SARL (Luxembourg, Germany); "
                                            "Amazon Web Services Canada, Inc. (Quebec (Canada))")
    # the locations are country names in the reader's language; the provider is the legal entity
    assert doc.row("en-core", "Amazon Web Services (AWS)")[1] == "United States, European Union, Canada"
    assert doc.row("fr-core", "Amazon Web Services (AWS)")[1] == "États-Unis, Union européenne, Canada"
    assert doc.row("fr-core", "Vercel, Inc.")[1] == "Mondial"
    assert doc.row("en-integration", "HubSpot") == [
        "HubSpot", "HubSpot, Inc.", "United States, European Union", "CRM synchronization", "Yes"]
    assert doc.row("fr-integration", "HubSpot")[4] == "Oui"
    assert doc.row("fr-infrastructure", "GitHub") == ["GitHub", "Dépôt code et CI/CD", "Aucune donnée client"]

    en = (out / "subprocessors.en.md").read_text(encoding="utf-8")
    fr = (out / "subprocessors.fr.md").read_text(encoding="utf-8")
    assert en.startswith("# Subprocessors List\n") and fr.startswith("# Liste des sous-traitants ultérieurs\n")
    for text, titles in ((en, ("Current Subprocessors", "Infrastructure Subprocessors", "Optional Integrations",
                               "Upcoming Changes")),
                         (fr, ("Sous-traitants ultérieurs actuels", "Sous-traitants ultérieurs d'infrastructure",
                               "Intégrations facultatives", "Changements à venir"))):
        sections = md_sections(text)
        for title, tier in zip(titles, ("core", "infrastructure", "integration", "upcoming"), strict=True):
            unescaped = [re.sub(r"\\(.)", r"\1", n) for n in md_names(sections[title])]
            want = expected[tier] if tier != "upcoming" else sorted(CHAINED.values(), key=str.casefold)
            assert unescaped == want, title
    assert "| **Amazon Web Services \\(AWS\\)** | Change of its sub-processors | Core |" in en

    data = json.loads((out / "subprocessors.json").read_text(encoding="utf-8"))
    assert list(data) == ["updated", "subprocessors"] and data["updated"] == OWN_ANNOUNCED
    assert [e["id"] for e in data["subprocessors"]] == sorted(p.stem for p in (ROOT / "registry").glob("*.yaml"))
    assert {e["status"] for e in data["subprocessors"]} == {"current"}
    assert sorted(e["id"] for e in data["subprocessors"] if "pending" in e) == sorted(CHAINED)
    aws = next(e for e in data["subprocessors"] if e["id"] == "aws")
    raw = yaml.safe_load((ROOT / "registry/aws.yaml").read_text(encoding="utf-8"))
    assert aws["locations"] == raw["locations"] and aws["purpose"] == raw["purpose"]
    assert aws["legal_name"] == raw["legal_name"] and aws["opt_in"] is False
    assert aws["certifications"] == [{"name": c["name"]} for c in raw["certifications"]]
    assert aws["notice"] is None and aws["subprocessors"] == []  # in force: as first published
    assert aws["pending"] == {
        "effective_on": OWN_EFFECTIVE, "announced_on": OWN_ANNOUNCED,
        "subprocessors": [{"name": m["name"], "locations": m["locations"]} for m in raw["subprocessors"]]}


def test_own_registry_once_its_chains_are_in_force(run, own: Repo, tmp_path: Path) -> None:
    out = tmp_path / "site"
    res = publish(run, own.path, out, today=OWN_EFFECTIVE)
    assert "published 21 current and 0 upcoming subprocessors (last updated 2026-12-01)" in res.out
    doc = page(out)
    for lang in ("en", "fr"):
        for tier, names in own_registry().items():
            assert doc.names(f"{lang}-{tier}") == names, (lang, tier)
        assert f"{lang}-upcoming" not in doc.tables and f"{lang}-core" not in doc.notes
    assert len(doc.chains["en-core"]) == 5
    data = json.loads((out / "subprocessors.json").read_text(encoding="utf-8"))
    assert not any("pending" in e for e in data["subprocessors"])
    aws = next(e for e in data["subprocessors"] if e["id"] == "aws")
    assert aws["notice"] == {"announced_on": OWN_ANNOUNCED, "effective_on": OWN_EFFECTIVE}
    assert [m["name"] for m in aws["subprocessors"]] == ["Amazon Web Services EMEA SARL",
                                                          "Amazon Web Services Canada, Inc."]


def test_page_structure_and_accessibility(run, own: Repo, tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish(run, own.path, out, today=OWN_ANNOUNCED)
    pages = {"en": "index.html", "fr": "index.fr.html"}
    url = {"en": "https://aisalesagent.com/legal/subprocessors",
           "fr": "https://aisalesagent.com/legal/subprocessors/index.fr.html"}
    for lang, name in pages.items():
        html = (out / name).read_text(encoding="utf-8")
        doc = Page(html)
        assert html.startswith(f'<!DOCTYPE html>\n<html lang="{lang}">')
        assert doc.errors == [] and doc.lang == lang
        assert doc.all("script") == [] and "<script" not in html.lower()
        assert {"name": "viewport", "content": "width=device-width, initial-scale=1"} in doc.all("meta")
        csp = next(m["content"] for m in doc.all("meta") if m.get("http-equiv") == "Content-Security-Policy")
        assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "script-src" not in csp
        # the language switch comes first in the body, and names each language in itself
        body = [tag for tag, _ in doc.elements[[t for t, _ in doc.elements].index("body") + 1:]]
        assert body[:2] == ["nav", "ul"]
        nav = next(a for t, a in doc.elements if t == "nav")
        assert nav["aria-label"] == {"en": "Language", "fr": "Langue"}[lang]
        switch = [a for a in doc.all("a") if "hreflang" in a]
        assert [(a["hreflang"], a["lang"], a["href"]) for a in switch] == [
            ("en", "en", url["en"]), ("fr", "fr", url["fr"])]
        assert [a["hreflang"] for a in switch if a.get("aria-current") == "page"] == [lang]
        assert "English" in html and "Français" in html
        links = [(x.get("rel"), x.get("hreflang"), x["href"]) for x in doc.all("link")]
        assert ("canonical", None, url[lang]) in links
        assert [(h, u) for rel, h, u in links if h] == [("en", url["en"]), ("fr", url["fr"]), ("x-default", url["en"])]
        # headings: one h1, then h2 and h3 without skipping a level
        levels = [int(t[1]) for t, _ in doc.elements if re.fullmatch(r"h[1-6]", t)]
        assert levels[0] == 1 and levels.count(1) == 1
        assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels
        # every table: column headers with scope=col, one row header with scope=row per row
        for table_id, rows in doc.tables.items():
            assert rows and all(len(r) == len(rows[0]) for r in rows), table_id
        assert {th.get("scope") for th in doc.all("th")} == {"col", "row"}
        assert sum(1 for th in doc.all("th") if th.get("scope") == "row") == sum(map(len, doc.tables.values()))
        assert sum(len(doc.tables[f"{lang}-{tier}"]) for tier in ("core", "infrastructure", "integration")) == 21
        # links: https only (e-mail contacts are text)
        hrefs = [a["href"] for a in doc.all("a")] + [x["href"] for x in doc.all("link")]
        assert hrefs and all(h.startswith("https://") for h in hrefs), hrefs
        assert "privacy@aisalesagent.com" in doc.sections[lang]
    # the seed's sections, in each language
    site = page(out)
    region_names = {"en": ["United States", "European Union", "Canada"],
                    "fr": ["États-Unis", "Union européenne", "Canada"]}
    for lang, titles in (("en", ["Overview", "Notification of Changes", "How to Object", "Current Subprocessors",
                                 "Infrastructure Subprocessors", "Optional Integrations", "Upcoming Changes",
                                 "Data Residency Options", "Subprocessors by Data Residency Region",
                                 "Security Standards", "Due Diligence", "Your Rights", "Contact"]),
                         ("fr", ["Présentation", "Information préalable des clients",
                                 "Comment vous opposer à un changement", "Sous-traitants ultérieurs actuels",
                                 "Sous-traitants ultérieurs d'infrastructure", "Intégrations facultatives",
                                 "Changements à venir", "Localisation des données",
                                 "Sous-traitants ultérieurs par région d'hébergement", "Exigences de sécurité",
                                 "Vérifications préalables", "Vos droits", "Contact"])):
        html = (out / pages[lang]).read_text(encoding="utf-8")
        headings = {n: [unescape(h) for h in re.findall(rf"<h{n} [^>]*>([^<]*)</h{n}>", html)] for n in (2, 3)}
        assert headings[2] == titles[:2] + titles[3:], lang
        assert headings[3] == [titles[2], *region_names[lang]], lang
    en, fr = site.sections["en"], site.sections["fr"]
    assert "United States: Primary data stored in US-East (Virginia)" in en
    assert "Canada : données principales hébergées dans la région Canada-Central (Montréal)" in fr
    # the frameworks are the laws of the residency regions (policy order)
    assert "Verify its compliance with CCPA, GDPR, Québec P-39.1" in en
    assert "vérifions sa conformité aux réglementations applicables : CCPA, RGPD, P-39.1 (Québec) ;" in fr
    assert "Privacy team: privacy@aisalesagent.com" in en
    assert "Délégué à la protection des données (DPO) : dpo@aisalesagent.com" in fr
    assert ("To object to a new subprocessor or to an announced change, write to privacy@aisalesagent.com "
            "before the objection deadline given in our notice.\n"
            "If we cannot resolve your objection, you may terminate the affected service.") in en
    assert "vous pouvez résilier le service concerné." in fr
    # the French is written in the vocabulary of French GDPR practice, in whole sentences
    for words in ("sous-traitant ultérieur", "Finalité", "données à caractère personnel",
                  "nous notifie toute violation de données à caractère personnel dans un délai de 72 heures ;"):
        assert words in fr, words
    for telegraphic in ("Évaluons mesures protection données", "Effectuons évaluations risques",
                        "Demander informations sur mesures sécurité", "Objectif"):
        assert telegraphic not in fr, telegraphic
    # "last updated" is the date of the last commit that changed the registry, per language
    assert "Last updated: 1 December 2026" in en and "Dernière mise à jour : 1er décembre 2026" in fr


def _luminance(hex_color: str) -> float:
    channels = [int(hex_color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def test_text_colours_have_aa_contrast_on_every_background(run, own_repo: Repo, tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish(run, own_repo.path, out)
    css = "".join(page(out).styles)
    colours = re.findall(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{6})", css)
    backgrounds = re.findall(r"background(?:-color)?:\s*(#[0-9a-fA-F]{6})", css)
    assert colours and backgrounds
    for fg in colours:
        for bg in backgrounds:
            a, b = sorted((_luminance(fg), _luminance(bg)), reverse=True)
            assert (a + 0.05) / (b + 0.05) >= 4.5, (fg, bg)


def test_print_stylesheet(run, repo: Repo, tmp_path: Path) -> None:
    """Trust pages are printed and attached to vendor reviews: the print rules hide the
    switch, keep rows whole and tables within the page, and write each link's URL."""
    repo.put("acme")
    repo.commit("2025-01-01")
    out = tmp_path / "site"
    publish(run, repo.path, out)
    css = "".join(page(out).styles)
    printed = css[css.index("@media print"):]
    for rule in ("nav.languages { display: none; }", "thead { display: table-header-group; }",
                 "tr, th, td { break-inside: avoid;", ".scroll { overflow: visible; }", "table { min-width: 0;",
                 'a[href^="https://"]:not(.bare)::after { content: " <" attr(href) ">";'):
        assert rule in printed, rule


# -- policy and status ----------------------------------------------------------------

def test_policy_commitments_come_from_the_policy(run, repo: Repo, tmp_path: Path) -> None:
    repo.policy(notice_period_days=45, max_breach_notice_hours=48,
                contacts={"privacy": "privacy@example.com", "legal-team": "https://example.com/legal"})
    repo.put("acme")
    repo.commit("2026-03-02")
    out = tmp_path / "site"
    publish(run, repo.path, out)
    doc = page(out)
    en, fr = doc.sections["en"], doc.sections["fr"]
    assert "at least 45 days before we engage a new subprocessor" in en
    assert "(45-day notice period)" in en and "within 48 hours" in en
    assert "au moins 45 jours avant de faire appel à un nouveau sous-traitant ultérieur" in fr
    assert "(préavis de 45 jours)" in fr and "dans un délai de 48 heures" in fr
    for name in ("index.html", "index.fr.html"):
        html = (out / name).read_text(encoding="utf-8")
        assert "30 days" not in html and "30 jours" not in html and "72 h" not in html
    assert "Example Corp" in en and "Example Corp" in fr
    # contacts: the policy's, labelled in each language; a URL is a link
    assert "Privacy team: privacy@example.com" in en and "Legal team: https://example.com/legal" in en
    assert "Équipe protection des données : privacy@example.com" in fr
    assert {"class": "bare", "href": "https://example.com/legal"} in doc.all("a")
    # the frameworks: the laws of the regions (eu: gdpr by default; us: none)
    assert "Verify its compliance with GDPR" in en and "applicables : RGPD ;" in fr
    md_en = (out / "subprocessors.en.md").read_text(encoding="utf-8")
    md_fr = (out / "subprocessors.fr.md").read_text(encoding="utf-8")
    assert "at least 45 days" in md_en and "(45-day notice period)" in md_en
    assert "au moins 45 jours" in md_fr and "(préavis de 45 jours)" in md_fr
    assert "- **Legal team**: <https://example.com/legal>" in md_en
    assert "write to privacy@example.com before the objection deadline" in md_en
    # last updated: the commit's date, in each language's way
    assert "Last updated: 2 March 2026" in en and "Dernière mise à jour : 2 mars 2026" in fr
    assert "*Last updated: 2 March 2026*" in md_en
    assert json.loads((out / "subprocessors.json").read_text(encoding="utf-8"))["updated"] == "2026-03-02"


def test_no_public_url_links_the_pages_relatively(run, repo: Repo, tmp_path: Path) -> None:
    repo.put("acme")
    repo.commit("2025-01-01")
    out = tmp_path / "site"
    publish(run, repo.path, out)
    for name in ("index.html", "index.fr.html"):
        doc = Page((out / name).read_text(encoding="utf-8"))
        assert [(a["hreflang"], a["href"]) for a in doc.all("a") if "hreflang" in a] == [
            ("en", "index.html"), ("fr", "index.fr.html")]
        assert [x.get("rel") for x in doc.all("link")] == ["alternate"] * 3  # no canonical, no feed


def test_one_language_has_no_switch(run, repo: Repo, tmp_path: Path) -> None:
    repo.policy(languages=["fr"])
    repo.put("acme")
    repo.commit("2025-01-01")
    out = tmp_path / "site"
    publish(run, repo.path, out)
    assert sorted(p.name for p in out.iterdir()) == ["feed.xml", "index.html", "subprocessors.fr.md",
                                                      "subprocessors.json"]
    doc = Page((out / "index.html").read_text(encoding="utf-8"))
    assert doc.lang == "fr" and doc.all("nav") == [] and doc.all("link") == []
    assert doc.names("fr-core") == ["Acme Analytics"]


def test_a_language_subreg_does_not_ship(run, repo: Repo, tmp_path: Path) -> None:
    """Without words of its own, a policy language is written in English and marked so;
    the switch names it in itself."""
    repo.policy(languages=["en", "fr", "de"])
    repo.put("acme")
    repo.commit("2025-01-01")
    out = tmp_path / "site"
    publish(run, repo.path, out)
    html = (out / "index.de.html").read_text(encoding="utf-8")
    doc = Page(html)
    assert doc.lang == "de"
    assert '<h1 lang="en">Subprocessors List</h1>' in html and '<main id="de" lang="en">' in html
    assert [a["lang"] for a in doc.all("a") if "hreflang" in a] == ["en", "fr", "de"]
    assert ">Deutsch</a>" in html
    assert "Germany" not in doc.sections["de"] and "Deutschland" in doc.sections["de"]  # places in German


def test_upcoming_and_retired_entries(run, repo: Repo, tmp_path: Path) -> None:
    today = "2025-12-01"
    repo.put("acme")
    repo.put("newco", name="NewCo", legal_name="NewCo SAS",
             notice={"announced_on": "2025-11-01", "effective_on": "2026-01-15"})
    repo.put("starts-today", name="Starts Today", legal_name="Starts Today BV",
             notice={"announced_on": "2025-10-01", "effective_on": today})
    repo.put("oldco", name="OldCo Gone", legal_name="OldCo Ltd", retired_on=today)
    repo.put("leaving", name="Leaving Co", legal_name="Leaving Co AB", retired_on="2026-02-01")
    repo.commit("2025-11-01")
    out = tmp_path / "site"
    res = publish(run, repo.path, out, today)
    assert "published 3 current and 1 upcoming subprocessors (last" in res.out
    doc = page(out)
    for lang in ("en", "fr"):
        assert doc.names(f"{lang}-core") == ["Acme Analytics", "Leaving Co", "Starts Today"]
        assert doc.names(f"{lang}-upcoming") == ["NewCo"]
        assert f"{lang}-core" not in doc.notes
    assert doc.row("en-upcoming", "NewCo")[1:] == [
        "New subprocessor", "Core", "Germany", "Product analytics", "Usage events", "15 January 2026"]
    assert doc.row("fr-upcoming", "NewCo")[1] == "Nouveau sous-traitant ultérieur"
    assert doc.row("fr-upcoming", "NewCo")[-1] == "15 janvier 2026"
    assert "Leaving Co: 1 February 2026" in doc.sections["en"]
    assert "Leaving Co : 1er février 2026" in doc.sections["fr"]
    for name in FILES[1:]:
        assert "OldCo" not in (out / name).read_text(encoding="utf-8"), name
    md = md_sections((out / "subprocessors.en.md").read_text(encoding="utf-8"))
    assert md_names(md["Upcoming Changes"]) == ["NewCo"] and "| 15 January 2026 |" in md["Upcoming Changes"]
    assert md_names(md["Current Subprocessors"]) == ["Acme Analytics", "Leaving Co", "Starts Today"]
    data = json.loads((out / "subprocessors.json").read_text(encoding="utf-8"))
    assert [(e["id"], e["status"]) for e in data["subprocessors"]] == [
        ("acme", "current"), ("leaving", "current"), ("newco", "upcoming"), ("starts-today", "current")]
    newco = data["subprocessors"][2]
    assert newco["notice"] == {"announced_on": "2025-11-01", "effective_on": "2026-01-15"}
    assert "pending" not in newco
    assert data["subprocessors"][1]["retired_on"] == "2026-02-01"


def test_expired_certifications_are_not_claimed(run, repo: Repo, tmp_path: Path) -> None:
    repo.put("acme", certifications=[{"name": "ISO 27001", "expires_on": "2026-01-01"},
                                     {"name": "SOC 2 Type II", "expires_on": "2027-01-01"}])
    repo.commit("2025-11-01")
    out = tmp_path / "site"
    publish(run, repo.path, out, "2026-01-02")
    assert page(out).row("en-core", "Acme Analytics")[4] == "SOC 2 Type II"
    data = json.loads((out / "subprocessors.json").read_text(encoding="utf-8"))
    assert data["subprocessors"][0]["certifications"] == [{"name": "SOC 2 Type II"}]
    publish(run, repo.path, out, "2026-01-01")  # the day it expires: still valid
    assert page(out).row("en-core", "Acme Analytics")[4] == "ISO 27001, SOC 2 Type II"


def test_missing_translation_falls_back_and_is_marked(run, repo: Repo, tmp_path: Path) -> None:
    repo.put("acme", purpose={"en": "Product analytics"})
    repo.commit("2025-11-01")
    out = tmp_path / "site"
    publish(run, repo.path, out)
    fr = (out / "index.fr.html").read_text(encoding="utf-8")
    assert '<td lang="en">Product analytics</td>' in fr
    assert page(out).row("fr-core", "Acme Analytics")[3] == "Événements d'usage"


# -- texts derived from the data ------------------------------------------------------

INFRA = {"tier": "infrastructure", "personal_data": False, "locations": ["US"],
         "purpose": {"en": "Code hosting", "fr": "Hébergement du code"},
         "data_processed": {"en": "No customer data", "fr": "Aucune donnée client"}}


def test_infrastructure_without_personal_data_says_so(run, repo: Repo, tmp_path: Path) -> None:
    repo.put("acme")
    repo.put("forge", name="Forge", legal_name="Forge Inc.", **INFRA)
    repo.commit("2025-01-01")
    out = tmp_path / "site"
    publish(run, repo.path, out)
    doc = page(out)
    assert ("These subprocessors provide essential infrastructure but have limited or no access to "
            "personal data:") in doc.sections["en"]
    assert "n'ont qu'un accès limité, voire aucun accès, aux données à caractère personnel :" in doc.sections["fr"]
    assert doc.row("en-infrastructure", "Forge") == ["Forge", "Code hosting", "No customer data"]
    assert "Access to personal data" not in doc.sections["en"]


def test_infrastructure_with_personal_data_is_marked(run, repo: Repo, tmp_path: Path) -> None:
    repo.put("acme")
    repo.put("forge", name="Forge", legal_name="Forge Inc.", **INFRA)
    repo.put("logs", name="LogCo", legal_name="LogCo Ltd", **{
        **INFRA, "personal_data": True, "data_processed": {"en": "Request logs", "fr": "Journaux de requêtes"}})
    repo.commit("2025-01-01")
    out = tmp_path / "site"
    publish(run, repo.path, out)
    doc = page(out)
    assert "limited or no access to personal data:" not in doc.sections["en"]
    assert ("These subprocessors provide essential infrastructure. Those marked “Access to personal data” "
            "process personal data; the others have limited or no access to it:") in doc.sections["en"]
    assert "Ceux qui portent la mention « Accès à des données à caractère personnel »" in doc.sections["fr"]
    assert doc.row("en-infrastructure", "LogCo")[2] == "Access to personal data: Request logs"
    assert doc.row("en-infrastructure", "Forge")[2] == "No customer data"
    assert doc.row("fr-infrastructure", "LogCo")[2] == ("Accès à des données à caractère personnel : "
                                                        "Journaux de requêtes")
    md = md_sections((out / "subprocessors.en.md").read_text(encoding="utf-8"))["Infrastructure Subprocessors"]
    assert "Those marked “Access to personal data”" in md
    assert "| **LogCo** | Code hosting | **Access to personal data**: Request logs |" in md
    assert "| **Forge** | Code hosting | No customer data |" in md
    # and a region lists it: it touches personal data
    assert doc.names("en-region-eu") == ["Acme Analytics", "LogCo"]


def test_objection_process_from_the_policy(cli, repo: Repo, tmp_path: Path) -> None:
    repo.policy(objection_process={
        "en": "If we cannot address your objection, you may terminate the affected service without penalty.",
        "fr": "Si nous ne pouvons lever votre objection, vous pouvez résilier le service concerné sans pénalité."})
    repo.put("acme")
    repo.commit("2025-01-01")
    out = tmp_path / "site"
    publish(cli, repo.path, out)
    en = Page((out / "index.html").read_text(encoding="utf-8"))
    fr = Page((out / "index.fr.html").read_text(encoding="utf-8"))
    assert [p["class"] for p in en.all("p") if "class" in p] == ["updated", "objection-process"]
    assert "you may terminate the affected service without penalty." in en.sections["en"]
    assert "vous pouvez résilier le service concerné sans pénalité." in fr.sections["fr"]
    text = en.sections["en"]
    assert text.index("How to Object") < text.index("without penalty") < text.index("Current Subprocessors")
    md = (out / "subprocessors.fr.md").read_text(encoding="utf-8")
    assert ("### Comment vous opposer à un changement\n\nPour vous opposer à un nouveau sous-traitant ultérieur "
            "ou à un changement annoncé, écrivez-nous à privacy@example.com avant la date limite d'opposition "
            "indiquée dans notre notification.\n\nSi nous ne pouvons lever votre objection") in md


def test_objection_process_missing_a_language_falls_back(run, repo: Repo, tmp_path: Path) -> None:
    repo.policy(objection_process={"en": "You may terminate the <b>affected</b> service."})
    repo.put("acme")
    repo.commit("2025-01-01")
    out = tmp_path / "site"
    publish(run, repo.path, out)
    fr = (out / "index.fr.html").read_text(encoding="utf-8")
    assert ('<p class="objection-process" lang="en">You may terminate the &lt;b&gt;affected&lt;/b&gt; service.</p>'
            in fr)  # policy text is data: escaped, never markup
    md = (out / "subprocessors.fr.md").read_text(encoding="utf-8")
    assert "\n\nYou may terminate the \\<b\\>affected\\</b\\> service.\n" in md


def test_without_objection_process_nothing_is_invented(run, repo: Repo, tmp_path: Path) -> None:
    repo.put("acme")
    repo.commit("2025-01-01")
    out = tmp_path / "site"
    publish(run, repo.path, out)
    assert 'class="objection-process"' not in (out / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(("value", "message"), [
    ("terminate", "objection_process: Input should be a valid dictionary"),
    ({"EN": "x"}, "objection_process.EN.[key]: 'EN' is not a language code such as en or fr"),
    ({"en": "  "}, "objection_process.en: must not be empty"),
])
def test_objection_process_is_validated(run, repo: Repo, tmp_path: Path, value, message: str) -> None:
    repo.policy(objection_process=value)
    repo.put("acme")
    res = run("--repo", repo.path, "publish", "--out", tmp_path / "site")
    assert res.code == 2 and res.err.startswith("policies/policy.yaml:") and message in res.err, res.err
    assert not (tmp_path / "site").exists()


# -- pending changes ------------------------------------------------------------------

CHANGE = {"announced_on": "2025-03-01", "effective_on": "2025-04-01"}


def pending_repo(repo: Repo) -> None:
    """acme in use since 2025-01-01; on 2025-03-01 a notice announces it moves to the US
    too (and its DPA is renewed, an internal field), effective 2025-04-01."""
    repo.put("acme")
    repo.put("beta", name="Beta", legal_name="Beta SAS", locations=["FR"])
    repo.commit("2025-01-01")
    repo.put("acme", locations=["DE", "US"], transfer_mechanisms=["SCC", "DPF"], dpa_signed_on="2025-02-20",
             notice=CHANGE)
    repo.commit("2025-03-01")


@pytest.mark.parametrize("today", ["2025-03-01", "2025-03-31"])
def test_a_pending_change_keeps_the_values_in_force(cli, repo: Repo, tmp_path: Path, today: str) -> None:
    pending_repo(repo)
    out = tmp_path / "site"
    res = publish(cli, repo.path, out, today)
    assert "published 2 current and 0 upcoming subprocessors, 1 pending change (last" in res.out
    doc = page(out)
    assert doc.names("en-core") == ["Acme Analytics", "Beta"]
    assert doc.row("en-core", "Acme Analytics")[1] == "Germany"
    assert doc.notes["en-core"] == ["A change to this subprocessor takes effect on 1 April 2025: see Upcoming Changes."]
    assert doc.tables["en-upcoming"] == [["Acme Analytics", "Change of location, transfer safeguards", "Core",
                                          "Germany, United States", "Product analytics", "Usage events",
                                          "1 April 2025"]]
    assert doc.row("fr-upcoming", "Acme Analytics")[1] == "Modification : localisation, garanties de transfert"
    # the region lists show where the data goes today
    assert doc.tables["en-region-eu"][0] == ["Acme Analytics", "Germany", "No transfer"]
    data = json.loads((out / "subprocessors.json").read_text(encoding="utf-8"))
    acme = data["subprocessors"][0]
    assert acme["status"] == "current" and acme["locations"] == ["DE"] and acme["notice"] is None
    assert acme["transfer_mechanisms"] == ["SCC"]
    assert acme["pending"] == {"effective_on": "2025-04-01", "announced_on": "2025-03-01",
                               "locations": ["DE", "US"], "transfer_mechanisms": ["SCC", "DPF"]}
    md = (out / "subprocessors.en.md").read_text(encoding="utf-8")
    assert "| ↳ *A change to this subprocessor takes effect on 1 April 2025: see Upcoming Changes.* | | | | |" in md
    assert ("| **Acme Analytics** | Change of location, transfer safeguards | Core | Germany, United States |"
            in md_sections(md)["Upcoming Changes"])


def test_a_pending_change_takes_effect_on_its_day(run, repo: Repo, tmp_path: Path) -> None:
    pending_repo(repo)
    out = tmp_path / "site"
    res = publish(run, repo.path, out, "2025-04-01")
    assert "published 2 current and 0 upcoming subprocessors (last" in res.out
    doc = page(out)
    assert doc.row("en-core", "Acme Analytics")[1] == "Germany, United States"
    assert "en-upcoming" not in doc.tables and doc.notes == {}
    acme = json.loads((out / "subprocessors.json").read_text(encoding="utf-8"))["subprocessors"][0]
    assert acme["locations"] == ["DE", "US"] and acme["notice"] == CHANGE and "pending" not in acme


def test_the_day_before_its_announcement_was_committed(run, repo: Repo, tmp_path: Path) -> None:
    """The page shows the working tree: a notice already committed is pending from any
    day before its effective date, even before the commit (a rebuilt old page)."""
    pending_repo(repo)
    out = tmp_path / "site"
    publish(run, repo.path, out, "2025-02-28")
    assert page(out).tables["en-upcoming"][0][0] == "Acme Analytics"


def test_edits_of_a_pending_change_and_a_second_one(run, repo: Repo, tmp_path: Path) -> None:
    """Edits made under the same notice, and a later notice announced before the first
    took effect, all keep the version in force before the first."""
    pending_repo(repo)
    repo.put("acme", locations=["DE", "US"], transfer_mechanisms=["SCC", "DPF"], notice=CHANGE,
             purpose={"en": "Product analytics", "fr": "Analyse de produit"})
    repo.commit("2025-03-05")
    repo.put("acme", locations=["DE", "US", "IE"], transfer_mechanisms=["SCC", "DPF"],
             notice={"announced_on": "2025-03-10", "effective_on": "2025-04-15"},
             purpose={"en": "Product analytics", "fr": "Analyse de produit"})
    repo.commit("2025-03-10")
    out = tmp_path / "site"
    publish(run, repo.path, out, "2025-03-20")
    acme = json.loads((out / "subprocessors.json").read_text(encoding="utf-8"))["subprocessors"][0]
    assert acme["locations"] == ["DE"] and acme["purpose"]["fr"] == "Analyse produit"
    assert acme["pending"] == {"effective_on": "2025-04-15", "announced_on": "2025-03-10",
                               "locations": ["DE", "US", "IE"], "purpose": {"en": "Product analytics",
                                                                            "fr": "Analyse de produit"},
                               "transfer_mechanisms": ["SCC", "DPF"]}
    # once the first is in force, the second is pending on top of it
    publish(run, repo.path, out, "2025-04-02")
    acme = json.loads((out / "subprocessors.json").read_text(encoding="utf-8"))["subprocessors"][0]
    assert acme["locations"] == ["DE", "US"] and acme["purpose"]["fr"] == "Analyse de produit"
    assert acme["pending"] == {"effective_on": "2025-04-15", "announced_on": "2025-03-10", "locations": ["DE", "US", "IE"]}


def test_a_pending_change_of_tier_stays_in_the_table_in_force(run, repo: Repo, tmp_path: Path) -> None:
    repo.put("acme")
    repo.commit("2025-01-01")
    repo.put("acme", tier="infrastructure", notice=CHANGE)
    repo.commit("2025-03-01")
    out = tmp_path / "site"
    publish(run, repo.path, out, "2025-03-15")
    doc = page(out)
    assert doc.names("en-core") == ["Acme Analytics"] and doc.names("en-infrastructure") == ["None."]
    assert doc.row("en-upcoming", "Acme Analytics")[1:3] == ["Change of category", "Infrastructure"]


def test_a_pending_change_found_across_a_rename(run, repo: Repo, tmp_path: Path) -> None:
    repo.put("acme")
    repo.commit("2025-01-01")
    repo.remove("registry/acme.yaml")
    repo.put("acme-gmbh", locations=["DE", "AT"], notice=CHANGE)
    repo.commit("2025-03-01")
    out = tmp_path / "site"
    publish(run, repo.path, out, "2025-03-15")
    [item] = json.loads((out / "subprocessors.json").read_text(encoding="utf-8"))["subprocessors"]
    assert item["id"] == "acme-gmbh" and item["status"] == "current" and item["locations"] == ["DE"]
    assert item["pending"]["locations"] == ["DE", "AT"]


def test_a_pending_change_in_the_working_tree(run, repo: Repo, tmp_path: Path) -> None:
    """Not committed yet (a pull request's preview): in force is the last commit's."""
    repo.put("acme")
    repo.commit("2025-01-01")
    repo.put("acme", locations=["DE", "US"], notice=CHANGE)
    out = tmp_path / "site"
    publish(run, repo.path, out, "2025-03-15")
    acme = json.loads((out / "subprocessors.json").read_text(encoding="utf-8"))["subprocessors"][0]
    assert acme["locations"] == ["DE"] and acme["pending"]["locations"] == ["DE", "US"]


@pytest.mark.parametrize("back", ["retired", "removed"])
def test_an_entry_brought_back_is_upcoming(run, repo: Repo, tmp_path: Path, back: str) -> None:
    """SPEC 4: bringing back a retired (or removed) entry is an addition: not in force."""
    repo.put("acme")
    repo.commit("2024-06-01")
    if back == "retired":
        repo.put("acme", retired_on="2024-12-01")
    else:
        repo.remove("registry/acme.yaml")
    repo.commit("2024-11-01")
    repo.put("acme", notice=CHANGE)
    repo.commit("2025-03-01")
    out = tmp_path / "site"
    res = publish(run, repo.path, out, "2025-03-15")
    assert "published 0 current and 1 upcoming subprocessors (last" in res.out
    doc = page(out)
    assert doc.names("en-core") == ["None."] and doc.row("en-upcoming", "Acme Analytics")[1] == "New subprocessor"
    [item] = json.loads((out / "subprocessors.json").read_text(encoding="utf-8"))["subprocessors"]
    assert item["status"] == "upcoming" and "pending" not in item


def test_a_pending_change_of_internal_fields_only(run, repo: Repo, tmp_path: Path) -> None:
    repo.put("acme")
    repo.commit("2025-01-01")
    repo.put("acme", dpa_signed_on="2025-02-20", notice=CHANGE)
    repo.commit("2025-03-01")
    out = tmp_path / "site"
    publish(run, repo.path, out, "2025-03-15")
    assert page(out).row("en-upcoming", "Acme Analytics")[1] == "Change announced in our notice"
    acme = json.loads((out / "subprocessors.json").read_text(encoding="utf-8"))["subprocessors"][0]
    assert acme["pending"] == {"effective_on": "2025-04-01", "announced_on": "2025-03-01"}


# -- untrusted text -------------------------------------------------------------------

def test_hostile_name_is_escaped_everywhere(run, repo: Repo, tmp_path: Path) -> None:
    repo.put("acme")
    repo.commit("2025-01-01")
    repo.put("newco", name=HOSTILE, legal_name="NewCo & <Partners>", website="https://newco.example/?a=1&b=2",
             purpose={"en": "Analytics | \"quoted\" `code`", "fr": "Analyse ]]> & co"})
    repo.commit("2025-02-01")
    out = tmp_path / "site"
    publish(run, repo.path, out)

    html = (out / "index.html").read_text(encoding="utf-8")
    assert "<img" not in html and "New&lt;img src=x onerror=alert(1)&gt;Co" in html
    doc = Page(html)
    assert doc.errors == []
    assert doc.all("img") == [] and doc.all("script") == []
    assert doc.names("en-core") == ["Acme Analytics", HOSTILE]
    assert doc.row("en-core", HOSTILE)[2] == "Analytics | \"quoted\" `code`"
    assert {"href": "https://newco.example/?a=1&b=2"} in doc.all("a")

    for lang in ("en", "fr"):
        md = (out / f"subprocessors.{lang}.md").read_text(encoding="utf-8")
        assert not re.search(r"(?<!\\)<img", md)
        assert r"**New\<img src=x onerror=alert\(1\)\>Co**" in md
        row = next(line for line in md.splitlines() if "onerror" in line)
        assert row.count(" | ") == 4  # the pipe in the purpose does not add a column
    data = json.loads((out / "subprocessors.json").read_text(encoding="utf-8"))
    assert data["subprocessors"][1]["name"] == HOSTILE

    raw = (out / "feed.xml").read_text(encoding="utf-8")
    assert "<img" not in raw
    feed = ET.fromstring(raw)
    (added,) = feed.findall(f"{ATOM}entry")
    assert added.findtext(f"{ATOM}title") == f"Added: {HOSTILE} / Nouveau sous-traitant ultérieur : {HOSTILE}"
    paragraphs = added.findall(f"{ATOM}content/{XHTML}div/{XHTML}p")
    assert HOSTILE in paragraphs[0].text and "Analyse ]]> & co" in paragraphs[1].text


# -- the feed -------------------------------------------------------------------------

def history_repo(repo: Repo) -> dict[str, str]:
    """A registry with one change of each kind, a commit a month; returns shas by step."""
    shas = {}
    repo.put("acme")
    repo.put("beta", name="Beta", legal_name="Beta SAS")
    repo.put("gamma", name="Gamma", legal_name="Gamma Ltd")
    repo.put("delta", name="Delta", legal_name="Delta BV")
    shas["baseline"] = repo.commit("2025-01-01")
    repo.put("epsilon", name="Epsilon", legal_name="Epsilon Oy",
             notice={"announced_on": "2025-02-01", "effective_on": "2025-03-05"})
    shas["added"] = repo.commit("2025-02-01")
    repo.put("acme", locations=["DE", "US"],
             notice={"announced_on": "2025-03-01", "effective_on": "2025-04-05"})
    shas["changed"] = repo.commit("2025-03-01")
    repo.put("beta", name="Beta", legal_name="Beta SAS", website="https://beta.example")
    shas["not-material"] = repo.commit("2025-03-10")
    repo.put("gamma", name="Gamma", legal_name="Gamma Ltd", retired_on="2025-05-01")
    shas["retired"] = repo.commit("2025-04-01")
    repo.remove("registry/delta.yaml")
    shas["removed"] = repo.commit("2025-04-15")
    repo.remove("registry/beta.yaml")
    repo.put("beta-sas", name="Beta", legal_name="Beta SAS", website="https://beta.example")
    repo.remove("registry/gamma.yaml")  # already retired: announced when it retired
    shas["renamed"] = repo.commit("2025-05-02")
    repo.write("README.md", "not the registry\n")
    shas["other"] = repo.commit("2025-06-01")
    return shas


def feed_entries(out: Path) -> tuple[ET.Element, list[ET.Element]]:
    feed = ET.parse(out / "feed.xml").getroot()
    return feed, feed.findall(f"{ATOM}entry")


RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def check_atom(feed: ET.Element) -> None:
    """The elements RFC 4287 requires of a feed and of its entries."""
    assert feed.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated"):
        assert len(feed.findall(f"{ATOM}{tag}")) == 1, tag
    assert RFC3339.fullmatch(feed.findtext(f"{ATOM}updated") or "")
    assert feed.findtext(f"{ATOM}author/{ATOM}name")  # entries carry none of their own
    for e in feed.findall(f"{ATOM}entry"):
        for tag in ("id", "title", "updated"):
            assert len(e.findall(f"{ATOM}{tag}")) == 1, tag
        assert RFC3339.fullmatch(e.findtext(f"{ATOM}updated") or "")
        content = e.find(f"{ATOM}content")
        assert content is not None or e.find(f"{ATOM}link[@rel='alternate']") is not None
        if content is not None and content.get("type") == "xhtml":
            assert [c.tag for c in content] == [f"{XHTML}div"]


def test_feed_from_history(run, repo: Repo, tmp_path: Path) -> None:
    history_repo(repo)
    out = tmp_path / "one"
    res = publish(run, repo.path, out)
    assert "and 4 feed entries" in res.out
    feed, entries = feed_entries(out)
    check_atom(feed)
    assert [e.findtext(f"{ATOM}title") for e in entries] == [
        "Removed: Delta / Retrait : Delta",
        "Retired: Gamma / Fin du recours : Gamma",
        "Changed: Acme Analytics / Modification : Acme Analytics",
        "Added: Epsilon / Nouveau sous-traitant ultérieur : Epsilon",
    ]
    assert [e.findtext(f"{ATOM}updated") for e in entries] == [
        "2025-04-15T12:00:00Z", "2025-04-01T12:00:00Z", "2025-03-01T12:00:00Z", "2025-02-01T12:00:00Z"]
    assert feed.findtext(f"{ATOM}updated") == "2025-04-15T12:00:00Z"
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == 4 and all(i and i.startswith("urn:uuid:") for i in ids)

    texts = ["".join(p.itertext()) for e in entries for p in e.iter(f"{XHTML}p")]
    assert texts[2] == "We stop using Gamma from 1 May 2025."
    assert texts[3] == "Nous cessons de faire appel à Gamma à compter du 1er mai 2025."
    assert texts[4].startswith("Change to Acme Analytics: location. Location: Germany, United States.")
    assert texts[4].endswith("Takes effect on 5 April 2025.")
    assert texts[5].startswith("Modification concernant Acme Analytics : localisation. Localisation : "
                               "Allemagne, États-Unis. Finalité : Analyse produit.")
    assert texts[7].endswith("Prise d'effet le 5 mars 2025.")
    langs = [p.get("{http://www.w3.org/XML/1998/namespace}lang") for p in entries[0].iter(f"{XHTML}p")]
    assert langs == ["en", "fr"]
    # no public_url: the feed links nowhere, and says so by content alone
    assert feed.find(f"{ATOM}link") is None

    # "last updated" is the last commit that changed the registry (the rename), not the
    # feed's newest entry nor a later commit elsewhere
    assert "Last updated: 2 May 2025" in (out / "index.html").read_text(encoding="utf-8")

    # ids survive a second run and a policy edit (a public_url now)
    repo.policy(public_url="https://example.com/legal/subprocessors")
    repo.commit("2025-07-01")
    again = tmp_path / "two"
    publish(run, repo.path, again)
    feed2, entries2 = feed_entries(again)
    check_atom(feed2)
    assert [e.findtext(f"{ATOM}id") for e in entries2] == ids
    assert feed2.findtext(f"{ATOM}id") == feed.findtext(f"{ATOM}id")
    self_link = feed2.find(f"{ATOM}link[@rel='self']")
    assert self_link is not None and self_link.get("href") == "https://example.com/legal/subprocessors/feed.xml"
    for e in entries2:
        link = e.find(f"{ATOM}link[@rel='alternate']")
        assert link is not None and link.get("href") == "https://example.com/legal/subprocessors"
    html = (again / "index.html").read_text(encoding="utf-8")
    assert '<link rel="alternate" type="application/atom+xml" href="https://example.com/legal/subprocessors/feed.xml">' in html


def test_outputs_are_byte_identical(run, repo: Repo, tmp_path: Path) -> None:
    history_repo(repo)
    repo.policy(public_url="https://example.com/subprocessors.html")
    first, second = tmp_path / "first", tmp_path / "second"
    publish(run, repo.path, first, "2025-04-20")
    publish(run, repo.path, second, "2025-04-20")
    assert sorted(p.name for p in first.iterdir()) == FILES  # no staging left behind
    for name in FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    # a file URL: the feed sits beside it
    assert "https://example.com/feed.xml" in (first / "feed.xml").read_text(encoding="utf-8")


# -- without history, and bad input ---------------------------------------------------

def test_without_git_the_feed_is_empty_and_today_is_last_updated(run, tmp_path: Path) -> None:
    folder = tmp_path / "plain"  # a compliance repo that is not a git repository
    (folder / "policies").mkdir(parents=True)
    (folder / "registry").mkdir()
    (folder / "policies/policy.yaml").write_text(dump(POLICY), encoding="utf-8")
    (folder / "registry/acme.yaml").write_text(dump(entry()), encoding="utf-8")
    out = tmp_path / "site"
    res = publish(run, folder, out, "2026-11-28")
    assert "and 0 feed entries" in res.out
    feed, entries = feed_entries(out)
    check_atom(feed)
    assert entries == [] and feed.findtext(f"{ATOM}updated") == "2026-11-28T00:00:00Z"
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "Last updated: 28 November 2026" in html and page(out).names("en-core") == ["Acme Analytics"]


def test_repo_without_commits(run, repo: Repo, tmp_path: Path) -> None:
    repo.put("acme")
    out = tmp_path / "site"
    publish(run, repo.path, out, "2026-01-05")
    _feed, entries = feed_entries(out)
    assert entries == []
    assert json.loads((out / "subprocessors.json").read_text(encoding="utf-8"))["updated"] == "2026-01-05"


def test_broken_registry_writes_nothing(run, repo: Repo, tmp_path: Path) -> None:
    repo.put("acme")
    repo.commit("2025-01-01")
    repo.write("registry/broken.yaml", "name: [unclosed\n")
    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text("previous page\n", encoding="utf-8")
    res = run("--repo", repo.path, "publish", "--out", out)
    assert res.code == 2
    assert "registry/broken.yaml" in res.err and "Traceback" not in res.err
    assert [p.name for p in out.iterdir()] == ["index.html"]
    assert (out / "index.html").read_text(encoding="utf-8") == "previous page\n"


def test_invalid_entry_in_history_is_a_warning_and_no_false_change(run, repo: Repo, tmp_path: Path) -> None:
    """An invalid file in an old commit can no longer be fixed: warned about, and it does
    not read as a removal then an addition in the feed."""
    repo.put("acme")
    repo.commit("2025-01-01")
    repo.put("acme", tier="platinum")
    bad = repo.commit("2025-02-01")
    repo.put("acme")
    repo.commit("2025-03-01")
    out = tmp_path / "site"
    res = run("--repo", repo.path, "publish", "--out", out)
    assert res.code == 0
    assert res.err.startswith(f"warning: {bad[:12]}:registry/acme.yaml:") and "tier" in res.err
    assert "and 0 feed entries" in res.out
    assert "<entry>" not in (out / "feed.xml").read_text()


@pytest.mark.parametrize("value", ["http://insecure.example", "javascript:alert(1)"])
def test_non_https_links_are_refused(run, repo: Repo, tmp_path: Path, value: str) -> None:
    repo.put("acme", website=value)
    res = run("--repo", repo.path, "publish", "--out", tmp_path / "site")
    assert res.code == 2 and "https" in res.err
    assert not (tmp_path / "site").exists()



def test_shallow_clone_is_refused(run, repo: Repo, tmp_path: Path) -> None:
    """The feed needs the registry's whole history: a shallow clone would lose entries."""
    repo.put("acme")
    repo.commit("2025-01-01")
    repo.put("beta", name="Beta", legal_name="Beta SAS")
    repo.commit("2025-02-01")
    clone = tmp_path / "clone"
    repo.git("clone", "-q", "--depth", "1", repo.path.as_uri(), str(clone))
    res = run("--repo", clone, "publish", "--out", tmp_path / "site")
    assert res.code == 2 and "fetch-depth: 0" in res.err
    assert not (tmp_path / "site").exists()


# -- the company's own wording ----------------------------------------------------------

def readme_words() -> str:
    """The README's example of a page_strings.j2 override (its ```jinja block)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## The public page"):]
    return section.split("```jinja\n", 1)[1].split("```", 1)[0]


def test_the_readme_override_changes_only_its_words(cli, repo: Repo, tmp_path: Path) -> None:
    repo.put("acme")
    repo.write("templates/page_strings.j2", readme_words())
    repo.commit("2025-01-01")
    out = tmp_path / "site"
    publish(cli, repo.path, out)
    en, fr = (out / "index.html").read_text(encoding="utf-8"), (out / "index.fr.html").read_text(encoding="utf-8")
    assert '<h2 id="en-overview-title">About this list</h2>' in en
    assert '<h2 id="fr-overview-title">À propos de cette liste</h2>' in fr
    assert '<h2 id="en-changes-title">Notification of Changes</h2>' in en  # the others: subreg's
    assert "## About this list" in (out / "subprocessors.en.md").read_text(encoding="utf-8")


def test_a_language_given_whole_by_the_company(run, repo: Repo, tmp_path: Path) -> None:
    from subreg.render import words

    german = {**words.defaults()["en"], "title": "Liste der Unterauftragsverarbeiter",
              "last_updated": "Zuletzt aktualisiert: %(date)s"}
    repo.policy(languages=["de", "en"])
    repo.put("acme", purpose={"de": "Produktanalyse", "en": "Product analytics"},
             data_processed={"de": "Nutzungsereignisse", "en": "Usage events"})
    repo.write("templates/page_strings.j2", "{% set strings = " + json.dumps({"de": german}, ensure_ascii=False)
               + " %}\n")
    repo.commit("2025-03-05")
    out = tmp_path / "site"
    publish(run, repo.path, out)
    html = (out / "index.html").read_text(encoding="utf-8")
    assert html.startswith('<!DOCTYPE html>\n<html lang="de">')
    assert "<h1>Liste der Unterauftragsverarbeiter</h1>" in html and "Zuletzt aktualisiert: 5 März 2025" in html
    assert '<main id="de">' in html and Page(html).row("de-core", "Acme Analytics")[1:3] == [
        "Deutschland", "Produktanalyse"]
    assert (out / "index.en.html").is_file()


def test_a_change_of_internal_fields_is_not_in_the_feed(run, repo: Repo, tmp_path: Path) -> None:
    repo.policy(material_fields=["locations", "dpa_signed_on", "security"])
    repo.put("acme")
    repo.commit("2025-01-01")
    repo.put("acme", dpa_signed_on="2025-01-20", notice={"announced_on": "2025-02-01", "effective_on": "2025-03-05"})
    repo.commit("2025-02-01")
    repo.put("acme", dpa_signed_on="2025-02-20", locations=["DE", "FR"],
             notice={"announced_on": "2025-03-01", "effective_on": "2025-04-05"})
    repo.commit("2025-03-01")
    out = tmp_path / "site"
    res = publish(run, repo.path, out, "2025-05-01")
    assert "and 1 feed entry to" in res.out
    _feed, entries = feed_entries(out)
    [text] = ["".join(p.itertext()) for p in entries[0].iter(f"{XHTML}p")][:1]
    assert text.startswith("Change to Acme Analytics: location. Location: Germany, France.")
