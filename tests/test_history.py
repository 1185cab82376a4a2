"""The one-pass history engine on real repositories."""

from __future__ import annotations

import datetime as dt
import json

from conftest import Repo, epoch
from subreg import history
from subreg.model import Notice
from subreg.project import Project


def scan(repo: Repo) -> history.History:
    project = Project(repo.path, dt.date(2025, 6, 1))
    head = project.git.head()
    assert head
    try:
        return history.scan(project.git, project.policy, [head], replay_from=head)
    finally:
        project.close()


def test_entries_commits_and_first_appearance(repo: Repo) -> None:
    repo.put("acme")
    c1 = repo.commit("2025-01-01")
    repo.put("beta", name="Beta", legal_name="Beta SAS",
             notice={"announced_on": "2025-02-01", "effective_on": "2025-03-05"})
    c2 = repo.commit("2025-02-01")
    repo.remove("registry/beta.yaml")
    c3 = repo.commit("2025-02-10")
    repo.put("beta", name="Beta", legal_name="Beta SAS",
             notice={"announced_on": "2025-02-01", "effective_on": "2025-03-05"})
    c4 = repo.commit("2025-02-20")  # deleted and re-added
    hist = scan(repo)
    assert hist.commits_of == {"acme": [c1], "beta": [c2, c4]}
    assert hist.first_seen["beta"] == epoch("2025-02-01")
    notice = Notice(announced_on=dt.date(2025, 2, 1), effective_on=dt.date(2025, 3, 5))
    assert hist.notice_first_seen(["beta"], notice) == (dt.date(2025, 2, 1), c2)
    assert [(s.sha, [(c.kind, c.id) for c in s.changes]) for s in hist.steps] == [
        (c1, [("added", "acme")]), (c2, [("added", "beta")]), (c3, [("removed", "beta")]),
        (c4, [("added", "beta")])]
    assert hist.steps[0].changes[0].baseline and not hist.steps[1].changes[0].baseline


def test_side_branch_commits_date_notices_merges_are_steps(repo: Repo) -> None:
    repo.put("acme")
    repo.commit("2025-01-01")
    repo.git("checkout", "-q", "-b", "feature")
    repo.put("beta", name="Beta", legal_name="Beta SAS",
             notice={"announced_on": "2025-02-01", "effective_on": "2025-03-05"})
    side = repo.commit("2025-02-01")
    repo.git("checkout", "-q", "main")
    repo.put("acme", locations=["DE", "AT"])
    repo.commit("2025-02-02")
    repo.git("merge", "-q", "--no-ff", "feature", "-m", "merge", day="2025-02-05")
    merge = repo.git("rev-parse", "HEAD")
    hist = scan(repo)
    # the merge is one first-parent step that adds beta; the notice dates from the side commit
    assert [(c.kind, c.id) for c in hist.steps[-1].changes] == [("added", "beta")]
    assert hist.steps[-1].sha == merge
    notice = Notice(announced_on=dt.date(2025, 2, 1), effective_on=dt.date(2025, 3, 5))
    assert hist.notice_first_seen(["beta"], notice) == (dt.date(2025, 2, 1), side)
    assert len(hist.steps) == 3  # the side commit itself is not a first-parent step


def test_diff_across_a_merge_and_a_re_added_file(run, repo: Repo) -> None:
    repo.put("acme")
    base = repo.commit("2025-01-01")
    repo.git("checkout", "-q", "-b", "feature")
    repo.put("beta", name="Beta", legal_name="Beta SAS")
    repo.commit("2025-01-02")
    repo.git("checkout", "-q", "main")
    repo.remove("registry/acme.yaml")
    repo.commit("2025-01-03")
    repo.put("acme")
    repo.commit("2025-01-04")
    repo.git("merge", "-q", "--no-ff", "feature", "-m", "merge", day="2025-01-05")
    res = run("--repo", repo.path, "diff", "--base", base, "--head", "HEAD", "--format", "json")
    doc = json.loads(res.out)
    assert (doc["added"], doc["removed"], doc["modified"]) == (["beta"], [], [])


def test_rename_is_followed_by_identity_not_by_git(repo: Repo) -> None:
    repo.put("acme")
    repo.put("twin", name="Twin", legal_name="Twin Inc.")
    repo.commit("2025-01-01")
    repo.remove("registry/acme.yaml")
    repo.put("acme-gmbh")
    repo.remove("registry/twin.yaml")
    repo.put("zed", name="Twin", legal_name="Zed Corp")  # git would pair it with twin.yaml
    c2 = repo.commit("2025-01-02")
    hist = scan(repo)
    step = hist.steps[-1]
    assert step.sha == c2
    assert sorted((c.kind, c.old_id, c.id) for c in step.changes) == [
        ("added", None, "zed"), ("removed", "twin", "twin"), ("renamed", "acme", "acme-gmbh")]
