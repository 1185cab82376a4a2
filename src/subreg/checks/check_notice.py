"""Customer notices (SPEC section 4; GDPR Art. 28(2) and 28(4)).

Under Art. 28(2) a processor engaging another processor under a general written
authorisation must inform the controller of any intended addition or replacement,
giving it the opportunity to object; the DPA sets the period (the policy's
`notice_period_days`). A change needs a notice when it adds a subprocessor, changes a
`material_fields` value of one, or changes its legal entity, and that subprocessor has
personal data and is not opt-in.
"""

from __future__ import annotations

from subreg.diff import Change
from subreg.notices import evaluate
from subreg.session import Session


def _rule(check: str, change: Change, session: Session) -> None:
    verdict = evaluate(change, session.project.policy, session.seen(change)).get(check)
    if verdict is not None:
        raise verdict


def test_notice_required(change: Change, session: Session) -> None:
    """A change that needs a customer notice carries a notice that is new in it.

    A change needs a notice when it adds a subprocessor, changes one of the policy's
    `material_fields` of one, or changes its legal entity (`legal_name`, else `name`),
    and that subprocessor has personal data and is not opt-in (reference: "When a notice
    is required").

    Severity: error
    Source: GDPR Art. 28(2) (prior information of any intended addition or replacement of processors, giving
        the controller the opportunity to object) and Art. 28(4); the DPA's notice clause.
    Fix: Add `notice: {announced_on, effective_on}`: announced_on the day customers are told, effective_on at
        least the notice period later. A later change of an entry with a published notice needs a new notice
        with a later announced_on.
    """
    _rule("notice-required", change, session)


def test_notice_period(change: Change, session: Session) -> None:
    """effective_on - announced_on is at least the policy's notice period (calendar days).

    Customers must have the whole period to object before the subprocessor (or the
    change) takes effect.

    Severity: error
    Source: GDPR Art. 28(2) and 28(4); the DPA's notice period (the policy's notice_period_days).
    Fix: Move effective_on later: the subprocessor may not be used before it. A genuine emergency (replacing a
        failing provider) is a waiver of notice-period, approved and time-boxed.
    """
    _rule("notice-period", change, session)


def test_notice_backdated(change: Change, session: Session) -> None:
    """announced_on is not earlier than the date the notice can be shown to have existed.

    A notice that claims to have been sent before it was written gives customers less
    time to object than it says (reference: "When a notice is required", Dating).

    Severity: error
    Source: GDPR Art. 28(2) (the opportunity to object must be real) and Art. 5(2) (accountability).
    Fix: Set announced_on to the day the notice is actually sent (today or later), and effective_on
        accordingly.
    """
    _rule("notice-backdated", change, session)


def test_notice_altered(change: Change, session: Session) -> None:
    """A published notice (on the base branch) is never moved earlier or shortened.

    Customers were told these dates: moving announced_on or effective_on earlier, or
    shortening the period, takes away time they were promised.

    Severity: error
    Source: GDPR Art. 28(2); the published notice itself.
    Fix: Restore the published dates. To postpone, move only effective_on later; a further change needs its
        own new notice with a later announced_on.
    """
    _rule("notice-altered", change, session)
