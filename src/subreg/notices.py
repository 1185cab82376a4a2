"""The notice rules of SPEC section 4, as plain functions.

The pytest checks (checks/check_notice.py) and the nightly replay of the history both
call `evaluate`, so a pull request and the audit judge a change the same way. How a
notice is dated (the evidence that it existed) is decided elsewhere (`dating.py`) and
passed in; the notice period a change must give is `required_period`, here only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from subreg.diff import Change, material_changes
from subreg.findings import Verdict
from subreg.model import Policy


def required_period(policy: Policy) -> int:
    """The notice period, in calendar days, that a change must give (SPEC 4): the
    longest of the policy's `notice_period_days` and of each negotiated `dpa_terms`
    entry's. Every rule and draft that needs the period asks here."""
    return max([policy.notice_period_days, *(t.notice_period_days for t in policy.dpa_terms.values())])


STANDARD = "standard"  # the terms of a customer without negotiated dpa_terms


def objection_deadlines(policy: Policy, announced: dt.date, effective: dt.date | None) -> dict[str, dt.date]:
    """The objection deadline of a notice under each terms (SPEC 3, 4): `standard`,
    `announced_on` + the required period; each `dpa_terms` entry, `announced_on` + its
    `objection_days` (else its notice period). None is ever after `effective_on`."""
    def cap(day: dt.date) -> dt.date:
        return min(day, effective) if effective is not None else day

    out = {STANDARD: cap(announced + dt.timedelta(days=required_period(policy)))}
    for name, terms in sorted(policy.dpa_terms.items()):
        out[name] = cap(announced + dt.timedelta(days=terms.objection_window))
    return out


@dataclass(frozen=True)
class Evidence:
    """The earliest date a notice can be shown to have existed, and what shows it
    (for the message: "commit 1a2b3c4d5e6f of the default branch, dated ...")."""

    date: dt.date
    source: str


def _what(change: Change, policy: Policy) -> str:
    if change.kind == "added":
        return "a new subprocessor with personal data"
    old, new = change.old, change.new
    assert old is not None and new is not None
    if change.replaced_entity:
        return "a change of legal entity (a replacement)"
    if change.revived:
        return "a retired subprocessor brought back"
    if not old.needs_notice():
        return "an entry that now processes personal data without opt-in"
    return f"a material change ({', '.join(sorted(material_changes(old, new, change.changed, policy)))})"


def evaluate(change: Change, policy: Policy, evidence: Evidence | None, on: dt.date) -> dict[str, Verdict]:
    """Violations of the notice rules by one change, by check id.

    `evidence` dates the head notice (None: not dated, no backdating rule); `on` is the
    date of the change (today in `check`, the commit's date in the replay).
    """
    out: dict[str, Verdict] = {}
    new = change.new
    if new is None or change.baseline:  # the registry's first commit is the baseline
        return out
    period = required_period(policy)
    if change.needs_notice and not change.notice_is_new:
        why = "its notice is the one already published" if new.notice else "it has no notice"
        out["notice-required"] = Verdict(
            f"{_what(change, policy)} needs a new customer notice, and {why}: add "
            f"notice: {{announced_on, effective_on}} at least {period} days apart",
            ("notice",) if new.notice else (),
        )
    notice = new.notice
    if notice is not None and change.notice_is_new:
        days = (notice.effective_on - notice.announced_on).days
        if days < period:
            out["notice-period"] = Verdict(
                f"notice period is {days} days ({notice.announced_on} -> {notice.effective_on}); "
                f"the policy requires at least {period}",
                ("notice", "effective_on"),
            )
        backdated = _backdated(notice.announced_on, evidence, policy.notice_grace_days)
        if backdated is not None:
            out["notice-backdated"] = backdated
    altered = _altered(change, on) if change.old is not None and change.old.notice is not None else None
    if altered is not None:
        out["notice-altered"] = Verdict(
            f"{altered}: a published notice cannot be moved earlier or shortened; postpone it "
            "(a later effective_on) or announce a new notice",
            ("notice",) if notice is not None else (),
        )
    return out


def _backdated(announced: dt.date, evidence: Evidence | None, grace: int) -> Verdict | None:
    """announced_on earlier than the evidence's date, less the grace (SPEC 4)."""
    if evidence is None:
        return None
    limit = evidence.date - dt.timedelta(days=grace)
    if announced >= limit:
        return None
    return Verdict(
        f"announced_on {announced} is before {limit}: the notice can be shown to exist only "
        f"from {evidence.date} ({evidence.source}), less the policy's notice_grace_days "
        f"({grace}); a notice cannot be backdated",
        ("notice", "announced_on"),
    )


def _altered(change: Change, on: dt.date) -> str | None:
    """How a change alters the published notice of its entry, or None (SPEC 4).

    A notice is its entry and its `announced_on`. Moving `effective_on` later is a
    postponement; a change that needs a notice may replace the published one by a new
    notice with a later `announced_on`. Anything else that moves the notice earlier or
    shortens it alters what customers were told, and so does deleting a notice before it
    took effect (the entry would read as active at once).
    """
    assert change.old is not None and change.old.notice is not None and change.new is not None
    o, n = change.old.notice, change.new.notice
    published = f"the published notice ({o.announced_on} -> {o.effective_on})"
    if n is None:
        return f"{published} was removed before it took effect" if o.effective_on > on else None
    if n.announced_on < o.announced_on:
        return f"{published} was moved earlier, to announced_on {n.announced_on}"
    if change.needs_notice and n.announced_on > o.announced_on:
        return None  # a new notice replaces it
    if n.effective_on < o.effective_on:
        return f"{published} was moved earlier, to effective_on {n.effective_on}"
    if (n.effective_on - n.announced_on) < (o.effective_on - o.announced_on):
        return (f"{published} was shortened to {(n.effective_on - n.announced_on).days} days "
                f"({n.announced_on} -> {n.effective_on})")
    return None
