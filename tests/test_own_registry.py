"""This repository's own registry: the seed's 21 subprocessors pass every check."""

from __future__ import annotations

import json
import shutil
from collections import Counter

import yaml

from conftest import ROOT, Repo


def test_seed_registry_has_the_seed_tables() -> None:
    tiers = Counter(yaml.safe_load(p.read_text())["tier"] for p in (ROOT / "registry").glob("*.yaml"))
    assert tiers == {"core": 10, "infrastructure": 4, "integration": 7}


def test_own_registry_passes_check_all_and_audit(run, repo: Repo, tmp_path) -> None:
    # a copy in a repository of its own, so the test does not depend on how CI cloned us
    shutil.rmtree(repo.path / "policies")
    shutil.copytree(ROOT / "registry", repo.path / "registry")
    shutil.copytree(ROOT / "policies", repo.path / "policies")
    repo.commit("2026-11-01")
    res = run("--repo", repo.path, "--today", "2026-11-28", "check", "--all", "--format", "json")
    doc = json.loads(res.out)
    # policies/waivers.yaml waives the notice of the change that recorded our chains: in a
    # fresh repository whose baseline already holds them, those waivers waive nothing.
    other = [f for f in doc["findings"] if f["check"] != "waiver-unused"]
    assert res.code == 0 and other == [], doc["findings"]
    assert doc["summary"]["passed"] >= 21 * 6
    res = run("--repo", repo.path, "--today", "2026-11-28", "audit", "--out", tmp_path / "audit")
    assert res.code == 0, res.out
