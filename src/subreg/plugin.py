"""The pytest plugin: the fixtures that make a pytest function a policy check.

Registered by the `pytest11` entry point (`subreg.pytest_entry`) when pytest runs in a
compliance repo, so plain `pytest checks/` works there and nowhere else; `subreg check`
and `subreg audit` run the same plugin in-process.

Fixtures (the API of custom checks):

- `subprocessor`: one test per registry entry in scope (on a pull request, the entries
  the change touches; with `--all` and in the audit, every current entry). Its
  attributes are the YAML field names, plus `id` and `path`; absent optional fields
  are `None`.
- `registry`: the registry at head (iterable of subprocessors; `registry["id"]`).
- `base_registry`: the registry at base.
- `change`: one test per change of base..head (`kind`, `id`, `old`, `new`, `fields`,
  `material`, `needs_notice`, `notice_is_new`).
- `changes`: the list of all of them.
- `policy`: the policy the change is judged by: on a pull request the stricter of
  base's and head's `policies/policy.yaml` (SPEC 4), else the working tree's.
- `today`: the date of the run (`--today`).
- `history`: what the git history says (first commit of each notice, ...).

A failing assertion is a finding; its check id is the test name without `test_`, with
dashes for underscores. `@pytest.mark.severity("warning")` makes failures warnings.

Under `subreg check` and `subreg audit` (speed, issue 17): a check whose fixtures are
all subreg's (directly or through other fixtures) is one pytest item, whose call runs
the function once per entry in scope (and per change) in a plain loop (batch.py): each
entry's failure is its own finding, with the same check id, subprocessor, path, line,
message, severity and waivers as one item per entry gave, and each pass is counted.
`pytest.skip()` skips that entry; marks (`severity`, `skip`, `skipif`, `xfail`) apply
as they do to each item. A check that needs anything else keeps one pytest item per
entry, with pytest's semantics: a fixture of its own (in its module or a conftest.py),
which may depend on `subprocessor` and is then set up for each entry; pytest's
fixtures (`tmp_path`, `monkeypatch`...); `parametrize`; an autouse fixture; an async
function. Plain `pytest checks/` always has one item per entry.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import pytest

from subreg import batch
from subreg import findings as fd
from subreg.diff import Change
from subreg.escape import one_line
from subreg.history import History
from subreg.model import Policy, Subprocessor
from subreg.registry import Registry
from subreg.session import Session

# Set by subreg's in-process runner; None under plain pytest.
ACTIVE: Session | None = None

_SESSION_KEY = pytest.StashKey[Session]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "severity(level): 'error' (default) or 'warning'")


def _session(config: pytest.Config) -> Session:
    if ACTIVE is not None:
        return ACTIVE
    if _SESSION_KEY not in config.stash:
        from pathlib import Path

        from subreg.project import Project, find_root

        project = Project(find_root(Path.cwd()), dt.datetime.now(dt.UTC).date())
        from subreg.session import standalone

        config.stash[_SESSION_KEY] = standalone(project)
    return config.stash[_SESSION_KEY]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if ACTIVE is not None and _batchable(metafunc):
        # one item for the whole scope: its call runs the function once per entry (batch.py)
        for name in batch.PER_ENTRY:
            if name in metafunc.fixturenames:
                metafunc.parametrize(name, [_BATCH], ids=["batch"])
        return
    if "subprocessor" in metafunc.fixturenames:
        scope = _session(metafunc.config).scope
        metafunc.parametrize("subprocessor", scope, ids=scope, indirect=True)
    if "change" in metafunc.fixturenames:
        changes = _session(metafunc.config).changes
        metafunc.parametrize("change", range(len(changes)), indirect=True,
                             ids=[f"{c.kind}:{c.id}" for c in changes])


class _Batch:
    def __repr__(self) -> str:
        return "<every entry in scope>"


_BATCH: Any = _Batch()


def _batchable(metafunc: pytest.Metafunc) -> bool:
    """Whether a check can be one item whose call loops over the scope: every fixture it
    needs, directly or through other fixtures, is one of subreg's (whose values are the
    same for the whole run but the entry). A check that needs anything else (its own
    fixture, which may depend on `subprocessor`; `tmp_path`; a `parametrize` mark; an
    autouse fixture of a conftest.py) keeps one item per entry, as pytest runs it."""
    import inspect

    func = metafunc.function
    if inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func):
        return False  # pytest's own call refuses these: let it
    return set(metafunc.fixturenames) <= batch.FIXTURES | {"request"}


def _is_batch(item: pytest.Item) -> bool:
    params = getattr(getattr(item, "callspec", None), "params", {})
    return any(params.get(name) is _BATCH for name in batch.PER_ENTRY)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> object | None:
    """A batch item's call: the check once per entry in scope, each outcome recorded."""
    sess = ACTIVE
    if sess is None or not _is_batch(pyfuncitem):
        return None
    argnames = list(pyfuncitem._fixtureinfo.argnames)
    fixed = {name: pyfuncitem.funcargs[name] for name in argnames if name not in batch.PER_ENTRY}
    batch.run(sess, pyfuncitem.obj, argnames, fixed, check_id(pyfuncitem), _severity(pyfuncitem))
    return True


def _severity(item: pytest.Item) -> fd.Severity:
    marker = item.get_closest_marker("severity")
    return "warning" if marker and marker.args and marker.args[0] == "warning" else "error"


@pytest.fixture
def subprocessor(request: pytest.FixtureRequest) -> Subprocessor:
    """One registry entry at head (parametrized over the entries in scope)."""
    return _session(request.config).registry[request.param]


@pytest.fixture
def change(request: pytest.FixtureRequest) -> Change:
    """One change of base..head (parametrized over all of them)."""
    changes: list[Change] = _session(request.config).changes
    return changes[int(request.param)]


@pytest.fixture(scope="session")
def registry(request: pytest.FixtureRequest) -> Registry:
    """The registry at head."""
    return _session(request.config).registry


@pytest.fixture(scope="session")
def base_registry(request: pytest.FixtureRequest) -> Registry:
    """The registry at base."""
    return _session(request.config).base_registry


@pytest.fixture(scope="session")
def changes(request: pytest.FixtureRequest) -> list[Change]:
    """Every change of base..head, ordered by id."""
    return _session(request.config).changes


@pytest.fixture(scope="session")
def policy(request: pytest.FixtureRequest) -> Policy:
    """The policy the change is judged by: the stricter of base's and head's
    policies/policy.yaml on a pull request, else the working tree's."""
    return _session(request.config).policy


@pytest.fixture(scope="session")
def today(request: pytest.FixtureRequest) -> dt.date:
    """The date of the run (`--today`, else today in UTC)."""
    return _session(request.config).today


@pytest.fixture(scope="session")
def history(request: pytest.FixtureRequest) -> History:
    """What git history says: first commit of each notice, commits of each entry."""
    return _session(request.config).history


@pytest.fixture(scope="session")
def session(request: pytest.FixtureRequest) -> Session:
    """Everything at once (used by the built-in checks)."""
    return _session(request.config)


# -- turning test outcomes into findings (only under subreg's runner) -------------

def check_id(item: pytest.Item) -> str:
    name = getattr(item, "originalname", None) or item.name.split("[")[0]
    return name.removeprefix("test_").replace("_", "-")


def _target(item: pytest.Item, sess: Session) -> tuple[str | None, str, Registry]:
    params = getattr(getattr(item, "callspec", None), "params", {})
    if "subprocessor" in params:
        sid = params["subprocessor"]
        return sid, sess.registry[sid].path, sess.registry
    if "change" in params:
        ch = sess.changes[params["change"]]
        if ch.new is not None:
            return ch.id, ch.new.path, sess.registry
        assert ch.old is not None
        return ch.id, ch.old.path, sess.base_registry
    return None, "registry", sess.registry


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport | None:
    """Under subreg's runner, the report without pytest's rendering of the failure.

    pytest renders every failure with the repr of each argument of each frame: the
    `session` or `registry` a check takes is the whole registry, so rendering is linear
    in the registry's size for each failure, quadratic in all (400 entries that all fail
    took a minute). The finding comes from the exception itself (`_record`), so the
    report carries only its one-line message.
    """
    sess = ACTIVE
    if sess is None:
        return None
    excinfo = call.excinfo
    outcome: Literal["passed", "failed", "skipped"] = "passed"
    longrepr: Any = None
    if excinfo is not None:
        if isinstance(excinfo.value, pytest.skip.Exception):
            outcome, longrepr = "skipped", (str(item.path), (item.location[1] or 0) + 1, str(excinfo.value))
        else:
            outcome, longrepr = "failed", f"{excinfo.typename}: {one_line(excinfo.value)[:batch.MAX_MESSAGE]}"
    when = call.when
    assert when != "collect"
    report = pytest.TestReport(
        item.nodeid, item.location, dict.fromkeys(item.keywords, 1), outcome, longrepr,
        when, duration=call.duration, start=call.start, stop=call.stop,
        user_properties=item.user_properties,
    )
    _record(sess, item, call, report)
    return report



def _record(sess: Session, item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport) -> None:
    """The finding of a test's outcome (an item per entry); a batch item's call recorded
    each entry's outcome itself."""
    if report.when != "call" and not (report.failed and report.when == "setup"):
        return
    exc = call.excinfo.value if call.excinfo else None
    if _is_batch(item):
        if report.failed and report.when == "call" and exc is not None:
            sess.crashed.append(exc)  # escaped the loop of batch.run: a bug, not a finding
        elif report.failed and report.when == "setup":  # as one item per entry would have failed
            argnames = list(item._fixtureinfo.argnames)  # type: ignore[attr-defined]
            for _args, target in batch.calls(sess, argnames):
                batch.record(sess, check_id(item), _severity(item), target, exc)
        return
    if report.passed:
        sess.passed += 1
        return
    if not report.failed:
        return
    batch.record(sess, check_id(item), _severity(item), _target(item, sess), exc)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    sess = ACTIVE
    if sess is not None and report.failed:
        text = str(report.longrepr).strip().splitlines()
        sess.problems.append(f"{report.nodeid}: cannot load the check: {text[-1] if text else 'error'}")
