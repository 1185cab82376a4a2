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
    """A change that needs a customer notice carries a notice that is new in it."""
    _rule("notice-required", change, session)


def test_notice_period(change: Change, session: Session) -> None:
    """effective_on - announced_on is at least the policy's notice period (calendar days)."""
    _rule("notice-period", change, session)


def test_notice_backdated(change: Change, session: Session) -> None:
    """announced_on is not earlier than the first commit that contains the notice."""
    _rule("notice-backdated", change, session)


def test_notice_altered(change: Change, session: Session) -> None:
    """A published notice (on the base branch) is never moved earlier or shortened."""
    _rule("notice-altered", change, session)
