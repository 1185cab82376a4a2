"""Security standards (the seed's "Security Standards"; GDPR Art. 28(3)(c) and 32-33).

Every subprocessor with personal data implements encryption at rest and in transit,
notifies breaches within the policy's `max_breach_notice_hours` (72 by default, so
that the controller can meet Art. 33's 72 hours), and allows security audits
(Art. 28(3)(h)).
"""

from __future__ import annotations

from subreg.findings import Verdict
from subreg.model import Policy, Subprocessor


def test_security_standards(subprocessor: Subprocessor, policy: Policy) -> None:
    """Encryption at rest and in transit, timely breach notice, audit rights.

    Breach notice within the policy's max_breach_notice_hours (72 by default), so
    that the controller can meet its own 72 hours.

    Severity: error
    Source: GDPR Art. 28(3)(c), 28(3)(h), 32 and 33.
    Fix: Record the vendor's actual terms; if they fall short, negotiate them, or waive the finding with the
        reason the risk is accepted.
    """
    sp = subprocessor
    if not sp.personal_data:
        return
    sec = sp.security
    if sec is None:
        raise Verdict("personal data without security commitments: add the security block")
    problems: list[tuple[str, str]] = []
    if not sec.encryption_at_rest:
        problems.append(("no encryption at rest", "encryption_at_rest"))
    if not sec.encryption_in_transit:
        problems.append(("no encryption in transit", "encryption_in_transit"))
    if sec.breach_notice_hours > policy.max_breach_notice_hours:
        problems.append((f"breach notice within {sec.breach_notice_hours} hours exceeds the "
                         f"policy's {policy.max_breach_notice_hours}", "breach_notice_hours"))
    if not sec.audit_rights:
        problems.append(("no audit rights", "audit_rights"))
    if problems:
        raise Verdict("; ".join(m for m, _ in problems), ("security", problems[0][1]))
