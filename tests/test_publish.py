"""`subreg publish`: the public page, its Markdown and JSON, and the Atom feed, from real
registries in real git repositories, through the real CLI."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from conftest import POLICY, ROOT, Repo, dump, entry

HOSTILE = "New<img src=x onerror=alert(1)>Co"
ATOM = "{http://www.w3.org/2005/Atom}"
XHTML = "{http://www.w3.org/1999/xhtml}"
FILES = ["feed.xml", "index.html", "subprocessors.en.md", "subprocessors.fr.md", "subprocessors.json"]
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class Page(HTMLParser):
    """What the tests read from a page: each table's rows (cell texts, the row header
    first), the chain rows under entries (`chains`, by table), every element with its
    attributes, the text of each `lang` section, and structural errors (unclosed or
    misnested elements, duplicate ids)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict[str, str]]] = []
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.chains: dict[str, list[str]] = {}
        self._chain = False
        self.sections: dict[str, str] = {}
        self.errors: list[str] = []
        self.ids: set[str] = set()
        self.styles: list[str] = []
        self._cell: list[str] | None = None
        self.feed(html)
        self.close()
        if self.stack:
            self.errors.append(f"unclosed: {[t for t, _ in self.stack]}")

    def _open(self, tag: str) -> dict[str, str] | None:
        return next((a for t, a in reversed(self.stack) if t == tag), None)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.elements.append((tag, a))
        if "id" in a:
            if a["id"] in self.ids:
                self.errors.append(f"duplicate id {a['id']!r}")
            self.ids.add(a["id"])
        if tag in VOID:
            return
        self.stack.append((tag, a))
        table = self._open("table")
        if tag == "tr" and table is not None and self._open("tbody") is not None:
            self._chain = a.get("class") == "chain"
            if self._chain:  # an entry's chain, under its row: not a row of the table
                self.chains.setdefault(table.get("id", ""), []).append("")
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
            if self._chain:
                self.chains[table.get("id", "")][-1] = "".join(self._cell).strip()
            else:
                self.tables[table.get("id", "")][-1].append("".join(self._cell).strip())
            self._cell = None
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self.stack and self.stack[-1][0] == "style":
            self.styles.append(data)
        section = next((a for t, a in reversed(self.stack) if t == "section" and "lang" in a), None)
        if section is not None:
            self.sections[section["lang"]] = self.sections.get(section["lang"], "") + data

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
    return Page((out / "index.html").read_text(encoding="utf-8"))


def md_sections(text: str) -> dict[str, str]:
    """A Markdown file split at its `## ` headings."""
    parts = re.split(r"^## (.+)$", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def md_names(section: str) -> list[str]:
    """The first column of a Markdown table's body rows."""
    body = section.split("|---", 1)[1] if "|---" in section else ""
    return re.findall(r"^\| \*\*(.+?)\*\* \|", body, flags=re.M)


# -- this repository's own registry ---------------------------------------------------

# A day when every notice of this repository's registry is in force (the chains of five
# core entries were announced on 2026-12-01, effective on 2027-01-01).
OWN_TODAY = "2027-01-15"


def own_registry() -> dict[str, list[str]]:
    """Names by tier, read straight from registry/*.yaml."""
    tiers: dict[str, list[str]] = {}
    for path in sorted((ROOT / "registry").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        tiers.setdefault(data["tier"], []).append(data["name"])
    return {tier: sorted(names, key=str.casefold) for tier, names in tiers.items()}


def test_own_registry_lands_in_its_tables(run, own_repo: Repo, tmp_path: Path) -> None:
    out = tmp_path / "site"
    res = publish(run, own_repo.path, out, today=OWN_TODAY)
    assert "published 21 current and 0 upcoming subprocessors" in res.out
    assert sorted(p.name for p in out.iterdir()) == FILES
    expected = own_registry()
    assert {tier: len(names) for tier, names in expected.items()} == {
        "core": 10, "infrastructure": 4, "integration": 7}

    doc = page(out)
    assert doc.errors == []
    for lang in ("en", "fr"):
        for tier, names in expected.items():
            assert doc.names(f"{lang}-{tier}") == names, (lang, tier)
        assert f"{lang}-upcoming" not in doc.tables
    # locations are country names in the reader's language; the provider is the legal entity
    assert doc.row("en-core", "Amazon Web Services (AWS)")[1] == "United States, European Union, Canada"
    assert doc.row("fr-core", "Amazon Web Services (AWS)")[1] == "États-Unis, Union européenne, Canada"
    assert doc.row("fr-core", "Vercel, Inc.")[1] == "Mondial"
    assert doc.row("en-integration", "HubSpot") == [
        "HubSpot", "HubSpot, Inc.", "United States, European Union", "CRM synchronization", "Yes"]
    assert doc.row("fr-integration", "HubSpot")[4] == "Oui"
    assert doc.row("fr-infrastructure", "GitHub") == ["GitHub", "Dépôt code et CI/CD", "Aucune donnée client"]

    en = (out / "subprocessors.en.md").read_text(encoding="utf-8")
    fr = (out / "subprocessors.fr.md").read_text(encoding="utf-8")
    assert en.startswith("# Subprocessors List\n") and fr.startswith("# Liste des sous-traitants\n")
    for text, titles in ((en, ("Current Subprocessors", "Infrastructure Subprocessors", "Optional Integrations")),
                         (fr, ("Sous-traitants actuels", "Sous-traitants d'infrastructure", "Intégrations optionnelles"))):
        sections = md_sections(text)
        for title, tier in zip(titles, ("core", "infrastructure", "integration"), strict=True):
            unescaped = [re.sub(r"\\(.)", r"\1", n) for n in md_names(sections[title])]
            assert unescaped == expected[tier], title

    data = json.loads((out / "subprocessors.json").read_text(encoding="utf-8"))
    assert list(data) == ["updated", "subprocessors"]
    assert [e["id"] for e in data["subprocessors"]] == sorted(p.stem for p in (ROOT / "registry").glob("*.yaml"))
    assert {e["status"] for e in data["subprocessors"]} == {"current"}
    aws = next(e for e in data["subprocessors"] if e["id"] == "aws")
    raw = yaml.safe_load((ROOT / "registry/aws.yaml").read_text(encoding="utf-8"))
    assert aws["locations"] == raw["locations"] and aws["purpose"] == raw["purpose"]
    assert aws["legal_name"] == raw["legal_name"] and aws["opt_in"] is False
    assert [c["name"] for c in aws["certifications"]] == [c["name"] for c in raw["certifications"]]


def test_page_structure_and_accessibility(run, own_repo: Repo, tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish(run, own_repo.path, out, today=OWN_TODAY)
    html = (out / "index.html").read_text(encoding="utf-8")
    doc = Page(html)
    assert html.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    assert doc.errors == []
    assert doc.all("script") == [] and "<script" not in html.lower()
    assert {"name": "viewport", "content": "width=device-width, initial-scale=1"} in doc.all("meta")
    csp = next(m["content"] for m in doc.all("meta") if m.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "script-src" not in csp
    assert [s["lang"] for s in doc.all("section") if "lang" in s] == ["en", "fr"]
    # every table: column headers with scope=col, one row header with scope=row per row
    for table_id, rows in doc.tables.items():
        assert rows and all(len(r) == len(rows[0]) for r in rows), table_id
    assert {th.get("scope") for th in doc.all("th")} == {"col", "row"}
    assert sum(1 for th in doc.all("th") if th.get("scope") == "row") == sum(map(len, doc.tables.values()))
    assert sum(len(doc.tables[f"{lang}-{tier}"]) for lang in ("en", "fr")
               for tier in ("core", "infrastructure", "integration")) == 2 * 21
    # links: https only (e-mail contacts are text)
    hrefs = [a["href"] for a in doc.all("a")] + [x["href"] for x in doc.all("link")]
    assert hrefs and all(h.startswith("https://") for h in hrefs), hrefs
    assert "privacy@aisalesagent.com" in doc.sections.get("en", "") + html
    # the seed's sections, in each language
    for lang, titles in (("en", ["Overview", "Notification of Changes", "Current Subprocessors",
                                 "Data Residency Options", "Security Standards", "Due Diligence",
                                 "Your Rights"]),
                         ("fr", ["Aperçu", "Notification des changements", "Sous-traitants actuels",
                                 "Options de résidence des données", "Normes de sécurité",
                                 "Diligence raisonnable", "Vos droits"])):
        text = doc.sections[lang]
        positions = [text.index(t) for t in titles]
        assert positions == sorted(positions), lang
    assert "Primary data stored in EU-West (Frankfurt)" in doc.sections["en"]
    assert "Données primaires stockées Canada-Central (Montréal)" in doc.sections["fr"]
    assert "Verify GDPR/CCPA/PIPEDA compliance" in doc.sections["en"]
    assert "Vérifions conformité RGPD/CCPA/PIPEDA" in doc.sections["fr"]
    # "last updated" is the date of the last commit that changed the registry, per language
    assert re.search(r"Last updated: \d{1,2} [A-Z][a-z]+ \d{4}<", html)
    assert re.search(r"Dernière mise à jour : (?:1er|\d{1,2}) [a-zéû]+ \d{4}<", html)


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


# -- policy and status ----------------------------------------------------------------

def test_policy_commitments_come_from_the_policy(run, repo: Repo, tmp_path: Path) -> None:
    repo.policy(notice_period_days=45, max_breach_notice_hours=48)
    repo.put("acme")
    repo.commit("2026-03-02")
    out = tmp_path / "site"
    publish(run, repo.path, out)
    doc = page(out)
    en, fr = doc.sections["en"], doc.sections["fr"]
    assert "at least 45 days before adding any new subprocessor" in en
    assert "(45-day notice period)" in en and "within 48 hours" in en
    assert "au moins 45 jours avant d'ajouter" in fr
    assert "(préavis 45 jours)" in fr and "sous 48 heures" in fr
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "30 days" not in html and "30 jours" not in html and "72 h" not in html
    assert "Example Corp" in en and "Example Corp" in fr
    md_en = (out / "subprocessors.en.md").read_text(encoding="utf-8")
    md_fr = (out / "subprocessors.fr.md").read_text(encoding="utf-8")
    assert "at least 45 days" in md_en and "(45-day notice period)" in md_en
    assert "au moins 45 jours" in md_fr and "(préavis 45 jours)" in md_fr
    # last updated: the commit's date, in each language's way
    assert "Last updated: 2 March 2026" in html and "Dernière mise à jour : 2 mars 2026" in html
    assert "*Last updated: 2 March 2026*" in md_en
    assert json.loads((out / "subprocessors.json").read_text(encoding="utf-8"))["updated"] == "2026-03-02"


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
    assert "published 3 current and 1 upcoming subprocessors" in res.out
    doc = page(out)
    for lang in ("en", "fr"):
        assert doc.names(f"{lang}-core") == ["Acme Analytics", "Leaving Co", "Starts Today"]
        assert doc.names(f"{lang}-upcoming") == ["NewCo"]
    assert doc.row("en-upcoming", "NewCo")[1:] == [
        "Core", "Germany", "Product analytics", "Usage events", "15 January 2026"]
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
    assert data["subprocessors"][1]["retired_on"] == "2026-02-01"


def test_expired_certifications_are_not_claimed(run, repo: Repo, tmp_path: Path) -> None:
    repo.put("acme", certifications=[{"name": "ISO 27001", "expires_on": "2026-01-01"},
                                     {"name": "SOC 2 Type II", "expires_on": "2027-01-01"}])
    repo.commit("2025-11-01")
    out = tmp_path / "site"
    publish(run, repo.path, out, "2026-02-01")
    assert page(out).row("en-core", "Acme Analytics")[4] == "SOC 2 Type II"
    publish(run, repo.path, out, "2025-12-01")
    assert page(out).row("en-core", "Acme Analytics")[4] == "ISO 27001, SOC 2 Type II"


def test_missing_translation_falls_back_and_is_marked(run, repo: Repo, tmp_path: Path) -> None:
    repo.put("acme", purpose={"en": "Product analytics"})
    repo.commit("2025-11-01")
    out = tmp_path / "site"
    publish(run, repo.path, out)
    html = (out / "index.html").read_text(encoding="utf-8")
    fr = html[html.index('<section lang="fr"'):]
    assert '<td lang="en">Product analytics</td>' in fr
    assert page(out).row("fr-core", "Acme Analytics")[3] == "Événements d'usage"


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
    assert added.findtext(f"{ATOM}title") == f"Added: {HOSTILE} / Ajout : {HOSTILE}"
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
        "Removed: Delta / Suppression : Delta",
        "Retired: Gamma / Retrait : Gamma",
        "Changed: Acme Analytics / Modification : Acme Analytics",
        "Added: Epsilon / Ajout : Epsilon",
    ]
    assert [e.findtext(f"{ATOM}updated") for e in entries] == [
        "2025-04-15T12:00:00Z", "2025-04-01T12:00:00Z", "2025-03-01T12:00:00Z", "2025-02-01T12:00:00Z"]
    assert feed.findtext(f"{ATOM}updated") == "2025-04-15T12:00:00Z"
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == 4 and all(i and i.startswith("urn:uuid:") for i in ids)

    texts = ["".join(p.itertext()) for e in entries for p in e.iter(f"{XHTML}p")]
    assert texts[2] == "Gamma is no longer used from 1 May 2025."
    assert texts[3] == "Gamma n'est plus utilisé à partir du 1er mai 2025."
    assert texts[4].startswith("The entry of Acme Analytics changed: location. "
                               "Location: Germany, United States.")
    assert texts[4].endswith("Takes effect on 5 April 2025.")
    assert texts[7].endswith("Prend effet le 5 mars 2025.")
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
