"""The gate cannot be talked around (issue 13): each bypass, through the installed
`subreg` and in-process (the `cli` fixture), on real git repositories with controlled
commit dates (noon and midnight UTC).

Every test here failed on the code before this change (kept as the wheel of commit
bd2bce8) and passes after it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import GIT_ENV, Repo, dump

TODAY = "2025-06-01"


def at(stamp: str) -> dict[str, str]:
    """The environment of a commit made at `stamp` (ISO, UTC), e.g. 2025-05-31T23:59:59."""
    when = int(dt.datetime.fromisoformat(stamp + "+00:00").timestamp())
    return {**os.environ, **GIT_ENV, "GIT_AUTHOR_DATE": f"@{when} +0000", "GIT_COMMITTER_DATE": f"@{when} +0000"}


def commit_at(repo: Repo, stamp: str, message: str = "change") -> str:
    subprocess.run(["git", "add", "-A"], cwd=repo.path, env=at(stamp), check=True)
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", message], cwd=repo.path, env=at(stamp), check=True)
    return repo.git("rev-parse", "HEAD")


def merge_at(repo: Repo, branch: str, stamp: str) -> str:
    subprocess.run(["git", "merge", "-q", "--no-ff", branch, "-m", f"Merge {branch}"], cwd=repo.path,
                   env=at(stamp), check=True, capture_output=True)
    return repo.git("rev-parse", "HEAD")


def squash_at(repo: Repo, branch: str, stamp: str) -> str:
    subprocess.run(["git", "merge", "-q", "--squash", branch], cwd=repo.path, env=at(stamp), check=True,
                   capture_output=True)
    return commit_at(repo, stamp, f"{branch} (squashed)")


def notice(announced: str, effective: str) -> dict[str, str]:
    return {"announced_on": announced, "effective_on": effective}


BETA: dict[str, Any] = {"name": "Beta", "legal_name": "Beta SAS",
                        "due_diligence": {"assessed_on": "2025-01-15", "risk": "low"}}


def check(cmd: Any, repo: Repo, *args: str, today: str | None = TODAY) -> tuple[int, list[tuple[Any, ...]]]:
    dated = ("--today", today) if today else ()
    res = cmd("--repo", repo.path, *dated, "check", "--format", "json", *args)
    assert res.code in (0, 1), res.err
    return res.code, found(json.loads(res.out))


def audit(cmd: Any, repo: Repo, out: Path, today: str = TODAY) -> tuple[int, list[tuple[Any, ...]]]:
    res = cmd("--repo", repo.path, "--today", today, "audit", "--out", out)
    assert res.code in (0, 1), res.err
    return res.code, found(json.loads((out / "audit.json").read_text()))


def found(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    return sorted((f["check"], f["outcome"], f["subprocessor"], f["path"], f["line"]) for f in doc["findings"])


def messages(cmd: Any, repo: Repo, *args: str, today: str = TODAY) -> dict[str, str]:
    res = cmd("--repo", repo.path, "--today", today, "check", "--format", "json", *args)
    return {f["check"]: f["message"] for f in json.loads(res.out)["findings"]}


@pytest.fixture
def based(repo: Repo) -> Repo:
    repo.put("acme")
    commit_at(repo, "2025-01-01T12:00:00", "baseline")
    return repo


# -- dates a pull request cannot forge ---------------------------------------------------

def test_forged_commit_date_does_not_date_the_notice(cli: Any, based: Repo, tmp_path: Path) -> None:
    based.git("checkout", "-q", "-b", "pr")
    based.put("beta", **BETA, notice=notice("2025-03-01", "2025-03-31"))
    forged = commit_at(based, "2025-03-01T12:00:00", "add beta, GIT_COMMITTER_DATE set to the past")
    code, got = check(cli, based, "--base", "main", "--head", "pr")
    assert code == 1 and got == [("notice-backdated", "failed", "beta", "registry/beta.yaml", 31)]
    msg = messages(cli, based, "--base", "main", "--head", "pr")["notice-backdated"]
    assert msg.startswith("announced_on 2025-03-01 is before 2025-05-25: the notice can be shown to exist "
                          "only from 2025-06-01 (the date of this run; it first appears in commit "
                          f"{forged[:12]}, dated 2025-03-01, but commit dates in a pull request")
    # without --today the machine's clock dates it, not git's
    code, got = check(cli, based, "--base", "main", "--head", "pr", today=None)
    assert code == 1 and ("notice-backdated", "failed", "beta", "registry/beta.yaml", 31) in got
    # merged anyway (an honest merge commit), the nightly audit dates it by the merge
    based.git("checkout", "-q", "main")
    merged = merge_at(based, "pr", "2025-06-01T09:00:00")
    code, got = audit(cli, based, tmp_path / "a", today="2025-06-02")
    assert code == 1 and got == [("notice-backdated", "failed", "beta", "registry/beta.yaml", 31)]
    report = json.loads((tmp_path / "a" / "audit.json").read_text())
    assert f"the default branch's first commit containing it is {merged[:12]}, dated 2025-06-01" in \
        report["findings"][0]["message"]


@pytest.mark.parametrize(("merged", "ok"), [("2025-06-08T23:59:59", True), ("2025-06-09T00:00:00", False)])
def test_squash_merge_within_the_grace_passes_gate_and_audit(cli: Any, based: Repo, tmp_path: Path,
                                                             merged: str, ok: bool) -> None:
    based.git("checkout", "-q", "-b", "pr")
    based.put("beta", **BETA, notice=notice("2025-06-01", "2025-07-01"))
    commit_at(based, "2025-06-01T10:00:00")
    day = merged[:10]
    code, got = check(cli, based, "--base", "main", "--head", "pr", today=day)
    assert got == ([] if ok else [("notice-backdated", "failed", "beta", "registry/beta.yaml", 31)])
    based.git("checkout", "-q", "main")
    squash_at(based, "pr", merged)
    code, got = audit(cli, based, tmp_path / "a", today="2025-06-10")
    assert got == ([] if ok else [("notice-backdated", "failed", "beta", "registry/beta.yaml", 31)])


# -- postponement, editorial changes -------------------------------------------------------

def test_postponing_a_published_notice_is_allowed(cli: Any, based: Repo, tmp_path: Path) -> None:
    based.put("beta", **BETA, notice=notice("2025-05-01", "2025-06-01"))
    commit_at(based, "2025-05-01T12:00:00", "announce beta")
    based.git("checkout", "-q", "-b", "pr")
    based.put("beta", **BETA, notice=notice("2025-05-01", "2025-06-20"))
    commit_at(based, "2025-05-28T00:00:00", "postpone beta")
    assert check(cli, based, "--base", "main", "--head", "pr") == (0, [])
    based.git("checkout", "-q", "main")
    squash_at(based, "pr", "2025-06-01T00:00:00")
    assert audit(cli, based, tmp_path / "a", today="2025-06-02") == (0, [])


@pytest.mark.parametrize("fields", [
    {"name": "Acme analytics"},
    {"legal_name": "ACME Analytics GmbH."},
    {"name": "ACME-Analytics", "legal_name": "Acme Analytics, GmbH"},
    {"data_processed": {"en": "Usage events", "fr": "Événements d’utilisation"}},
    {"purpose": {"en": "Product analytics", "fr": "Analyse de produit"}},
])
def test_editorial_changes_need_no_notice(cli: Any, based: Repo, fields: dict[str, Any]) -> None:
    based.put("acme", **fields)
    assert check(cli, based) == (0, [])
    res = cli("--repo", based.path, "diff", "--format", "json")
    [modified] = json.loads(res.out)["modified"]
    assert modified["material"] is False and set(modified["fields"]) == set(fields)


@pytest.mark.parametrize(("fields", "what"), [
    ({"name": "Acme Analytix"}, "a material change (name)"),
    ({"legal_name": "Acme Holdings GmbH"}, "a change of legal entity (a replacement)"),
    ({"purpose": {"en": "Product analytics and ads", "fr": "Analyse produit"}}, "a material change (purpose)"),
])
def test_changes_beyond_editorial_need_a_notice(run: Any, based: Repo, fields: dict[str, Any], what: str) -> None:
    based.put("acme", **fields)
    assert check(run, based)[1] == [("notice-required", "failed", "acme", "registry/acme.yaml", 1)]
    assert messages(run, based)["notice-required"].startswith(f"{what} needs a new customer notice")


# -- baseline, retired entries -------------------------------------------------------------

def test_registry_wiped_and_restored_is_not_a_new_baseline(cli: Any, based: Repo, tmp_path: Path) -> None:
    based.git("rm", "-q", "-r", "registry")
    commit_at(based, "2025-02-01T00:00:00", "remove the registry")
    based.git("checkout", "-q", "-b", "pr")
    based.put("acme")
    based.put("beta", **BETA)
    commit_at(based, "2025-05-31T23:59:59", "restore it, with a new entry")
    code, got = check(cli, based, "--base", "main", "--head", "pr")
    assert code == 1 and got == [("notice-required", "failed", "acme", "registry/acme.yaml", 1),
                                 ("notice-required", "failed", "beta", "registry/beta.yaml", 1)]
    based.git("checkout", "-q", "main")
    merge_at(based, "pr", "2025-06-01T00:00:00")
    code, got = audit(cli, based, tmp_path / "a")
    assert code == 1 and got == [("notice-required", "failed", "acme", "registry/acme.yaml", 1),
                                 ("notice-required", "failed", "beta", "registry/beta.yaml", 1)]


@pytest.mark.parametrize(("retired", "head", "revived"), [
    ("2025-03-01", None, True),           # retirement removed
    ("2025-03-01", "2025-12-31", True),   # moved later
    ("2025-06-01", None, True),           # retired today: it had passed
    ("2025-06-02", None, False),          # not retired yet: cancelling a planned retirement
    ("2025-03-01", "2025-02-01", False),  # moved earlier: still retired
])
def test_bringing_back_a_retired_entry_needs_a_notice(cli: Any, based: Repo, retired: str,
                                                      head: str | None, revived: bool) -> None:
    based.put("acme", retired_on=retired)
    commit_at(based, "2025-02-01T00:00:01", "retire acme")
    based.put("acme", retired_on=head)
    code, got = check(cli, based)
    if revived:
        assert code == 1 and got == [("notice-required", "failed", "acme", "registry/acme.yaml", 1)]
        assert messages(cli, based)["notice-required"].startswith(
            "a retired subprocessor brought back needs a new customer notice")
    else:
        assert (code, got) == (0, [])


# -- the policy and waivers of the pull request --------------------------------------------

def test_pull_request_cannot_relax_its_own_policy(cli: Any, based: Repo) -> None:
    based.policy(notice_period_days=7, notice_grace_days=100)
    based.put("beta", **BETA, notice=notice("2025-05-01", "2025-05-11"))
    code, got = check(cli, based)
    assert code == 1 and got == [
        ("notice-backdated", "failed", "beta", "registry/beta.yaml", 31),
        ("notice-period", "failed", "beta", "registry/beta.yaml", 32),
        ("policy-relaxed", "warning", None, "policies/policy.yaml", 2),
        ("policy-relaxed", "warning", None, "policies/policy.yaml", 24),
    ]
    msgs = messages(cli, based)
    assert msgs["notice-period"] == ("notice period is 10 days (2025-05-01 -> 2025-05-11); the policy "
                                     "requires at least 30")
    assert msgs["policy-relaxed"] in (
        "notice_period_days: this change relaxes 30 to 7; until it is merged, changes are judged with 30",
        "notice_grace_days: this change relaxes 7 to 100; until it is merged, changes are judged with 7")
    res = cli("--repo", based.path, "--today", TODAY, "check")
    assert "notice_period_days: this change relaxes 30 to 7; until it is merged, changes are judged with 30" \
        in res.out


def test_waiver_added_in_the_pull_request_applies_and_is_shown(cli: Any, based: Repo) -> None:
    based.put("beta", **BETA, notice=notice("2025-06-01", "2025-06-11"))
    based.write("policies/waivers.yaml", dump([{
        "check": "notice-period", "subprocessor": "beta", "reason": "emergency replacement of OldCo",
        "approved_by": "dpo@example.com", "expires_on": "2025-07-31"}]))
    code, got = check(cli, based)
    assert code == 0 and got == [("notice-period", "waived", "beta", "registry/beta.yaml", 32),
                                 ("waiver-new", "warning", None, "policies/waivers.yaml", 1)]
    assert messages(cli, based)["waiver-new"] == (
        "this change adds a waiver of notice-period for beta, approved by dpo@example.com, until "
        "2025-07-31: check that the approval is real")


def test_emergency_waiver_deleted_after_go_live_keeps_the_audit_green(cli: Any, based: Repo,
                                                                      tmp_path: Path) -> None:
    based.git("checkout", "-q", "-b", "emergency")
    based.put("beta", **BETA, notice=notice("2025-03-01", "2025-03-11"))
    based.write("policies/waivers.yaml", dump([{
        "check": "notice-period", "subprocessor": "beta", "reason": "OldCo stops service on 2025-03-10",
        "approved_by": "dpo@example.com", "expires_on": "2025-03-31"}]))
    commit_at(based, "2025-03-01T08:00:00")
    based.git("checkout", "-q", "main")
    merge_at(based, "emergency", "2025-03-01T23:59:59")
    code, got = audit(cli, based, tmp_path / "live", today="2025-03-20")
    assert (code, got) == (0, [("notice-period", "waived", "beta", "registry/beta.yaml", 32),
                               ("waiver-expiring", "warning", None, "policies/waivers.yaml", 1)])
    based.write("policies/waivers.yaml", "[]\n")
    commit_at(based, "2025-03-25T00:00:00", "beta is live: drop the emergency waiver")
    code, got = audit(cli, based, tmp_path / "after", today=TODAY)
    assert (code, got) == (0, [("notice-period", "waived", "beta", "registry/beta.yaml", 32)])


# -- an invalid base -----------------------------------------------------------------------

def test_invalid_entry_on_main_does_not_block_its_fix(cli: Any, based: Repo) -> None:
    based.put("acme", tier="platinum")
    broken = commit_at(based, "2025-02-01T00:00:00", "merged without the gate")
    based.put("acme", website="https://acme.example")
    code, got = check(cli, based)
    assert code == 0 and got == [("history-invalid", "warning", None, f"{broken[:12]}:registry/acme.yaml", 5)]
    msg = messages(cli, based)["history-invalid"]
    assert "tier: Input should be" in msg
    assert msg.endswith("(invalid at base, already merged: the change is judged against its last valid "
                        f"state, in commit {based.git('rev-parse', 'HEAD~1')[:12]})")
    # judged against that last valid state: a material change from it still needs a notice
    based.put("acme", locations=["DE", "FR"])
    assert ("notice-required", "failed", "acme", "registry/acme.yaml", 1) in check(cli, based)[1]


# -- the registry is what it looks like ----------------------------------------------------

ODD = {
    "dot-file": (lambda r: r.write("registry/.gitkeep", ""), "registry/.gitkeep: hidden file '.gitkeep'"),
    "folder": (lambda r: r.put("sub/beta", **BETA), "registry/sub: is a folder"),
    "symlink": (lambda r: os.symlink("acme.yaml", r.path / "registry" / "beta.yaml"),
                "registry/beta.yaml: is a symlink"),
    "odd name": (lambda r: r.put("Beta", **BETA), "registry/Beta.yaml: bad file name 'Beta.yaml'"),
    "yml": (lambda r: r.write("registry/beta.yml", dump(BETA)), "registry/beta.yml: bad file name"),
    "line break": (lambda r: r.write("registry/be\nta.yaml", dump(BETA)), "registry/be\\nta.yaml: bad file name 'be\\nta.yaml'"),
}


@pytest.mark.parametrize("kind", list(ODD))
def test_odd_registry_files_are_errors_in_the_tree_and_at_every_ref(cli: Any, based: Repo,
                                                                    kind: str) -> None:
    make, message = ODD[kind]
    make(based)
    for args in (["validate"], ["check"], ["diff"], ["publish", "--out", str(based.path.parent / "site")]):
        res = cli("--repo", based.path, "--today", TODAY, *args)
        assert res.code == 2 and message in res.err, (args, res.err)
    sha = commit_at(based, "2025-05-01T00:00:00")
    for args in (["diff", "--base", "HEAD~1", "--head", "HEAD"], ["check", "--base", "HEAD~1", "--head", "HEAD"],
                 ["audit"]):
        res = cli("--repo", based.path, "--today", TODAY, *args)
        assert res.code == 2, (args, res.out)
        assert (f"HEAD:{message}" if args[0] != "audit" else message) in res.err, (args, res.err)
    assert sha


def test_submodule_in_the_registry_is_an_error_at_every_ref(cli: Any, based: Repo) -> None:
    head = based.git("rev-parse", "HEAD")
    based.git("update-index", "--add", "--cacheinfo", f"160000,{head},registry/vendored")
    based.git("commit", "-q", "-m", "a submodule in the registry")
    res = cli("--repo", based.path, "diff", "--base", "HEAD~1", "--head", "HEAD")
    assert res.code == 2 and "HEAD:registry/vendored: is a submodule (gitlink)" in res.err
    res = cli("--repo", based.path, "--today", TODAY, "check", "--base", "HEAD~1", "--head", "HEAD")
    assert res.code == 2 and "HEAD:registry/vendored: is a submodule (gitlink)" in res.err


def test_registry_symlink_at_a_ref_and_checks_symlink_are_errors(cli: Any, based: Repo, tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", based.path / "checks")
    res = cli("--repo", based.path, "--today", TODAY, "check")
    assert res.code == 2 and "checks: is a symlink" in res.err
    (based.path / "checks").unlink()
    based.git("rm", "-q", "-r", "registry")
    os.symlink("policies", based.path / "registry")
    commit_at(based, "2025-05-01T00:00:00")
    res = cli("--repo", based.path, "diff", "--base", "HEAD~1", "--head", "HEAD")
    assert res.code == 2 and "HEAD:registry: the registry folder is a symlink" in res.err


@pytest.mark.parametrize("folder", ["com\npliance", "a\x01b c", "ü -- d"])
def test_folder_names_cannot_confuse_git_parsing(cli: Any, tmp_path: Path, folder: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    top = Repo(tmp_path / "top\nrepo")
    (top.path / "policies").rename(tmp_path / "unused")
    repo = Repo.__new__(Repo)
    repo.path = top.path / folder
    repo.write("policies/policy.yaml", (tmp_path / "unused" / "policy.yaml").read_text())
    repo.put("acme")
    commit_at(top, "2025-01-01T00:00:00")
    repo.put("beta", **BETA, notice=notice("2025-05-01", "2025-06-01"))
    commit_at(top, "2025-05-01T00:00:00")
    code, got = check(cli, repo, "--base", "HEAD~1", "--head", "HEAD", today="2025-05-02")
    assert (code, got) == (0, [])
    code, got = audit(cli, repo, tmp_path / "audit", today="2025-05-02")
    assert (code, got) == (0, [])
    report = json.loads((tmp_path / "audit" / "audit.json").read_text())
    assert [(c["kind"], c["id"]) for c in report["recent_changes"]] == [("added", "beta")]
