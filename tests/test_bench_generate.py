"""The benchmark's generator makes valid, realistic, deterministic compliance repos."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import GIT_ENV, ROOT

_spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
assert _spec is not None and _spec.loader is not None
generate = importlib.util.module_from_spec(_spec)
sys.modules["bench_generate"] = generate
_spec.loader.exec_module(generate)

ENTRIES, COMMITS = 20, 50
TODAY = generate.TODAY.isoformat()


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True,
                          env={**os.environ, **GIT_ENV}).stdout.strip()


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    repo = tmp_path_factory.mktemp("bench") / "repo"
    return repo, generate.generate(repo, ENTRIES, COMMITS, seed=7)


def test_history_has_the_commits_and_dates_asked(made) -> None:
    repo, info = made
    assert info.entries == ENTRIES and info.commits == COMMITS
    assert int(git(repo, "rev-list", "--count", "main")) == COMMITS
    assert int(git(repo, "rev-list", "--count", "main..pr")) == 3
    assert len(list((repo / "registry").glob("*.yaml"))) == ENTRIES
    assert git(repo, "status", "--porcelain") == ""
    today = dt.date.fromisoformat(TODAY)
    times: dict[str, int] = {}
    for line in git(repo, "log", "--reverse", "--topo-order", "--format=%H %ct %cI %P", "pr").splitlines():
        sha, epoch, iso, *parents = line.split()
        assert iso.endswith("+00:00"), iso  # UTC
        assert all(int(epoch) > times[p] for p in parents), "committer dates must increase"
        times[sha] = int(epoch)
        when = dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
        assert today - dt.timedelta(days=generate.SPAN_DAYS + 1) <= when <= today
        if parents:  # every commit changes registry/ (merges: against their first parent)
            assert git(repo, "diff", "--name-only", parents[0], sha, "--", "registry/"), sha
    merges = git(repo, "rev-list", "--merges", "--count", "main")
    assert int(merges) == info.merges > 0


def test_generated_repo_is_valid_and_the_pull_request_passes(made, run) -> None:
    repo, info = made
    res = run("--repo", repo, "--today", TODAY, "validate")
    assert res.code == 0, res.out + res.err
    res = run("--repo", repo, "--today", TODAY, "check", "--all")
    assert res.code in (0, 1), res.err
    assert f"{ENTRIES} subprocessor(s) in scope" in res.out
    res = run("--repo", repo, "--today", TODAY, "check", "--base", "main", "--head", "pr")
    assert res.code == 0, res.out + res.err
    assert "3 change(s), 3 subprocessor(s) in scope" in res.out
    res = run("--repo", repo, "--today", TODAY, "diff", "--base", "main", "--head", "pr",
              "--format", "json")
    assert res.code == 0, res.err
    doc = json.loads(res.out)
    ids = [Path(p).stem for p in info.pr_files]
    assert doc["added"] == [ids[0]] and doc["removed"] == [] and doc["renamed"] == []
    material = {m["id"]: m["material"] for m in doc["modified"]}
    assert material == {ids[1]: True, ids[2]: False}


def test_history_violations_are_the_ones_planted(made, run, tmp_path: Path) -> None:
    repo, info = made
    assert info.violations
    res = run("--repo", repo, "--today", TODAY, "audit", "--out", tmp_path / "audit")
    assert res.code == 1, res.out + res.err
    found = json.loads((tmp_path / "audit" / "audit.json").read_text())["findings"]
    failed = {(f["check"], f["subprocessor"]) for f in found if f["outcome"] == "failed"}
    assert failed == {("notice-period", sid) for sid in info.violations}


def test_generation_is_deterministic_and_cached(made, tmp_path: Path) -> None:
    repo, _info = made
    again = generate.generate(tmp_path / "again", ENTRIES, COMMITS, seed=7)
    assert git(Path(again.path), "rev-parse", "main", "pr") == git(repo, "rev-parse", "main", "pr")
    other = generate.generate(tmp_path / "other", ENTRIES, COMMITS, seed=8)
    assert git(Path(other.path), "rev-parse", "main") != git(repo, "rev-parse", "main")
    first, fresh = generate.ensure(ENTRIES, COMMITS, seed=7, work=tmp_path / "cache")
    second, fresh_again = generate.ensure(ENTRIES, COMMITS, seed=7, work=tmp_path / "cache")
    assert fresh and not fresh_again and first == second
    assert git(Path(second.path), "rev-parse", "main") == git(repo, "rev-parse", "main")
