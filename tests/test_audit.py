"""`subreg audit`: date-driven checks and the replay of the whole history."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Repo, dump


def audit(run, repo: Repo, today: str, out: Path) -> tuple[int, dict]:
    res = run("--repo", repo.path, "--today", today, "audit", "--out", out)
    assert res.code in (0, 1), res.err
    return res.code, json.loads((out / "audit.json").read_text())


def past_violation(repo: Repo) -> Repo:
    repo.put("acme")
    repo.commit("2025-01-01", "baseline")
    # merged straight to main with 10 days' notice, bypassing the gate
    repo.put("beta", name="Beta", legal_name="Beta SAS",
             notice={"announced_on": "2025-02-01", "effective_on": "2025-02-11"},
             due_diligence={"assessed_on": "2025-01-20", "risk": "low"})
    repo.commit("2025-02-01", "add beta")
    repo.put("gamma", name="Gamma", legal_name="Gamma BV",
             notice={"announced_on": "2025-03-01", "effective_on": "2025-04-01"},
             due_diligence={"assessed_on": "2025-02-20", "risk": "low"})
    repo.commit("2025-03-01", "add gamma properly")
    return repo


def test_past_violation_is_reported_then_waived(run, repo: Repo, tmp_path: Path) -> None:
    past_violation(repo)
    code, doc = audit(run, repo, "2025-06-01", tmp_path / "a")
    assert code == 1
    failed = [f for f in doc["findings"] if f["outcome"] == "failed"]
    assert [(f["check"], f["subprocessor"]) for f in failed] == [("notice-period", "beta")]
    assert "10 days" in failed[0]["message"] and "(2025-02-01)" in failed[0]["message"]
    md = (tmp_path / "a" / "audit.md").read_text()
    assert "## Errors (1)" in md and "notice-period" in md

    repo.write("policies/waivers.yaml", dump([{
        "check": "notice-period", "subprocessor": "beta", "reason": "acknowledged by the DPO",
        "approved_by": "dpo@example.com", "expires_on": "2025-12-31"}]))
    repo.commit("2025-05-01", "waive")
    code, doc = audit(run, repo, "2025-06-01", tmp_path / "b")
    assert code == 0
    assert [(f["check"], f["outcome"]) for f in doc["findings"]] == [("notice-period", "waived")]


def test_backdated_merge_is_caught(run, repo: Repo, tmp_path: Path) -> None:
    repo.put("acme")
    repo.commit("2025-01-01")
    repo.put("beta", name="Beta", legal_name="Beta SAS",
             notice={"announced_on": "2025-02-01", "effective_on": "2025-04-01"},
             due_diligence={"assessed_on": "2025-01-20", "risk": "low"})
    sha = repo.commit("2025-02-20")
    code, doc = audit(run, repo, "2025-06-01", tmp_path / "a")
    assert code == 1
    [f] = doc["findings"]
    assert f["check"] == "notice-backdated" and sha[:12] in f["message"]


def test_merge_commits_are_replayed_along_first_parent(run, repo: Repo, tmp_path: Path) -> None:
    repo.put("acme")
    repo.commit("2025-01-01")
    repo.git("checkout", "-q", "-b", "feature")
    repo.put("beta", name="Beta", legal_name="Beta SAS",
             notice={"announced_on": "2025-02-01", "effective_on": "2025-03-05"},
             due_diligence={"assessed_on": "2025-01-20", "risk": "low"})
    repo.commit("2025-02-01")
    repo.git("checkout", "-q", "main")
    repo.put("acme", website="https://acme.example")
    repo.commit("2025-02-02")
    repo.git("merge", "-q", "--no-ff", "feature", "-m", "merge", day="2025-02-03")
    code, doc = audit(run, repo, "2025-03-03", tmp_path / "a")
    assert code == 0, doc["findings"]
    assert doc["upcoming"] == ["beta"] and doc["now_active"] == []
    assert doc["activations"] == [{"id": "beta", "name": "Beta", "effective_on": "2025-03-05"}]
    md = (tmp_path / "a" / "audit.md").read_text()
    assert "- Beta (`beta`): effective 2025-03-05" in md
    kinds = {(c["kind"], c["id"]) for c in doc["recent_changes"]}
    assert ("added", "beta") in kinds and ("modified", "acme") in kinds


def test_date_driven_findings(run, repo: Repo, tmp_path: Path) -> None:
    repo.put("acme", certifications=[{"name": "ISO 27001", "expires_on": "2025-08-01"}])
    repo.put("beta", name="Beta", legal_name="Beta SAS",
             notice={"announced_on": "2024-12-01", "effective_on": "2025-07-10"},
             dpa_signed_on="2025-07-20")
    repo.write("policies/waivers.yaml", dump([{
        "check": "dpa", "subprocessor": "beta", "reason": "countersignature pending",
        "approved_by": "dpo@example.com", "expires_on": "2025-07-14"}]))
    repo.commit("2025-01-01")
    seen = {}
    for day in ("2025-06-01", "2025-07-05", "2025-07-12", "2025-08-02"):
        code, doc = audit(run, repo, day, tmp_path / day)
        seen[day] = (code, {(f["check"], f["subprocessor"], f["outcome"]) for f in doc["findings"]},
                     doc["upcoming"], doc["now_active"])
    assert seen["2025-06-01"] == (0, {("dpa", "beta", "waived")}, [], [])
    assert seen["2025-07-05"] == (0, {("dpa", "beta", "waived"), ("certifications", "acme", "warning"),
                                      ("waiver-expiring", None, "warning")}, ["beta"], [])
    assert seen["2025-07-12"][2:] == ([], ["beta"])
    code, found, _, _ = seen["2025-08-02"]
    assert code == 1
    assert {("dpa", "beta", "failed"), ("waiver-expired", None, "failed"),
            ("certifications", "acme", "failed")} <= found


def test_shallow_clone_is_refused(run, repo: Repo, tmp_path: Path) -> None:
    repo.put("acme")
    repo.commit("2025-01-01")
    repo.put("acme", website="https://acme.example")
    repo.commit("2025-01-02")
    clone = tmp_path / "shallow"
    repo.git("clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone))
    res = run("--repo", clone, "audit")
    assert res.code == 2 and "shallow clone" in res.err and "fetch-depth: 0" in res.err


def test_broken_yaml_in_an_old_commit_is_reported_and_replay_goes_on(run, repo: Repo, tmp_path: Path) -> None:
    repo.put("acme")
    repo.commit("2025-01-01")
    repo.write("registry/beta.yaml", "name: [broken\n")
    broken = repo.commit("2025-01-10")
    repo.put("beta", name="Beta", legal_name="Beta SAS",
             notice={"announced_on": "2025-02-01", "effective_on": "2025-02-05"})
    repo.commit("2025-02-01")
    code, doc = audit(run, repo, "2025-06-01", tmp_path / "a")
    assert code == 1
    found = {(f["check"], f["outcome"]) for f in doc["findings"]}
    assert ("history-invalid", "warning") in found and ("notice-period", "failed") in found
    hist = next(f for f in doc["findings"] if f["check"] == "history-invalid")
    assert hist["path"] == "registry/beta.yaml" and broken[:12] in hist["message"]


def test_audit_without_out_prints_the_report(run, repo: Repo) -> None:
    repo.put("acme")
    repo.commit("2025-01-01")
    res = run("--repo", repo.path, "--today", "2025-06-01", "audit")
    assert res.code == 0 and "1 registry commit(s) replayed" in res.out


def test_invalid_intermediate_version_is_not_a_removal_and_addition(run, repo: Repo, tmp_path: Path) -> None:
    repo.put("acme")
    repo.commit("2025-01-01")
    repo.put("acme", tier="platinum")  # invalid: tier
    repo.commit("2025-02-01")
    repo.put("acme", website="https://acme.example")
    repo.commit("2025-03-01")
    code, doc = audit(run, repo, "2025-05-01", tmp_path / "a")
    assert code == 0
    assert [(f["check"], f["path"]) for f in doc["findings"]] == [("history-invalid", "registry/acme.yaml")]
    assert [(c["kind"], c["id"], c["fields"]) for c in doc["recent_changes"]] == [
        ("modified", "acme", ["website"])]
