"""Half of a whole-tree scan's reading in a forked child (scan/halves.py): the same
result as reading everything here, whatever the child does."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from conftest import Repo
from subreg.scan import collect, halves
from test_scan import STRIPE, TODAY, as_json, compliance
from test_scan_evidence import scan, tree

pytestmark = pytest.mark.skipif(not halves.can_fork(), reason="fork is used on Linux only")


def test_the_shares_are_balanced_by_weight_and_keep_their_order() -> None:
    items = [("a", 9), ("b", 1), ("c", 5), ("d", 4), ("e", 1)]
    mine, theirs = halves.split(items, [w for _, w in items])
    assert (mine, theirs) == ([("a", 9), ("b", 1)], [("c", 5), ("d", 4), ("e", 1)])  # 10 and 10
    assert halves.split([7, 7, 7, 7], [1, 1, 1, 1]) == ([7, 7], [7, 7])  # equal items are items still
    assert halves.split([], []) == ([], [])


def test_small_work_is_done_here_in_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(halves, "MIN_WEIGHT", 10)
    got = halves.halves([1, 2, 3], lambda i: 3, lambda share: calls.append((os.getpid(), share)) or len(share))
    assert got == [3] and calls == [(os.getpid(), [1, 2, 3])]


def test_heavy_work_is_shared_with_a_child(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(halves, "MIN_WEIGHT", 10)
    here = os.getpid()
    got = halves.halves(list(range(8)), lambda i: 5, lambda share: (os.getpid(), share))
    assert [share for _, share in got] == [[0, 2, 4, 6], [1, 3, 5, 7]]
    assert got[0][0] == here and got[1][0] != here  # the second share came back from the child


@pytest.mark.parametrize("how", ["raises", "exits", "writes junk"])
def test_a_child_that_fails_has_its_share_done_here(monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    monkeypatch.setattr(halves, "MIN_WEIGHT", 10)
    here = os.getpid()

    def work(share: list[int]) -> tuple[int, list[int]]:
        if os.getpid() != here:
            if how == "raises":
                raise RuntimeError("the child fails")
            if how == "exits":
                os._exit(0)  # nothing written, exit code 0
        return os.getpid(), share

    if how == "writes junk":
        monkeypatch.setattr(halves.pickle, "dumps", lambda obj, protocol: b"not a pickle")
    got = halves.halves(list(range(6)), lambda i: 5, work)
    assert got == [(here, [0, 2, 4]), (here, [1, 3, 5])]


def test_a_failing_share_here_stops_the_child(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(halves, "MIN_WEIGHT", 10)
    here = os.getpid()

    def work(share: list[int]) -> list[int]:
        if os.getpid() == here:
            raise ValueError("ours fails")
        return share

    with pytest.raises(ValueError, match="ours fails"):
        halves.halves(list(range(4)), lambda i: 5, work)
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # no child left behind, not even a zombie


def test_a_whole_tree_scan_read_in_two_finds_what_one_reading_finds(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    files = {f"src/m{i:02}.py": f'U = "https://{host}/v1"  # {i}\n' for i, host in
             enumerate(["api.stripe.com", "api.openai.com", "hooks.slack.com", "example.org"] * 6)}
    files["src/big.js"] = "\n".join(f'fetch("https://api.mixpanel.com/track/{i}")' for i in range(50)) + "\n"
    files["src/odd\nname.py"] = 'V = "https://api.sendgrid.com/v3"\n'
    root = tree(tmp_path / "p", files)
    once = scan(root)
    monkeypatch.setattr(halves, "MIN_WEIGHT", 0)
    forks = []
    real_fork = os.fork
    monkeypatch.setattr(os, "fork", lambda: forks.append(1) or real_fork())
    twice = scan(root)
    assert forks == [1]
    assert twice.evidence == once.evidence and twice.files == once.files == 20
    assert [(e.path, e.line, e.service) for e in twice.evidence][:3] == [
        ("src/big.js", 1, "mixpanel"), ("src/big.js", 2, "mixpanel"), ("src/big.js", 3, "mixpanel")]
    assert {e.service for e in twice.evidence} == {"stripe", "openai", "slack", "mixpanel", "sendgrid"}
    assert collect._cost(root, "src/big.js", 1) == 20 + 100 + len(files["src/big.js"]) // 1024
    assert collect._cost(root, "no/such/file.py", 3) == 0


def test_the_installed_command_reads_a_large_tree_in_two_as_in_one(installed: Any, run: Any, repo: Repo,
                                                                   tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """240 files that each name a service weigh over MIN_WEIGHT: the installed `subreg
    scan` shares their reading with a child; its output is byte for byte that of one
    reading in-process."""
    hosts = ["api.stripe.com", "hooks.slack.com", "api.openai.com"]
    files = {f"app/m{i:03}.py": f'URL = "https://{hosts[i % 3]}/v1/{i}"\n' for i in range(240)}
    assert len(files) * (20 + 100) > halves.MIN_WEIGHT
    compliance(repo, stripe=STRIPE)
    product = tree(tmp_path / "product", files)
    two = installed("--repo", repo.path, "--today", TODAY, "scan", product, "--format", "json")
    monkeypatch.setattr(halves, "MIN_WEIGHT", 1 << 62)
    one = run("--repo", repo.path, "--today", TODAY, "scan", product, "--format", "json")
    assert (two.code, two.out, two.err) == (one.code, one.out, one.err)
    doc = as_json(two.out)
    assert doc["services"] == ["openai", "slack", "stripe"]
    assert [(f["check"], f["service"], len(f["evidence"])) for f in doc["findings"]] == [
        ("undeclared-subprocessor", "openai", 80), ("undeclared-subprocessor", "slack", 80)]
