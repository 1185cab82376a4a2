"""Findings are data: what a check found, where, and how bad. Printing is elsewhere."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from subreg import registry as reg
from subreg.escape import UNSAFE, one_line
from subreg.model import Waiver

Severity = Literal["error", "warning"]
Outcome = Literal["failed", "warning", "waived"]


@dataclass(frozen=True)
class Finding:
    check: str
    severity: Severity
    outcome: Outcome
    subprocessor: str | None
    path: str
    line: int
    message: str

    def __post_init__(self) -> None:
        # A finding's text may come from data (a custom check's message, a file name in
        # an old commit): it is made one inert line here, once, for every output.
        for name in ("path", "message", "subprocessor"):
            value = getattr(self, name)
            if value is not None and UNSAFE.search(value):
                object.__setattr__(self, name, one_line(value))

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def sort_key(self) -> tuple[int, str, str, int, str]:
        rank = {"failed": 0, "warning": 1, "waived": 2}[self.outcome]
        return (rank, self.subprocessor or "", self.check, self.line, self.message)


def make(check: str, severity: Severity, subprocessor: str | None, path: str, line: int,
         message: str) -> Finding:
    return Finding(check, severity, "failed" if severity == "error" else "warning",
                   subprocessor, path, line, message)


class Verdict(AssertionError):
    """Raised by the built-in checks: an assertion that knows its field and severity."""

    def __init__(self, message: str, field: tuple[str | int, ...] = (),
                 severity: Severity | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.severity = severity


def apply_waivers(findings: list[Finding], waivers: list[Waiver], today: dt.date) -> list[Finding]:
    """Waive what a live waiver covers; report expired and unused waivers (SPEC 3).

    waiver-expired: a waiver past its expires_on no longer waives, and is an error.
    waiver-unused: a live waiver that matched no failure is a warning, so that
    stale exceptions are cleaned up.
    """
    out: list[Finding] = []
    used: set[int] = set()
    for f in findings:
        match = next(
            (i for i, w in enumerate(waivers)
             if w.check == f.check and w.subprocessor == f.subprocessor and w.expires_on >= today),
            None,
        )
        if match is not None and f.outcome != "waived":
            used.add(match)
            out.append(replace(f, outcome="waived"))
        else:
            out.append(f)
    for i, w in enumerate(waivers):
        line = w.line
        if w.expires_on < today:
            out.append(make("waiver-expired", "error", None, reg.WAIVERS, line,
                            f"waiver of {w.check} for {w.subprocessor} expired on {w.expires_on} "
                            f"(approved by {w.approved_by}): renew it or fix the finding"))
        elif i not in used:
            out.append(make("waiver-unused", "warning", None, reg.WAIVERS, line,
                            f"waiver of {w.check} for {w.subprocessor} matches no finding: "
                            "remove it"))
    return sorted(out, key=lambda f: f.sort_key)


def summary(findings: list[Finding], passed: int) -> dict[str, int]:
    return {
        "failed": sum(f.outcome == "failed" for f in findings),
        "warnings": sum(f.outcome == "warning" for f in findings),
        "waived": sum(f.outcome == "waived" for f in findings),
        "passed": passed,
    }
