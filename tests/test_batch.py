"""Checks run once per entry in a loop (batch.py), with the findings pytest's items gave.

A custom check whose fixtures are all subreg's is one pytest item whose call loops over
the entries in scope; any other (its own fixture, pytest's `tmp_path`, a `parametrize`
mark, an async function) keeps one pytest item per entry. Each test here writes the
same body twice, once in each shape, where that matters, and compares the findings and
the summary: the loop must give what the items gave.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import Repo

TODAY = "2025-06-01"

# `noop` turns a check into one pytest item per entry: a fixture of its own
NOOP = '''
import pytest


@pytest.fixture
def noop():
    return None
'''


def report(run: Any, repo: Repo, *args: str) -> tuple[int, dict[str, Any]]:
    res = run("--repo", repo.path, "--today", TODAY, "check", "--format", "json", *args)
    assert res.code in (0, 1), res.err
    return res.code, json.loads(res.out)


def custom(found: list[dict[str, Any]], *ids: str) -> list[tuple[str, str | None, str, int, str, str]]:
    return [(f["check"], f["subprocessor"], f["path"], f["line"], f["severity"], f["message"])
            for f in found if f["check"] in ids]


@pytest.fixture
def three(repo: Repo) -> Repo:
    repo.put("acme")
    repo.put("india", name="Desi Data", legal_name="Desi Data Pvt Ltd", locations=["IN"])
    repo.put("zeta", name="Zeta Mail", legal_name="Zeta Mail SAS", locations=["FR"])
    repo.commit("2025-01-01")
    return repo


def both(body: str, params: str = "subprocessor") -> str:
    """The same check twice: `test_loop` (one item, a loop) and `test_items` (an item
    per entry, through the `noop` fixture)."""
    return (NOOP + f"\n\ndef test_loop({params}):\n{body}\n"
            + f"\n\ndef test_items({params}, noop):\n{body}\n")


def same(found: list[dict[str, Any]]) -> list[tuple[str, str | None, str, int, str, str]]:
    loop = custom(found, "loop")
    items = [("loop", *rest) for _check, *rest in custom(found, "items")]
    assert loop == items
    return loop


def test_a_check_failing_for_some_entries_and_passing_others(run: Any, three: Repo) -> None:
    three.write("checks/test_some.py", both('    assert "IN" not in subprocessor.locations, "not in India"'))
    code, doc = report(run, three, "--all")
    assert code == 1
    assert same(doc["findings"]) == [("loop", "india", "registry/india.yaml", 7, "error", "not in India")]
    without = three.path / "checks" / "test_some.py"
    without.unlink()
    _, alone = report(run, three, "--all")
    # each of the two checks passed for the two other entries: 4 passes more than without them
    assert doc["summary"]["passed"] == alone["summary"]["passed"] + 4


def test_an_assertion_without_message_is_explained_as_pytest_does(run: Any, three: Repo) -> None:
    three.write("checks/test_plain.py", both('    assert subprocessor.locations == ["DE"]'))
    _, doc = report(run, three, "--all")
    assert same(doc["findings"]) == [
        ("loop", "india", "registry/india.yaml", 7, "error", "assertion failed: assert ['IN'] == ['DE']"),
        ("loop", "zeta", "registry/zeta.yaml", 7, "error", "assertion failed: assert ['FR'] == ['DE']"),
    ]


def test_a_check_raising_for_one_entry(run: Any, three: Repo) -> None:
    three.write("checks/test_raise.py", both(
        '    if subprocessor.id == "zeta":\n        raise ValueError(f"cannot judge {subprocessor.name}")'))
    _, doc = report(run, three, "--all")
    assert same(doc["findings"]) == [
        ("loop", "zeta", "registry/zeta.yaml", 1, "error", "the check itself failed: ValueError: cannot judge Zeta Mail"),
    ]


def test_pytest_skip_for_one_entry_is_neither_a_pass_nor_a_finding(run: Any, three: Repo) -> None:
    three.write("checks/test_skip.py", "import pytest\n" + both(
        '    if subprocessor.id == "acme":\n        pytest.skip("later")\n    assert subprocessor.id != "zeta"'))
    _, doc = report(run, three, "--all")
    assert same(doc["findings"]) == [
        ("loop", "zeta", "registry/zeta.yaml", 1, "error", "assertion failed: assert 'zeta' != 'zeta'"),
    ]
    (three.path / "checks" / "test_skip.py").unlink()
    _, alone = report(run, three, "--all")
    assert doc["summary"]["passed"] == alone["summary"]["passed"] + 2  # india, in each shape


def test_pytest_fail_and_xfail_inside_a_check(run: Any, three: Repo) -> None:
    three.write("checks/test_fail.py", "import pytest\n" + both(
        '    if subprocessor.id == "acme":\n        pytest.fail("no")\n'
        '    if subprocessor.id == "zeta":\n        pytest.xfail("known")'))
    _, doc = report(run, three, "--all")
    assert same(doc["findings"]) == [
        ("loop", "acme", "registry/acme.yaml", 1, "error", "the check itself failed: Failed: no"),
        ("loop", "zeta", "registry/zeta.yaml", 1, "error", "the check itself failed: XFailed: known"),
    ]


def test_severity_markers_of_the_function_and_of_the_module(run: Any, three: Repo) -> None:
    three.write("checks/test_marks.py", '''
import pytest

pytestmark = pytest.mark.severity("warning")


def test_module_level(subprocessor):
    assert subprocessor.id != "india", "module-level warning"


@pytest.mark.severity("error")
def test_function_level(subprocessor):
    assert subprocessor.id != "india", "the function's mark is the closest"
''')
    code, doc = report(run, three, "--all")
    assert code == 1
    assert custom(doc["findings"], "module-level", "function-level") == [
        ("function-level", "india", "registry/india.yaml", 1, "error", "the function's mark is the closest"),
        ("module-level", "india", "registry/india.yaml", 1, "warning", "module-level warning"),
    ]


def test_a_function_scoped_fixture_of_its_own_that_depends_on_subprocessor(run: Any, three: Repo) -> None:
    """Supported with pytest's own semantics: such a check keeps one item per entry, so
    its fixture is set up (and torn down) for each entry, as under plain pytest."""
    three.write("checks/conftest.py", '''
import pytest


@pytest.fixture
def country(subprocessor):
    yield subprocessor.locations[0]
''')
    three.write("checks/test_own_fixture.py", '''
def test_in_germany(subprocessor, country):
    assert country == "DE", f"{subprocessor.id} is in {country}"
''')
    _, doc = report(run, three, "--all")
    assert custom(doc["findings"], "in-germany") == [
        ("in-germany", "india", "registry/india.yaml", 1, "error", "india is in IN"),
        ("in-germany", "zeta", "registry/zeta.yaml", 1, "error", "zeta is in FR"),
    ]


def test_the_change_parametrization(run: Any, three: Repo) -> None:
    three.write("checks/test_changes.py", both(
        '    assert change.kind != "removed", f"{change.id} is removed"\n'
        '    assert change.kind != "added" or change.new.locations != ["US"], f"{change.id} is in the US"',
        params="change"))
    three.git("checkout", "-q", "-b", "pr")
    three.remove("registry/zeta.yaml")
    three.put("usco", name="US Co", legal_name="US Co Inc.", locations=["US"], notice={
        "announced_on": "2025-06-01", "effective_on": "2025-07-15"})
    three.commit("2025-06-01")
    _, doc = report(run, three, "--base", "main")
    assert same(doc["findings"]) == [
        ("loop", "usco", "registry/usco.yaml", 1, "error", "usco is in the US"),
        ("loop", "zeta", "registry/zeta.yaml", 1, "error", "zeta is removed"),
    ]


def test_a_check_of_both_an_entry_and_a_change_runs_on_each_pair(run: Any, three: Repo) -> None:
    three.write("checks/test_pairs.py", both(
        '    assert subprocessor.id != change.id, f"{subprocessor.id} changed"', params="subprocessor, change"))
    three.git("checkout", "-q", "-b", "pr")
    three.put("acme", address="Musterstraße 2, 10115 Berlin, Germany")
    three.commit("2025-06-01")
    code, doc = report(run, three, "--all", "--base", "main")
    assert same(doc["findings"]) == [("loop", "acme", "registry/acme.yaml", 1, "error", "acme changed")]


def test_a_mark_that_fails_at_setup_fails_every_entry_as_the_items_did(run: Any, three: Repo) -> None:
    three.write("checks/test_setup.py", "import pytest\n" + NOOP + '''

@pytest.mark.skipif("no_such_name", reason="?")
def test_loop(subprocessor):
    pass


@pytest.mark.skipif("no_such_name", reason="?")
def test_items(subprocessor, noop):
    pass
''')
    _, doc = report(run, three, "--all")
    found = same(doc["findings"])
    assert [f[1] for f in found] == ["acme", "india", "zeta"]
    assert all(f[5].startswith("the check itself failed: Failed: Error evaluating 'skipif' condition") for f in found)


def test_an_async_check_keeps_its_items(run: Any, three: Repo) -> None:
    three.write("checks/test_async.py", "async def test_later(subprocessor):\n    pass\n")
    _, doc = report(run, three, "--all")
    found = custom(doc["findings"], "later")
    assert [f[1] for f in found] == ["acme", "india", "zeta"]
    assert all("async def functions are not natively supported" in f[5] for f in found)


def test_a_bug_in_the_loop_is_an_internal_error(run: Any, three: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    from subreg import batch

    def broken(*_args: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(batch, "record", broken)
    three.write("checks/test_fails.py", "def test_fails(subprocessor):\n    assert False\n")
    res = run("--repo", three.path, "--today", TODAY, "check", "--all")
    assert res.code == 3 and "RuntimeError: a bug" in res.err


def test_custom_checks_through_the_installed_subreg(installed: Any, three: Repo) -> None:
    three.write("checks/test_some.py", both('    assert "IN" not in subprocessor.locations, "not in India"'))
    res = installed("--repo", three.path, "--today", TODAY, "check", "--all", "--format", "json")
    assert res.code == 1, res.err
    assert same(json.loads(res.out)["findings"]) == [
        ("loop", "india", "registry/india.yaml", 7, "error", "not in India")]


def test_severity_of_a_built_in_style_function() -> None:
    from subreg import runner

    class Mark:
        def __init__(self, name: str, *args: str) -> None:
            self.name, self.args = name, args

    class Owner:
        pytestmark: Any = None

    func, module = Owner(), Owner()
    func.pytestmark = [Mark("other"), Mark("severity", "warning")]
    module.pytestmark = Mark("severity", "error")
    assert runner._severity(func, module) == "warning"
    func.pytestmark = []
    assert runner._severity(func, module) == "error"
    module.pytestmark = Mark("severity", "warning")
    assert runner._severity(func, module) == "warning"
    assert runner._severity(Owner(), Owner()) == "error"


def test_the_built_in_checks_run_without_pytest(three: Repo) -> None:
    """Without custom checks, `subreg check` never imports pytest (its import alone cost
    as much as the pull-request check's own work); with them, pytest runs them."""
    import subprocess

    from conftest import INSTALLED_BIN, clean_env

    probe = ("import sys\nfrom subreg.cli import main\n"
             f"code = main(['--repo', {str(three.path)!r}, '--today', {TODAY!r}, 'check', '--all'])\n"
             "print(code, '_pytest' in sys.modules)\n")
    proc = subprocess.run([str(INSTALLED_BIN / "python"), "-c", probe], capture_output=True, text=True,
                          env=clean_env(), check=False)
    assert proc.stdout.splitlines()[-1] == "0 False", proc.stdout + proc.stderr
    three.write("checks/test_own.py", "def test_own(subprocessor):\n    pass\n")
    proc = subprocess.run([str(INSTALLED_BIN / "python"), "-c", probe], capture_output=True, text=True,
                          env=clean_env(), check=False)
    assert proc.stdout.splitlines()[-1] == "0 True", proc.stdout + proc.stderr
