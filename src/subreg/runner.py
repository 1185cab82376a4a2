"""Runs the built-in and custom checks in-process.

The built-in checks (`subreg/checks/check_*.py`) are pytest functions run without
pytest: each is called once per entry in scope by `batch.run`, with the outcomes that
pytest's items would have given; pytest is never imported for them. A compliance repo's
own checks (`checks/`) run under pytest, in-process, through the plugin: pytest collects
them (conftest files, marks, assertion rewriting, fixtures of their own), and each
check function whose fixtures are all subreg's is one item whose call is the same loop
(plugin.py), so a custom check costs what a built-in one does per entry.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from subreg import batch
from subreg import findings as fd
from subreg.errors import InputError, SubregError
from subreg.session import Session

BUILTIN = Path(__file__).with_name("checks")

# The configuration the checks run with, passed in code: never a file (one the package
# could forget to ship), and never the compliance repo's own pytest configuration
# (`-c` an empty file stops pytest looking for one).
CONFIG = [
    "-c", os.devnull,
    "-o", "python_files=check_*.py test_*.py",
    "-o", "python_functions=test_*",
]

# Per-test machinery that checks do not need: output capture (stdout is redirected
# around the whole run instead), log capture, warning capture, and the unraisable and
# thread exception hooks. Together they cost more than the checks themselves.
FAST = [
    "--capture=no", "-p", "no:logging", "-p", "no:warnings", "-p", "no:faulthandler",
    "-p", "no:unraisableexception", "-p", "no:threadexception",
    # no failure sections at the end: the findings come from the plugin, and the terminal
    # reporter's summary scans every report for each failure (quadratic)
    "--tb=no",
    # and plugins for other uses of pytest, which only cost their import
    "-p", "no:doctest", "-p", "no:junitxml", "-p", "no:pastebin", "-p", "no:legacypath",
    "-p", "no:setuponly", "-p", "no:setupplan", "-p", "no:nose", "-p", "no:debugging",
]


@dataclass(frozen=True)
class Check:
    """A built-in check function, ready to be called per entry."""

    func: Callable[..., Any]
    argnames: list[str]
    id: str
    severity: fd.Severity


def _severity(*owners: object) -> fd.Severity:
    """What `@pytest.mark.severity(...)` says, read from the marks pytest's decorator
    stores (`pytestmark`), the function's before its module's, as pytest's
    `get_closest_marker` does."""
    for owner in owners:
        marks = getattr(owner, "pytestmark", [])
        for mark in marks if isinstance(marks, list) else [marks]:
            if getattr(mark, "name", None) == "severity":
                return "warning" if mark.args and mark.args[0] == "warning" else "error"
    return "error"


@cache
def builtin() -> tuple[Check, ...]:
    """The built-in checks: the `test_*` functions of `subreg/checks/check_*.py`, in
    the order pytest would collect them (files by name, functions as defined)."""
    found = []
    for file in sorted(BUILTIN.glob("check_*.py")):
        module = importlib.import_module(f"subreg.checks.{file.stem}")
        for name, func in vars(module).items():
            if not name.startswith("test_") or not inspect.isfunction(func) or func.__module__ != module.__name__:
                continue
            params = inspect.signature(func).parameters.values()
            argnames = [p.name for p in params if p.default is inspect.Parameter.empty]
            unknown = set(argnames) - batch.FIXTURES
            if unknown:  # pragma: no cover - a bug in a built-in check
                raise SubregError(f"{file.name}: {name} asks for {sorted(unknown)}, which are not fixtures")
            found.append(Check(func, argnames, batch.check_id(name), _severity(func, module)))
    return tuple(found)


def run(session: Session) -> list[fd.Finding]:
    """Every check on the session; returns the findings with waivers applied."""
    fixed = batch.fixed_values(session)
    for check in builtin():
        batch.run(session, check.func, check.argnames, fixed, check.id, check.severity)
    root = session.project.root
    custom = custom_checks(root)
    if custom:
        _run_pytest(session, custom)
    scope = None if session.everything else set(session.scope)
    return fd.apply_waivers(session.findings, session.project.waivers, session.today, scope,
                            session.waivers_used)


def _run_pytest(session: Session, targets: list[str]) -> None:
    """The compliance repo's own checks, under pytest with the plugin."""
    import pytest

    from subreg import plugin

    root = session.project.root
    args = [
        *targets, *CONFIG, "--rootdir", str(root),
        "-p", "subreg.plugin", "-p", "no:cacheprovider", "-p", "no:stepwise",
        "--import-mode=importlib", "-q", "-o", "console_output_style=classic",
        *FAST,
    ]
    before = set(sys.modules)
    plugin.ACTIVE = session
    saved = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
            code = pytest.main(args)
    finally:
        plugin.ACTIVE = None
        if saved is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = saved
        # Checks are imported anew on each run: a long-lived process (a test suite)
        # must not keep one repo's custom checks for the next.
        for name in set(sys.modules) - before:
            mod = sys.modules.get(name)
            file = getattr(mod, "__file__", None) or ""
            if file.startswith(str(root)):
                del sys.modules[name]
    if session.crashed:
        raise session.crashed[0]
    if session.problems:
        raise InputError.of_lines(session.problems)
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED):
        tail = buffer.getvalue().strip().splitlines()[-5:]
        raise InputError("the checks could not run: " + " | ".join(tail))


def custom_checks(root: Path) -> list[str]:
    """The compliance repo's `checks/` folder, when it has one. Anything else by that
    name (a symlink, a file) is refused rather than skipped: checks that silently do not
    run would let a change through that they exist to stop."""
    custom = root / "checks"
    if custom.is_symlink():
        raise InputError.at("checks", f"is a symlink (to {os.readlink(custom)!r}); the custom checks "
                            "must be a real folder of the compliance repo")
    if not custom.exists():
        return []
    if not custom.is_dir():
        raise InputError.at("checks", "is not a folder; the custom checks live in a checks/ folder")
    return [str(custom)]

