"""Transfer rules by each residency region's `law` (SPEC 6: transfer-mechanism,
transfer-assessment), through both runners (`cli`: in-process and the installed
`subreg`), on real git repositories.

Each test builds one repository whose entries are the cases of one law (a place at
home, adequate, covered by each mechanism, uncovered, an invalid mechanism, a chain
member outside, an assessment missing, stale or in time, the day before, of and after
each boundary), runs `subreg check --all` once, and compares every entry's transfer
findings with the expected ones.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import POLICY, Repo

TODAY = "2025-06-01"
CHECKS = ("transfer-mechanism", "transfer-assessment")

MEMBER = {"name": "Far Cloud", "legal_name": "Far Cloud Pvt Ltd", "address": "1 MG Road, Bengaluru, India",
          "contact": "privacy@farcloud.example", "locations": ["IN"]}


def region(key: str, law: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {"name": {"en": key.upper(), "fr": key.upper()},
                            "location": {"en": f"{key} DC", "fr": f"{key} DC"}}
    if law is not None:
        data["law"] = law
    return data


def build(repo: Repo, regions: dict[str, dict[str, Any]], cases: dict[str, dict[str, Any]]) -> None:
    repo.policy(regions=regions)
    for sp_id, fields in cases.items():
        repo.put(sp_id, name=f"Case {sp_id}", legal_name=f"Case {sp_id} Ltd", **fields)
    repo.commit("2025-01-01")


def transfer_findings(cli, repo: Repo, today: str = TODAY) -> dict[str, dict[str, dict[str, Any]]]:
    res = cli("--repo", repo.path, "--today", today, "check", "--all", "--format", "json")
    assert res.code in (0, 1), res.err
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for f in json.loads(res.out)["findings"]:
        if f["check"] in CHECKS:
            out.setdefault(f["subprocessor"], {})[f["check"]] = f
    return out


def outcomes(found: dict[str, dict[str, dict[str, Any]]]) -> dict[str, set[tuple[str, str]]]:
    return {sp: {(c, f["outcome"]) for c, f in checks.items()} for sp, checks in found.items()}


def line(repo: Repo, sp_id: str, prefix: str, nth: int = 1) -> int:
    text = (repo.path / "registry" / f"{sp_id}.yaml").read_text(encoding="utf-8").splitlines()
    hits = [i for i, row in enumerate(text, 1) if row.lstrip("- ").startswith(prefix)]
    return hits[nth - 1]


TM_ERR = ("transfer-mechanism", "failed")
TM_WARN = ("transfer-mechanism", "warning")
TA_WARN = ("transfer-assessment", "warning")


# -- gdpr ---------------------------------------------------------------------------------

GDPR = {
    "home": {"locations": ["DE", "EU"], "transfer_mechanisms": []},
    "adequate": {"locations": ["JP", "NO", "BR"], "transfer_mechanisms": []},
    "quebec-is-canada": {"locations": ["CA-QC"], "transfer_mechanisms": []},
    "scc": {"locations": ["IN"], "transfer_mechanisms": ["SCC"]},
    "bcr": {"locations": ["IN"], "transfer_mechanisms": ["Binding Corporate Rules"]},
    "dpf-alone": {"locations": ["US"], "transfer_mechanisms": ["DPF"]},
    "dpf-and-scc": {"locations": ["US"], "transfer_mechanisms": ["DPF", "SCC"]},
    "dpf-not-us": {"locations": ["IN"], "transfer_mechanisms": ["DPF"]},
    "uncovered": {"locations": ["IN"], "transfer_mechanisms": []},
    "global-dpf": {"locations": ["Global"], "transfer_mechanisms": ["DPF"]},
    "privacy-shield": {"locations": ["DE"], "transfer_mechanisms": ["Privacy Shield"]},
    "model-clauses-2010": {"locations": ["US"], "transfer_mechanisms": ["DPF", "SCC 2010/87/EU"]},
    "chain-outside": {"locations": ["DE"], "transfer_mechanisms": [], "subprocessors": [MEMBER]},
    "chain-covered": {"locations": ["DE"], "transfer_mechanisms": ["SCC"], "subprocessors": [MEMBER]},
    "not-eu-data": {"regions": ["us"], "locations": ["IN"], "transfer_mechanisms": []},
    "no-personal-data": {"personal_data": False, "locations": ["IN"], "transfer_mechanisms": []},
}


def test_gdpr(cli, repo: Repo) -> None:
    # `eu` without a law is gdpr; `us` without one is none
    build(repo, {"eu": region("eu", None), "us": region("us", None)}, GDPR)
    found = transfer_findings(cli, repo)
    assert outcomes(found) == {
        "dpf-alone": {TM_WARN},
        "dpf-not-us": {TM_ERR},
        "uncovered": {TM_ERR},
        "global-dpf": {TM_ERR},
        "privacy-shield": {TM_ERR},
        "model-clauses-2010": {TM_ERR},
        "chain-outside": {TM_ERR},
    }
    assert found["uncovered"]["transfer-mechanism"]["message"] == (
        "personal data of the eu region (GDPR) goes to IN without an adequacy finding and without a "
        "transfer mechanism valid under the GDPR (SCC, BCR, DPF (for US))")
    # no mechanism listed: the finding points at the locations
    assert found["uncovered"]["transfer-mechanism"]["line"] == line(repo, "uncovered", "locations")
    assert found["dpf-not-us"]["transfer-mechanism"]["line"] == line(repo, "dpf-not-us", "transfer_mechanisms")
    assert "goes to IN without" in found["dpf-not-us"]["transfer-mechanism"]["message"]
    assert "goes to Global without" in found["global-dpf"]["transfer-mechanism"]["message"]
    dpf = found["dpf-alone"]["transfer-mechanism"]
    assert dpf["message"] == (
        "personal data of the eu region goes to US under DPF alone, with no fallback mechanism, and its "
        "validity is under appeal before the Court of Justice (C-703/25 P, Latombe v Commission, against "
        "the General Court's judgment of 3 September 2025 in T-553/23): add one (e.g. SCC)")
    shield = found["privacy-shield"]["transfer-mechanism"]
    assert shield["message"] == ("'Privacy Shield' is not a valid transfer mechanism: the EU-US Privacy Shield "
                                 "was invalidated on 16 July 2020 (CJEU C-311/18, Schrems II)")
    assert shield["line"] == line(repo, "privacy-shield", "Privacy Shield")
    clauses = found["model-clauses-2010"]["transfer-mechanism"]
    assert clauses["message"].startswith("'SCC 2010/87/EU' is not a valid transfer mechanism: the 2010 model clauses")
    # a chain member's location counts as the entry's, and the finding points at it
    chain = found["chain-outside"]["transfer-mechanism"]
    assert chain["message"].startswith("personal data of the eu region (GDPR) goes to IN (chain: Far Cloud) without")
    assert chain["line"] == line(repo, "chain-outside", "locations:", nth=2)  # the member's


def test_gdpr_dpf_only_warning_does_not_fail_the_gate(cli, repo: Repo) -> None:
    build(repo, {"eu": region("eu", "gdpr")}, {"dpf-alone": GDPR["dpf-alone"]})
    res = cli("--repo", repo.path, "--today", TODAY, "check", "--all")
    assert res.code == 0
    assert "[warning] transfer-mechanism: personal data of the eu region goes to US under DPF alone" in res.out


def test_gdpr_uses_the_policys_adequate_countries(run, repo: Repo) -> None:
    repo.policy(adequate_countries=["US"])
    repo.put("acme", locations=["US"], transfer_mechanisms=[])
    repo.commit("2025-01-01")
    assert transfer_findings(run, repo) == {}


# -- uk-gdpr --------------------------------------------------------------------------------

UK = {
    "home": {"locations": ["GB"], "transfer_mechanisms": []},
    "adequate": {"locations": ["DE", "EU", "KR", "GI"], "transfer_mechanisms": []},
    "eu-adequate-only": {"locations": ["BR"], "transfer_mechanisms": []},
    "idta": {"locations": ["IN"], "transfer_mechanisms": ["IDTA"]},
    "uk-addendum": {"locations": ["IN"], "transfer_mechanisms": ["SCC", "UK Addendum"]},
    "uk-bcr": {"locations": ["IN"], "transfer_mechanisms": ["UK BCR"]},
    "scc-alone": {"locations": ["IN"], "transfer_mechanisms": ["SCC"]},
    "eu-dpf": {"locations": ["US"], "transfer_mechanisms": ["DPF"]},
    "uk-extension": {"locations": ["US"], "transfer_mechanisms": ["DPF", "DPF UK Extension"]},
    "uk-extension-not-us": {"locations": ["IN"], "transfer_mechanisms": ["DPF UK Extension"]},
    "chain-outside": {"locations": ["GB"], "transfer_mechanisms": ["DPF UK Extension"], "subprocessors": [MEMBER]},
}


def test_uk_gdpr(cli, repo: Repo) -> None:
    build(repo, {"uk": region("uk", "uk-gdpr")}, UK)
    found = transfer_findings(cli, repo)
    assert outcomes(found) == {
        "eu-adequate-only": {TM_ERR},
        "scc-alone": {TM_ERR},  # the SCC alone are no safeguard for UK data (so nothing to assess)
        "eu-dpf": {TM_ERR},  # the EU DPF does not cover UK data: the UK Extension does
        "uk-extension-not-us": {TM_ERR},
        "chain-outside": {TM_ERR},
    }
    assert found["eu-dpf"]["transfer-mechanism"]["message"] == (
        "personal data of the uk region (UK GDPR) goes to US without an adequacy finding and without a "
        "transfer mechanism valid under the UK GDPR (IDTA, UK Addendum, UK BCR, DPF UK Extension (for US))")
    assert "goes to IN (chain: Far Cloud)" in found["chain-outside"]["transfer-mechanism"]["message"]


# -- swiss-fadp -----------------------------------------------------------------------------

SWISS = {
    "home": {"locations": ["CH"], "transfer_mechanisms": []},
    "adequate": {"locations": ["MC", "DE", "GB", "CA"], "transfer_mechanisms": []},
    "not-swiss-adequate": {"locations": ["JP"], "transfer_mechanisms": []},
    "swiss-scc": {"locations": ["IN"], "transfer_mechanisms": ["SCC (Swiss amendments)"]},
    "bcr": {"locations": ["IN"], "transfer_mechanisms": ["BCR"]},
    "scc-alone": {"locations": ["IN"], "transfer_mechanisms": ["SCC"]},
    "eu-dpf": {"locations": ["US"], "transfer_mechanisms": ["DPF"]},
    "swiss-dpf": {"locations": ["US"], "transfer_mechanisms": ["Swiss-US DPF"]},
    "safe-harbor": {"locations": ["CH"], "transfer_mechanisms": ["Safe Harbour"]},
}


def test_swiss_fadp(cli, repo: Repo) -> None:
    build(repo, {"ch": region("ch", "swiss-fadp")}, SWISS)
    found = transfer_findings(cli, repo)
    # no transfer-assessment under the FADP (SPEC: gdpr and uk-gdpr only)
    assert outcomes(found) == {
        "not-swiss-adequate": {TM_ERR},
        "scc-alone": {TM_ERR},
        "eu-dpf": {TM_ERR},
        "safe-harbor": {TM_ERR},
    }
    assert "(FADP) goes to JP without" in found["not-swiss-adequate"]["transfer-mechanism"]["message"]
    assert "Safe Harbor was invalidated on 6 October 2015" in found["safe-harbor"]["transfer-mechanism"]["message"]


# -- quebec ---------------------------------------------------------------------------------

EFFECTIVE = "2025-07-01"  # after TODAY: the notice is ahead


def quebec_cases() -> dict[str, dict[str, Any]]:
    notice = {"announced_on": "2025-05-20", "effective_on": EFFECTIVE}
    return {
        "in-quebec": {"locations": ["CA-QC"], "transfer_assessed_on": None},
        "canada-is-not-quebec": {"locations": ["CA"], "transfer_assessed_on": None},
        "missing": {"locations": ["US"], "transfer_assessed_on": None},
        "day-before-today": {"locations": ["US"], "transfer_assessed_on": "2025-05-31"},
        "today": {"locations": ["US"], "transfer_assessed_on": TODAY},
        "day-after-today": {"locations": ["US"], "transfer_assessed_on": "2025-06-02"},
        "day-before-effective": {"locations": ["US"], "notice": notice, "transfer_assessed_on": "2025-06-30"},
        "on-effective": {"locations": ["US"], "notice": notice, "transfer_assessed_on": EFFECTIVE},
        "day-after-effective": {"locations": ["US"], "notice": notice, "transfer_assessed_on": "2025-07-02"},
        "chain-outside": {"locations": ["CA-QC"], "transfer_assessed_on": None, "subprocessors": [MEMBER]},
        "chain-assessed": {"locations": ["CA-QC"], "transfer_assessed_on": "2025-01-01",
                           "subprocessors": [MEMBER]},
    }


def test_quebec(cli, repo: Repo) -> None:
    build(repo, {"ca": region("ca", "quebec")}, {k: {**v, "transfer_mechanisms": []}
                                               for k, v in quebec_cases().items()})
    found = transfer_findings(cli, repo)
    assert outcomes(found) == {
        "canada-is-not-quebec": {TM_ERR},
        "missing": {TM_ERR},
        "day-after-today": {TM_ERR},
        "day-after-effective": {TM_ERR},
        "chain-outside": {TM_ERR},
    }
    missing = found["missing"]["transfer-mechanism"]
    assert missing["message"] == (
        "personal data of the ca region (Québec P-39.1) goes outside Québec, to US, without a privacy "
        "impact assessment (P-39.1 s.17): set transfer_assessed_on, on or before today (2025-06-01)")
    assert missing["line"] == line(repo, "missing", "locations")
    late = found["day-after-effective"]["transfer-mechanism"]
    assert late["message"] == (
        "personal data of the ca region (Québec P-39.1) goes outside Québec, to US, and its privacy impact "
        "assessment of 2025-07-02 is after its effective_on (2025-07-01): the assessment comes before the "
        "communication (P-39.1 s.17)")
    assert late["line"] == line(repo, "day-after-effective", "transfer_assessed_on")
    assert "after today (2025-06-01)" in found["day-after-today"]["transfer-mechanism"]["message"]
    assert "to CA, without" in found["canada-is-not-quebec"]["transfer-mechanism"]["message"]
    chain = found["chain-outside"]["transfer-mechanism"]
    assert "to IN (chain: Far Cloud), without" in chain["message"]
    assert chain["line"] == line(repo, "chain-outside", "locations", 2)  # the member's own locations


def test_quebec_once_the_notice_has_taken_effect(run, repo: Repo) -> None:
    """After effective_on, a later re-assessment (up to today) is in time."""
    build(repo, {"ca": region("ca", "quebec")}, {k: {**v, "transfer_mechanisms": []}
                                               for k, v in quebec_cases().items() if "effective" in k})
    assert outcomes(transfer_findings(run, repo, today="2025-07-02")) == {}
    assert outcomes(transfer_findings(run, repo, today="2025-07-01")) == {"day-after-effective": {TM_ERR}}


# -- laws without a transfer condition ---------------------------------------------------

@pytest.mark.parametrize("law", ["pipeda", "ccpa", "none"])
def test_laws_without_a_transfer_condition(cli, repo: Repo, law: str) -> None:
    build(repo, {"r": region("r", law)}, {
        "anywhere": {"locations": ["IN", "Global"], "transfer_mechanisms": [], "transfer_assessed_on": None},
        "chain": {"locations": ["US"], "transfer_mechanisms": [], "subprocessors": [MEMBER]},
        "shield": {"locations": ["US"], "transfer_mechanisms": ["EU-US Privacy Shield"]},
    })
    found = transfer_findings(cli, repo)
    # never valid, whatever the region's law
    assert outcomes(found) == {"shield": {TM_ERR}}


def test_every_region_is_judged_by_its_own_law(cli, repo: Repo) -> None:
    build(repo, {"eu": region("eu", "gdpr"), "ca": region("ca", "quebec"), "us": region("us", "ccpa")}, {
        "us-only": {"locations": ["US"], "transfer_mechanisms": [], "transfer_assessed_on": None},
        "eu-and-ca": {"regions": ["eu", "ca"], "locations": ["US"], "transfer_mechanisms": ["DPF", "SCC"],
                      "transfer_assessed_on": None},
        "ca-only": {"regions": ["ca"], "locations": ["US"], "transfer_mechanisms": ["DPF", "SCC"],
                    "transfer_assessed_on": None},
        "us-region-only": {"regions": ["us"], "locations": ["IN"], "transfer_mechanisms": [],
                           "transfer_assessed_on": None},
    })
    found = transfer_findings(cli, repo)
    assert outcomes(found) == {
        "us-only": {TM_ERR},  # all regions: eu (no mechanism) and ca (no assessment)
        "eu-and-ca": {TM_ERR, TA_WARN},
        "ca-only": {TM_ERR},
    }
    both = found["us-only"]["transfer-mechanism"]["message"]
    assert "eu region (GDPR) goes to US without" in both and "ca region (Québec P-39.1) goes outside Québec" in both


# -- transfer-assessment ------------------------------------------------------------------

def test_transfer_assessment(cli, repo: Repo) -> None:
    """SCC/BCR transfers to a place without adequacy: assessed, within
    due_diligence_max_age_days (365), not in the future; gdpr and uk-gdpr only."""
    build(repo, {"eu": region("eu", "gdpr"), "uk": region("uk", "uk-gdpr"), "ch": region("ch", "swiss-fadp")}, {
        "missing": {"regions": ["eu"], "locations": ["IN"], "transfer_mechanisms": ["SCC"],
                    "transfer_assessed_on": None},
        "max-age": {"regions": ["eu"], "locations": ["IN"], "transfer_mechanisms": ["SCC"],
                    "transfer_assessed_on": "2024-06-01"},
        "a-day-too-old": {"regions": ["eu"], "locations": ["IN"], "transfer_mechanisms": ["SCC"],
                          "transfer_assessed_on": "2024-05-31"},
        "today": {"regions": ["eu"], "locations": ["IN"], "transfer_mechanisms": ["BCR"],
                  "transfer_assessed_on": TODAY},
        "tomorrow": {"regions": ["eu"], "locations": ["IN"], "transfer_mechanisms": ["BCR"],
                     "transfer_assessed_on": "2025-06-02"},
        "adequate-place": {"regions": ["eu"], "locations": ["JP"], "transfer_mechanisms": ["SCC"],
                           "transfer_assessed_on": None},
        "dpf-alone": {"regions": ["eu"], "locations": ["US"], "transfer_mechanisms": ["DPF"],
                      "transfer_assessed_on": None},
        "scc-beside-dpf": {"regions": ["eu"], "locations": ["US"], "transfer_mechanisms": ["DPF", "SCC"],
                           "transfer_assessed_on": None},
        "chain": {"regions": ["eu"], "locations": ["DE"], "transfer_mechanisms": ["SCC"],
                  "transfer_assessed_on": None, "subprocessors": [MEMBER]},
        "uk-idta": {"regions": ["uk"], "locations": ["IN"], "transfer_mechanisms": ["IDTA"],
                    "transfer_assessed_on": None},
        "swiss-scc": {"regions": ["ch"], "locations": ["IN"], "transfer_mechanisms": ["SCC (Swiss amendments)"],
                      "transfer_assessed_on": None},
    })
    found = transfer_findings(cli, repo)
    assert outcomes(found) == {
        "missing": {TA_WARN},
        "a-day-too-old": {TA_WARN},
        "tomorrow": {TA_WARN},
        "dpf-alone": {TM_WARN},
        "scc-beside-dpf": {TA_WARN},
        "chain": {TA_WARN},
        "uk-idta": {TA_WARN},
    }
    missing = found["missing"]["transfer-assessment"]
    assert missing["message"] == (
        "transfers under SCC to IN (eu region) have no transfer impact assessment: set transfer_assessed_on "
        "(EDPB Recommendations 01/2020; Clause 14 of the SCC)")
    assert missing["severity"] == "warning" and missing["line"] == line(repo, "missing", "transfer_mechanisms")
    old = found["a-day-too-old"]["transfer-assessment"]
    assert old["message"] == ("the transfer impact assessment of 2024-05-31 is 366 days old; the policy allows "
                              "365 (transfers under SCC to IN (eu region))")
    assert old["line"] == line(repo, "a-day-too-old", "transfer_assessed_on")
    assert found["tomorrow"]["transfer-assessment"]["message"] == (
        "transfer_assessed_on 2025-06-02 is in the future: record an assessment already made")
    assert "SCC to IN (chain: Far Cloud) (eu region)" in found["chain"]["transfer-assessment"]["message"]
    assert "IDTA to IN (uk region)" in found["uk-idta"]["transfer-assessment"]["message"]


def test_transfer_assessment_age_follows_the_policy(run, repo: Repo) -> None:
    repo.policy(due_diligence_max_age_days=30)
    repo.put("acme", locations=["IN"], transfer_assessed_on="2025-05-02")
    repo.commit("2025-01-01")
    assert outcomes(transfer_findings(run, repo)) == {}  # 30 days old
    assert outcomes(transfer_findings(run, repo, today="2025-06-02")) == {"acme": {TA_WARN}}


def test_policy_law_must_be_known(run, repo: Repo) -> None:
    repo.policy(regions={**POLICY["regions"], "eu": region("eu", "gdrp")})
    repo.put("acme")
    res = run("--repo", repo.path, "validate")
    assert res.code == 2
    assert "policies/policy.yaml:" in res.err and "regions.eu.law: Input should be 'gdpr'" in res.err


def test_quebec_assessment_is_due_by_the_notice_while_it_is_ahead(run, repo: Repo) -> None:
    """An entry whose notice has not taken effect: the Québec assessment is due by its
    effective_on; one without a notice: by today."""
    notice = {"announced_on": "2025-05-20", "effective_on": EFFECTIVE}
    build(repo, {"ca": region("ca", "quebec")}, {
        "pending": {"locations": ["US"], "notice": notice, "transfer_assessed_on": None, "transfer_mechanisms": []},
        "in-use": {"locations": ["US"], "transfer_assessed_on": None, "transfer_mechanisms": []}})
    found = transfer_findings(run, repo)
    assert found["pending"]["transfer-mechanism"]["message"].endswith(
        f"set transfer_assessed_on, on or before its effective_on ({EFFECTIVE})")
    assert found["in-use"]["transfer-mechanism"]["message"].endswith(
        "set transfer_assessed_on, on or before today (2025-06-01)")
