"""The chain (`subprocessors`) and the identity of its members: schema, the `identity`
check, `diff`, notice drafts and the public outputs, on real git repositories."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import Repo
from test_publish import Page, md_sections

TODAY = "2025-06-01"

AWS = {"name": "AWS", "legal_name": "Amazon Web Services, Inc.", "address": "410 Terry Ave N, Seattle, WA, United States",
       "contact": "aws-privacy@amazon.example", "locations": ["US"],
       "purpose": {"en": "Hosting", "fr": "Hébergement"}}
OVH = {"name": "OVHcloud", "legal_name": "OVH SAS", "address": "2 rue Kellermann, 59100 Roubaix, France",
       "contact": "https://www.ovhcloud.com/en/personal-data-protection/", "locations": ["FR"]}


def findings(cli, repo: Repo, *args: str, today: str = TODAY) -> list[dict[str, Any]]:
    res = cli("--repo", repo.path, "--today", today, "check", "--format", "json", *args)
    assert res.code in (0, 1), res.err
    return list(json.loads(res.out)["findings"])


def line(repo: Repo, sp_id: str, prefix: str, nth: int = 1) -> int:
    rows = (repo.path / "registry" / f"{sp_id}.yaml").read_text(encoding="utf-8").splitlines()
    return [i for i, row in enumerate(rows, 1) if row.lstrip("- ").startswith(prefix)][nth - 1]


# -- schema -------------------------------------------------------------------------------

@pytest.mark.parametrize(("member", "message"), [
    ({"name": "X"}, "registry/acme.yaml:{line}:3: missing required field 'locations'"),
    ({"name": "X", "locations": ["In"]}, "'In' is not a location: use an ISO 3166-1 alpha-2 code, EU, Global or "
                                         "CA-QC (Québec) (did you mean 'IN'?)"),
    ({"name": "X", "locations": ["IN"], "adress": "1 Road"}, "unknown field 'adress' (did you mean 'address'?)"),
    ({"name": "X", "locations": ["IN"], "contact": "phone me"}, "is neither an e-mail address nor an https:// link"),
    ({"name": "X", "locations": ["IN"], "purpose": "Hosting"}, "subprocessors.purpose: Input should be a valid dictionary"),
    ({"name": "X", "locations": []}, "subprocessors.locations: must not be empty"),
])
def test_chain_schema(cli, repo: Repo, member: dict[str, Any], message: str) -> None:
    repo.put("acme", subprocessors=[member])
    res = cli("--repo", repo.path, "validate")
    assert res.code == 2, res.out
    assert message.format(line=line(repo, "acme", "subprocessors") + 1) in res.err, res.err
    assert "Traceback" not in res.err


def test_a_chain_lists_each_legal_entity_once(run, repo: Repo) -> None:
    twin = {**AWS, "name": "Amazon Web Services", "locations": ["IE"], "purpose": dict(AWS["purpose"])}
    repo.put("acme", subprocessors=[AWS, twin])
    res = run("--repo", repo.path, "validate")
    assert res.code == 2
    assert ("subprocessors: 'Amazon Web Services, Inc.' is listed twice in the chain (same legal entity)"
            in res.err)


def test_chain_member_in_quebec_is_valid(run, repo: Repo) -> None:
    repo.put("acme", subprocessors=[{**OVH, "locations": ["CA-QC"]}])
    assert run("--repo", repo.path, "validate").code == 0


def test_chain_purpose_is_translated(run, repo: Repo) -> None:
    repo.put("acme", subprocessors=[AWS, {**OVH, "purpose": {"en": "Backups"}}])
    repo.commit("2025-01-01")
    [f] = [f for f in findings(run, repo, "--all") if f["check"] == "translations"]
    assert f["message"] == "missing translation: subprocessors[1].purpose.fr (OVHcloud)"
    assert f["line"] == line(repo, "acme", "purpose", nth=3)  # entry, AWS, then OVH


# -- identity -------------------------------------------------------------------------------

def test_identity(cli, repo: Repo) -> None:
    repo.put("ok", name="Ok", legal_name="Ok GmbH", subprocessors=[AWS, OVH])
    repo.put("no-address", name="No Address", legal_name="No Address GmbH", address=None)
    repo.put("nothing", name="Nothing", legal_name=None, address=None, contact=None)
    repo.put("bad-chain", name="Bad Chain", legal_name="Bad Chain GmbH",
             subprocessors=[AWS, {"name": "Tiny CDN", "locations": ["DE"], "address": "Weg 2, Berlin"}])
    repo.put("internal", name="Internal", legal_name="Internal GmbH", personal_data=False, address=None,
             contact=None, subprocessors=[{"name": "Anon", "locations": ["DE"]}])
    repo.commit("2025-01-01")
    found = {f["subprocessor"]: f for f in findings(cli, repo, "--all") if f["check"] == "identity"}
    assert set(found) == {"no-address", "nothing", "bad-chain"}
    opinion = ("the identity (name, address, contact) of every sub-processor in the chain must be readily "
               "available (EDPB Opinion 22/2024)")
    assert found["no-address"]["message"] == f"No Address GmbH lacks address: {opinion}"
    assert found["no-address"]["line"] == line(repo, "no-address", "legal_name")
    assert found["nothing"]["message"] == f"Nothing lacks address and contact: {opinion}"
    assert found["nothing"]["line"] == line(repo, "nothing", "name")
    assert found["bad-chain"]["message"] == f"its sub-processor Tiny CDN lacks contact: {opinion}"
    assert found["bad-chain"]["line"] == line(repo, "bad-chain", "name: Tiny CDN")
    assert all(f["severity"] == "error" and f["outcome"] == "failed" for f in found.values())


# -- diff -----------------------------------------------------------------------------------

@pytest.fixture
def chained(repo: Repo) -> Repo:
    repo.put("acme", subprocessors=[AWS, OVH])
    repo.commit("2025-01-01", "baseline")
    return repo


def test_chain_member_added_and_moved_in_diff(cli, chained: Repo) -> None:
    india = {"name": "Far Cloud", "legal_name": "Far Cloud Pvt Ltd", "address": "1 MG Road, Bengaluru",
             "contact": "privacy@farcloud.example", "locations": ["IN"]}
    chained.put("acme", subprocessors=[{**AWS, "locations": ["US", "IE"]}, india])
    res = cli("--repo", chained.path, "diff", "--format", "json")
    assert res.code == 0, res.err
    doc = json.loads(res.out)
    [mod] = doc["modified"]
    assert mod["id"] == "acme" and mod["material"] is True and set(mod["fields"]) == {"subprocessors"}
    assert [m["name"] for m in mod["fields"]["subprocessors"]["new"]] == ["AWS", "Far Cloud"]
    text = cli("--repo", chained.path, "diff").out
    assert "  modified  acme (material)\n      subprocessors:\n" in text
    assert "        + Far Cloud (IN)\n" in text
    assert "        - OVHcloud (FR)\n" in text
    assert "        ~ AWS: US -> US, IE\n" in text


def test_chain_edits_that_keep_members_and_places_are_not_material(cli, chained: Repo) -> None:
    chained.put("acme", subprocessors=[{**AWS, "name": "Amazon Web Services", "contact": "https://aws.example/privacy"},
                                       {**OVH, "locations": ["FR"]}][::-1])
    doc = json.loads(cli("--repo", chained.path, "diff", "--format", "json").out)
    [mod] = doc["modified"]
    assert mod["material"] is False and set(mod["fields"]) == {"subprocessors"}
    assert "= same members and locations" in cli("--repo", chained.path, "diff").out
    # not material: no notice needed
    assert [f for f in findings(cli, chained) if f["check"].startswith("notice")] == []


def test_chain_change_needs_a_notice(run, chained: Repo) -> None:
    chained.put("acme", subprocessors=[AWS, {**OVH, "locations": ["FR", "SG"]}])
    found = findings(run, chained)
    [f] = [f for f in found if f["check"] == "notice-required"]
    assert "a material change (subprocessors)" in f["message"]


def test_chain_not_material_when_the_policy_leaves_it_out(run, chained: Repo) -> None:
    chained.policy(material_fields=["name", "locations"])
    chained.commit("2025-01-02")
    chained.put("acme", subprocessors=[AWS])
    doc = json.loads(run("--repo", chained.path, "diff", "--format", "json").out)
    assert doc["modified"][0]["material"] is False


# -- notice drafts ----------------------------------------------------------------------------

def test_chain_change_in_notice_draft(cli, chained: Repo, tmp_path: Path) -> None:
    chained.put("acme", subprocessors=[{**AWS, "locations": ["US", "IE"]},
                                       {**OVH, "name": "Far Cloud", "legal_name": "Far Cloud Pvt Ltd",
                                        "locations": ["IN"]}],
                notice={"announced_on": "2025-06-01", "effective_on": "2025-07-01"})
    out = tmp_path / "notices"
    res = cli("--repo", chained.path, "--today", TODAY, "notice", "--out", out)
    assert res.code == 0, res.err
    doc = json.loads((out / "notice.json").read_text("utf-8"))
    [item] = doc["changed"]
    [field] = item["fields"]
    assert field == {
        "field": "subprocessors",
        # names and locations only: no address or contact of a chain member reaches a draft
        "old": [{"name": "AWS", "locations": ["US"]}, {"name": "OVHcloud", "locations": ["FR"]}],
        "new": [{"name": "AWS", "locations": ["US", "IE"]}, {"name": "Far Cloud", "locations": ["IN"]}],
        "chain": {"added": [{"name": "Far Cloud", "locations": ["IN"]}],
                  "removed": [{"name": "OVHcloud", "locations": ["FR"]}],
                  "moved": [{"name": "AWS", "old": ["US"], "new": ["US", "IE"]}]},
    }
    en = (out / "notice.en.md").read_text("utf-8")
    assert ("| Acme Analytics | Its sub-processors: added: Far Cloud \\(India\\); no longer used: OVHcloud "
            "\\(France\\); new locations for AWS \\(United States → United States, Ireland\\) | "
            "AWS \\(United States\\); OVHcloud \\(France\\) | AWS \\(United States, Ireland\\); Far Cloud "
            "\\(India\\) | 1 July 2025 | ") in en
    fr = (out / "notice.fr.md").read_text("utf-8")
    assert ("| Acme Analytics | Ses propres sous-traitants : ajout : Far Cloud \\(Inde\\); retrait : "
            "OVHcloud \\(France\\); nouveaux lieux de traitement pour AWS \\(États-Unis → États-Unis, Irlande\\) |") in fr
    html = (out / "notice.fr.html").read_text("utf-8")
    assert "<td>Ses propres sous-traitants : ajout : Far Cloud (Inde);" in html
    eml = (out / "notice.en.eml").read_bytes()
    assert b"2 rue Kellermann" not in eml and b"aws-privacy" not in eml
    for name in ("notice.json", "notice.en.md", "notice.fr.md", "notice.en.html", "notice.fr.html"):
        text = (out / name).read_text("utf-8")
        assert "Kellermann" not in text and "aws-privacy@amazon.example" not in text, name


# -- public outputs ---------------------------------------------------------------------------

def test_chain_and_regions_on_the_page(cli, repo: Repo, tmp_path: Path) -> None:
    repo.policy(regions={
        "eu": {"name": {"en": "European Union", "fr": "Union européenne"},
               "location": {"en": "Frankfurt", "fr": "Francfort"}, "law": "gdpr"},
        "ca": {"name": {"en": "Canada", "fr": "Canada"}, "location": {"en": "Montreal", "fr": "Montréal"},
               "law": "quebec"},
    })
    repo.put("acme", locations=["DE", "CA"], transfer_mechanisms=["SCC", "DPF"], subprocessors=[AWS, OVH])
    repo.put("local", name="Local", legal_name="Local Inc.", regions=["ca"], locations=["CA-QC"],
             transfer_mechanisms=[], transfer_assessed_on=None)
    repo.put("infra", name="Infra", legal_name="Infra Ltd", tier="infrastructure", personal_data=False,
             locations=["US"])
    repo.commit("2025-01-01")
    out = tmp_path / "site"
    res = cli("--repo", repo.path, "--today", TODAY, "publish", "--out", out)
    assert res.code == 0, res.err
    page = Page.site(out)
    assert page.errors == []
    # the chain under its entry: names and locations only
    assert page.chains["en-core"] == ["Its sub-processors: AWS (United States); OVHcloud (France)"]
    assert page.chains["fr-core"] == ["Ses propres sous-traitants : AWS (États-Unis); OVHcloud (France)"]
    assert page.names("en-core") == ["Acme Analytics", "Local"]
    # per region: who may touch its data, where, under which safeguard (infrastructure
    # without personal data is not listed)
    assert page.tables["en-region-eu"] == [
        ["Acme Analytics", "Germany, Canada, United States, France",
         "adequacy decision: Canada; SCC, DPF: United States"]]
    assert page.tables["en-region-ca"] == [
        ["Acme Analytics", "Germany, Canada, United States, France",
         "privacy impact assessment (P-39.1 s. 17): Germany, Canada, United States, France"],
        ["Local", "Quebec (Canada)", "No transfer"]]
    assert page.tables["fr-region-ca"][1] == ["Local", "Québec (Canada)", "Aucun transfert"]
    assert "Applicable law: Québec Act respecting the protection of personal information" in page.sections["en"]
    assert "Loi applicable : Règlement général sur la protection des données (RGPD)" in page.sections["fr"]
    html = (out / "index.html").read_text("utf-8") + (out / "index.fr.html").read_text("utf-8")
    md = (out / "subprocessors.en.md").read_text("utf-8")
    assert "| ↳ *Its sub-processors*: AWS \\(United States\\); OVHcloud \\(France\\) | | | | |" in md
    region_md = md_sections(md)["Subprocessors by Data Residency Region"]
    assert ("| **Acme Analytics** | Germany, Canada, United States, France | adequacy decision: Canada; "
            "SCC, DPF: United States |") in region_md
    assert "| **Local** | Quebec \\(Canada\\) | No transfer |" in region_md
    data = json.loads((out / "subprocessors.json").read_text("utf-8"))
    acme = next(s for s in data["subprocessors"] if s["id"] == "acme")
    assert acme["subprocessors"] == [{"name": "AWS", "locations": ["US"]}, {"name": "OVHcloud", "locations": ["FR"]}]
    assert "transfer_assessed_on" not in acme
    for text in (html, md, (out / "subprocessors.fr.md").read_text("utf-8"), json.dumps(data)):
        assert "Kellermann" not in text and "aws-privacy@amazon.example" not in text


def test_a_chain_edit_that_changes_no_member_stays_out_of_the_draft(run, chained: Repo, tmp_path: Path) -> None:
    chained.put("acme", locations=["DE", "FR"], notice={"announced_on": "2025-06-01", "effective_on": "2025-07-01"},
                subprocessors=[{**AWS, "contact": "https://aws.example/privacy"}, OVH])
    out = tmp_path / "notices"
    assert run("--repo", chained.path, "--today", TODAY, "notice", "--out", out).code == 0
    [item] = json.loads((out / "notice.json").read_text("utf-8"))["changed"]
    assert [f["field"] for f in item["fields"]] == ["locations"]


def test_a_place_without_safeguard_is_said_so(run, repo: Repo, tmp_path: Path) -> None:
    repo.put("acme", locations=["IN"], transfer_mechanisms=[])
    repo.commit("2025-01-01")
    out = tmp_path / "site"
    assert run("--repo", repo.path, "--today", TODAY, "publish", "--out", out).code == 0
    page = Page.site(out)
    assert page.tables["en-region-eu"] == [["Acme Analytics", "India", "no safeguard recorded: India"]]
    assert page.tables["en-region-us"] == [["Acme Analytics", "India", "Not required by this law"]]
    assert page.tables["fr-region-eu"] == [["Acme Analytics", "Inde", "aucune garantie enregistrée : Inde"]]


def test_a_chain_delta_is_true_when_anything_changed() -> None:
    from subreg import chain

    a = {"name": "A", "legal_name": "A Ltd", "locations": ["DE"]}
    b = {"name": "B", "legal_name": "B Ltd", "locations": ["FR"]}
    assert not chain.delta([a, b], [b, a])
    assert chain.delta([a, b], [a])            # a member removed, nothing else
    assert chain.delta([a], [a, b])            # a member added, nothing else
    assert chain.delta([a], [{**a, "locations": ["DE", "US"]}])  # a member moved, nothing else
