"""The notice rules of SPEC section 4, as plain functions.

The pytest checks (checks/check_notice.py) and the nightly replay of the history both
call `evaluate`, so a pull request and the audit judge a change the same way.
"""

from __future__ import annotations

import datetime as dt

from subreg.diff import Change
from subreg.findings import Verdict
from subreg.model import Policy


def _what(change: Change, policy: Policy) -> str:
    if change.kind == "added":
        return "a new subprocessor with personal data"
    if change.replaced_entity:
        return "a change of legal entity (a replacement)"
    if change.old is not None and not change.old.needs_notice():
        return "an entry that now processes personal data without opt-in"
    fields = ", ".join(sorted(change.changed & set(policy.material_fields)))
    return f"a material change ({fields})"


def evaluate(change: Change, policy: Policy, seen: tuple[dt.date, str] | None) -> dict[str, Verdict]:
    """Violations of the notice rules by one change, by check id.

    `seen` is the date and commit of the first commit that contains the head notice
    (today and "worktree" when it is not committed yet).
    """
    out: dict[str, Verdict] = {}
    new, old = change.new, change.old
    if new is None or change.baseline:  # the registry's first commit is the baseline
        return out
    period = policy.notice_period_days
    if change.needs_notice and not change.notice_is_new:
        why = "its notice is the one already published" if new.notice else "it has no notice"
        out["notice-required"] = Verdict(
            f"{_what(change, policy)} needs a new customer notice, and {why}: add "
            f"notice: {{announced_on, effective_on}} at least {period} days apart",
            ("notice",) if new.notice else (),
        )
    notice = new.notice
    if change.notice_is_new and notice is not None:
        days = (notice.effective_on - notice.announced_on).days
        if days < period:
            out["notice-period"] = Verdict(
                f"notice period is {days} days ({notice.announced_on} -> {notice.effective_on}); "
                f"the policy requires at least {period}",
                ("notice", "effective_on"),
            )
        if seen is not None and notice.announced_on < seen[0]:
            where = "the working tree" if seen[1] == "worktree" else f"commit {seen[1][:12]}"
            out["notice-backdated"] = Verdict(
                f"announced_on {notice.announced_on} is before {seen[0]}, when the notice first "
                f"appeared ({where}): a notice cannot be backdated",
                ("notice", "announced_on"),
            )
    if old is not None and old.notice is not None and notice is not None and old.notice != notice:
        o, n = old.notice, notice
        replacement = change.needs_notice and n.announced_on > o.announced_on
        shorter = (n.effective_on - n.announced_on) < (o.effective_on - o.announced_on)
        if n.announced_on < o.announced_on or (
            not replacement and (n.effective_on < o.effective_on or shorter)
        ):
            out["notice-altered"] = Verdict(
                f"the published notice ({o.announced_on} -> {o.effective_on}) was changed to "
                f"({n.announced_on} -> {n.effective_on}): a published notice cannot be moved "
                "earlier or shortened; announce a new notice instead",
                ("notice",),
            )
    return out
