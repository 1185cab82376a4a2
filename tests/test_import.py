"""`subreg import FILE --out DIR`: the seed document, a CSV and an XLSX workbook, end to end.

The seed document (tests/data/subprocessors-list.md, a copy of the page this project
started from) must give back this repository's registry, field by field, up to what the
seed does not state; where the registry deliberately differs from the seed, the
difference is listed here with its reason.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from conftest import ROOT, Repo
from subreg.model import Subprocessor, identity
from subreg.registry import parse_entry

SEED = Path(__file__).with_name("data") / "subprocessors-list.md"
TODAY = "2026-12-01"

# Ids the committed registry chose shorter than the names give.
REGISTRY_IDS = {"google-cloud": "google-cloud-platform", "sendgrid": "twilio-sendgrid"}

# What the seed does not state (the registry's values there are its own).
NOT_IN_SEED = {
    # The infrastructure table has no Location column: the registry assumes US (its YAML
    # comment says so); the import writes Global, "anywhere", with a comment.
    "infrastructure": {"locations", "certifications", "legal_name"},
    # The integrations table has no data column and no certifications.
    "integration": {"data_processed", "certifications"},
    # The core table names no legal entity.
    "core": {"legal_name"},
}

# Where the committed registry deliberately says more than, or differs from, the seed.
DELIBERATE = {
    # "PCI DSS Level 1, SOC 1/2": the registry names the report type, the seed does not.
    ("stripe", "certifications"): (["PCI DSS Level 1", "SOC 1", "SOC 2"],
                                   ["PCI DSS Level 1", "SOC 1 Type II", "SOC 2 Type II"]),
    # "SOC 2/3, ISO 27001, PCI DSS": likewise.
    ("google-cloud", "certifications"): (["SOC 2", "SOC 3", "ISO 27001", "PCI DSS"],
                                         ["SOC 2 Type II", "SOC 3", "ISO 27001", "PCI DSS"]),
    # The seed's "Domain names only" is not "No customer data": the import keeps the
    # conservative true; the registry judges domain names not to be personal data.
    ("lets-encrypt", "personal_data"): (True, False),
}


def _committed() -> dict[str, Subprocessor]:
    out = {}
    for path in sorted((ROOT / "registry").glob("*.yaml")):
        sp, _doc = parse_entry(path.read_bytes(), f"registry/{path.name}")
        out[sp.id] = sp
    return out


def _imported(folder: Path) -> dict[str, Subprocessor]:
    out = {}
    for path in sorted(folder.glob("*.yaml")):
        sp, _doc = parse_entry(path.read_bytes(), str(path))
        out[sp.id] = sp
    return out


def _compare(committed: dict[str, Subprocessor], imported: dict[str, Subprocessor]) -> list[str]:
    """Every difference between the committed registry and an import of the seed that
    neither NOT_IN_SEED nor DELIBERATE explains."""
    differences = []
    assert len(committed) == len(imported) == 21
    by_name = {identity(sp.name): sp for sp in imported.values()}
    for sid, mine in committed.items():
        theirs = by_name[identity(mine.name)]
        assert theirs.id == REGISTRY_IDS.get(sid, sid)
        for name in ("name", "legal_name", "tier", "opt_in", "personal_data", "locations", "purpose",
                     "data_processed", "certifications"):
            if name in NOT_IN_SEED[mine.tier]:
                continue
            want: Any = getattr(mine, name)
            got: Any = getattr(theirs, name)
            if name == "certifications":
                want, got = [c.name for c in want], [c.name for c in got]
            if name == "legal_name" and mine.tier == "integration":
                want = mine.legal_name  # the seed's Provider column
            if (sid, name) in DELIBERATE:
                assert (got, want) == DELIBERATE[(sid, name)], (sid, name)
                continue
            if got != want:
                differences.append(f"{sid}.{name}: seed {got!r}, registry {want!r}")
    return differences


def test_the_seed_gives_back_the_registry(run, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # outside any compliance repo: the source's languages
    r = run("--today", TODAY, "import", SEED, "--out", "registry")
    assert r.code == 0, r.err
    assert r.err == ""
    assert _compare(_committed(), _imported(tmp_path / "registry")) == []
    assert r.out.startswith(f"subreg import: 21 entries from {SEED} into registry\n"
                            "  languages: en, fr (the source's; no compliance repo)\n"
                            "  read: table at line 19 (Current Subprocessors): core, en, 10 rows\n"
                            "  read: table at line 36 (Infrastructure Subprocessors): infrastructure, en, 4 rows\n"
                            "  read: table at line 47 (Optional Integrations): integration, en, 7 rows\n"
                            "  read: table at line 105 (Sous-traitants actuels): core, fr, 10 rows\n"
                            "  read: table at line 122 (Sous-traitants d'infrastructure): infrastructure, fr, 4 rows\n"
                            "  read: table at line 133 (Intégrations optionnelles): integration, fr, 7 rows\n"
                            "  judged: outside a compliance repo: judged alone, by the policy `subreg init` "
                            "writes, in en, fr\n")


def test_the_seed_end_to_end_from_the_installed_wheel(installed, tmp_path) -> None:
    r = installed("--today", TODAY, "import", SEED, "--out", "imported", "--report", "report.txt", cwd=tmp_path)
    assert r.code == 0, r.err
    assert _compare(_committed(), _imported(tmp_path / "imported")) == []
    assert (tmp_path / "report.txt").read_text(encoding="utf-8") == r.out
    assert (tmp_path / "imported" / "aws.yaml").read_text(encoding="utf-8") == (
        "# Amazon Web Services (AWS) — core subprocessor. Imported with `subreg import` from\n"
        "# subprocessors-list.md (lines 21 and 107): only what the source states; `subreg check`\n"
        "# lists what is still to add.\n"
        "name: Amazon Web Services (AWS)\n"
        "tier: core\n"
        "personal_data: true  # not stated in the source: true unless it sees no customer data\n"
        "locations: [US, EU, CA]\n"
        "purpose:\n"
        "  en: Cloud infrastructure and data storage\n"
        "  fr: Infrastructure cloud et stockage\n"
        "data_processed:\n"
        "  en: All customer data (encrypted)\n"
        "  fr: Toutes données clients (chiffrées)\n"
        "certifications:\n"
        "  - name: SOC 2 Type II\n"
        "  - name: ISO 27001\n"
        "  - name: PCI DSS\n"
    )
    assert (tmp_path / "imported" / "hubspot.yaml").read_text(encoding="utf-8") == (
        "# HubSpot — integration subprocessor. Imported with `subreg import` from\n"
        "# subprocessors-list.md (lines 49 and 135): only what the source states; `subreg check`\n"
        "# lists what is still to add.\n"
        "name: HubSpot\n"
        "legal_name: HubSpot, Inc.\n"
        "tier: integration\n"
        "personal_data: true  # not stated in the source: true unless it sees no customer data\n"
        'opt_in: true  # source: "Opt-in Required: Yes"\n'
        "locations: [US, EU]\n"
        "purpose:\n"
        "  en: CRM synchronization\n"
        "  fr: Synchronisation CRM\n"
        "# Not stated in the source: add it in each language.\n"
        "data_processed: {}\n"
    )
    assert (tmp_path / "imported" / "github.yaml").read_text(encoding="utf-8") == (
        "# GitHub — infrastructure subprocessor. Imported with `subreg import` from\n"
        "# subprocessors-list.md (lines 38 and 124): only what the source states; `subreg check`\n"
        "# lists what is still to add.\n"
        "name: GitHub\n"
        "tier: infrastructure\n"
        'personal_data: false  # source: "Data Access: No customer data"\n'
        "# Not stated in the source: Global (anywhere) until you record where.\n"
        "locations: [Global]\n"
        "purpose:\n"
        "  en: Code repository and CI/CD\n"
        "  fr: Dépôt code et CI/CD\n"
        "data_processed:\n"
        "  en: No customer data\n"
        "  fr: Aucune donnée client\n"
    )
    intercom = (tmp_path / "imported" / "intercom.yaml").read_text(encoding="utf-8")
    assert ("# Source: \"SOC 2 Type II, Privacy Shield\". \"Privacy Shield\" is not a certification, and\n"
            "# not a valid transfer mechanism: the EU-US Privacy Shield was invalidated by the CJEU on\n"
            "# 16 July 2020 (C-311/18, Schrems II); not written.\n"
            "certifications:\n"
            "  - name: SOC 2 Type II\n") in intercom
    assert "transfer_mechanisms" not in intercom and "Privacy Shield\n" not in intercom
    # the report: per entry, what the source left out and what `subreg check` says
    block = r.out.split("\n\nsentry.yaml:")[1].split("\n\n")[0]
    assert block.splitlines() == [
        " Sentry (core; lines 28 and 114)",
        "  source: personal_data: not stated in the source; true written (set false if it sees no personal data)",
        "  source: certifications: \"GDPR compliant\" is not a certification (complying with the law is an "
        "obligation, not a certificate); not written",
        "  check: imported/sentry.yaml:1: [error] dpa: personal data without a data processing agreement: "
        "set dpa_signed_on",
        "  check: imported/sentry.yaml:1: [error] due-diligence: personal data without a due diligence "
        "assessment: add due_diligence",
        "  check: imported/sentry.yaml:4: [error] identity: Sentry lacks address and contact: the identity (name, "
        "address, contact) of every sub-processor in the chain must be readily available (EDPB Opinion 22/2024)",
        "  check: imported/sentry.yaml:1: [error] security-standards: personal data without security "
        "commitments: add the security block",
        "  check: imported/sentry.yaml:7: [error] transfer-mechanism: personal data of the eu region (GDPR) goes to "
        "US without an adequacy finding and without a transfer mechanism valid under the GDPR (SCC, BCR, DPF (for "
        "US))",
    ]
    assert "\n\ngithub.yaml: GitHub (infrastructure; lines 38 and 124)\n" \
           "  source: locations: not stated in the source; Global written until you record where\n" \
           "  check: passes every check\n" in r.out
    assert r.out.endswith("21 files written to imported; 18 of 21 entries still lack something for "
                          "`subreg check` to pass (entries per check: dpa 18, due-diligence 18, "
                          "identity 18, security-standards 18, transfer-mechanism 18, translations 7)\n")


def test_the_same_input_gives_the_same_bytes(run, tmp_path, monkeypatch) -> None:
    outputs = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        monkeypatch.chdir(tmp_path / name)
        outputs.append(run("--today", TODAY, "import", SEED, "--out", "out"))
    assert outputs[0] == outputs[1]
    assert outputs[0].code == 0
    files = sorted((tmp_path / "a" / "out").iterdir())
    assert len(files) == 21
    for path in files:
        assert (tmp_path / "b" / "out" / path.name).read_bytes() == path.read_bytes()


# -- in a compliance repo ----------------------------------------------------------------

CSV = (
    "Name,Legal name,Tier,Location,Purpose (en),Purpose (fr),Data processed (en),Données traitées,"
    "Certifications,Transfer mechanisms,Website,Contact,DPA signed on,Opt-in\n"
    'Acme Mail,"Acme Mail, Inc.",core,"United States, Ireland",E-mail delivery,Envoi des e-mails,'
    'E-mail addresses,Adresses e-mail,"ISO 27001, SOC 2 Type II","DPF, SCC",https://acme.example,'
    "privacy@acme.example,2024-03-01,\n"
    "Norsk Hosting AS,,infrastructure,NO,Hosting,Hébergement,No customer data,Aucune donnée client,,,,,,\n"
    "Chatty,,integration,Global,Chat,Discussion,Chat transcripts,Transcriptions,,,,,,yes\n"
)


def test_a_csv_into_a_committed_repo_reports_what_check_then_says(installed, repo: Repo) -> None:
    repo.put("acme-analytics")
    repo.commit("2026-11-01", "registry baseline")
    (repo.path / "vendors.csv").write_text(CSV, encoding="utf-8")
    r = installed("--today", TODAY, "import", "vendors.csv", "--out", "registry", cwd=repo.path)
    assert r.code == 0, r.err
    assert sorted(p.name for p in (repo.path / "registry").iterdir()) == [
        "acme-analytics.yaml", "acme-mail.yaml", "chatty.yaml", "norsk-hosting.yaml"]
    assert (repo.path / "registry" / "acme-mail.yaml").read_text(encoding="utf-8") == (
        "# Acme Mail — core subprocessor. Imported with `subreg import` from vendors.csv (line 2):\n"
        "# only what the source states; `subreg check` lists what is still to add.\n"
        "name: Acme Mail\n"
        "legal_name: Acme Mail, Inc.\n"
        "contact: privacy@acme.example\n"
        "website: https://acme.example\n"
        "tier: core\n"
        "personal_data: true  # not stated in the source: true unless it sees no customer data\n"
        "locations: [US, IE]\n"
        "purpose:\n"
        "  en: E-mail delivery\n"
        "  fr: Envoi des e-mails\n"
        "data_processed:\n"
        "  en: E-mail addresses\n"
        "  fr: Adresses e-mail\n"
        "certifications:\n"
        "  - name: ISO 27001\n"
        "  - name: SOC 2 Type II\n"
        "transfer_mechanisms: [DPF, SCC]\n"
        "dpa_signed_on: 2024-03-01\n"
    )
    norsk = (repo.path / "registry" / "norsk-hosting.yaml").read_text(encoding="utf-8")
    assert 'locations: ["NO"]\n' in norsk
    assert 'personal_data: false  # source: "Data processed (en): No customer data"\n' in norsk
    assert 'opt_in: true  # source: "Opt-in: yes"\n' in (repo.path / "registry" / "chatty.yaml").read_text()
    assert "  judged: as additions to the registry at HEAD" in r.out
    reported = sorted(re.findall(r"  check: (registry/\S+:\d+): \[error\] ([a-z-]+):", r.out))
    # the report says what `subreg check` on the change then says, finding for finding
    check = installed("--today", TODAY, "check", "--format", "json", cwd=repo.path)
    assert check.code == 1, check.err
    found = sorted((f"{f['path']}:{f['line']}", f["check"]) for f in json.loads(check.out)["findings"]
                   if f["outcome"] == "failed")
    assert reported == found
    assert ("registry/acme-mail.yaml:1", "notice-required") in found
    assert ("registry/acme-mail.yaml:1", "due-diligence") in found
    assert not any(p.startswith("registry/norsk-hosting.yaml") for p, _ in found)
    assert not any(p.startswith("registry/chatty.yaml") and c == "notice-required" for p, c in found)
    assert installed("validate", cwd=repo.path).code == 0


def test_before_the_first_commit_the_import_is_the_baseline(run, repo: Repo, monkeypatch) -> None:
    (repo.path / "vendors.csv").write_text(CSV, encoding="utf-8")
    monkeypatch.chdir(repo.path)
    r = run("--today", TODAY, "import", "vendors.csv", "--out", "registry")
    assert r.code == 0, r.err
    assert "  judged: registry/ not committed yet: the entries will be the baseline" in r.out
    assert "notice-required" not in r.out
    assert "  languages: en, fr (the policy's)\n" in r.out


def test_an_existing_file_is_never_overwritten(run, repo: Repo, monkeypatch) -> None:
    repo.put("acme-mail", name="Old Acme")
    (repo.path / "vendors.csv").write_text(CSV, encoding="utf-8")
    before = (repo.path / "registry" / "acme-mail.yaml").read_bytes()
    monkeypatch.chdir(repo.path)
    r = run("--today", TODAY, "import", "vendors.csv", "--out", "registry")
    assert r.code == 2
    assert r.err == ("registry: acme-mail.yaml already exists; subreg import writes only new files "
                     "(import into another folder, or move them away)\n")
    assert (repo.path / "registry" / "acme-mail.yaml").read_bytes() == before
    assert sorted(p.name for p in (repo.path / "registry").iterdir()) == ["acme-mail.yaml"]


def test_an_id_the_repo_already_has_is_judged_as_a_change(run, repo: Repo, monkeypatch) -> None:
    repo.put("acme-mail", name="Acme Mail", legal_name="Acme Mail, Inc.")
    repo.commit("2026-11-01")
    (repo.path / "vendors.csv").write_text(CSV, encoding="utf-8")
    monkeypatch.chdir(repo.path)
    r = run("--today", TODAY, "import", "vendors.csv", "--out", "elsewhere")
    assert r.code == 0, r.err
    assert ("  id: 'acme-mail' is already in the compliance repo's registry: judged as a change to "
            "registry/acme-mail.yaml\n") in r.out


def test_languages_option_and_policy(run, repo: Repo, monkeypatch) -> None:
    monkeypatch.chdir(repo.path)
    (repo.path / "vendors.csv").write_text(CSV, encoding="utf-8")
    r = run("--today", TODAY, "import", "vendors.csv", "--out", "only-en", "--languages", "en")
    assert r.code == 0, r.err
    assert "  languages: en (--languages)\n" in r.out
    assert ("  note: column 'Purpose (fr)' (the table of vendors.csv) is in fr, not one of the languages "
            "imported (en); not read\n") in r.out
    assert "fr:" not in (repo.path / "only-en" / "acme-mail.yaml").read_text(encoding="utf-8")
    # the policy still judges: French is missing for its customers
    assert "translations: missing translation: purpose.fr, data_processed.fr" in r.out
    for bad, message in (("en,xx-1", "'xx-1' is not a list of language codes"),
                         ("en,en", "each language may appear once"), (",", "nothing is not a list")):
        r = run("import", "vendors.csv", "--out", "x", "--languages", bad)
        assert r.code == 2 and message in r.err, r.err


def test_outside_a_repo_a_named_repo_must_exist(run, tmp_path) -> None:
    (tmp_path / "v.csv").write_text(CSV, encoding="utf-8")
    r = run("--repo", tmp_path, "import", tmp_path / "v.csv", "--out", tmp_path / "out")
    assert r.code == 2
    assert "no policies/policy.yaml in" in r.err
    assert not (tmp_path / "out").exists()


# -- XLSX ------------------------------------------------------------------------------------

def _workbook(path: Path, rows: list[list[Any]], more_sheets: tuple[str, ...] = ()) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Vendors"
    for row in rows:
        sheet.append(row)
    for title in more_sheets:
        book.create_sheet(title).append(["notes"])
    book.save(path)
    return path


def test_an_xlsx_workbook_end_to_end(installed, tmp_path) -> None:
    _workbook(tmp_path / "vendors.xlsx", [
        ["Subprocessor", "Tier", "Location", "Purpose", "Objectif", "Personal data", "DPA signed on",
         "Security Certifications"],
        ["Acme Mail", "Core", "Allemagne, US", "E-mail delivery", "Envoi des e-mails", True,
         dt.datetime(2024, 3, 1), "SOC 2 Type II, HIPAA compliant"],
        [None, None, None, None, None, None, None, None],
        ["Bolt", "Infrastructure", "Deutschland", "=HYPERLINK(\"https://bolt.example\")", "Hébergement", False,
         None, None],
        ["NO", "core", "NO", "1.0", "oui", "No", None, "ISO 27001"],
    ], more_sheets=("Notes",))
    r = installed("--today", TODAY, "import", "vendors.xlsx", "--out", "out", "--languages", "en,fr,de",
                  cwd=tmp_path)
    assert r.code == 0, r.err
    acme = (tmp_path / "out" / "acme-mail.yaml").read_text(encoding="utf-8")
    assert acme == (
        "# Acme Mail — core subprocessor. Imported with `subreg import` from vendors.xlsx (row 2):\n"
        "# only what the source states; `subreg check` lists what is still to add.\n"
        "name: Acme Mail\n"
        "tier: core\n"
        "personal_data: true\n"
        "locations: [DE, US]\n"
        "purpose:\n"
        "  en: E-mail delivery\n"
        "  fr: Envoi des e-mails\n"
        "# Not stated in the source: add it in each language.\n"
        "data_processed: {}\n"
        "# Source: \"SOC 2 Type II, HIPAA compliant\". \"HIPAA compliant\" is not a certification\n"
        "# (complying with the law is an obligation, not a certificate); not written.\n"
        "certifications:\n"
        "  - name: SOC 2 Type II\n"
        "dpa_signed_on: 2024-03-01\n"
    )
    bolt = (tmp_path / "out" / "bolt.yaml").read_text(encoding="utf-8")
    # a formula is never evaluated, nor written: openpyxl's file has no cached value for it
    assert "HYPERLINK" not in bolt and "=" not in bolt.split("\n", 3)[3]
    assert "purpose:\n  fr: Hébergement\n" in bolt
    assert "locations: [DE]\n" in bolt
    # NO, 1.0 and oui stay text when read back by any YAML reader
    no = (tmp_path / "out" / "no.yaml").read_text(encoding="utf-8")
    assert 'name: "NO"\n' in no and 'locations: ["NO"]\n' in no and '  en: "1.0"\n' in no
    assert "  fr: oui\n" in no
    assert "  note: only the first worksheet ('Vendors') was read; not read: 'Notes'\n" in r.out
    assert "no.yaml: NO (core; row 5)\n" in r.out
    assert "translations: missing translation: purpose.de, data_processed.en, data_processed.fr" in r.out


def test_an_xlsx_bad_cell_is_named_by_row_and_column(installed, tmp_path) -> None:
    _workbook(tmp_path / "v.xlsx", [["name", "locations"], ["Acme", "DE"], ["Bolt", "Narnia"]])
    r = installed("import", "v.xlsx", "--out", "out", cwd=tmp_path)
    assert r.code == 2
    assert r.err == ("v.xlsx:3:2: unknown location 'Narnia': write a country name (in en), an ISO 3166-1 "
                     "alpha-2 code, EU or Global\n")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", ["v.csv", "v.md"])
def test_markdown_and_csv_readers_agree(run, tmp_path, name, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    if name.endswith(".csv"):
        (tmp_path / name).write_text("Subprocessor,Location,Purpose\nAcme,France,Analytics\n", encoding="utf-8")
    else:
        (tmp_path / name).write_text("## Our subprocessors\n\n| Subprocessor | Location | Purpose |\n"
                                     "|---|---|---|\n| **Acme** | France | Analytics |\n", encoding="utf-8")
    r = run("--today", TODAY, "import", name, "--out", "out")
    assert r.code == 0, r.err
    text = (tmp_path / "out" / "acme.yaml").read_text(encoding="utf-8")
    assert text.split("\n", 2)[2] == (
        "name: Acme\n"
        "tier: core\n"
        "personal_data: true  # not stated in the source: true unless it sees no customer data\n"
        "locations: [FR]\n"
        "purpose:\n"
        "  en: Analytics\n"
        "# Not stated in the source: add it in each language.\n"
        "data_processed: {}\n"
    )
    assert "  source: tier: the source does not say; core written (the strictest tier): change it if needed\n" in r.out
