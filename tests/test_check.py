"""`subreg check`: every built-in rule, passing and failing, through real git histories."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import Repo, dump

TODAY = "2025-06-01"


def check(run, repo: Repo, *args: str, today: str = TODAY) -> tuple[int, dict[str, Any]]:
    res = run("--repo", repo.path, "--today", today, "check", "--format", "json", *args)
    assert res.code in (0, 1), res.err
    doc = json.loads(res.out)
    return res.code, doc


def failed(doc: dict[str, Any]) -> set[tuple[str, str | None]]:
    return {(f["check"], f["subprocessor"]) for f in doc["findings"] if f["outcome"] == "failed"}


def outcomes(doc: dict[str, Any]) -> set[tuple[str, str | None, str]]:
    return {(f["check"], f["subprocessor"], f["outcome"]) for f in doc["findings"]}


@pytest.fixture
def based(repo: Repo) -> Repo:
    """A repo whose first commit (the baseline) holds one compliant entry."""
    repo.put("acme")
    repo.commit("2025-01-01", "baseline")
    return repo


def notice(announced: str, effective: str) -> dict[str, str]:
    return {"announced_on": announced, "effective_on": effective}


# -- SPEC section 4: notices -----------------------------------------------------------

def test_baseline_entries_need_no_notice(run, repo: Repo) -> None:
    repo.put("acme")
    repo.commit("2025-01-01")
    code, doc = check(run, repo, "--base", "HEAD", "--all")
    assert code == 0 and doc["findings"] == [] and doc["summary"]["passed"] > 5


def test_addition_without_notice_fails(run, based: Repo) -> None:
    based.put("beta", name="Beta", legal_name="Beta SAS")
    code, doc = check(run, based)
    assert code == 1
    assert failed(doc) == {("notice-required", "beta")}
    [finding] = doc["findings"]
    assert finding["path"] == "registry/beta.yaml" and finding["severity"] == "error"


@pytest.mark.parametrize(("effective", "ok"), [("2025-06-30", False), ("2025-07-01", True)])
def test_notice_period_29_fails_30_passes(run, based: Repo, effective: str, ok: bool) -> None:
    based.put("beta", name="Beta", legal_name="Beta SAS", notice=notice("2025-06-01", effective))
    code, doc = check(run, based)
    assert (code == 0) is ok
    assert failed(doc) == (set() if ok else {("notice-period", "beta")})
    if not ok:
        [f] = doc["findings"]
        assert "29 days" in f["message"] and f["line"] > 1


def test_notice_period_counts_calendar_days_across_leap_day(run, based: Repo) -> None:
    based.put("beta", name="Beta", legal_name="Beta SAS", notice=notice("2028-02-01", "2028-03-02"),
              due_diligence={"assessed_on": "2028-01-15", "risk": "low"})
    based.commit("2028-02-01")
    code, doc = check(run, based, "--base", "HEAD~1", "--head", "HEAD", today="2028-02-01")
    assert code == 0, doc  # 29 days of February 2028 + 1 = 30
    based.put("beta", name="Beta", legal_name="Beta SAS", notice=notice("2028-02-01", "2028-03-01"),
              due_diligence={"assessed_on": "2028-01-15", "risk": "low"})
    code, doc = check(run, based, "--base", "HEAD~1", today="2028-02-01")
    assert failed(doc) == {("notice-period", "beta")}


def test_backdated_notice(run, based: Repo) -> None:
    based.put("beta", name="Beta", legal_name="Beta SAS", notice=notice("2025-05-01", "2025-07-01"))
    head = based.commit("2025-05-20", "add beta, claiming it was announced on May 1st")
    code, doc = check(run, based, "--base", "main~1", "--head", head)
    assert failed(doc) == {("notice-backdated", "beta")}
    msg = doc["findings"][0]["message"]
    assert "2025-05-20" in msg and head[:12] in msg


@pytest.mark.parametrize(("announced", "backdated"), [("2025-05-24", True), ("2025-05-25", False),
                                                     ("2025-05-26", False)])
def test_uncommitted_notice_is_dated_today_less_the_grace(run, based: Repo, announced: str,
                                                          backdated: bool) -> None:
    based.put("beta", name="Beta", legal_name="Beta SAS", notice=notice(announced, "2025-07-01"))
    code, doc = check(run, based)
    assert failed(doc) == ({("notice-backdated", "beta")} if backdated else set())
    if backdated:
        [f] = doc["findings"]
        assert f["message"] == (
            "announced_on 2025-05-24 is before 2025-05-25: the notice can be shown to exist only from "
            "2025-06-01 (the date of this run; it is not committed yet), less the policy's "
            "notice_grace_days (7); a notice cannot be backdated")
        assert f["line"] == 33  # notice.announced_on


def test_notice_committed_before_the_run_is_dated_by_the_run(run, based: Repo) -> None:
    based.git("checkout", "-q", "-b", "pr")
    based.put("beta", name="Beta", legal_name="Beta SAS", notice=notice("2025-05-01", "2025-06-01"))
    first = based.commit("2025-05-01")
    based.put("beta", name="Beta", legal_name="Beta SAS", website="https://beta.example",
              notice=notice("2025-05-01", "2025-06-01"))
    based.commit("2025-05-06")  # a later commit keeps the notice
    code, doc = check(run, based, "--base", "main", "--head", "pr", today="2025-05-08")
    assert code == 0, doc
    code, doc = check(run, based, "--base", "main", "--head", "pr", today="2025-05-09")
    assert failed(doc) == {("notice-backdated", "beta")}
    assert f"it first appears in commit {first[:12]}, dated 2025-05-01, but commit dates" in \
        doc["findings"][0]["message"]


def test_moving_published_effective_date_earlier_is_altered(run, based: Repo) -> None:
    based.put("beta", name="Beta", legal_name="Beta SAS", notice=notice("2025-05-01", "2025-07-01"))
    based.commit("2025-05-01")
    based.put("beta", name="Beta", legal_name="Beta SAS", notice=notice("2025-05-01", "2025-06-15"))
    code, doc = check(run, based)
    assert ("notice-altered", "beta") in failed(doc)


def test_moving_published_announcement_earlier_is_altered(run, based: Repo) -> None:
    based.put("beta", name="Beta", legal_name="Beta SAS", notice=notice("2025-05-01", "2025-07-01"))
    based.commit("2025-05-01")
    based.put("beta", name="Beta", legal_name="Beta SAS", notice=notice("2025-04-01", "2025-07-01"))
    code, doc = check(run, based)
    assert ("notice-altered", "beta") in failed(doc)


def test_later_material_change_replaces_notice(run, based: Repo) -> None:
    based.put("beta", name="Beta", legal_name="Beta SAS", notice=notice("2025-04-01", "2025-05-01"))
    based.commit("2025-04-01")
    based.put("beta", name="Beta", legal_name="Beta SAS", locations=["DE", "US"],
              notice=notice("2025-06-01", "2025-07-01"))
    code, doc = check(run, based)
    assert code == 0, doc


def test_new_location_on_active_core_entry_needs_notice(run, based: Repo) -> None:
    based.put("acme", locations=["DE", "FR"])
    code, doc = check(run, based)
    assert failed(doc) == {("notice-required", "acme")}
    assert "locations" in doc["findings"][0]["message"]


def test_non_material_edit_needs_no_notice(run, based: Repo) -> None:
    based.put("acme", website="https://acme.example", address="1 Road, Berlin")
    code, doc = check(run, based)
    assert code == 0, doc


def test_opt_in_integration_needs_no_notice(run, based: Repo) -> None:
    based.put("crm", name="CRM", legal_name="CRM Inc.", tier="integration")
    code, doc = check(run, based)
    assert code == 0, doc


def test_entry_without_personal_data_needs_no_notice(run, based: Repo) -> None:
    based.put("cdn", name="CDN", legal_name="CDN Inc.", tier="infrastructure",
              personal_data=False, dpa_signed_on=None, security=None, due_diligence=None)
    code, doc = check(run, based)
    assert code == 0, doc


def test_rename_needs_no_notice_but_new_entity_does(run, based: Repo) -> None:
    based.remove("registry/acme.yaml")
    based.put("acme-analytics")
    code, doc = check(run, based)
    assert code == 0, doc
    based.put("acme-analytics", legal_name="Acme Holdings Ltd")  # another company: a replacement
    code, doc = check(run, based)
    assert ("notice-required", "acme-analytics") in failed(doc)


def test_removal_needs_no_notice(run, based: Repo) -> None:
    based.remove("registry/acme.yaml")
    code, doc = check(run, based)
    assert code == 0 and doc["findings"] == []


# -- the other built-in checks ---------------------------------------------------------

CASES: list[tuple[str, dict[str, Any], str | None]] = [
    ("translations", {"purpose": {"en": "Analytics"}}, "purpose.fr"),
    ("transfer-mechanism", {"locations": ["US"], "transfer_mechanisms": ["Privacy Shield"]}, "Privacy Shield"),
    ("transfer-mechanism", {"locations": ["IN"], "transfer_mechanisms": ["DPF"]}, "IN"),
    ("transfer-mechanism", {"locations": ["Global"], "transfer_mechanisms": []}, "Global"),
    ("certifications", {"certifications": []}, "no valid recognized certification"),
    ("certifications", {"certifications": [{"name": "ISO 27001", "expires_on": "2025-05-01"}]}, "expired"),
    ("certifications", {"certifications": [{"name": "SOC 1 Type II"}]}, "recognized"),
    ("dpa", {"dpa_signed_on": None}, "data processing agreement"),
    ("dpa", {"dpa_signed_on": "2025-07-01"}, "after today"),
    ("security-standards", {"security": {"encryption_at_rest": False, "encryption_in_transit": True,
                                         "breach_notice_hours": 96, "audit_rights": True}},
     "no encryption at rest; breach notice within 96 hours"),
    ("security-standards", {"security": None}, "security"),
    ("due-diligence", {"due_diligence": {"assessed_on": "2024-05-01", "risk": "low"}}, "396 days old"),
    ("due-diligence", {"due_diligence": None}, "assessment"),
]


@pytest.mark.parametrize(("check_id", "fields", "needle"), CASES)
def test_builtin_check_fails(run, based: Repo, check_id: str, fields: dict[str, Any], needle: str) -> None:
    based.put("acme", **fields)
    code, doc = check(run, based, "--all")
    assert code == 1
    hits = [f for f in doc["findings"] if f["check"] == check_id and f["outcome"] == "failed"]
    assert len(hits) == 1, doc
    assert needle in hits[0]["message"]
    assert hits[0]["subprocessor"] == "acme" and hits[0]["path"] == "registry/acme.yaml"


@pytest.mark.parametrize("fields", [
    {"locations": ["US"], "transfer_mechanisms": ["DPF"]},
    {"locations": ["US", "IN"], "transfer_mechanisms": ["SCC"]},
    {"locations": ["JP", "NO", "EU"], "transfer_mechanisms": []},
    {"regions": ["us"], "locations": ["IN"], "transfer_mechanisms": []},
    {"certifications": [{"name": "PCI DSS Level 1"}]},
    {"certifications": [{"name": "ISO/IEC 27001:2022", "expires_on": "2025-07-15"}, {"name": "SOC 2 Type II"}]},
])
def test_builtin_checks_pass(run, repo: Repo, fields: dict[str, Any]) -> None:
    repo.put("acme", **fields)
    repo.commit("2025-01-01")
    code, doc = check(run, repo, "--all")
    assert failed(doc) == set(), doc


def test_certificate_expiring_soon_is_a_warning(run, based: Repo) -> None:
    based.put("acme", certifications=[{"name": "ISO 27001", "expires_on": "2025-06-20"}])
    code, doc = check(run, based, "--all")
    assert code == 0
    assert outcomes(doc) == {("certifications", "acme", "warning")}
    assert doc["summary"]["warnings"] == 1


def test_certificate_expiry_across_dates(run, based: Repo) -> None:
    based.put("acme", certifications=[{"name": "ISO 27001", "expires_on": "2025-08-01"}])
    based.commit("2025-01-02")
    expected = {"2025-06-01": set(), "2025-07-15": {("certifications", "acme", "warning")},
                "2025-08-02": {("certifications", "acme", "failed")}}
    for day, want in expected.items():
        _, doc = check(run, based, "--all", today=day)
        assert {o for o in outcomes(doc) if o[0] == "certifications"} == want, day


def test_iso_2013_valid_before_transition_end(run, based: Repo) -> None:
    based.put("acme", certifications=[{"name": "ISO/IEC 27001:2013"}])
    based.commit("2025-01-02")
    assert check(run, based, "--all", today="2025-10-31")[0] == 0
    assert ("certifications", "acme") in failed(check(run, based, "--all", today="2025-11-01")[1])


def test_due_diligence_after_announcement(run, based: Repo) -> None:
    based.put("beta", name="Beta", legal_name="Beta SAS", notice=notice("2025-06-01", "2025-07-01"),
              due_diligence={"assessed_on": "2025-06-01", "risk": "low"})
    assert check(run, based)[0] == 0
    based.put("beta", name="Beta", legal_name="Beta SAS", notice=notice("2025-05-31", "2025-07-01"),
              due_diligence={"assessed_on": "2025-06-01", "risk": "low"})
    _, doc = check(run, based, today="2025-05-31")
    assert ("due-diligence", "beta") in failed(doc)


def test_duplicate_names(run, based: Repo) -> None:
    based.put("acme-2", name="ACME analytics!", legal_name="Other GmbH")
    code, doc = check(run, based, "--all")
    dup = [f for f in doc["findings"] if f["check"] == "duplicate"]
    assert len(dup) == 1 and dup[0]["subprocessor"] is None
    assert dup[0]["path"] == "registry/acme-2.yaml" and dup[0]["line"] == 1


def test_pull_request_not_failed_by_another_vendors_expired_certificate(run, based: Repo) -> None:
    based.put("acme", certifications=[{"name": "ISO 27001", "expires_on": "2025-02-01"}])
    based.commit("2025-01-02")
    based.put("beta", name="Beta", legal_name="Beta SAS", tier="integration")
    code, doc = check(run, based)
    assert code == 0 and doc["findings"] == []
    code, doc = check(run, based, "--all")
    assert ("certifications", "acme") in failed(doc)


# -- waivers ---------------------------------------------------------------------------

def waivers(repo: Repo, *items: dict[str, str]) -> None:
    repo.write("policies/waivers.yaml", dump(list(items)))


def waiver(check_id: str, sp: str, expires: str) -> dict[str, str]:
    return {"check": check_id, "subprocessor": sp, "reason": "emergency replacement",
            "approved_by": "dpo@example.com", "expires_on": expires}


def test_waiver_waives_matching_failure(run, based: Repo) -> None:
    based.put("beta", name="Beta", legal_name="Beta SAS", notice=notice("2025-06-01", "2025-06-10"))
    waivers(based, waiver("notice-period", "beta", "2025-12-31"))
    code, doc = check(run, based)
    assert code == 0
    assert outcomes(doc) == {("notice-period", "beta", "waived"), ("waiver-new", None, "warning")}
    assert doc["summary"]["waived"] == 1


def test_expired_waiver_no_longer_waives(run, based: Repo) -> None:
    based.put("beta", name="Beta", legal_name="Beta SAS", notice=notice("2025-06-01", "2025-06-10"))
    waivers(based, waiver("notice-period", "beta", "2025-05-31"))
    code, doc = check(run, based)
    assert code == 1
    assert outcomes(doc) == {("notice-period", "beta", "failed"), ("waiver-expired", None, "failed"),
                             ("waiver-new", None, "warning")}
    expired = next(f for f in doc["findings"] if f["check"] == "waiver-expired")
    assert expired["path"] == "policies/waivers.yaml" and expired["line"] == 1


def test_unused_waiver_is_a_warning(run, based: Repo) -> None:
    waivers(based, waiver("dpa", "acme", "2025-12-31"), waiver("dpa", "nobody", "2025-12-31"))
    code, doc = check(run, based, "--all")
    assert code == 0
    unused = [f for f in doc["findings"] if f["check"] == "waiver-unused"]
    assert [f["outcome"] for f in unused] == ["warning", "warning"]
    assert sorted(f["line"] for f in unused) == [1, 6]


def test_malformed_waivers_file_is_exit_2(run, based: Repo) -> None:
    based.write("policies/waivers.yaml", dump([{"check": "dpa", "subprocessor": "acme"}]))
    res = run("--repo", based.path, "check")
    assert res.code == 2 and "policies/waivers.yaml:1:3: missing required field" in res.err
