"""Customer notices (SPEC section 4; GDPR Art. 28(2) and 28(4)).

Under Art. 28(2) a processor engaging another processor under a general written
authorisation must inform the controller of any intended addition or replacement,
giving it the opportunity to object; the DPA sets the period (the policy's
`notice_period_days`). A change needs a notice when it adds a subprocessor (bringing
back a retired one included), changes a `material_fields` value of one beyond an
editorial change, or changes its legal entity, and that subprocessor has personal data
and is not opt-in. The rules themselves live in `subreg.notices`, shared with the
nightly replay; how a notice is dated lives in `subreg.dating`.
"""

from __future__ import annotations

from subreg.diff import Change
from subreg.notices import evaluate
from subreg.session import Session


def _rule(check: str, change: Change, session: Session) -> None:
    verdict = evaluate(change, session.policy, session.dating.evidence(change), session.today).get(check)
    if verdict is not None:
        raise verdict


def test_notice_required(change: Change, session: Session) -> None:
    """A change that needs a customer notice carries a notice that is new in it.

    A change needs a notice when it adds a subprocessor with personal data that is not
    opt-in, brings back a retired one (its `retired_on` had passed and is removed or
    moved later), makes an entry need notices (`personal_data` false -> true, `opt_in`
    true -> false), changes its legal entity, or changes a `material_fields` value of
    one. Editorial changes need none: a `name` or `legal_name` whose identity (case,
    spaces and punctuation ignored) is unchanged, and a text map whose text in the
    policy's first language is unchanged. A notice is identified by its entry and its
    `announced_on`: it is new when that differs from the entry's notice at base. The
    registry's first commit (the baseline) needs no notice.

    Severity: error
    Source: GDPR Art. 28(2) (prior information of any intended addition or replacement); the
    DPA's notice clause.
    Fix: Add `notice: {announced_on, effective_on}` with `announced_on` the day customers
    are told; for an entry that already has a published notice, a new notice with a later
    `announced_on`.
    """
    _rule("notice-required", change, session)


def test_notice_period(change: Change, session: Session) -> None:
    """effective_on - announced_on is at least the required notice period.

    For every notice new in the change, the calendar days from `announced_on` to
    `effective_on` are at least the required period: the policy's
    `notice_period_days` (on a pull request, the longer of base's and head's).

    Severity: error
    Source: GDPR Art. 28(2) and 28(4); the DPA's notice clause.
    Fix: Move `effective_on` later: the subprocessor may not be used before it. A genuine
    emergency is a waiver of `notice-period`, reported to the reviewer as `waiver-new`.
    """
    _rule("notice-period", change, session)


def test_notice_backdated(change: Change, session: Session) -> None:
    """announced_on is not earlier than the date the notice can be shown to exist, less the grace.

    Commit dates inside a pull request are set by its author, so they are a claim, not
    evidence. In `check`, a new notice is dated by the later of its first commit in
    base..head and today (the date of the run); in the audit, by the first commit of
    the default branch's first-parent history that contains it (the merge or squash
    commit). It is backdated when its `announced_on` is earlier than that date less the
    policy's `notice_grace_days` (7 by default: review time, and squash merges made a
    few days after the notice was written). A postponement (only `effective_on` moved
    later) keeps the notice, and is never backdated.

    Severity: error
    Source: GDPR Art. 28(2): the controller must be informed before the change, so the
    notice date must be true.
    Fix: Set `announced_on` to the day the notice is actually sent (today or later) and
    `effective_on` accordingly, and merge within the grace.
    """
    _rule("notice-backdated", change, session)


def test_notice_altered(change: Change, session: Session) -> None:
    """A published notice (on the base branch) is never moved earlier or shortened.

    A notice already on the base branch was published to customers. Moving its
    `announced_on` earlier, its `effective_on` earlier, shortening its period, or
    deleting it before its `effective_on` changes what customers were told. Moving
    `effective_on` later is a postponement and always allowed; a later change that needs
    its own notice replaces the published one with a new notice (a later
    `announced_on`).

    Severity: error
    Source: GDPR Art. 28(2): customers object on the strength of the notice they received.
    Fix: Restore the published dates. To postpone, move `effective_on` later; for a further
    change, announce a new notice with a later `announced_on`.
    """
    _rule("notice-altered", change, session)
