"""Due diligence (the seed's "Due Diligence"; GDPR Art. 28(1): processors providing
sufficient guarantees).

Every subprocessor with personal data has a risk assessment no older than the policy's
`due_diligence_max_age_days` (365 by default); a new notice is only announced after
the assessment, i.e. `assessed_on` is on or before its `announced_on`.
"""

from __future__ import annotations

import datetime as dt

from subreg.findings import Verdict
from subreg.model import Policy, Subprocessor
from subreg.session import Session


def test_due_diligence(subprocessor: Subprocessor, policy: Policy, today: dt.date,
                       session: Session) -> None:
    """A current assessment, made before any new notice was announced.

    No assessment, one older than due_diligence_max_age_days (365 by default), one in
    the future, or, for a new notice, none on or before its announced_on.

    Severity: error
    Source: GDPR Art. 28(1) (processors providing sufficient guarantees) and Art. 5(2).
    Fix: Assess the vendor and record due_diligence: {assessed_on, risk, frameworks}; assess before
        announcing.
    """
    sp = subprocessor
    if not sp.personal_data:
        return
    dd = sp.due_diligence
    if dd is None:
        raise Verdict("personal data without a due diligence assessment: add due_diligence")
    age = (today - dd.assessed_on).days
    if age > policy.due_diligence_max_age_days:
        raise Verdict(f"due diligence assessed on {dd.assessed_on} is {age} days old; the "
                      f"policy allows {policy.due_diligence_max_age_days}",
                      ("due_diligence", "assessed_on"))
    if age < 0:
        raise Verdict(f"due diligence assessed_on {dd.assessed_on} is in the future",
                      ("due_diligence", "assessed_on"))
    change = session.change_of(sp.id)
    if change is not None and change.notice_is_new and sp.notice is not None \
            and dd.assessed_on > sp.notice.announced_on:
        raise Verdict(f"the notice was announced on {sp.notice.announced_on}, before the due "
                      f"diligence assessment of {dd.assessed_on}", ("due_diligence", "assessed_on"))
