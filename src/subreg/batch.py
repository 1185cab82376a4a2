"""One call of a check function per entry in scope, without pytest's per-item machinery.

A check is a pytest function: its arguments name subreg's fixtures (plugin.py). pytest
would make one item per entry in scope (`subprocessor`) or per change (`change`), and
its per-item machinery (setup, fixture requests, reports, hooks) costs more than most
checks: about 0.3 ms an item, 8 per-subprocessor checks x 5,000 entries. Here a check
function is called once per entry in a plain loop, with the fixtures' values computed
once per run, and each outcome becomes what pytest's item would have given:

- a return is a pass (counted in the summary's `passed`);
- `pytest.skip(...)` is neither a pass nor a finding;
- a failure (a `Verdict`, an `AssertionError`, any other exception) is a finding of
  that entry, with the check id, severity, path, line and message of `record`;
- `KeyboardInterrupt` and `pytest.exit(...)` stop the run, as they stop pytest.

The built-in checks run here directly (runner.py), pytest never imported. A compliance
repo's own checks run under pytest (for its collection, conftest files, marks and
assertion rewriting), one pytest item per check function, whose call is this loop
(plugin.py). Nothing here imports pytest: its outcome classes are recognised when
pytest is loaded (a check can only raise them then).
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from types import CodeType, TracebackType
from typing import Any

from subreg import findings as fd
from subreg.registry import Registry
from subreg.session import Session

# The fixtures subreg provides (SPEC 6 and plugin.py); the first two vary per call.
PER_ENTRY = ("subprocessor", "change")
FIXTURES = frozenset({*PER_ENTRY, "registry", "base_registry", "changes", "policy", "today",
                      "history", "session"})

MAX_MESSAGE = 2000


def fixed_values(sess: Session) -> dict[str, Any]:
    """The value of each fixture that is the same for every call of a run."""
    return {"registry": sess.registry, "base_registry": sess.base_registry, "changes": sess.changes,
            "policy": sess.policy, "today": sess.today, "history": sess.history, "session": sess}


def check_id(name: str) -> str:
    """`test_no_india` -> `no-india`."""
    return name.removeprefix("test_").replace("_", "-")


def calls(sess: Session, argnames: Iterable[str]) -> Iterator[tuple[dict[str, Any], tuple[str | None, str, Registry]]]:
    """The per-entry arguments of each call of a check taking `argnames`, and the
    finding's target of each (subprocessor id, path, the registry its lines come from):
    one call per entry in scope for `subprocessor`, per change for `change` (their
    product when it takes both, as pytest's two parametrizations would give), one call
    for a registry-wide check."""
    names = [n for n in PER_ENTRY if n in argnames]
    axes: list[list[Any]] = []
    for name in names:
        axes.append(sess.scope if name == "subprocessor" else list(range(len(sess.changes))))
    for combo in itertools.product(*axes):
        args: dict[str, Any] = {}
        target: tuple[str | None, str, Registry] | None = None
        for name, value in zip(names, combo, strict=True):
            if name == "subprocessor":
                sp = sess.registry[value]
                args[name] = sp
                target = (value, sp.path, sess.registry)
            else:
                ch = sess.changes[value]
                args[name] = ch
                if target is None:
                    target = (ch.id, ch.new.path, sess.registry) if ch.new is not None else \
                        (ch.id, ch.old.path if ch.old is not None else "registry", sess.base_registry)
        yield args, target or (None, "registry", sess.registry)


def _outcomes() -> Any:
    return sys.modules.get("_pytest.outcomes")


def stops(exc: BaseException) -> bool:
    """Whether `exc` stops the run (as it stops pytest) rather than failing one call."""
    if isinstance(exc, KeyboardInterrupt):
        return True
    outcomes = _outcomes()
    return outcomes is not None and isinstance(exc, outcomes.Exit)


def skipped(exc: BaseException) -> bool:
    outcomes = _outcomes()
    return outcomes is not None and isinstance(exc, outcomes.Skipped)


def run(sess: Session, func: Callable[..., Any], argnames: list[str], fixed: dict[str, Any],
        cid: str, severity: fd.Severity) -> None:
    """Call `func` once per entry (or change) in scope; record each outcome in `sess`."""
    base = {name: fixed[name] for name in argnames if name not in PER_ENTRY}
    for args, target in calls(sess, argnames):
        try:
            func(**base, **args)
        except BaseException as exc:  # any failure of a check is its finding
            if stops(exc):
                raise
            if not skipped(exc):
                record(sess, cid, severity, target, exc)
        else:
            sess.passed += 1


def record(sess: Session, cid: str, severity: fd.Severity, target: tuple[str | None, str, Registry],
           exc: BaseException | None) -> None:
    """The finding of one failed call: where it points and what it says.

    A `Verdict` knows its message, field and severity. A failing `assert` gives its
    message (pytest's assertion rewriting adds an explanation after it, which is left
    out), or, without one, the condition as pytest explains it; its line is that of the
    first `subprocessor.<field>` in the asserted condition. Any other exception is the
    check itself failing."""
    sid, path, reg = target
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
        if sid is not None:
            fieldname = asserted_field(exc.__traceback__)
            if fieldname:
                line = reg.line(sid, fieldname)
    else:
        message = f"the check itself failed: {type(exc).__name__}: {exc}"
    sess.findings.append(fd.make(cid, severity, sid, path, line, message))


def asserted_field(tb: TracebackType | None) -> str | None:
    """The field of the failing statement: the innermost frame's statement, as pytest's
    traceback gives it (`excinfo.traceback[-1].statement`)."""
    if tb is None:
        return None
    while tb.tb_next is not None:
        tb = tb.tb_next
    return _field_at(tb.tb_frame.f_code, tb.tb_lineno)


@cache
def _field_at(code: CodeType, lineno: int) -> str | None:
    # a statement is a function of its code and line: computed once however many entries fail
    from _pytest._code import Code

    source = Code(code).fullsource
    if source is None:
        return None
    return _asserted_field(str(source.getstatement(lineno - 1)))


def _asserted_field(statement: str) -> str | None:
    """The first `subprocessor.<field>` in the condition of a failing assert (not in
    its message), so the finding points at the line of that field."""
    import ast
    import re

    try:
        node = ast.parse(statement.strip()).body[0]
    except (SyntaxError, IndexError):
        found = re.search(r"subprocessor\.(\w+)", statement)
        return found.group(1) if found else None
    test = node.test if isinstance(node, ast.Assert) else node
    for sub in ast.walk(test):
        if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id == "subprocessor":
            return sub.attr
    return None
