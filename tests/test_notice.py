"""`subreg notice`: customer-notice drafts, parsed back the way their readers read them."""

from __future__ import annotations

import json
import re
from email import policy as email_policy
from email.message import EmailMessage
from email.parser import BytesParser
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from conftest import Repo
from subreg.render.notice import header_safe

FILES = {"notice.json", *(f"notice.{lang}.{ext}" for lang in ("en", "fr")
                          for ext in ("md", "html", "eml"))}
HEADERS = ["From", "To", "Subject", "Date", "Message-ID", "X-Unsent", "MIME-Version",
           "Content-Type", "Content-Language"]
HOSTILE = "Evil <script>alert(1)</script> | =?UTF-8?Q?=0A?=Bcc: x@evil.test"


def notice(announced: str, effective: str) -> dict[str, str]:
    return {"announced_on": announced, "effective_on": effective}


def draft(run, repo: Repo, out: Path, *args: str, today: str = "2025-06-01") -> dict[str, Any]:
    res = run("--repo", repo.path, "--today", today, "notice", "--out", out, *args)
    assert res.code == 0, res.err
    assert {p.name for p in out.iterdir()} == FILES
    assert "notice.en.eml" in res.out
    doc: dict[str, Any] = json.loads((out / "notice.json").read_text("utf-8"))
    return doc


def md_table(text: str, heading: str) -> list[list[str]]:
    """The data rows of the Markdown table under `## heading`, cells unescaped."""
    lines = text.split("\n")
    start = lines.index(f"## {heading}") + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = re.split(r"(?<!\\)\|", line)[1:-1]
        rows.append([re.sub(r"\\(.)", r"\1", c.strip()).replace("\u200b", "") for c in cells])
    assert rows[1] == ["---"] * len(rows[0])
    return rows[2:]


class Page(HTMLParser):
    """Tags, text, and the tables of an HTML draft by the heading above them."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text = ""
        self.tables: dict[str, list[list[str]]] = {}
        self.heading = ""
        self._in: str | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "h2":
            self.heading, self._in = "", "h2"
        elif tag == "table":
            self.tables[self.heading] = []
        elif tag == "tr":
            self.tables[self.heading].append([])
        elif tag in ("td", "th"):
            self.tables[self.heading][-1].append("")
            self._in = "cell"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h2", "td", "th"):
            self._in = None

    def handle_data(self, data: str) -> None:
        self.text += data
        if self._in == "h2":
            self.heading += data
        elif self._in == "cell":
            self.tables[self.heading][-1][-1] += data

    def rows(self, heading: str) -> list[list[str]]:
        return self.tables[heading][1:]


def page(out: Path, lang: str) -> Page:
    return Page((out / f"notice.{lang}.html").read_text("utf-8"))


def mail(out: Path, lang: str) -> EmailMessage:
    raw = (out / f"notice.{lang}.eml").read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    _, body = raw.split(b"\r\n\r\n", 1)
    assert max(len(line) for line in body.split(b"\r\n")) <= 76  # RFC 2045
    msg = BytesParser(policy=email_policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    assert msg.keys() == HEADERS, msg.keys()
    assert msg.defects == []
    assert msg["From"] == "Example Corp <privacy@example.com>"
    assert msg["To"] == "customers@example.invalid"
    assert msg["Content-Language"] == lang
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    html = msg.get_body(("html",))
    assert html is not None
    assert html.get_content().replace("\r\n", "\n") == (out / f"notice.{lang}.html").read_text("utf-8")
    return msg


def text_part(msg: EmailMessage) -> str:
    body = msg.get_body(("plain",))
    assert body is not None
    return str(body.get_content()).replace("\r\n", "\n")


@pytest.fixture
def based(repo: Repo) -> Repo:
    """A repo whose first commit (the baseline) holds two entries."""
    repo.put("acme")
    repo.put("beta", name="Beta", legal_name="Beta SAS", locations=["FR"])
    repo.commit("2025-01-01", "baseline")
    return repo


# -- what each kind of change looks like ------------------------------------------------

def test_addition(run, based: Repo, tmp_path: Path) -> None:
    based.put("post", name="Postmark", legal_name="ActiveCampaign, LLC", locations=["IN", "EU"],
              certifications=[{"name": "SOC 2 Type II"}, {"name": "ISO 27001"}],
              transfer_mechanisms=["SCC", "DPF"], notice=notice("2025-03-05", "2025-04-10"),
              purpose={"en": "Transactional e-mail", "fr": "E-mails transactionnels"},
              data_processed={"en": "E-mail addresses", "fr": "Adresses e-mail"},
              subprocessors=[{"name": "AWS", "legal_name": "Amazon Web Services, Inc.",
                              "address": "410 Terry Ave N, Seattle, WA 98109, United States",
                              "contact": "aws-privacy@amazon.example", "locations": ["US", "IE"]}])
    out = tmp_path / "out"
    doc = draft(run, based, out)
    assert (doc["announced_on"], doc["effective_on"], doc["objection_deadline"]) == (
        "2025-03-05", "2025-04-10", "2025-04-04")
    assert doc["changed"] == [] and doc["removed"] == []
    [item] = doc["added"]
    assert item["id"] == "post" and item["replaces"] is None
    assert item["locations"] == ["IN", "EU"] and item["transfer_mechanisms"] == ["SCC", "DPF"]
    # the chain, as customers see it: names and locations only
    assert item["subprocessors"] == [{"name": "AWS", "locations": ["US", "IE"]}]

    en_md = (out / "notice.en.md").read_text("utf-8")
    assert md_table(en_md, "New subprocessors") == [[
        "Postmark", "ActiveCampaign, LLC", "Transactional e-mail", "E-mail addresses",
        "India, European Union", "SOC 2 Type II, ISO 27001", "India: SCC; United States: SCC, DPF",
        "AWS (United States, Ireland)", "10 April 2025", "4 April 2025", "—"]]
    assert "- **Date of this notice:** 5 March 2025" in en_md
    assert "- **Objection deadline:** 4 April 2025" in en_md
    assert "until **4 April 2025**" in en_md and "<privacy@example.com>" in en_md
    fr_md = (out / "notice.fr.md").read_text("utf-8")
    assert md_table(fr_md, "Nouveaux sous-traitants ultérieurs") == [[
        "Postmark", "ActiveCampaign, LLC", "E-mails transactionnels", "Adresses e-mail",
        "Inde, Union européenne", "SOC 2 Type II, ISO 27001", "Inde : clauses contractuelles types (CCT); États-Unis : clauses "
        "contractuelles types (CCT), cadre de protection des données UE-États-Unis (DPF)",
        "AWS (États-Unis, Irlande)", "10 avril 2025", "4 avril 2025", "—"]]
    assert "- **Date du présent avis :** 5 mars 2025" in fr_md
    assert "jusqu'au **4 avril 2025**" in fr_md

    assert page(out, "en").rows("New subprocessors")[0][4] == "India, European Union"
    fr_page = page(out, "fr")
    assert fr_page.rows("Nouveaux sous-traitants ultérieurs")[0][:5] == [
        "Postmark", "ActiveCampaign, LLC", "E-mails transactionnels", "Adresses e-mail",
        "Inde, Union européenne"]
    assert "Date limite pour émettre des objections :" in fr_page.text

    en, fr = mail(out, "en"), mail(out, "fr")
    assert en["Subject"] == "Example Corp: new subprocessor Postmark (effective 10 April 2025)"
    assert fr["Subject"] == ("Example Corp : nouveau sous-traitant ultérieur Postmark "
                             "(à compter du 10 avril 2025)")
    assert en["Date"] == fr["Date"] == "Wed, 05 Mar 2025 09:00:00 +0000"
    assert en["Message-ID"] != fr["Message-ID"]
    assert re.fullmatch(r"<notice-[0-9a-f]{32}\.en@example\.com>", en["Message-ID"])
    assert "Locations: India, European Union" in text_part(en)
    assert "Lieux de traitement : Inde, Union européenne" in text_part(fr)
    assert "Its sub-processors: AWS (United States, Ireland)" in text_part(en)
    assert "Ses propres sous-traitants : AWS (États-Unis, Irlande)" in text_part(fr)
    # drafts are public CI artifacts: nothing from git but commit ids (no author e-mails)
    for name in FILES:
        assert b"test@example.com" not in (out / name).read_bytes()


def test_replacement_of_the_legal_entity(run, based: Repo, tmp_path: Path) -> None:
    based.put("acme", legal_name="Acme Analytics Inc.", locations=["US"],
              notice=notice("2025-05-01", "2025-06-15"))
    head = based.commit("2025-05-01")
    out = tmp_path / "out"
    doc = draft(run, based, out, "--base", "HEAD~1", "--head", head)
    assert doc["changed"] == [] and doc["removed"] == []
    [item] = doc["added"]
    assert item["replaces"] == {"id": "acme", "name": "Acme Analytics",
                                "legal_name": "Acme Analytics GmbH"}
    assert doc["objection_deadline"] == "2025-05-31" and doc["head"] == head
    row = md_table((out / "notice.en.md").read_text("utf-8"), "New subprocessors")[0]
    assert row[1] == "Acme Analytics Inc." and row[4] == "United States"
    assert row[10] == "Acme Analytics (Acme Analytics GmbH)"
    assert page(out, "fr").rows("Nouveaux sous-traitants ultérieurs")[0][10] == (
        "Acme Analytics (Acme Analytics GmbH)")
    assert mail(out, "en")["Subject"] == ("Example Corp: Acme Analytics Inc. replaces "
                                          "Acme Analytics GmbH (effective 15 June 2025)")
    assert mail(out, "fr")["Subject"] == ("Example Corp : Acme Analytics Inc. remplace "
                                          "Acme Analytics GmbH (à compter du 15 juin 2025)")


def test_new_entry_replacing_a_removed_one(run, based: Repo, tmp_path: Path) -> None:
    based.remove("registry/beta.yaml")
    based.put("gamma", name="Gamma", legal_name="Gamma Ltd", replaces="beta",
              notice=notice("2025-05-01", "2025-06-15"))
    out = tmp_path / "out"
    doc = draft(run, based, out)
    assert doc["added"][0]["replaces"] == {"id": "beta", "name": "Beta", "legal_name": "Beta SAS"}
    # the replaced entry goes when its replacement comes, not on the day of the notice
    assert [(r["id"], r["effective_on"]) for r in doc["removed"]] == [("beta", "2025-06-15")]
    en = (out / "notice.en.md").read_text("utf-8")
    assert md_table(en, "New subprocessors")[0][10] == "Beta (Beta SAS)"
    assert md_table(en, "Subprocessors no longer used (for information)") == [
        ["Beta", "Beta SAS", "Product analytics", "15 June 2025"]]
    assert mail(out, "en")["Subject"] == ("Example Corp: changes to our subprocessors "
                                          "(1 new, 1 no longer used) (effective 15 June 2025)")


def test_material_change(run, based: Repo, tmp_path: Path) -> None:
    based.put("acme", locations=["DE", "US"], website="https://acme.example",
              purpose={"en": "Analytics", "fr": "Analyse"},
              notice=notice("2025-04-01", "2025-05-20"))
    out = tmp_path / "out"
    doc = draft(run, based, out)
    assert doc["added"] == [] and doc["removed"] == []
    [item] = doc["changed"]
    # the website is not a material field: not shown to customers
    assert [f["field"] for f in item["fields"]] == ["locations", "purpose"]
    assert item["fields"][0] == {"field": "locations", "old": ["DE"], "new": ["DE", "US"]}
    assert (doc["effective_on"], doc["objection_deadline"]) == ("2025-05-20", "2025-05-01")
    assert md_table((out / "notice.en.md").read_text("utf-8"),
                    "Changes to existing subprocessors") == [
        ["Acme Analytics", "Locations", "Germany", "Germany, United States", "20 May 2025", "1 May 2025"],
        ["Acme Analytics", "Purpose", "Product analytics", "Analytics", "20 May 2025", "1 May 2025"]]
    assert page(out, "fr").rows("Modifications concernant des sous-traitants ultérieurs existants") == [
        ["Acme Analytics", "Lieux de traitement", "Allemagne", "Allemagne, États-Unis", "20 mai 2025", "1er mai 2025"],
        ["Acme Analytics", "Finalité", "Analyse produit", "Analyse", "20 mai 2025", "1er mai 2025"]]
    en = mail(out, "en")
    assert en["Subject"] == ("Example Corp: change to subprocessor Acme Analytics "
                             "(effective 20 May 2025)")
    assert "Locations: Germany -> Germany, United States" in text_part(en)


def test_material_change_without_new_notice_is_to_be_confirmed(run, based: Repo,
                                                               tmp_path: Path) -> None:
    based.put("acme", tier="infrastructure", personal_data=False, security=None,
              due_diligence=None, dpa_signed_on=None)
    out = tmp_path / "out"
    doc = draft(run, based, out, today="2025-02-10")
    assert [f["field"] for f in doc["changed"][0]["fields"]] == ["tier", "personal_data"]
    assert doc["announced_on"] == "2025-02-10" and doc["effective_on"] is None
    assert doc["objection_deadline"] == "2025-03-12"
    assert md_table((out / "notice.fr.md").read_text("utf-8"),
                    "Modifications concernant des sous-traitants ultérieurs existants") == [
        ["Acme Analytics", "Catégorie", "principal", "infrastructure", "à confirmer", "à confirmer"],
        ["Acme Analytics", "Données à caractère personnel", "oui", "non", "à confirmer", "à confirmer"]]


def test_regions_are_named_in_the_readers_language(run, based: Repo, tmp_path: Path) -> None:
    based.put("acme", regions=["eu"], notice=notice("2025-04-01", "2025-05-20"))
    out = tmp_path / "out"
    doc = draft(run, based, out)
    assert doc["changed"][0]["fields"] == [{"field": "regions", "old": None, "new": ["eu"]}]
    assert md_table((out / "notice.en.md").read_text("utf-8"), "Changes to existing subprocessors") == [
        ["Acme Analytics", "Data residency regions", "all regions", "European Union", "20 May 2025", "1 May 2025"]]
    assert page(out, "fr").rows("Modifications concernant des sous-traitants ultérieurs existants") == [
        ["Acme Analytics", "Régions d'hébergement des données", "toutes les régions",
         "Union européenne", "20 mai 2025", "1er mai 2025"]]


def test_removal_and_retirement_are_information(run, repo: Repo, tmp_path: Path) -> None:
    repo.put("acme")
    repo.put("beta", name="Beta", legal_name="Beta SAS")
    repo.put("old", name="Oldco", legal_name="Oldco SA", retired_on="2024-12-01")
    repo.commit("2025-01-01")
    repo.remove("registry/beta.yaml")
    repo.remove("registry/old.yaml")  # retired before base: already announced
    repo.put("acme", retired_on="2025-07-01")
    out = tmp_path / "out"
    doc = draft(run, repo, out, "--base", "HEAD", today="2025-06-10")
    assert doc["added"] == [] and doc["changed"] == []
    assert [(r["id"], r["effective_on"]) for r in doc["removed"]] == [
        ("acme", "2025-07-01"), ("beta", "2025-06-10")]
    # nothing to object to
    assert doc["effective_on"] is None and doc["objection_deadline"] is None
    en = (out / "notice.en.md").read_text("utf-8")
    assert md_table(en, "Subprocessors no longer used (for information)") == [
        ["Acme Analytics", "Acme Analytics GmbH", "Product analytics", "1 July 2025"],
        ["Beta", "Beta SAS", "Product analytics", "10 June 2025"]]
    assert "## For any question, write to:" in en and "How to object" not in en
    fr_page = page(out, "fr")
    assert fr_page.rows("Sous-traitants ultérieurs qui ne sont plus utilisés (pour information)")[0][3] == (
        "1er juillet 2025")
    assert "Date limite" not in fr_page.text
    assert mail(out, "en")["Subject"] == ("Example Corp: changes to our subprocessors "
                                          "(2 no longer used)")
    assert mail(out, "fr")["Subject"] == ("Example Corp : modifications de nos sous-traitants ultérieurs "
                                          "(2 retirés)")


# -- dates -------------------------------------------------------------------------------

@pytest.mark.parametrize(("announced", "effective", "days", "deadline", "fr"), [
    ("2024-01-31", "2024-03-15", 30, "2024-03-01", "1er mars 2024"),       # leap year
    ("2023-01-31", "2023-03-15", 30, "2023-03-02", "2 mars 2023"),       # not a leap year
    ("2024-12-15", "2025-02-01", 30, "2025-01-14", "14 janvier 2025"),   # across the year
    ("2024-02-29", "2025-06-01", 365, "2025-02-28", "28 février 2025"),  # from 29 February
    ("2025-02-01", "2025-02-20", 30, "2025-02-20", "20 février 2025"),   # never after effective
])
def test_objection_deadline(run, repo: Repo, tmp_path: Path, announced: str, effective: str,
                            days: int, deadline: str, fr: str) -> None:
    repo.policy(notice_period_days=days)
    repo.put("acme")
    repo.commit("2020-01-01")
    repo.put("beta", name="Beta", legal_name="Beta SAS", notice=notice(announced, effective))
    out = tmp_path / "out"
    doc = draft(run, repo, out, "--base", "HEAD")
    assert doc["objection_deadline"] == deadline
    assert f"- **Date limite pour émettre des objections :** {fr}" in (out / "notice.fr.md").read_text("utf-8")


def test_dates_of_several_notices(run, based: Repo, tmp_path: Path) -> None:
    based.put("acme", locations=["DE", "FR"], notice=notice("2025-03-01", "2025-04-20"))
    based.put("gamma", name="Gamma", legal_name="Gamma Ltd", notice=notice("2025-03-10", "2025-05-01"))
    out = tmp_path / "out"
    doc = draft(run, based, out)
    # the latest announcement, the earliest effective date, the deadline capped by it
    assert (doc["announced_on"], doc["effective_on"], doc["objection_deadline"]) == (
        "2025-03-10", "2025-04-20", "2025-04-09")


# -- untrusted text ----------------------------------------------------------------------

def test_hostile_text_is_escaped_everywhere(run, based: Repo, tmp_path: Path) -> None:
    based.put("evil", name=HOSTILE, legal_name="Evil Inc.",
              purpose={"en": "Ping `@team` now | second * line", "fr": "Alerte <b>"},
              notice=notice("2025-05-01", "2025-06-15"))
    out = tmp_path / "out"
    doc = draft(run, based, out)
    assert doc["added"][0]["name"] == HOSTILE  # JSON keeps the data, json.dumps escapes it

    md = (out / "notice.en.md").read_text("utf-8")
    [row] = md_table(md, "New subprocessors")  # one row of nine cells: no cell broke out
    assert row[0] == HOSTILE and row[2] == "Ping `@team` now | second * line"
    assert "<script>" not in md  # a line break in a text field is a schema error (tests/test_hostile.py)
    assert "@team" not in md and "@evil" not in md  # no @mentions

    for lang in ("en", "fr"):
        html = page(out, lang)
        assert "script" not in html.tags and "b" not in html.tags[html.tags.index("body"):]
        assert HOSTILE in html.text
        msg = mail(out, lang)  # exactly the expected headers: no Bcc
        assert "Bcc" not in msg
        subject = msg["Subject"]
        assert "\n" not in subject and "=?" not in subject
        assert "Evil <script>alert(1)</script> | = ?UTF-8?Q?=0A?=Bcc: x@evil.test" in subject
        raw = (out / f"notice.{lang}.eml").read_bytes()
        assert not re.search(rb"(?im)^bcc:", raw)
        assert HOSTILE in text_part(msg)


@pytest.mark.parametrize("text", [
    "a\r\nBcc: x@evil.test", "a\nBcc: x", "a\x85Bcc: x", "a\u2028Bcc: x", "a\x00b",
    "=?UTF-8?Q?=0A?=Bcc: x", "==??=?x",
])
def test_header_safe(text: str) -> None:
    safe = header_safe(text)
    assert "=?" not in safe
    assert not re.search(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", safe)
    assert safe.replace(" ", "").replace("=", "") == re.sub(
        r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", "", text).replace(" ", "").replace("=", "")


def test_missing_translation_falls_back(run, based: Repo, tmp_path: Path) -> None:
    based.put("gamma", name="Gamma", legal_name="Gamma Ltd", purpose={"en": "Only English"},
              notice=notice("2025-05-01", "2025-06-15"))
    out = tmp_path / "out"
    draft(run, based, out)
    assert md_table((out / "notice.fr.md").read_text("utf-8"),
                    "Nouveaux sous-traitants ultérieurs")[0][2] == "Only English"


# -- templates ---------------------------------------------------------------------------

def test_template_override(run, based: Repo, tmp_path: Path) -> None:
    based.write("templates/notice.md.j2",
                "CUSTOM {{ n.added[0].name|md_text }} {{ n.announced_on|date(lang) }}\n")
    # an override is escaped like the built-in template, whatever it forgets
    based.write("templates/notice.html.j2", "<p>{{ n.added[0].name }}</p>\n")
    strings = (Path(__file__).parents[1] / "src/subreg/templates/notice_strings.j2").read_text("utf-8")
    assert '"greeting": "Dear customer,"' in strings
    based.write("templates/notice_strings.j2",
                strings.replace('"greeting": "Dear customer,"', '"greeting": "Hello partner,"'))
    based.put("evil", name=HOSTILE, legal_name="Evil Inc.", notice=notice("2025-03-05", "2025-04-10"))
    out = tmp_path / "out"
    draft(run, based, out)
    assert (out / "notice.fr.md").read_text("utf-8") == (
        r"CUSTOM Evil \<script\>alert\(1\)\</script\> \| =?UTF-8?Q?=0A?=Bcc: x@" "\u200b"
        "evil.test 5 mars 2025\n")
    html = (out / "notice.en.html").read_text("utf-8")
    assert html == ("<p>Evil &lt;script&gt;alert(1)&lt;/script&gt; | =?UTF-8?Q?=0A?=Bcc: "
                    "x@evil.test</p>\n")
    en = mail(out, "en")  # the e-mail's HTML part is the overridden one (checked in mail())
    assert text_part(en).startswith("Hello partner,\n")
    assert text_part(mail(out, "fr")).startswith("Madame, Monsieur,\n")


@pytest.mark.parametrize(("template", "message"), [
    ("{% if %}\n", "notice.txt.j2:1: template syntax error"),
    ("{{ n.added[0].nickname }}\n", "has no attribute 'nickname'"),  # StrictUndefined
])
def test_broken_template_override_is_an_input_error(run, based: Repo, tmp_path: Path,
                                                    template: str, message: str) -> None:
    based.write("templates/notice.txt.j2", template)
    based.put("gamma", name="Gamma", legal_name="Gamma Ltd")
    out = tmp_path / "out"
    res = run("--repo", based.path, "notice", "--out", out)
    assert res.code == 2 and message in res.err, res.err
    assert not out.exists()


# -- nothing, broken, stable -------------------------------------------------------------

def test_nothing_to_announce(run, based: Repo, tmp_path: Path) -> None:
    based.put("acme", website="https://acme.example")  # not a material field
    out = tmp_path / "out"
    res = run("--repo", based.path, "notice", "--base", "HEAD", "--out", out)
    assert res.code == 0 and res.err == ""
    assert res.out.startswith("nothing to announce") and res.out.count("\n") == 1
    assert not out.exists()


def test_first_registry_commit_is_the_baseline(run, repo: Repo, tmp_path: Path) -> None:
    base = repo.commit("2025-01-01")
    repo.put("acme")
    out = tmp_path / "out"
    res = run("--repo", repo.path, "notice", "--base", base, "--out", out)
    assert res.code == 0 and res.out.startswith("nothing to announce")
    assert not out.exists()


def test_broken_registry_writes_nothing(run, based: Repo, tmp_path: Path) -> None:
    based.put("gamma", name="Gamma", legal_name="Gamma Ltd", colour="blue")
    out = tmp_path / "out"
    res = run("--repo", based.path, "notice", "--out", out)
    assert res.code == 2
    assert "registry/gamma.yaml" in res.err and "unknown field 'colour'" in res.err
    assert "Traceback" not in res.err and not out.exists()


def test_output_is_deterministic(run, based: Repo, tmp_path: Path) -> None:
    based.put("gamma", name="Gamma", legal_name="Gamma Ltd", notice=notice("2025-03-05", "2025-04-10"))
    based.put("acme", locations=["DE", "IT"], notice=notice("2025-03-05", "2025-04-10"))
    based.remove("registry/beta.yaml")
    first, second = tmp_path / "one", tmp_path / "two"
    draft(run, based, first, today="2025-03-05")
    draft(run, based, second, today="2025-09-30")  # the clock does not leak into drafts
    for name in sorted(FILES):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


# -- what the draft says, and what happens next -------------------------------------------

def test_a_draft_of_changes_only_speaks_of_no_new_subprocessor(run, based: Repo, tmp_path: Path) -> None:
    based.put("acme", locations=["DE", "FR"], notice=notice("2025-04-01", "2025-05-20"))
    out = tmp_path / "out"
    draft(run, based, out)
    for lang, words in (("en", "new subprocessor"), ("fr", "nouveau sous-traitant")):
        for ext in ("md", "html"):
            assert words not in (out / f"notice.{lang}.{ext}").read_text("utf-8").lower(), (lang, ext)
        assert words not in text_part(mail(out, lang)).lower()
    assert "before a change to a subprocessor with access to personal data takes effect" in \
        (out / "notice.en.md").read_text("utf-8")
    assert "avant qu'une modification concernant un sous-traitant ultérieur ayant accès à des données à caractère " \
        "personnel ne prenne effet" in (out / "notice.fr.md").read_text("utf-8")


def test_a_draft_of_removals_only_asks_nothing(run, repo: Repo, tmp_path: Path) -> None:
    repo.put("acme")
    repo.put("beta", name="Beta", legal_name="Beta SAS")
    repo.commit("2025-01-01")
    repo.remove("registry/beta.yaml")
    out = tmp_path / "out"
    draft(run, repo, out, "--base", "HEAD")
    fr = (out / "notice.fr.md").read_text("utf-8")
    assert "ne sont plus utilisés. Cette information ne requiert aucune démarche de votre part." in fr
    assert "objection" not in fr.lower()


def test_french_uses_the_vocabulary_of_french_gdpr_practice(run, based: Repo, tmp_path: Path) -> None:
    based.put("gamma", name="Gamma", legal_name="Gamma Ltd", notice=notice("2025-05-01", "2025-06-15"))
    out = tmp_path / "out"
    draft(run, based, out)
    fr = (out / "notice.fr.md").read_text("utf-8")
    for words in ("sous-traitant ultérieur", "Finalité", "données à caractère personnel", "émettre des objections",
                  "contrat de sous-traitance (DPA)", "article 28, paragraphe 2, du RGPD"):
        assert words in fr, words
    for wrong in ("Objectif", "données personnelles", "accord de traitement"):
        assert wrong not in fr, wrong


def test_transfer_safeguards_only_where_data_leaves_an_adequate_place(run, based: Repo, tmp_path: Path) -> None:
    based.put("gamma", name="Gamma", legal_name="Gamma Ltd", locations=["FR", "CH"],
              notice=notice("2025-05-01", "2025-06-15"))
    based.put("delta", name="Delta", legal_name="Delta Inc.", locations=["US"], transfer_mechanisms=["DPF"],
              notice=notice("2025-05-01", "2025-06-15"))
    out = tmp_path / "out"
    doc = draft(run, based, out)
    assert [(a["id"], a["transfers"]) for a in doc["added"]] == [
        ("delta", [{"place": "US", "safeguards": ["DPF"]}]), ("gamma", [])]
    rows = md_table((out / "notice.en.md").read_text("utf-8"), "New subprocessors")
    assert [r[6] for r in rows] == ["United States: DPF", "none needed (EU/EEA or adequacy decision)"]
    rows = md_table((out / "notice.fr.md").read_text("utf-8"), "Nouveaux sous-traitants ultérieurs")
    assert [r[6] for r in rows] == ["États-Unis : cadre de protection des données UE-États-Unis (DPF)",
                                    "non requis (UE/EEE ou décision d'adéquation)"]


def test_additions_announced_on_different_days_each_have_their_dates(run, based: Repo, tmp_path: Path) -> None:
    based.put("gamma", name="Gamma", legal_name="Gamma Ltd", notice=notice("2025-03-01", "2025-04-20"))
    based.put("delta", name="Delta", legal_name="Delta Ltd", notice=notice("2025-03-10", "2025-05-01"))
    out = tmp_path / "out"
    doc = draft(run, based, out)
    assert [(a["id"], a["announced_on"], a["effective_on"], a["objection_deadline"]) for a in doc["added"]] == [
        ("delta", "2025-03-10", "2025-05-01", "2025-04-09"), ("gamma", "2025-03-01", "2025-04-20", "2025-03-31")]
    rows = md_table((out / "notice.en.md").read_text("utf-8"), "New subprocessors")
    assert [(r[0], r[8], r[9]) for r in rows] == [
        ("Delta", "1 May 2025", "9 April 2025"), ("Gamma", "20 April 2025 (announced 1 March 2025)", "31 March 2025")]
    rows = page(out, "fr").rows("Nouveaux sous-traitants ultérieurs")
    assert rows[1][8:10] == ["20 avril 2025 (annoncé le 1er mars 2025)", "31 mars 2025"]


def test_negotiated_terms_get_their_own_deadline(run, based: Repo, tmp_path: Path) -> None:
    based.policy(dpa_terms={"enterprise": {"notice_period_days": 45, "objection_days": 20},
                            "public-sector": {"notice_period_days": 30}},
                 objection_process={"en": "You may terminate the affected service without penalty.",
                                    "fr": "Vous pouvez résilier le service concerné sans pénalité."})
    based.put("gamma", name="Gamma", legal_name="Gamma Ltd", notice=notice("2025-05-01", "2025-06-20"))
    out = tmp_path / "out"
    doc = draft(run, based, out)
    # the standard deadline follows the longest period (45 days); each terms its own window
    assert doc["objection_deadline"] == "2025-06-15"
    assert doc["objection_deadlines"] == {"enterprise": "2025-05-21", "public-sector": "2025-05-31"}
    assert doc["added"][0]["objection_deadlines"] == doc["objection_deadlines"]
    assert doc["objection_process"]["fr"] == "Vous pouvez résilier le service concerné sans pénalité."
    en = (out / "notice.en.md").read_text("utf-8")
    assert "If your DPA has negotiated terms (enterprise), you may object until **21 May 2025**." in en
    assert "If your DPA has negotiated terms (public-sector), you may object until **31 May 2025**." in en
    assert "## What happens if you object\n\nYou may terminate the affected service without penalty.\n" in en
    fr_html = page(out, "fr")
    assert "Suites données à une objection" in fr_html.text
    assert "Vous pouvez résilier le service concerné sans pénalité." in fr_html.text
    assert "vous pouvez émettre des objections jusqu'au 21 mai 2025." in text_part(mail(out, "fr"))
    # never a word of objections in a draft: they are internal
    based.write("objections/acme-1.yaml", "customer: ACME-1\nsubprocessor: gamma\nnotice: 2025-05-01\n"
                                          "received_on: 2025-05-02\nstatus: open\n")
    again = tmp_path / "again"
    draft(run, based, again)
    for name in FILES:
        assert b"ACME-1" not in (again / name).read_bytes()
