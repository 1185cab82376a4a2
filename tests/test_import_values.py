"""The pieces of `subreg import`: locations through Babel, certifications, ids, YAML
scalars, Markdown tables and the pairing of languages."""

from __future__ import annotations

import pytest
import yaml

from subreg import yamlio
from subreg.importer import values
from subreg.importer.ids import base_id, full_id
from subreg.importer.markdown import _cell_columns
from subreg.importer.yamlout import scalar


@pytest.fixture(autouse=True)
def _outside_any_repo(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(("text", "langs", "codes", "interpreted"), [
    ("US, EU, Canada", ("en",), ["US", "EU", "CA"], False),
    ("US, UE, Canada", ("fr",), ["US", "EU", "CA"], False),
    ("Allemagne; Royaume-Uni / États-Unis", ("fr",), ["DE", "GB", "US"], False),
    ("Etats Unis", ("fr",), ["US"], False),
    ("Germany", ("fr",), ["DE"], False),  # English is always read
    ("Deutschland", ("de",), ["DE"], False),
    ("Union européenne", ("fr",), ["EU"], False),
    ("Global CDN", ("en",), ["Global"], True),
    ("CDN Global", ("fr",), ["Global"], True),
    ("Mondial", ("fr",), ["Global"], True),  # CLDR's French name of the world is "Monde"
    ("Monde", ("fr",), ["Global"], False),
    ("World", ("en",), ["Global"], False),
    ("NO", ("en",), ["NO"], False),
    ("no", ("en",), ["NO"], False),
    ("UK, USA", ("en",), ["GB", "US"], False),
    ("Germany (Frankfurt)", ("en",), ["DE"], True),
    ("US and EU", ("en",), ["US", "EU"], False),
    ("Bosnia & Herzegovina", ("en",), ["BA"], False),
    ("Trinité-et-Tobago", ("fr",), ["TT"], False),
    ("US, US", ("en",), ["US"], False),
])
def test_locations(text, langs, codes, interpreted) -> None:
    places = values.locations(text, langs)
    assert (places.codes, places.interpreted) == (codes, interpreted)


def test_unknown_locations_say_what_to_write() -> None:
    with pytest.raises(values.UnknownPlace, match=r"unknown location 'EEA'.*write EU for the European Union"):
        values.locations("US, EEA", ("en",))
    with pytest.raises(values.UnknownPlace, match=r"'Alemania' is DE in es: write DE"):
        values.locations("Alemania", ("en",))


@pytest.mark.parametrize(("text", "names", "mechanisms", "notes"), [
    ("SOC 2 Type II, ISO 27001, PCI DSS", ["SOC 2 Type II", "ISO 27001", "PCI DSS"], [], 0),
    ("PCI DSS Level 1, SOC 1/2", ["PCI DSS Level 1", "SOC 1", "SOC 2"], [], 0),
    ("SOC 1/2 Type II", ["SOC 1 Type II", "SOC 2 Type II"], [], 0),
    ("ISO 27001/27017/27018", ["ISO 27001", "ISO 27017", "ISO 27018"], [], 0),
    ("SOC 2 Type II, GDPR compliant", ["SOC 2 Type II"], [], 1),
    ("SOC 2 Type II, conforme RGPD", ["SOC 2 Type II"], [], 1),
    ("GDPR; CCPA", [], [], 2),
    ("SOC 2 Type II, Privacy Shield", ["SOC 2 Type II"], [], 1),
    ("EU-US Privacy Shield, Safe Harbor", [], [], 2),
    ("ISO 27001, DPF, Standard Contractual Clauses", ["ISO 27001"], ["DPF", "SCC"], 2),
    ("ISO 27001, ISO 27001", ["ISO 27001"], [], 0),
])
def test_certifications_as_listed(text, names, mechanisms, notes) -> None:
    found = values.certifications(text)
    assert (found.names, found.mechanisms, len(found.notes)) == (names, mechanisms, notes)


def test_mechanisms_column() -> None:
    assert values.mechanisms("SCCs, DPF, IDTA, Privacy Shield") == (
        ["SCC", "DPF", "IDTA"],
        ['transfer mechanism "Privacy Shield" is not valid: the EU-US Privacy Shield was invalidated by the CJEU '
         "on 16 July 2020 (C-311/18, Schrems II); not written"])


@pytest.mark.parametrize(("name", "expected"), [
    ("Stripe, Inc.", "stripe"),
    ("OpenAI, L.L.C.", "openai"),
    ("Amazon Web Services (AWS)", "aws"),
    ("Apollo.io", "apollo"),
    ("Salesforce.com", "salesforce"),
    ("Let's Encrypt", "lets-encrypt"),
    ("Google Cloud Platform", "google-cloud-platform"),
    ("Intercom R&D Unlimited Company", "intercom-r-and-d"),
    ("Société Générale SA", "societe-generale"),
    ("Inc.", "inc"),
    ("株式会社", "subprocessor"),
    ("Acme GmbH & Co. KG", "acme-gmbh-and-co-kg"),
    ("A" * 40 + " " + "B" * 40, "a" * 40),
])
def test_ids_from_names(name, expected) -> None:
    assert base_id(name) == expected


def test_full_ids_keep_the_legal_form() -> None:
    assert full_id("Acme, Inc.") == "acme-inc"


@pytest.mark.parametrize("text", [
    "NO", "no", "Yes", "on", "~", "null", "", "1.0", "1e3", "0o17", "0x1F", "2024-01-01", "12:30", "a: b",
    "a #b", "#x", "- x", "-", "'q'", '"q"', "[x]", "{x}", "x, y", "@x", "%x", "`x`", "!x", "&x", "*x", "|x", ">x",
    "Let's Encrypt", "back\\slash", "Données traitées", "1Password", "e", " padded ", "ends:", "?x", "x\u00a0y", "...", "---",
])
def test_every_scalar_reads_back_as_written(text) -> None:
    for flow in (False, True):
        written = scalar(text, flow)
        doc = f"k: [{written}]" if flow else f"k: {written}"
        loaded = yaml.safe_load(doc)["k"]
        assert (loaded[0] if flow else loaded) == text, (text, written)
        ours = yamlio.loads(doc.encode(), "x.yaml").data["k"]
        assert (ours[0] if flow else ours) == text


def test_plain_where_plain_reads_the_same() -> None:
    assert scalar("Stripe, Inc.") == "Stripe, Inc."
    assert scalar("Stripe, Inc.", flow=True) == '"Stripe, Inc."'
    assert scalar("Let's Encrypt") == "Let's Encrypt"
    assert scalar("NO") == '"NO"'
    assert scalar("Notification content: names") == '"Notification content: names"'


def test_markdown_cell_columns() -> None:
    assert _cell_columns("| **Acme** | US | Analytics |", 3) == [3, 14, 19]
    assert _cell_columns("**Acme** | US", 2) == [1, 12]
    assert _cell_columns(r"| a \| b | c |", 2) == [3, 12]
    assert _cell_columns("| a | b |", 3) == [0, 0, 0]


PAGE = """\
# Vendors

## Core subprocessors

| Subprocessor | Location | Purpose | Data Processed |
|---|---|---|---|
| **Acme** | Germany (Frankfurt) | Analytics | Usage events |
| Bolt | US | Mail | E-mail addresses |

| Region | Location |
|---|---|
| EU | Frankfurt |

## Sous-traitants principaux

| Sous-traitant | Localisation | Objectif | Données traitées |
|---|---|---|---|
| Bolt | Canada | Courriel | Adresses e-mail |
| Acme | Allemagne | Analyse | Événements |

## Integrations

| Integration | Provider | Opt-in Required |
|---|---|---|
| Chatty | Chatty Ltd | Yes |
| Chatty Ltd | Other | No |
"""


def test_a_page_pairs_its_languages_and_says_where_they_disagree(run, tmp_path) -> None:
    (tmp_path / "vendors.md").write_text(PAGE, encoding="utf-8")
    r = run("--today", "2026-12-01", "import", "vendors.md", "--out", "out")
    assert r.code == 0, r.err
    assert "  read: table at line 5 (Core subprocessors): core, en, 2 rows\n" in r.out
    assert "  read: table at line 16 (Sous-traitants principaux): core, fr, 2 rows\n" in r.out
    assert "  read: table at line 23 (Integrations): integration, en, 2 rows\n" in r.out
    assert "  note: table at line 10 (Core subprocessors): not a list of subprocessors (no name column); not read\n" \
        in r.out
    assert "  source: locations: the fr table (line 18) says 'Canada'; the en table's value is written\n" in r.out
    acme = (tmp_path / "out" / "acme.yaml").read_text(encoding="utf-8")
    assert '# Source: "Germany (Frankfurt)".\nlocations: [DE]\n' in acme
    assert "purpose:\n  en: Analytics\n  fr: Analyse\n" in acme
    assert acme.startswith("# Acme — core subprocessor. Imported with `subreg import` from vendors.md (lines 7 "
                           "and\n# 19): only what")
    # two names that give one id keep their legal form
    assert ("  id: id 'chatty-ltd', not 'chatty', which would also be the id of 'Chatty'\n") in r.out
    chatty = (tmp_path / "out" / "chatty-ltd.yaml").read_text(encoding="utf-8")
    assert "name: Chatty Ltd\nlegal_name: Other\n" in chatty
    assert 'opt_in: false  # source: "Opt-in Required: No"\n' in chatty
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "acme.yaml", "bolt.yaml", "chatty-ltd.yaml", "chatty.yaml"]


def test_a_row_without_translation_is_imported_in_its_language(run, tmp_path) -> None:
    page = PAGE.replace("| Bolt | Canada | Courriel | Adresses e-mail |\n", "")
    (tmp_path / "vendors.md").write_text(page, encoding="utf-8")
    r = run("--today", "2026-12-01", "import", "vendors.md", "--out", "out")
    assert r.code == 0, r.err
    assert "purpose:\n  en: Mail\ndata_processed:\n  en: E-mail addresses\n" in \
        (tmp_path / "out" / "bolt.yaml").read_text(encoding="utf-8")
    assert "translations: missing translation: purpose.fr, data_processed.fr" in r.out


def test_a_translated_table_with_a_repeated_row(run, tmp_path) -> None:
    page = PAGE.replace("| Acme | Allemagne |", "| Bolt | Allemagne |")
    (tmp_path / "vendors.md").write_text(page, encoding="utf-8")
    r = run("import", "vendors.md", "--out", "out")
    assert (r.code, r.err) == (2, "vendors.md:19:3: duplicate row: 'Bolt' is already on line 18 ('Bolt')\n")


def test_two_tables_in_one_language_disagreeing_texts(run, tmp_path) -> None:
    page = ("| Subprocessor | Purpose (en) | Objectif |\n|---|---|---|\n| Acme | Analytics | Analyse |\n\n"
            "| Sous-traitant | Objectif |\n|---|---|\n| Acme | Analyses produit |\n")
    (tmp_path / "v.md").write_text(page, encoding="utf-8")
    r = run("import", "v.md", "--out", "out")
    assert r.code == 0, r.err
    assert "  source: purpose.fr: line 7 says 'Analyses produit'; line 3 is written\n" in r.out


def test_ids_that_clash_with_an_id_column(run, tmp_path) -> None:
    (tmp_path / "v.csv").write_text("id,name\nacme,Bolt\n,Acme\n", encoding="utf-8")
    r = run("import", "v.csv", "--out", "out")
    assert r.code == 0, r.err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["acme-2.yaml", "acme.yaml"]
    assert "  id: id 'acme-2', not 'acme', which would also be the id of 'Bolt'\n" in r.out


def test_workbook_values_become_text(run, tmp_path) -> None:
    import datetime as dt

    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["name", "purpose", "dpa_signed_on", "personal_data", "locations"])
    book.active.append(["Acme", 2.5, dt.date(2024, 1, 2), "yes", "DE"])
    book.active.append([3.0, "Hosting", None, False, "FR"])
    book.save(tmp_path / "v.xlsx")
    r = run("--today", "2026-12-01", "import", "v.xlsx", "--out", "out")
    assert r.code == 0, r.err
    acme = (tmp_path / "out" / "acme.yaml").read_text(encoding="utf-8")
    assert '  en: "2.5"\n' in acme and "dpa_signed_on: 2024-01-02\n" in acme and "personal_data: true\n" in acme
    assert 'name: "3"\n' in (tmp_path / "out" / "3.yaml").read_text(encoding="utf-8")
    book.active.append(["Bolt", "Mail", dt.datetime(2024, 1, 2, 10, 30), True, "DE"])
    book.save(tmp_path / "v.xlsx")
    r = run("import", "v.xlsx", "--out", "out2")
    assert (r.code, r.err) == (2, "v.xlsx:4:3: dpa_signed_on: '2024-01-02T10:30:00' is not a date: write it as "
                               "YYYY-MM-DD\n")


@pytest.mark.parametrize(("page", "expected"), [
    ("| Integration | Location |\n|---|---|\n| Chatty<br>Pro | US |\n", ("chatty-pro.yaml", "tier: integration\n")),
    ("  | Subprocessor | Location |\n  |---|---|\n  | Acme | US |\n", ("acme.yaml", "name: Acme\n")),
])
def test_markdown_forms(run, tmp_path, page, expected) -> None:
    (tmp_path / "v.md").write_text(page, encoding="utf-8")
    r = run("import", "v.md", "--out", "out")
    assert r.code == 0, r.err
    assert expected[1] in (tmp_path / "out" / expected[0]).read_text(encoding="utf-8")


@pytest.mark.parametrize(("name", "text", "message"), [
    ("v.md", "| Region | Location |\n|---|---|\n| EU | DE |\n",
     "v.md: no recognisable table: found 1 table(s), none with a subprocessor name column"),
    ("v.md", "| Subprocessor | Location |\n|---|---|\n| Acme | US |\n\n| Sous-traitant | Localisation |\n"
     "|---|---|\n| Acme | Atlantide |\n", "v.md:7:10: unknown location 'Atlantide'"),
    ("v.md", "## Integrations\n\n| Integration | Opt-in Required |\n|---|---|\n| Acme | Yes |\n\n"
     "## Intégrations\n\n| Intégration | Opt-in requis |\n|---|---|\n| Acme | Peut-être |\n",
     "v.md:11:10: 'Peut-être' is not a yes/no answer"),
    ("v.csv", "name,Purpose (xx)\nAcme,x\n", "v.csv:1:2: unknown column 'Purpose (xx)'"),
])
def test_more_bad_input(run, tmp_path, name, text, message) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    r = run("import", name, "--out", "out")
    assert r.code == 2
    assert r.err.startswith(message), r.err
    assert not (tmp_path / "out").exists()


def test_csv_forms(run, tmp_path) -> None:
    (tmp_path / "v.csv").write_text(
        '"Name","Tier",,"purpose_fr","Certifications","Location"\n\n'
        '"Bolt, Inc.",infrastructure,,Hébergement,"ISO 27001,,",DE\n', encoding="utf-8")
    r = run("import", "v.csv", "--out", "out", "--languages", "fr")
    assert r.code == 0, r.err
    bolt = (tmp_path / "out" / "bolt.yaml").read_text(encoding="utf-8")
    assert "name: Bolt, Inc.\n" in bolt and "purpose:\n  fr: Hébergement\n" in bolt
    assert "certifications:\n  - name: ISO 27001\n" in bolt


def test_an_entry_that_passes_every_check(run, tmp_path) -> None:
    (tmp_path / "v.csv").write_text("name,tier,locations,purpose,data_processed\n"
                                    "Bolt,infrastructure,DE,Hosting,No customer data\n", encoding="utf-8")
    r = run("--today", "2026-12-01", "import", "v.csv", "--out", "out")
    assert r.code == 0, r.err
    assert "  check: passes every check\n" in r.out
    assert r.out.startswith("subreg import: 1 entry from v.csv into out\n")
    assert "  read: the table of v.csv: core (not stated), en, 1 row\n" not in r.out
    assert "  read: the table of v.csv: tier column, en, 1 row\n" in r.out
    assert r.out.endswith("1 file written to out; every entry passes subreg's checks\n")


def test_a_compliance_repo_outside_git(run, tmp_path) -> None:
    from conftest import POLICY, dump

    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "policy.yaml").write_text(dump(POLICY), encoding="utf-8")
    (tmp_path / "v.csv").write_text("name,location\nAcme,DE\n", encoding="utf-8")
    r = run("import", "v.csv", "--out", "registry")
    assert r.code == 0, r.err
    assert "  judged: not a git repository: the entries will be the registry's baseline\n" in r.out
