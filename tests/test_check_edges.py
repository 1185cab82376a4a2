"""The built-in checks at their boundaries (the day before, the day, the day after) and
in every branch, through `subreg check --all` on a real repository: each test asserts
the exact finding (check id, outcome, line) and its message."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import Repo, dump, entry

TODAY = "2025-06-01"
RECOGNIZED = "SOC 2 Type II, ISO 27001, ISO/IEC 27001, PCI DSS"


def findings(run: Any, repo: Repo, *args: str, today: str = TODAY) -> list[tuple[str, str, int, str]]:
    res = run("--repo", repo.path, "--today", today, "check", "--all", "--format", "json", *args)
    assert res.code in (0, 1), res.err
    return [(f["check"], f["outcome"], f["line"], f["message"]) for f in json.loads(res.out)["findings"]]


def line_of(repo: Repo, sp: str, needle: str) -> int:
    text = (repo.path / "registry" / f"{sp}.yaml").read_text().splitlines()
    return next(i for i, line in enumerate(text, 1) if needle in line)


@pytest.fixture
def based(repo: Repo) -> Repo:
    repo.put("acme")
    repo.commit("2025-01-01")
    return repo


# -- certifications ---------------------------------------------------------------------------

@pytest.mark.parametrize(("expires", "outcome", "message"), [
    ("2025-05-31", "failed", "ISO 27001 expired on 2025-05-31"),
    ("2025-06-01", "warning", "ISO 27001 expires on 2025-06-01, in 0 days"),
    ("2025-07-01", "warning", "ISO 27001 expires on 2025-07-01, in 30 days"),
    ("2025-07-02", None, None),
])
def test_certificate_expiry_boundaries(run: Any, based: Repo, expires: str, outcome: str | None,
                                       message: str | None) -> None:
    based.put("acme", tier="infrastructure", certifications=[{"name": "ISO 27001", "expires_on": expires}])
    based.commit("2025-01-02")
    got = findings(run, based)
    if outcome is None:
        assert got == []
    else:
        assert got == [("certifications", outcome, line_of(based, "acme", "expires_on"), message)]


def test_every_certificate_is_judged(run: Any, based: Repo) -> None:
    based.put("acme", certifications=[
        {"name": "ISO/IEC 27001:2013"}, {"name": "PCI DSS", "expires_on": "2025-10-01"},
        {"name": "SOC 2 Type II", "expires_on": "2025-11-10"}])
    [(check, outcome, line, message)] = findings(run, based, today="2025-11-01")
    assert (check, outcome) == ("certifications", "failed")
    assert message == ("ISO/IEC 27001:2013 is no longer valid: ISO/IEC 27001:2013 certificates ended on "
                       "2025-10-31 (transition to ISO/IEC 27001:2022); PCI DSS expired on 2025-10-01; "
                       "SOC 2 Type II expires on 2025-11-10, in 9 days")
    assert line == line_of(based, "acme", "ISO/IEC 27001:2013")


def test_an_expired_certificate_next_to_a_valid_one(run: Any, based: Repo) -> None:
    based.put("acme", certifications=[{"name": "PCI DSS", "expires_on": "2025-05-01"},
                                      {"name": "ISO 27001", "expires_on": "2026-01-01"}])
    assert findings(run, based) == [("certifications", "failed", line_of(based, "acme", "2025-05-01"),
                                     "PCI DSS expired on 2025-05-01")]


def test_no_valid_certification_comes_first(run: Any, based: Repo) -> None:
    based.put("acme", certifications=[{"name": "ISO 27001", "expires_on": "2025-05-01"}])
    assert findings(run, based) == [("certifications", "failed", line_of(based, "acme", "certifications"),
                                     "a core subprocessor with personal data has no valid recognized "
                                     f"certification ({RECOGNIZED}, ...); ISO 27001 expired on 2025-05-01")]
    based.put("acme", certifications=[])
    assert findings(run, based) == [("certifications", "failed", 1,
                                     "a core subprocessor with personal data has no valid recognized "
                                     f"certification ({RECOGNIZED}, ...)")]


def test_certifications_of_other_tiers(run: Any, based: Repo) -> None:
    based.put("acme", tier="infrastructure", certifications=[])
    based.put("beta", name="Beta", legal_name="Beta SAS", personal_data=False, certifications=[])
    based.commit("2025-01-02")
    assert [f for f in findings(run, based) if f[0] == "certifications"] == []


# -- due diligence ----------------------------------------------------------------------------

@pytest.mark.parametrize(("assessed", "message"), [
    ("2024-06-01", None),  # 365 days old: the policy allows 365
    ("2024-05-31", "due diligence assessed on 2024-05-31 is 366 days old; the policy allows 365"),
    ("2025-06-01", None),
    ("2025-06-02", "due diligence assessed_on 2025-06-02 is in the future"),
])
def test_due_diligence_age(run: Any, based: Repo, assessed: str, message: str | None) -> None:
    based.put("acme", due_diligence={"assessed_on": assessed, "risk": "low"})
    got = findings(run, based)
    assert got == ([] if message is None else
                   [("due-diligence", "failed", line_of(based, "acme", "assessed_on"), message)])


@pytest.mark.parametrize(("assessed", "ok"), [("2025-06-05", True), ("2025-06-06", False)])
def test_due_diligence_before_the_announcement(run: Any, based: Repo, assessed: str, ok: bool) -> None:
    based.put("beta", name="Beta", legal_name="Beta SAS",
              notice={"announced_on": "2025-06-05", "effective_on": "2025-07-05"},
              due_diligence={"assessed_on": assessed, "risk": "low"})
    got = findings(run, based, today="2025-06-10")
    assert got == ([] if ok else [(
        "due-diligence", "failed", line_of(based, "beta", "assessed_on"),
        f"the notice was announced on 2025-06-05, before the due diligence assessment of {assessed}")])


def test_due_diligence_before_an_old_notice_is_not_rejudged(run: Any, based: Repo) -> None:
    based.put("acme", notice={"announced_on": "2024-06-05", "effective_on": "2024-07-05"},
              due_diligence={"assessed_on": "2025-05-01", "risk": "low"})
    based.commit("2025-05-01")
    based.put("acme", notice={"announced_on": "2024-06-05", "effective_on": "2024-07-05"},
              due_diligence={"assessed_on": "2025-05-01", "risk": "low"}, website="https://acme.example")
    assert findings(run, based) == []


# -- security, translations, dpa -------------------------------------------------------------

SECURE = {"encryption_at_rest": True, "encryption_in_transit": True, "breach_notice_hours": 72,
          "audit_rights": True}


@pytest.mark.parametrize(("changes", "message", "field"), [
    ({"encryption_in_transit": False}, "no encryption in transit", "encryption_in_transit"),
    ({"audit_rights": False}, "no audit rights", "audit_rights"),
    ({"breach_notice_hours": 73}, "breach notice within 73 hours exceeds the policy's 72", "breach_notice_hours"),
    ({"audit_rights": False, "encryption_at_rest": False}, "no encryption at rest; no audit rights",
     "encryption_at_rest"),
    ({"breach_notice_hours": 72}, None, None),
])
def test_security_standards(run: Any, based: Repo, changes: dict[str, Any], message: str | None,
                            field: str | None) -> None:
    based.put("acme", security={**SECURE, **changes})
    got = findings(run, based)
    assert got == ([] if message is None else
                   [("security-standards", "failed", line_of(based, "acme", f"{field}:"), message)])


def test_translations_point_at_the_field(run: Any, based: Repo) -> None:
    based.put("acme", data_processed={"en": "Usage events"})
    assert findings(run, based) == [("translations", "failed", line_of(based, "acme", "data_processed"),
                                     "missing translation: data_processed.fr")]


@pytest.mark.parametrize(("signed", "ok"), [("2025-07-01", True), ("2025-07-02", False)])
def test_dpa_signed_by_activation(run: Any, based: Repo, signed: str, ok: bool) -> None:
    based.put("beta", name="Beta", legal_name="Beta SAS", dpa_signed_on=signed,
              notice={"announced_on": "2025-06-01", "effective_on": "2025-07-01"},
              due_diligence={"assessed_on": "2025-05-01", "risk": "low"})
    got = [f for f in findings(run, based) if f[0] == "dpa"]
    assert got == ([] if ok else [("dpa", "failed", line_of(based, "beta", "dpa_signed_on"),
                                   f"the DPA is signed on {signed}, after its effective_on (2025-07-01)")])


# -- history edge cases that only a replay shows --------------------------------------------

def test_commit_with_several_files_is_read_whole(run: Any, based: Repo, tmp_path: Any) -> None:
    based.write("registry/aaa.yaml", "name: [broken\n")
    based.write("registry/bbb.yaml", "tier: [broken\n")
    based.put("beta", name="Beta", legal_name="Beta SAS")
    based.write("policies/waivers.yaml", "[]\n")
    broken = based.commit("2025-02-01")
    based.remove("registry/aaa.yaml")
    based.remove("registry/bbb.yaml")
    based.commit("2025-02-02")
    res = run("--repo", based.path, "--today", TODAY, "audit", "--out", tmp_path / "a")
    doc = json.loads((tmp_path / "a" / "audit.json").read_text())
    assert sorted((f["check"], f["path"], f["subprocessor"]) for f in doc["findings"]) == [
        ("history-invalid", "registry/aaa.yaml", None), ("history-invalid", "registry/bbb.yaml", None),
        ("notice-required", "registry/beta.yaml", "beta")]
    assert res.code == 1 and broken[:12] in doc["findings"][0]["message"] + doc["findings"][1]["message"]


def test_pull_request_commit_that_also_deletes_an_entry(run: Any, based: Repo) -> None:
    based.put("aaa", name="Aaa", legal_name="Aaa Ltd")
    based.commit("2025-02-01")
    based.git("checkout", "-q", "-b", "pr")
    based.remove("registry/aaa.yaml")
    based.put("beta", name="Beta", legal_name="Beta SAS",
              notice={"announced_on": "2025-06-01", "effective_on": "2025-07-01"},
              due_diligence={"assessed_on": "2025-05-01", "risk": "low"})
    future = based.commit("2025-06-20", "dated in the future of the run")
    res = run("--repo", based.path, "--today", TODAY, "check", "--base", "main", "--head", "pr", "--format", "json")
    [f] = json.loads(res.out)["findings"]
    assert f["check"] == "notice-backdated" and f["message"].startswith(
        "announced_on 2025-06-01 is before 2025-06-13: the notice can be shown to exist only from 2025-06-20 "
        f"(it first appears in commit {future[:12]}, dated 2025-06-20, after the date of this run")


def test_waivers_yaml_as_written_by_init_is_valid(tmp_path: Any) -> None:
    assert dump(entry())  # the helpers stay importable for the other modules
