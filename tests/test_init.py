"""`subreg init DIR`: what it writes passes validate, check and audit in a fresh git
repository, its custom check runs, and it never writes over anything."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import GIT_ENV, INSTALLED_BIN, ROOT, epoch
from subreg.commands import init

TODAY = "2026-03-01"
BIN = Path(sys.executable).parent


def git(path: Path, *args: str, day: str = TODAY) -> str:
    stamp = f"@{epoch(day)} +0000"
    env = {**os.environ, **GIT_ENV, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    return subprocess.run(["git", *args], cwd=path, env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.fixture
def created(installed: Any, tmp_path: Path) -> Path:
    """`subreg init` output, committed as the first commit of a fresh repository."""
    target = tmp_path / "acme-compliance"
    res = installed("--today", TODAY, "init", target)
    assert res.code == 0, res.err
    assert "git init" in res.out and "policies/policy.yaml" in res.out
    git(target, "init", "-q", "-b", "main")
    git(target, "add", ".")
    git(target, "commit", "-q", "-m", "Subprocessor registry baseline")
    return target


def check_json(cmd: Any, repo: Path, *args: str, today: str = TODAY) -> tuple[int, dict[str, Any]]:
    res = cmd("--repo", repo, "--today", today, "check", "--format", "json", *args)
    assert res.code in (0, 1), res.err
    return res.code, json.loads(res.out)


def test_writes_the_files_of_a_compliance_repo(created: Path) -> None:
    files = sorted(str(p.relative_to(created)) for p in created.rglob("*")
                   if p.is_file() and ".git" not in p.relative_to(created).parts)
    assert files == sorted(init.FILES)
    assert not list(created.glob(".subreg-*")), "the staging folder is gone"


def test_passes_validate_and_check_as_created(installed: Any, created: Path) -> None:
    res = installed("--repo", created, "--today", TODAY, "validate")
    assert res.code == 0, res.err
    assert "1 subprocessors" in res.out
    for args in ((), ("--all",)):
        code, doc = check_json(installed, created, *args)
        assert code == 0 and doc["findings"] == [], doc
    _, doc = check_json(installed, created, "--all")
    assert doc["summary"]["passed"] >= 8  # the built-in checks and the custom one


def test_the_example_stays_valid_for_its_first_year(installed: Any, created: Path) -> None:
    """Dates are relative to the day of init: no check fails before the yearly
    due-diligence review is due."""
    later = (dt.date.fromisoformat(TODAY) + dt.timedelta(days=300)).isoformat()
    code, doc = check_json(installed, created, "--all", today=later)
    assert code == 0 and doc["findings"] == [], doc


def test_audit_and_publish_pass_as_created(installed: Any, created: Path, tmp_path: Path) -> None:
    res = installed("--repo", created, "--today", TODAY, "audit", "--out", tmp_path / "audit")
    assert res.code == 0, res.out + res.err
    res = installed("--repo", created, "--today", TODAY, "publish", "--out", tmp_path / "site")
    assert res.code == 0, res.err
    assert "Example Hosting" in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")


def test_the_custom_check_runs(installed: Any, created: Path) -> None:
    path = created / "registry" / "example-hosting.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("locations: [DE]", "locations: [DE, RU]"), encoding="utf-8")
    code, doc = check_json(installed, created, "--all")
    assert code == 1
    [finding] = [f for f in doc["findings"] if f["check"] == "no-processing-in-excluded-countries"]
    assert finding["outcome"] == "failed" and finding["subprocessor"] == "example-hosting"
    assert "RU" in finding["message"]
    assert text.splitlines()[finding["line"] - 1].startswith("locations:")


def test_the_custom_check_runs_under_plain_pytest(created: Path) -> None:
    env = {**os.environ, **GIT_ENV}
    proc = subprocess.run([str(INSTALLED_BIN / "pytest"), "-q", "-p", "no:cacheprovider", "checks"], cwd=created,
                          env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout


def test_a_later_addition_needs_a_notice(installed: Any, created: Path) -> None:
    """The baseline needs no notice; the next subprocessor does, as the README says."""
    src = (created / "registry" / "example-hosting.yaml").read_text(encoding="utf-8")
    new = src.replace("name: Example Hosting\nlegal_name: Example Hosting GmbH",
                      "name: Example Mail\nlegal_name: Example Mail SAS")
    (created / "registry" / "example-mail.yaml").write_text(new, encoding="utf-8")
    code, doc = check_json(installed, created)
    assert code == 1 and {f["check"] for f in doc["findings"]} == {"notice-required"}
    announced = dt.date.fromisoformat(TODAY)
    notice = (f"notice:\n  announced_on: {announced}\n"
              f"  effective_on: {announced + dt.timedelta(days=30)}\n")
    (created / "registry" / "example-mail.yaml").write_text(new + notice, encoding="utf-8")
    code, doc = check_json(installed, created)
    assert code == 0, doc


def test_dates_follow_today(installed: Any, tmp_path: Path) -> None:
    res = installed("--today", "2028-02-29", "init", tmp_path / "leap")
    assert res.code == 0, res.err
    doc = yaml.safe_load((tmp_path / "leap" / "registry" / "example-hosting.yaml").read_text(encoding="utf-8"))
    assert str(doc["due_diligence"]["assessed_on"]) == "2028-02-29"
    assert str(doc["dpa_signed_on"]) == "2028-02-29"
    assert str(doc["certifications"][0]["expires_on"]) == "2030-02-28"


@pytest.mark.parametrize("existing", ["README.md", ".git/HEAD", "notes/x.txt"])
def test_refuses_a_non_empty_folder(installed: Any, tmp_path: Path, existing: str) -> None:
    target = tmp_path / "repo"
    (target / existing).parent.mkdir(parents=True)
    (target / existing).write_text("mine\n", encoding="utf-8")
    res = installed("--today", TODAY, "init", target)
    assert res.code == 2
    assert "not empty" in res.err and "Traceback" not in res.err
    assert (target / existing).read_text(encoding="utf-8") == "mine\n"
    assert sorted(p.name for p in target.iterdir()) == [existing.split("/")[0]]


def test_refuses_a_file(installed: Any, tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("mine\n", encoding="utf-8")
    res = installed("--today", TODAY, "init", target)
    assert res.code == 2 and target.read_text(encoding="utf-8") == "mine\n"


def test_refuses_a_symlink(installed: Any, tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere")
    res = installed("--today", TODAY, "init", tmp_path / "link")
    assert res.code == 2 and "not a folder" in res.err
    assert not any((tmp_path / "elsewhere").iterdir())


def test_an_empty_or_missing_folder_is_fine(installed: Any, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert installed("--today", TODAY, "init", tmp_path / "empty").code == 0
    assert installed("--today", TODAY, "init", tmp_path / "deep" / "new").code == 0
    assert (tmp_path / "deep" / "new" / "policies" / "policy.yaml").is_file()


def test_nothing_is_written_when_a_template_fails(run: Any, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(init.FILES, "zzz.txt", "no-such-template.j2")
    res = run("--today", TODAY, "init", tmp_path / "half")
    assert res.code == 3  # a bug in subreg, not in the input
    assert not (tmp_path / "half").exists()


# -- the generated workflows --------------------------------------------------------------

def workflows(root: Path) -> list[Path]:
    found = sorted((root / ".github" / "workflows").glob("*.yml"))
    assert [p.name for p in found] == ["subreg-gate.yml", "subreg-nightly.yml"]
    return found


def test_generated_workflows_match_the_github_schema(created: Path) -> None:
    for path in workflows(created):
        for schema in ("vendor.github-workflows", "custom.github-workflows-require-timeout"):
            proc = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", schema, str(path)],
                                  capture_output=True, text=True, check=False)
            assert proc.returncode == 0, proc.stdout + proc.stderr


def test_generated_workflows_zizmor_only_asks_to_pin_the_subreg_action(created: Path) -> None:
    """The action is referenced by the release tag of the subreg that ran init (there is
    no commit SHA to write before a release exists); the README tells users to pin it.
    Everything else is clean."""
    proc = subprocess.run([str(BIN / "zizmor"), "--offline", "--no-progress", "--format", "json",
                           *[str(p) for p in workflows(created)]],
                          capture_output=True, text=True, check=False)
    findings = json.loads(proc.stdout)
    assert findings, "expected the unpinned subreg/subreg reference to be reported"
    for finding in findings:
        assert finding["ident"] == "unpinned-uses", finding["ident"]
        [location] = [loc for loc in finding["locations"] if loc["symbolic"]["kind"] == "Primary"]
        line = location["concrete"]["feature"]
        assert "subreg/subreg@v" in line, line


def test_generated_workflows_use_the_action_and_the_repository_pins(created: Path) -> None:
    from subreg import __version__

    ours = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    for path in workflows(created):
        text = path.read_text(encoding="utf-8")
        assert f"uses: subreg/subreg@v{__version__}" in text
        assert "persist-credentials: false" in text and "permissions: {}" in text
        for pin in re.findall(r"uses: (actions/\S+@[0-9a-f]{40} # v[\d.]+)", text):
            assert pin in ours, f"{path.name}: {pin} differs from this repository's workflows"
        doc = yaml.safe_load(text)
        for job in doc["jobs"].values():
            for step in job["steps"]:
                assert "${{" not in step.get("run", "")
    gate = yaml.safe_load((created / ".github" / "workflows" / "subreg-gate.yml").read_text(encoding="utf-8"))
    commands = [s["with"]["command"] for s in gate["jobs"]["check"]["steps"] if "subreg/subreg@" in s.get("uses", "")]
    assert commands == ["check", "notice"]


def test_generated_pre_commit_config_names_our_hook(created: Path) -> None:
    config = yaml.safe_load((created / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    [repo] = config["repos"]
    assert [h["id"] for h in repo["hooks"]] == [hook["id"]]


def test_generated_api_scripts_are_this_repositorys(created: Path) -> None:
    """The generated jobs that call GitHub's API run the same scripts as this repository's
    workflows, which the suite runs against a local API server (test_workflows.py)."""
    ours_gate = yaml.safe_load((ROOT / ".github" / "workflows" / "pr-gate.yml").read_text(encoding="utf-8"))
    ours_nightly = yaml.safe_load((ROOT / ".github" / "workflows" / "nightly-audit.yml").read_text(encoding="utf-8"))
    gate = yaml.safe_load((created / ".github" / "workflows" / "subreg-gate.yml").read_text(encoding="utf-8"))
    nightly = yaml.safe_load((created / ".github" / "workflows" / "subreg-nightly.yml").read_text(encoding="utf-8"))
    for theirs, ours, job in ((gate, ours_gate, "comment"), (nightly, ours_nightly, "tracking-issue"),
                              (nightly, ours_nightly, "close-tracking-issue")):
        assert theirs["jobs"][job]["steps"][-1]["run"] == ours["jobs"][job]["steps"][-1]["run"], job
        assert theirs["jobs"][job]["permissions"] == ours["jobs"][job]["permissions"], job
        assert theirs["jobs"][job]["steps"][-1]["env"] == ours["jobs"][job]["steps"][-1]["env"], job
    for job, name in (("send-notices", "Send the notices due today"), ("record-ledger", "Commit the ledger records")):
        theirs_step = next(s for s in nightly["jobs"][job]["steps"] if s.get("name") == name)
        ours_step = next(s for s in ours_nightly["jobs"][job]["steps"] if s.get("name") == name)
        assert theirs_step["run"] == ours_step["run"] and theirs_step["env"] == ours_step["env"], job
        assert nightly["jobs"][job]["permissions"] == ours_nightly["jobs"][job]["permissions"], job
        assert nightly["jobs"][job]["if"] == ours_nightly["jobs"][job]["if"], job
    assert nightly["jobs"]["send-notices"]["environment"] == "customer-notices"
    assert "merge_group" in gate[True] and gate[True]["pull_request"] == {"branches": ["main"]}
    assert nightly["jobs"]["deploy-pages"]["permissions"] == {"pages": "write", "id-token": "write"}


def test_generated_dependabot_updates_the_pinned_actions(created: Path) -> None:
    doc = yaml.safe_load((created / ".github" / "dependabot.yml").read_text(encoding="utf-8"))
    assert doc["version"] == 2
    assert [(u["package-ecosystem"], u["directory"]) for u in doc["updates"]] == [("github-actions", "/")]
    proc = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.dependabot",
                           str(created / ".github" / "dependabot.yml")], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
