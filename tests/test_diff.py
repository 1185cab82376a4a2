"""`subreg diff` on real git histories."""

from __future__ import annotations

import json
import re

from conftest import Repo, entry


def diff_json(run, repo: Repo, *args: str) -> dict:
    res = run("--repo", repo.path, "diff", "--format", "json", *args)
    assert res.code == 0, res.err
    return json.loads(res.out)


def test_add_remove_modify(run, repo: Repo) -> None:
    repo.put("acme")
    repo.put("beta", name="Beta", legal_name="Beta SAS")
    base = repo.commit("2025-01-01")
    repo.put("acme", locations=["DE", "US"])
    repo.remove("registry/beta.yaml")
    repo.put("gamma", name="Gamma", legal_name="Gamma Ltd")
    doc = diff_json(run, repo, "--base", base)
    assert doc["base"] == base and doc["head"] == "worktree"
    assert doc["added"] == ["gamma"] and doc["removed"] == ["beta"] and doc["renamed"] == []
    assert doc["modified"] == [{"id": "acme", "material": True,
                                "fields": {"locations": {"old": ["DE"], "new": ["DE", "US"]}}}]


def test_rename_by_legal_entity_not_git_similarity(run, repo: Repo) -> None:
    repo.put("acme")
    repo.put("twin", name="Twin", legal_name="Twin Inc.")
    base = repo.commit("2025-01-01")
    # same company, new id, one field changed: a rename plus its edits
    repo.remove("registry/acme.yaml")
    repo.put("acme-analytics", website="https://acme.example")
    # a near-identical file for another company: a removal and an addition
    repo.remove("registry/twin.yaml")
    repo.put("other", name="Twin", legal_name="Other Corp")
    head = repo.commit("2025-01-02")
    doc = diff_json(run, repo, "--base", base, "--head", head)
    assert doc["head"] == head
    assert doc["renamed"] == [{"from": "acme", "to": "acme-analytics"}]
    assert doc["added"] == ["other"] and doc["removed"] == ["twin"]
    assert doc["modified"] == [{"id": "acme-analytics", "material": False, "fields": {
        "website": {"old": None, "new": "https://acme.example"}}}]


def test_list_order_is_not_a_change(run, repo: Repo) -> None:
    repo.put("acme", locations=["DE", "FR"])
    base = repo.commit("2025-01-01")
    repo.put("acme", locations=["FR", "DE"])
    assert diff_json(run, repo, "--base", base)["modified"] == []


def test_first_pr_without_registry_adds_everything(run, repo: Repo) -> None:
    base = repo.commit("2025-01-01")
    repo.put("acme")
    assert diff_json(run, repo, "--base", base)["added"] == ["acme"]


def test_default_base_is_merge_base_with_main(run, repo: Repo) -> None:
    repo.put("acme")
    base = repo.commit("2025-01-01")
    repo.git("checkout", "-q", "-b", "feature")
    repo.put("beta", name="Beta", legal_name="Beta SAS")
    repo.commit("2025-01-02")
    doc = diff_json(run, repo)
    assert doc["base"] == base and doc["added"] == ["beta"]


def test_text_output(run, repo: Repo) -> None:
    repo.put("acme")
    base = repo.commit("2025-01-01")
    repo.put("acme", purpose={"en": "Analytics", "fr": "Analyse"})
    res = run("--repo", repo.path, "diff", "--base", base)
    assert res.code == 0
    assert "modified  acme (material)" in res.out
    assert 'purpose: {"en": "Product analytics"' in res.out


def test_bad_refs(run, repo: Repo) -> None:
    repo.put("acme")
    repo.commit("2025-01-01")
    res = run("--repo", repo.path, "diff", "--base", "--output=/tmp/x")
    assert res.code == 2 and "may not start with '-'" in res.err
    res = run("--repo", repo.path, "diff", "--base", "nope")
    assert res.code == 2 and "unknown ref 'nope'" in res.err


def test_invalid_yaml_at_base_is_a_warning_naming_the_ref(run, repo: Repo) -> None:
    repo.write("registry/acme.yaml", "name: [oops\n")
    base = repo.commit("2025-01-01")
    repo.put("acme")
    res = run("--repo", repo.path, "diff", "--base", base)
    assert res.code == 0
    assert re.match(rf"warning: {base}:registry/acme.yaml:\d+:\d+: invalid YAML", res.err)
    assert "no valid earlier state" in res.err and "  added     acme\n" in res.out


def test_shallow_clone_refused(run, repo: Repo, tmp_path) -> None:
    repo.put("acme")
    repo.commit("2025-01-01")
    repo.put("acme", locations=["FR"])
    repo.commit("2025-01-02")
    clone = tmp_path / "shallow"
    repo.git("clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone))
    res = run("--repo", clone, "diff", "--base", "HEAD")
    assert res.code == 2 and "fetch-depth: 0" in res.err


def test_unrelated_histories(run, repo: Repo, tmp_path) -> None:
    repo.put("acme")
    repo.commit("2025-01-01")
    repo.git("checkout", "-q", "--orphan", "other")
    repo.commit("2025-01-02")
    res = run("--repo", repo.path, "diff", "--base", "main", "--head", "other")
    assert res.code == 2 and "unrelated histories" in res.err


def test_paths_with_spaces(run, tmp_path) -> None:
    repo = Repo(tmp_path / "dossier conformité")
    repo.put("acme")
    base = repo.commit("2025-01-01")
    repo.put("beta", **{k: v for k, v in entry(name="Beta", legal_name="Beta SAS").items()})
    head = repo.commit("2025-01-02")
    assert diff_json(run, repo, "--base", base, "--head", head)["added"] == ["beta"]
