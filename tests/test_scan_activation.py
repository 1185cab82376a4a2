"""`activation-before-notice` reads the compliance repository's history: only a service
whose entry is new (no earlier version was in effect) is activated before its notice; a
pending material change of an entry long in use is not an activation."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from conftest import GIT_ENV, Repo
from test_scan import PRODUCT, SENTRY, STRIPE, as_json
from test_scan_evidence import tree

MIXPANEL = {"name": "Mixpanel", "website": "https://mixpanel.com", "locations": ["US"]}
PENDING = {"notice": {"announced_on": "2026-11-20", "effective_on": "2026-12-20"}}


def findings(cli: Any, repo: Path, product: Path, day: str, *extra: str) -> tuple[int, list[tuple[str, str]]]:
    res = cli("--repo", repo, "--today", day, "scan", product, *extra, "--format", "json")
    assert res.code in (0, 1), res.err
    return res.code, [(f["check"], f["subprocessor"]) for f in as_json(res.out)["findings"]]


def test_a_material_change_of_an_entry_in_use_is_not_an_activation(cli: Any, repo: Repo, tmp_path: Path) -> None:
    repo.put("stripe", **STRIPE)
    repo.put("sentry", **SENTRY)
    repo.put("mixpanel", **MIXPANEL)
    repo.commit("2026-01-10", "baseline")  # in use since, without a notice
    repo.put("mixpanel", **{**MIXPANEL, "locations": ["US", "IE"], **PENDING})
    repo.commit("2026-11-20", "mixpanel: a new location, announced")
    product = tree(tmp_path / "shop", PRODUCT)
    for day in ("2026-12-19", "2026-12-20", "2026-12-21"):
        assert findings(cli, repo.path, product, day) == (0, []), day
    # the same pending change, uncommitted in the compliance worktree: HEAD still shows it in use
    repo.put("mixpanel", **{**MIXPANEL, "locations": ["US", "IE", "DE"], **PENDING})
    assert findings(cli, repo.path, product, "2026-12-19") == (0, [])


def test_a_new_entry_is_activated_before_its_notice(cli: Any, repo: Repo, tmp_path: Path) -> None:
    repo.put("stripe", **STRIPE)
    repo.put("sentry", **SENTRY)
    repo.commit("2026-01-10", "baseline")
    product = tree(tmp_path / "shop", PRODUCT)
    repo.put("mixpanel", **MIXPANEL, **PENDING)  # not committed yet: new
    assert findings(cli, repo.path, product, "2026-12-19") == (1, [("activation-before-notice", "mixpanel")])
    repo.commit("2026-11-20", "mixpanel, announced")  # committed: its only version waits for its notice
    for day, expected in (("2026-12-19", (1, [("activation-before-notice", "mixpanel")])),
                          ("2026-12-20", (0, [])), ("2026-12-21", (0, []))):
        assert findings(cli, repo.path, product, day) == expected, day


def test_a_change_of_an_entry_whose_own_addition_is_still_pending(run: Any, repo: Repo, tmp_path: Path) -> None:
    """Added with a notice effective on Dec 1, changed again (effective Dec 10) before
    then: until Dec 1 no version was in effect, from Dec 1 the first one is."""
    repo.put("stripe", **STRIPE)
    repo.put("sentry", **SENTRY)
    repo.commit("2026-01-10", "baseline")
    repo.put("mixpanel", **MIXPANEL, notice={"announced_on": "2026-10-31", "effective_on": "2026-12-01"})
    repo.commit("2026-10-31", "mixpanel, announced")
    repo.put("mixpanel", **{**MIXPANEL, "locations": ["US", "IE"]},
             notice={"announced_on": "2026-11-10", "effective_on": "2026-12-10"})
    repo.commit("2026-11-10", "mixpanel: a new location")
    product = tree(tmp_path / "shop", PRODUCT)
    assert findings(run, repo.path, product, "2026-11-30") == (1, [("activation-before-notice", "mixpanel")])
    assert findings(run, repo.path, product, "2026-12-01") == (0, [])
    assert findings(run, repo.path, product, "2026-12-02") == (0, [])


def test_an_entry_brought_back_from_retirement_is_new_again(run: Any, repo: Repo, tmp_path: Path) -> None:
    repo.put("stripe", **STRIPE)
    repo.put("sentry", **SENTRY)
    repo.put("mixpanel", **MIXPANEL, retired_on="2026-03-01")
    repo.commit("2026-01-10", "baseline, mixpanel on its way out")
    repo.put("mixpanel", **MIXPANEL, **PENDING)
    repo.commit("2026-11-20", "mixpanel is back, announced")
    product = tree(tmp_path / "shop", PRODUCT)
    assert findings(run, repo.path, product, "2026-12-19") == (1, [("activation-before-notice", "mixpanel")])
    # and in a pull-request scan that starts using it
    product2 = tree(tmp_path / "shop2", {"app.py": "x = 1\n"})
    subprocess.run(["git", "checkout", "-q", "-b", "pr"], cwd=product2, check=True, env={**GIT_ENV, "PATH": "/usr/bin:/bin"})
    tree(product2, {"app.py": 'x = 1\nM = "https://api.mixpanel.com/track"\n'})
    assert findings(run, repo.path, product2, "2026-12-19", "--base", "main") == (
        1, [("activation-before-notice", "mixpanel")])


def test_without_the_history_the_scan_cannot_tell(run: Any, repo: Repo, tmp_path: Path) -> None:
    repo.put("stripe", **STRIPE)
    repo.put("sentry", **SENTRY)
    repo.put("mixpanel", **MIXPANEL)
    repo.commit("2026-01-10", "baseline")
    repo.put("mixpanel", **{**MIXPANEL, "locations": ["US", "IE"], **PENDING})
    repo.commit("2026-11-20", "mixpanel: a new location, announced")
    product = tree(tmp_path / "shop", PRODUCT)
    # a folder that is no git repository: nothing shows the entry was in effect
    plain = tmp_path / "plain"
    shutil.copytree(repo.path, plain, ignore=shutil.ignore_patterns(".git"))
    assert findings(run, plain, product, "2026-12-19") == (1, [("activation-before-notice", "mixpanel")])
    # a git repository without a commit yet: the same
    subprocess.run(["git", "init", "-q", str(plain)], check=True, capture_output=True)
    assert findings(run, plain, product, "2026-12-19") == (1, [("activation-before-notice", "mixpanel")])
    # a shallow clone: exit 2, and how to fix it
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", repo.path.as_uri(), str(shallow)], check=True,
                   capture_output=True, env={**GIT_ENV, "PATH": "/usr/bin:/bin"})
    res = run("--repo", shallow, "--today", "2026-12-19", "scan", product)
    assert res.code == 2 and "shallow clone" in res.err and "fetch-depth: 0" in res.err
    # with nothing pending, a shallow clone is enough
    assert findings(run, shallow, product, "2026-12-20") == (0, [])


def test_detect_never_reaches_what_publish_writes(cli: Any, repo: Repo, tmp_path: Path) -> None:
    """SPEC 2: `detect` is internal. A planted value in every part of it (catalogue id,
    packages, domains) appears in no file that `subreg publish` writes, the history
    feed included (the entry changes its `detect` in a later commit)."""
    planted = {"catalog": "mixpanel", "packages": {"npm": ["@zqx-planted/sdk"], "pypi": ["zqx-planted-client"]},
               "domains": ["api.zqx-planted.example"]}
    repo.put("stripe", **STRIPE)
    repo.put("mixpanel", **MIXPANEL, detect=planted)
    repo.commit("2026-01-10", "baseline")
    repo.put("mixpanel", **MIXPANEL, detect={**planted, "domains": ["eu.zqx-planted.example"]})
    repo.commit("2026-02-10", "mixpanel: detect its EU host")
    out = tmp_path / "site"
    res = cli("--repo", repo.path, "--today", "2026-12-01", "publish", "--out", out)
    assert res.code == 0, res.err
    files = sorted(p for p in out.rglob("*") if p.is_file())
    assert {p.name for p in files} >= {"index.html", "subprocessors.json", "feed.xml", "subprocessors.en.md"}
    leaks = [p.name for p in files if any(s in p.read_bytes().decode("utf-8", errors="replace")
                                          for s in ("zqx-planted", '"detect"', "detect:"))]
    assert leaks == []
    doc = __import__("json").loads((out / "subprocessors.json").read_text(encoding="utf-8"))
    mixpanel = next(s for s in doc["subprocessors"] if s["id"] == "mixpanel")
    assert "detect" not in mixpanel and mixpanel["name"] == "Mixpanel"


def test_pending_entries_are_told_apart_in_one_look(cli: Any, run: Any, repo: Repo, tmp_path: Path,
                                                    monkeypatch: Any) -> None:
    """Two pending entries of one scan: Stripe's material change (in use before) is not
    an activation, Mixpanel's addition is; the same when the history of the folder is
    read instead of each file's (many pending entries)."""
    from subreg.scan import activation

    repo.put("stripe", **STRIPE)
    repo.put("sentry", **SENTRY)
    repo.commit("2026-01-10", "baseline")
    repo.put("stripe", **{**STRIPE, "locations": ["US", "IE"]}, **PENDING)
    repo.put("mixpanel", **MIXPANEL, **PENDING)
    repo.commit("2026-11-20", "stripe: a new location; mixpanel: added, both announced")
    product = tree(tmp_path / "shop", PRODUCT)
    for runner in (cli, run):
        if runner is run:
            monkeypatch.setattr(activation, "MAX_PATHS", 1)  # the folder's log, in-process
        assert findings(runner, repo.path, product, "2026-12-19") == (1, [("activation-before-notice", "mixpanel")])
        assert findings(runner, repo.path, product, "2026-12-20") == (0, [])
