"""Evidence that each notice was sent (SPEC 9; GDPR Art. 5(2) and 28(2)).

With the policy's `notice_evidence: ledger`, a notice's date is proven by the record of
its sending in `notices/ledger/`, not by a commit. The rules live in
`subreg.evidence.ledger`; the audit judges every current entry, a pull request the
entries it touches.
"""

from __future__ import annotations

from subreg.evidence import ledger
from subreg.model import Subprocessor
from subreg.session import Session


def test_notice_unsent(subprocessor: Subprocessor, session: Session) -> None:
    """With `notice_evidence: ledger`, a notice whose announced_on has passed has a record of its sending.

    Under `notice_evidence: ledger` the announcement is proven by the sending, not by
    the date typed into the registry. Once the day after a notice's `announced_on` is
    over (a notice may go out the next day: time zones, a night run), the notice of an
    entry with personal data that is not opt-in needs a record in `notices/ledger/`
    that covers it: one that lists the entry among its `subprocessors`, with an
    `announced_on` on or after the notice's, a `sent_at` up to today, and no `pending`
    recipients (a sending that stopped half-way proves nothing until it is resumed).
    `subreg notice send` writes such a record; a notice sent another way gets a record
    written by hand (`channel: in-app`, `portal`, `letter` or `email`, with `evidence:`
    a URL or ticket).

    Severity: error
    Source: GDPR Art. 28(2) (the controller must be informed of the change) and Art. 5(2)
        (accountability: being able to show that it was).
    Fix: Send the notice (`subreg notice send`) and commit its record, or resume a sending
        that stopped; for a notice sent another way, add its record by hand. If the notice was
        never sent, announce it anew: a later `announced_on` and `effective_on`.
    """
    verdict = ledger.unsent(subprocessor, session.policy, session.ledger, session.today)
    if verdict is not None:
        raise verdict


def test_notice_sent_late(subprocessor: Subprocessor, session: Session) -> None:
    """The ledger shows the notice sent late, so the period counted from the sending is too short.

    When the earliest record of a notice's sending has a `sent_at` later than the day
    after its `announced_on`, customers were told at that time, not on `announced_on`:
    the notice period is counted from the sending, and `effective_on` minus the day of
    the sending must still be at least the required period (the policy's
    `notice_period_days`, or the longest of its `dpa_terms`). Only with
    `notice_evidence: ledger`.

    Severity: error
    Source: GDPR Art. 28(2) and 28(4): the period to object runs from when the controller is
        informed; the DPA's notice clause.
    Fix: Move `effective_on` later, to the day of the sending plus the required period (a
        postponement is always allowed), and do not use the subprocessor before it.
    """
    verdict = ledger.sent_late(subprocessor, session.policy, session.ledger, session.today)
    if verdict is not None:
        raise verdict
