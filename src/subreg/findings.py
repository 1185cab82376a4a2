"""Findings are data: what a check found, where, and how bad. Printing is elsewhere."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, replace
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
        # what dataclasses.asdict gives (its fields, in order), without its deep copies
        return {"check": self.check, "severity": self.severity, "outcome": self.outcome,
                "subprocessor": self.subprocessor, "path": self.path, "line": self.line,
                "message": self.message}

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


WAIVER_SOON_DAYS = 14


def _key(w: Waiver) -> tuple[str, str, str, str, dt.date]:
    return (w.check, w.subprocessor, w.reason, w.approved_by, w.expires_on)


def apply_waivers(findings: list[Finding], waivers: list[Waiver], today: dt.date,
                  scope: Collection[str] | None = None,
                  used_elsewhere: Collection[tuple[str, str]] = ()) -> list[Finding]:
    """Waive what a live waiver covers; report expired, expiring and unused waivers
    (SPEC 3), each at the waiver's own line of waivers.yaml.

    waiver-expired: a waiver past its expires_on no longer waives, and is an error.
    waiver-expiring: a live waiver due to expire within 14 days is a warning.
    waiver-unused: a live waiver that matched no failure is a warning, only where it
    could have been used: for waivers of subprocessors in `scope` (None: every one), and
    not when it waived something elsewhere (`used_elsewhere`: (check, subprocessor) of
    what the audit's replay waived).
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
        line, left = w.line, (w.expires_on - today).days
        if left < 0:
            out.append(make("waiver-expired", "error", None, reg.WAIVERS, line,
                            f"waiver of {w.check} for {w.subprocessor} expired on {w.expires_on} "
                            f"(approved by {w.approved_by}): renew it or fix the finding"))
            continue
        if left <= WAIVER_SOON_DAYS:
            out.append(make("waiver-expiring", "warning", None, reg.WAIVERS, line,
                            f"waiver of {w.check} for {w.subprocessor} expires on {w.expires_on}, "
                            f"in {left} days (approved by {w.approved_by})"))
        could = scope is None or w.subprocessor in scope
        if i not in used and could and (w.check, w.subprocessor) not in used_elsewhere:
            out.append(make("waiver-unused", "warning", None, reg.WAIVERS, line,
                            f"waiver of {w.check} for {w.subprocessor} matches no finding: "
                            "remove it"))
    return sorted(out, key=lambda f: f.sort_key)


def new_waivers(base: list[Waiver], head: list[Waiver]) -> list[Finding]:
    """waiver-new: each waiver that head has and base has not (a new one, or one whose
    terms changed), so that the reviewer of the change sees every exception it brings."""
    known = {_key(w) for w in base}
    return [make("waiver-new", "warning", None, reg.WAIVERS, w.line,
                 f"this change adds a waiver of {w.check} for {w.subprocessor}, approved by "
                 f"{w.approved_by}, until {w.expires_on}: check that the approval is real")
            for w in head if _key(w) not in known]


def summary(findings: list[Finding], passed: int) -> dict[str, int]:
    return {
        "failed": sum(f.outcome == "failed" for f in findings),
        "warnings": sum(f.outcome == "warning" for f in findings),
        "waived": sum(f.outcome == "waived" for f in findings),
        "passed": passed,
    }
