"""Runs the built-in and custom checks in-process with pytest, through the plugin."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path

from subreg import findings as fd
from subreg.errors import InputError
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


def run(session: Session) -> list[fd.Finding]:
    """Every check on the session; returns the findings with waivers applied."""
    import pytest

    from subreg import plugin

    root = session.project.root
    targets = [str(BUILTIN)]
    custom = root / "checks"
    if custom.is_dir() and not custom.is_symlink():
        targets.append(str(custom))
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
            if file.startswith(str(root)) or file.startswith(str(BUILTIN)):
                del sys.modules[name]
    if session.problems:
        raise InputError.of_lines(session.problems)
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED):
        tail = buffer.getvalue().strip().splitlines()[-5:]
        raise InputError("the checks could not run: " + " | ".join(tail))
    return fd.apply_waivers(session.findings, session.project.waivers, session.today)

