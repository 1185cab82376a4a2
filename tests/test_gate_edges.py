"""The edges of the gate's rules on real git repositories, in-process: the replay's
dating, baseline and per-commit waivers, waivers in `check`, an invalid base, the registry
layout, and git output read NUL-separated."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from conftest import Repo, dump
from subreg.gitrepo import _parse_log
from test_gate import BETA, audit, check, commit_at, merge_at, messages, notice

TODAY = "2025-06-01"


@pytest.fixture
def based(repo: Repo) -> Repo:
    repo.put("acme")
    commit_at(repo, "2025-01-01T12:00:00", "baseline")
    return repo


def waiver(check_id: str, sp: str, expires: str, approved: str = "dpo@example.com") -> dict[str, str]:
    return {"check": check_id, "subprocessor": sp, "reason": "emergency replacement",
            "approved_by": approved, "expires_on": expires}


def waivers(repo: Repo, *items: dict[str, str]) -> None:
    repo.write("policies/waivers.yaml", dump(list(items)))


# -- the replay ----------------------------------------------------------------------------

def test_replay_dates_by_the_first_parent_commit_not_the_side_branch(run: Any, based: Repo, tmp_path: Path) -> None:
    based.git("checkout", "-q", "-b", "pr")
    based.put("beta", **BETA, notice=notice("2025-03-01", "2025-04-01"))
    commit_at(based, "2025-03-01T00:00:00", "honest side commit")
    based.git("checkout", "-q", "main")
    commit_at(based, "2025-03-05T00:00:00", "a commit that does not touch the registry")
    merged = merge_at(based, "pr", "2025-03-08T23:59:59")
    assert audit(run, based, tmp_path / "a") == (0, [])  # 03-08 less 7 days is 03-01
    based.git("reset", "-q", "--hard", "HEAD~1")
    late = merge_at(based, "pr", "2025-03-09T00:00:00")
    code, got = audit(run, based, tmp_path / "b")
    assert code == 1 and got == [("notice-backdated", "failed", "beta", "registry/beta.yaml", 31)]
    report = json.loads((tmp_path / "b" / "audit.json").read_text())
    assert report["findings"][0]["message"] == (
        f"commit {late[:12]} (2025-03-09): announced_on 2025-03-01 is before 2025-03-02: the notice can be "
        "shown to exist only from 2025-03-09 (the default branch's first commit containing it is "
        f"{late[:12]}, dated 2025-03-09), less the policy's notice_grace_days (7); a notice cannot be backdated")
    assert merged != late


def test_replay_postponement_and_a_removed_notice(run: Any, based: Repo, tmp_path: Path) -> None:
    based.put("beta", **BETA, notice=notice("2025-03-01", "2025-04-01"))
    commit_at(based, "2025-03-01T00:00:00")
    based.put("beta", **BETA, notice=notice("2025-03-01", "2025-05-01"))
    commit_at(based, "2025-04-15T00:00:00", "postponed, six weeks after the announcement")
    assert audit(run, based, tmp_path / "a") == (0, [])
    based.put("beta", **BETA)
    removed = commit_at(based, "2025-04-30T23:59:59", "notice dropped the day before it took effect")
    code, got = audit(run, based, tmp_path / "b")
    assert code == 1 and got == [("notice-altered", "failed", "beta", "registry/beta.yaml", 1)]
    report = json.loads((tmp_path / "b" / "audit.json").read_text())
    assert report["findings"][0]["message"].startswith(
        f"commit {removed[:12]} (2025-04-30): the published notice (2025-03-01 -> 2025-05-01) was removed "
        "before it took effect")


def test_replay_revival_is_judged_on_the_commit_date(run: Any, based: Repo, tmp_path: Path) -> None:
    based.put("acme", retired_on="2025-03-01")
    commit_at(based, "2025-02-01T00:00:00")
    based.put("acme")
    commit_at(based, "2025-02-28T23:59:59", "retirement cancelled before it happened")
    assert audit(run, based, tmp_path / "a") == (0, [])
    based.put("acme", retired_on="2025-03-01")
    commit_at(based, "2025-03-10T00:00:00")
    based.put("acme")
    commit_at(based, "2025-03-20T00:00:00", "brought back after its retirement")
    code, got = audit(run, based, tmp_path / "b")
    assert code == 1 and got == [("notice-required", "failed", "acme", "registry/acme.yaml", 1)]


def test_replay_baseline_is_the_first_commit_only(run: Any, repo: Repo, tmp_path: Path) -> None:
    commit_at(repo, "2024-12-01T00:00:00", "policy first")
    repo.put("acme")
    repo.put("beta", **BETA)
    commit_at(repo, "2025-01-01T00:00:00", "baseline: two entries")
    repo.put("gamma", name="Gamma", legal_name="Gamma BV")
    commit_at(repo, "2025-01-02T00:00:00", "an addition")
    code, got = audit(run, repo, tmp_path / "a")
    assert code == 1 and got == [("notice-required", "failed", "gamma", "registry/gamma.yaml", 1)]
    report = json.loads((tmp_path / "a" / "audit.json").read_text())
    assert report["recent_changes"] == []


def test_replay_waiver_live_on_the_commit_date(run: Any, based: Repo, tmp_path: Path) -> None:
    based.put("beta", **BETA, notice=notice("2025-03-01", "2025-03-11"))
    waivers(based, waiver("notice-period", "beta", "2025-03-01"))
    commit_at(based, "2025-03-01T23:59:59", "waiver expiring the day of the merge: it still waives")
    waivers(based)
    commit_at(based, "2025-03-20T00:00:00")
    code, got = audit(run, based, tmp_path / "a")
    assert (code, got) == (0, [("notice-period", "waived", "beta", "registry/beta.yaml", 32)])
    based.git("reset", "-q", "--hard", "HEAD~2")
    based.put("beta", **BETA, notice=notice("2025-03-01", "2025-03-11"))
    waivers(based, waiver("notice-period", "beta", "2025-02-28"))
    commit_at(based, "2025-03-01T00:00:00", "a waiver expired the day before")
    waivers(based)
    commit_at(based, "2025-03-20T00:00:00")
    code, got = audit(run, based, tmp_path / "b")
    assert code == 1 and got == [("notice-period", "failed", "beta", "registry/beta.yaml", 32)]


def test_replay_waiver_of_another_check_or_entry_does_not_waive(run: Any, based: Repo, tmp_path: Path) -> None:
    based.put("beta", **BETA, notice=notice("2025-03-01", "2025-03-11"))
    waivers(based, waiver("notice-backdated", "beta", "2025-12-31"), waiver("notice-period", "acme", "2025-12-31"))
    commit_at(based, "2025-03-01T12:00:00")
    waivers(based)
    commit_at(based, "2025-03-02T12:00:00")
    code, got = audit(run, based, tmp_path / "a")
    assert code == 1 and got == [("notice-period", "failed", "beta", "registry/beta.yaml", 32)]


def test_replay_with_an_invalid_waivers_file_in_history(run: Any, based: Repo, tmp_path: Path) -> None:
    based.put("beta", **BETA, notice=notice("2025-03-01", "2025-03-11"))
    based.write("policies/waivers.yaml", "- check: notice-period\n")
    broken = commit_at(based, "2025-03-01T12:00:00", "merged past the gate with a broken waivers file")
    waivers(based)
    commit_at(based, "2025-03-02T12:00:00")
    code, got = audit(run, based, tmp_path / "a")
    assert code == 1 and got == [
        *[("history-invalid", "warning", None, f"{broken[:12]}:policies/waivers.yaml", 1)] * 4,
        ("notice-period", "failed", "beta", "registry/beta.yaml", 32)]


def test_audit_waiver_unused_counts_the_replay(run: Any, based: Repo, tmp_path: Path) -> None:
    based.put("beta", **BETA, notice=notice("2025-03-01", "2025-03-11"))
    waivers(based, waiver("notice-period", "beta", "2025-12-31"), waiver("dpa", "beta", "2025-12-31"))
    commit_at(based, "2025-03-01T12:00:00")
    code, got = audit(run, based, tmp_path / "a")
    assert (code, got) == (0, [("notice-period", "waived", "beta", "registry/beta.yaml", 32),
                               ("waiver-unused", "warning", None, "policies/waivers.yaml", 6)])


# -- waivers in check -------------------------------------------------------------------------

@pytest.mark.parametrize(("expires", "found"), [
    ("2025-05-31", [("waiver-expired", "failed", None, "policies/waivers.yaml", 6)]),
    ("2025-06-01", [("waiver-expiring", "warning", None, "policies/waivers.yaml", 6)]),
    ("2025-06-15", [("waiver-expiring", "warning", None, "policies/waivers.yaml", 6)]),
    ("2025-06-16", []),
])
def test_waiver_expiring_in_check_at_its_line(run: Any, based: Repo, expires: str,
                                              found: list[tuple[Any, ...]]) -> None:
    based.put("acme", dpa_signed_on=None)
    waivers(based, waiver("security-standards", "acme", "2026-01-01"), waiver("dpa", "acme", expires))
    commit_at(based, "2025-05-01T00:00:00")
    based.put("acme", dpa_signed_on=None, website="https://acme.example")
    code, got = check(run, based)
    dpa = ("dpa", "failed" if expires < TODAY else "waived", "acme", "registry/acme.yaml", 1)
    assert got == sorted([dpa, ("waiver-unused", "warning", None, "policies/waivers.yaml", 1), *found])
    if found:
        left = {"2025-06-01": 0, "2025-06-15": 14}.get(expires)
        msg = messages(run, based)[found[0][0]]
        if left is not None:
            assert msg == (f"waiver of dpa for acme expires on {expires}, in {left} days (approved by "
                           "dpo@example.com)")


def test_waiver_unused_only_where_it_could_be_used(run: Any, based: Repo) -> None:
    waivers(based, waiver("dpa", "acme", "2025-12-31"), waiver("dpa", "beta", "2025-12-31"))
    commit_at(based, "2025-05-01T00:00:00")
    based.put("beta", **BETA, notice=notice("2025-06-01", "2025-07-01"))
    code, got = check(run, based)
    assert (code, got) == (0, [("waiver-unused", "warning", None, "policies/waivers.yaml", 6)])
    code, got = check(run, based, "--all")
    assert (code, got) == (0, [("waiver-unused", "warning", None, "policies/waivers.yaml", 1),
                               ("waiver-unused", "warning", None, "policies/waivers.yaml", 6)])


def test_waiver_new_only_for_new_or_changed_waivers(run: Any, based: Repo) -> None:
    waivers(based, waiver("dpa", "acme", "2025-12-31"))
    commit_at(based, "2025-05-01T00:00:00")
    waivers(based, waiver("dpa", "acme", "2025-12-31"), waiver("dpa", "acme", "2026-12-31", "ciso@example.com"))
    code, got = check(run, based)
    assert got == [("waiver-new", "warning", None, "policies/waivers.yaml", 6)]
    assert messages(run, based)["waiver-new"] == (
        "this change adds a waiver of dpa for acme, approved by ciso@example.com, until 2026-12-31: check "
        "that the approval is real")


def test_invalid_waivers_at_base_make_every_waiver_new(run: Any, based: Repo) -> None:
    based.write("policies/waivers.yaml", "- check: dpa\n")
    broken = commit_at(based, "2025-05-01T00:00:00")
    waivers(based, waiver("dpa", "acme", "2025-12-31"))
    code, got = check(run, based)
    assert got == [*[("history-invalid", "warning", None, f"{broken[:12]}:policies/waivers.yaml", 1)] * 4,
                   ("waiver-new", "warning", None, "policies/waivers.yaml", 1)]
    assert messages(run, based)["history-invalid"].endswith(
        "(the base's waivers are invalid: every waiver counts as new)")


def test_invalid_policy_at_base_is_a_warning_and_head_s_applies(run: Any, based: Repo) -> None:
    based.write("policies/policy.yaml", "company: [broken\n")
    broken = commit_at(based, "2025-05-01T00:00:00")
    based.policy(notice_period_days=10)
    based.put("beta", **BETA, notice=notice("2025-06-01", "2025-06-11"))
    code, got = check(run, based)
    assert (code, got) == (0, [("history-invalid", "warning", None, f"{broken[:12]}:policies/policy.yaml", 2)])
    assert messages(run, based)["history-invalid"].endswith(
        "(the base's policy is invalid: the change is judged by head's)")


def test_policy_missing_at_base_applies_head_s(run: Any, repo: Repo) -> None:
    (repo.path / "policies" / "policy.yaml").unlink()
    repo.write("README.md", "first\n")
    commit_at(repo, "2025-01-01T00:00:00")
    repo.policy(notice_period_days=10)
    repo.put("acme")
    assert check(run, repo) == (0, [])


# -- an invalid base ----------------------------------------------------------------------------

def test_invalid_base_entry_that_never_was_valid_is_an_addition(run: Any, based: Repo) -> None:
    based.write("registry/beta.yaml", "name: [broken\n")
    broken = commit_at(based, "2025-05-01T00:00:00")
    based.put("beta", **BETA)
    code, got = check(run, based)
    assert code == 1 and got == [("history-invalid", "warning", None, f"{broken[:12]}:registry/beta.yaml", 2),
                                 ("notice-required", "failed", "beta", "registry/beta.yaml", 1)]
    assert messages(run, based)["history-invalid"].endswith(
        "(invalid at base, already merged: it has no valid earlier state, so the change is judged as if "
        "it were absent at base)")


def test_invalid_base_entry_deleted_then_re_added_has_no_valid_state(run: Any, based: Repo) -> None:
    based.remove("registry/acme.yaml")
    commit_at(based, "2025-02-01T00:00:00")
    based.put("acme", tier="platinum")
    commit_at(based, "2025-03-01T00:00:00")
    based.put("acme")
    code, got = check(run, based)
    assert code == 1 and ("notice-required", "failed", "acme", "registry/acme.yaml", 1) in got


def test_invalid_base_entry_against_its_last_valid_state(run: Any, based: Repo) -> None:
    based.put("acme", locations=["DE", "FR"], notice=notice("2025-01-01", "2025-02-01"))
    valid = commit_at(based, "2025-02-01T00:00:00")
    based.put("acme", locations=["DE", "FR"], tier="platinum")
    commit_at(based, "2025-03-01T00:00:00")
    based.put("acme", locations=["DE", "FR"], notice=notice("2025-01-01", "2025-02-01"))
    assert check(run, based)[1][0][0] == "history-invalid"
    res = run("--repo", based.path, "diff", "--format", "json")
    assert json.loads(res.out)["modified"] == [] and f"state, in commit {valid[:12]})" in res.err
    based.put("acme", locations=["DE"], notice=notice("2025-01-01", "2025-01-15"))
    assert check(run, based)[1][1:] == [("notice-altered", "failed", "acme", "registry/acme.yaml", 32),
                                        ("notice-required", "failed", "acme", "registry/acme.yaml", 32)]


def test_odd_file_at_base_is_a_warning_once_removed(run: Any, based: Repo) -> None:
    based.write("registry/.gitkeep", "")
    broken = commit_at(based, "2025-05-01T00:00:00")
    based.remove("registry/.gitkeep")
    assert check(run, based) == (0, [("history-invalid", "warning", None, f"{broken[:12]}:registry/.gitkeep", 1)])
    res = run("--repo", based.path, "--today", TODAY, "notice", "--out", based.path.parent / "n")
    assert res.code == 0 and "hidden file '.gitkeep'" in res.err


# -- the registry layout and the schema ---------------------------------------------------------

@pytest.mark.parametrize(("fields", "message"), [
    ({"regions": []}, "regions: must not be empty (leave it out to mean every region)"),
    ({"opt_in": True}, "opt_in: true is only for tier: integration; a core subprocessor serves every "
                       "customer and cannot be opted out of"),
    ({"tier": "infrastructure", "opt_in": True}, "opt_in: true is only for tier: integration; a "
                                                 "infrastructure subprocessor"),
])
def test_schema_rules(run: Any, based: Repo, fields: dict[str, Any], message: str) -> None:
    based.put("acme", **fields)
    res = run("--repo", based.path, "validate")
    assert res.code == 2 and message in res.err


def test_opt_in_false_and_integrations_are_fine(run: Any, based: Repo) -> None:
    based.put("acme", opt_in=False)
    based.put("crm", name="CRM", legal_name="CRM Inc.", tier="integration", opt_in=True)
    assert run("--repo", based.path, "validate").code == 0


def test_registry_that_is_a_file(run: Any, based: Repo) -> None:
    based.git("rm", "-q", "-r", "registry")
    based.write("registry", "not a folder\n")
    res = run("--repo", based.path, "validate")
    assert res.code == 2 and "registry: the registry folder is a file; it must be a real folder" in res.err
    commit_at(based, "2025-05-01T00:00:00")
    res = run("--repo", based.path, "diff", "--base", "HEAD~1", "--head", "HEAD")
    assert res.code == 2 and "HEAD:registry: the registry folder is a file" in res.err


def test_special_file_in_the_registry(run: Any, based: Repo) -> None:
    os.mkfifo(based.path / "registry" / "pipe.yaml")
    res = run("--repo", based.path, "validate")
    assert res.code == 2 and "registry/pipe.yaml: is not a regular file" in res.err


def test_checks_that_is_a_file(run: Any, based: Repo) -> None:
    based.write("checks", "print('hello')\n")
    res = run("--repo", based.path, "--today", TODAY, "check")
    assert res.code == 2 and "checks: is not a folder; the custom checks live in a checks/ folder" in res.err


def test_git_log_is_read_by_position() -> None:
    zero, blob = "0" * 40, "b" * 40
    raw = (b"\x01" + b"c" * 40 + b" 1700000000 " + b"p" * 40 + b"\0\n"
           b":000000 100644 " + zero.encode() + b" " + blob.encode() + b" A\0registry/\x01odd\nname.yaml\0"
           b":100644 000000 " + blob.encode() + b" " + zero.encode() + b" D\0:looks-like-a-record\0"
           b"\x01" + b"d" * 40 + b" 1700000001 \0")
    commits = list(_parse_log(raw, lambda p: p.decode()))
    assert [(c.sha[0], c.time, c.parents, [(ch.new_sha[0], ch.path) for ch in c.changes]) for c in commits] == [
        ("c", 1700000000, ("p" * 40,), [("b", "registry/\x01odd\nname.yaml"), ("0", ":looks-like-a-record")]),
        ("d", 1700000001, (), [])]


def test_init_writes_codeowners(run: Any, tmp_path: Path) -> None:
    res = run("--today", TODAY, "init", tmp_path / "new")
    assert res.code == 0 and "  .github/CODEOWNERS\n" in res.out
    owners = [line.split() for line in (tmp_path / "new" / ".github" / "CODEOWNERS").read_text().splitlines()
              if line and not line.startswith("#")]
    assert owners == [[p, "@example-org/privacy-team"] for p in
                      ("/registry/", "/policies/", "/checks/", "/templates/", "/notices/", "/objections/",
                       "/.github/")]
    readme = (tmp_path / "new" / "README.md").read_text()
    assert "review from Code Owners" in readme and "Require workflows to pass before merging" in readme


def test_history_keeps_the_final_state_and_every_sighting(repo: Repo) -> None:
    import datetime as dt

    from subreg import history
    from subreg.project import Project

    repo.put("acme")
    commit_at(repo, "2025-01-01T00:00:00")
    repo.put("beta", **BETA, notice=notice("2025-02-01", "2025-03-05"))
    repo.put("gamma", name="Gamma", legal_name="Gamma BV", notice=notice("2025-02-01", "2025-03-05"))
    second = commit_at(repo, "2025-02-01T00:00:00")
    repo.remove("registry/acme.yaml")
    commit_at(repo, "2025-02-02T00:00:00")
    project = Project(repo.path, dt.date(2025, 6, 1))
    head = project.git.head()
    assert head is not None
    hist = history.scan(project.git, project.policy, [head], replay_from=head)
    project.close()
    assert sorted(hist.final) == ["registry/beta.yaml", "registry/gamma.yaml"]
    assert hist.final["registry/gamma.yaml"].name == "Gamma"
    day = dt.date(2025, 2, 1)
    assert hist.sightings == {("beta", day): hist.mainline[("beta", day)], ("gamma", day): hist.mainline[("gamma", day)]}
    assert hist.mainline[("gamma", day)][1] == second


def test_entry_that_became_a_symlink_at_base_falls_back_past_it(run: Any, based: Repo) -> None:
    valid = based.git("rev-parse", "HEAD")
    based.remove("registry/acme.yaml")
    os.symlink("../policies/policy.yaml", based.path / "registry" / "acme.yaml")
    link = commit_at(based, "2025-05-01T00:00:00", "merged past the gate: an entry turned symlink")
    based.remove("registry/acme.yaml")
    based.put("acme", website="https://acme.example")
    assert check(run, based) == (0, [("history-invalid", "warning", None, f"{link[:12]}:registry/acme.yaml", 1)])
    assert messages(run, based)["history-invalid"] == (
        "is a symlink; registry/ holds only <id>.yaml files, nothing else (invalid at base, already merged: "
        f"the change is judged against its last valid state, in commit {valid[:12]})")
