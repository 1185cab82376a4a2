"""Data processing agreement (GDPR Art. 28(3) and 28(4)).

Processing by a subprocessor is governed by a contract imposing the same data
protection obligations; it must be signed before the subprocessor is activated, i.e.
on or before the notice's `effective_on` (or today, for an entry without a notice).
"""

from __future__ import annotations

import datetime as dt

from subreg.findings import Verdict
from subreg.model import Subprocessor


def test_dpa(subprocessor: Subprocessor, today: dt.date) -> None:
    """Personal data only under a DPA signed on or before activation.

    Activation is the notice's effective_on, or today for an entry without a notice.

    Severity: error
    Source: GDPR Art. 28(3) and 28(4) (a contract imposing the same data protection obligations).
    Fix: Sign the data processing agreement before activation and record dpa_signed_on.
    """
    sp = subprocessor
    if not sp.personal_data:
        return
    if sp.dpa_signed_on is None:
        raise Verdict("personal data without a data processing agreement: set dpa_signed_on")
    active = sp.notice.effective_on if sp.notice else today
    if sp.dpa_signed_on > active:
        when = f"its effective_on ({active})" if sp.notice else f"today ({today})"
        raise Verdict(f"the DPA is signed on {sp.dpa_signed_on}, after {when}", ("dpa_signed_on",))
