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
- `policy`: `policies/policy.yaml`.
- `today`: the date of the run (`--today`).
- `history`: what the git history says (first commit of each notice, ...).

A failing assertion is a finding; its check id is the test name without `test_`, with
dashes for underscores. `@pytest.mark.severity("warning")` makes failures warnings.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

import pytest

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
    if "subprocessor" in metafunc.fixturenames:
        scope = _session(metafunc.config).scope
        metafunc.parametrize("subprocessor", scope, ids=scope, indirect=True)
    if "change" in metafunc.fixturenames:
        changes = _session(metafunc.config).changes
        metafunc.parametrize("change", range(len(changes)), indirect=True,
                             ids=[f"{c.kind}:{c.id}" for c in changes])


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
    """The organisation's policy (policies/policy.yaml)."""
    return _session(request.config).project.policy


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


_FIELD = re.compile(r"subprocessor\.(\w+)")


def _asserted_field(statement: str) -> str | None:
    """The first `subprocessor.<field>` in the condition of a failing assert (not in
    its message), so the finding points at the line of that field."""
    import ast

    try:
        node = ast.parse(statement.strip()).body[0]
    except (SyntaxError, IndexError):
        found = _FIELD.search(statement)
        return found.group(1) if found else None
    test = node.test if isinstance(node, ast.Assert) else node
    for sub in ast.walk(test):
        if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id == "subprocessor":
            return sub.attr
    return None


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
            outcome, longrepr = "failed", f"{excinfo.typename}: {one_line(excinfo.value)[:_MAX_MESSAGE]}"
    when = call.when
    assert when != "collect"
    report = pytest.TestReport(
        item.nodeid, item.location, dict.fromkeys(item.keywords, 1), outcome, longrepr,
        when, duration=call.duration, start=call.start, stop=call.stop,
        user_properties=item.user_properties,
    )
    _record(sess, item, call, report)
    return report


_MAX_MESSAGE = 2000


def _record(sess: Session, item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport) -> None:
    """The finding of a test's outcome."""
    if report.when != "call" and not (report.failed and report.when == "setup"):
        return
    if report.passed:
        sess.passed += 1
        return
    if not report.failed:
        return
    sid, path, reg = _target(item, sess)
    marker = item.get_closest_marker("severity")
    severity: fd.Severity = "warning" if marker and marker.args and marker.args[0] == "warning" else "error"
    exc = call.excinfo.value if call.excinfo else None
    line = 1
    if isinstance(exc, fd.Verdict):
        message = exc.message
        severity = exc.severity or severity
        if sid is not None and exc.field:
            line = reg.line(sid, *exc.field)
        elif exc.field and isinstance(exc.field[0], str) and exc.field[0].startswith("registry/"):
            path, line = exc.field[0], int(exc.field[1]) if len(exc.field) > 1 else 1
    elif isinstance(exc, AssertionError):
        text = str(exc).strip()
        if text.startswith("assert "):
            message = f"assertion failed: {text.splitlines()[0]}"
        else:  # "message\nassert <pytest's explanation>": keep the message, on one line
            message = " ".join(text.rpartition("\nassert ")[0 if "\nassert " in text else 2].split())
            message = message or "assertion failed"
        if sid is not None and call.excinfo is not None:
            fieldname = _asserted_field(str(call.excinfo.traceback[-1].statement))
            if fieldname:
                line = reg.line(sid, fieldname)
    else:
        message = f"the check itself failed: {type(exc).__name__}: {exc}"
    sess.findings.append(fd.make(check_id(item), severity, sid, path, line, message))


def pytest_collectreport(report: pytest.CollectReport) -> None:
    sess = ACTIVE
    if sess is not None and report.failed:
        text = str(report.longrepr).strip().splitlines()
        sess.problems.append(f"{report.nodeid}: cannot load the check: {text[-1] if text else 'error'}")
