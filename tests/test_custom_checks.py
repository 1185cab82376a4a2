"""The organisation's own checks in checks/: plain pytest functions using subreg's fixtures."""

from __future__ import annotations

import json

import pytest

from conftest import POLICY, Repo, dump, entry

TODAY = "2025-06-01"


def findings(run, repo: Repo, *args: str) -> tuple[int, list[dict]]:
    res = run("--repo", repo.path, "--today", TODAY, "check", "--format", "json", *args)
    assert res.code in (0, 1), res.err
    return res.code, json.loads(res.out)["findings"]


@pytest.fixture
def base(repo: Repo) -> Repo:
    repo.put("acme")
    repo.put("india", name="Desi Data", legal_name="Desi Data Pvt Ltd", locations=["IN"])
    repo.commit("2025-01-01")
    return repo


def test_custom_check_becomes_a_finding(run, base: Repo) -> None:
    base.write("checks/test_residency.py", '''
def test_no_india(subprocessor):
    assert "IN" not in subprocessor.locations, "no processing in India"
''')
    code, found = findings(run, base, "--all")
    assert code == 1
    [f] = [f for f in found if f["check"] == "no-india"]
    assert f["subprocessor"] == "india" and f["message"] == "no processing in India"
    assert f["path"] == "registry/india.yaml" and f["line"] == 7  # the `locations:` line
    assert f["severity"] == "error"


def test_severity_marker_makes_warnings(run, base: Repo) -> None:
    base.write("checks/test_risk.py", '''
import pytest

@pytest.mark.severity("warning")
def test_prefer_eu(subprocessor):
    assert subprocessor.locations == ["DE"], f"{subprocessor.id} processes outside Germany"
''')
    code, found = findings(run, base, "--all")
    assert code == 0
    assert [(f["check"], f["outcome"], f["message"]) for f in found] == [
        ("prefer-eu", "warning", "india processes outside Germany")]


def test_every_fixture_is_available(run, base: Repo) -> None:
    base.write("checks/test_fixtures.py", '''
import datetime as dt

def test_fixtures(registry, base_registry, changes, policy, today, history):
    assert len(registry) == 3 and len(base_registry) == 2
    assert [c.kind for c in changes] == ["added"]
    assert policy.notice_period_days == 30 and today == dt.date(2025, 6, 1)
    assert history is not None

def test_each_change(change):
    assert change.id == "beta" and not change.needs_notice and change.new.name == "Beta"

def test_optional_fields_are_none(subprocessor):
    assert subprocessor.retired_on is None and subprocessor.id and subprocessor.path.startswith("registry/")
''')
    base.put("beta", name="Beta", legal_name="Beta SAS", tier="integration")
    code, found = findings(run, base, "--all")
    assert code == 0, found


def test_a_broken_check_is_reported_not_passed(run, base: Repo) -> None:
    base.write("checks/test_broken.py", "def test_typo(subprocessor):\n    return subprocesor.name\n")
    code, found = findings(run, base, "--all")
    assert code == 1
    assert {f["check"] for f in found} == {"typo"}
    assert all("NameError" in f["message"] for f in found)


def test_a_check_that_does_not_load_is_exit_2(run, base: Repo) -> None:
    base.write("checks/test_syntax.py", "def test_x(:\n")
    res = run("--repo", base.path, "check")
    assert res.code == 2 and "checks/test_syntax.py" in res.err and "Traceback" not in res.err


def test_checks_are_reloaded_between_runs(run, base: Repo) -> None:
    base.write("checks/test_flip.py", "def test_flip(subprocessor):\n    assert False, 'one'\n")
    assert {f["message"] for f in findings(run, base, "--all")[1]} == {"one"}
    base.write("checks/test_flip.py", "def test_flip(subprocessor):\n    assert False, 'two'\n")
    assert {f["message"] for f in findings(run, base, "--all")[1]} == {"two"}


def test_plain_pytest_in_a_compliance_repo(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", **{"policies/policy": dump(POLICY)})
    pytester.makefile(".yaml", **{"registry/acme": dump(entry())})
    pytester.makefile(".yaml", **{"registry/india": dump(entry(name="Desi", legal_name="Desi", locations=["IN"]))})
    pytester.mkdir("checks")
    pytester.makepyfile(**{"checks/test_residency": '''
def test_no_india(subprocessor):
    assert "IN" not in subprocessor.locations, "no processing in India"
'''})
    result = pytester.runpytest("checks")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*test_no_india?india?*", "*no processing in India*"])


def test_line_points_at_the_asserted_field_not_the_message(run, base: Repo) -> None:
    base.write("checks/test_lines.py", '''
def test_eu_only(subprocessor):
    assert subprocessor.locations == ["DE"], f"{subprocessor.name} is outside Germany"
''')
    _, found = findings(run, base, "--all")
    [f] = found
    assert f["subprocessor"] == "india" and f["line"] == 7 and f["message"] == "Desi Data is outside Germany"


def test_the_repos_own_pytest_configuration_is_not_read(installed, base: Repo) -> None:
    """subreg passes pytest its options in code: a compliance repo's pytest.ini, tox.ini
    or pyproject.toml (which may hold options for other uses of pytest) changes nothing."""
    base.write("pytest.ini", "[pytest]\naddopts = --no-such-option\npython_functions = nothing_*\n")
    base.write("pyproject.toml", "[tool.pytest.ini_options]\naddopts = '-x --no-such-option'\n")
    base.write("checks/test_residency.py", '''
def test_no_india(subprocessor):
    assert "IN" not in subprocessor.locations, "no processing in India"
''')
    code, found = findings(installed, base, "--all")
    assert code == 1
    assert [(f["check"], f["subprocessor"]) for f in found if f["outcome"] == "failed"] == [("no-india", "india")]
