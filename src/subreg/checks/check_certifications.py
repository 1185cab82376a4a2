"""Security certifications (the seed's security standards; GDPR Art. 28(1) and 32).

A core subprocessor with personal data holds at least one recognized certification
(the policy's `recognized_certifications`, matched as a prefix ignoring case). A
certificate past its `expires_on` is an error; one expiring within
`certification_warning_days` is a warning. ISO/IEC 27001:2013 certificates ceased to
be valid at the end of the transition to the 2022 edition, on 2025-10-31.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from subreg.findings import Verdict
from subreg.model import Policy, Subprocessor

ISO_2013_END = dt.date(2025, 10, 31)


@lru_cache(maxsize=4096)
def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", name.lower().replace("/iec", "")).strip()


def test_certifications(subprocessor: Subprocessor, policy: Policy, today: dt.date) -> None:
    """Core entries with personal data hold a recognized, unexpired certification.

    An expired certificate, or an ISO/IEC 27001:2013 certificate after 2025-10-31, is an
    error; one expiring within certification_warning_days is a warning.

    Severity: error (warning when a certificate expires soon)
    Source: GDPR Art. 28(1) (sufficient guarantees) and Art. 32; ISO/IEC 27001:2022 transition (IAF MD 26).
    Fix: Record the current certificate and its expires_on (renewals usually arrive before expiry: ask the
        vendor). Recognized names are the policy's recognized_certifications.
    """
    sp = subprocessor
    errors: list[tuple[str, tuple[str | int, ...]]] = []
    warnings: list[tuple[str, tuple[str | int, ...]]] = []
    recognized = [_norm(r) for r in policy.recognized_certifications]
    valid = 0
    for i, cert in enumerate(sp.certifications):
        where: tuple[str | int, ...] = ("certifications", i)
        name = _norm(cert.name)
        if re.search(r"27001\s*:\s*2013", name) and today > ISO_2013_END:
            errors.append((f"{cert.name} is no longer valid: ISO/IEC 27001:2013 certificates "
                           f"ended on {ISO_2013_END} (transition to ISO/IEC 27001:2022)", where))
            continue
        if cert.expires_on is not None and cert.expires_on < today:
            errors.append((f"{cert.name} expired on {cert.expires_on}", (*where, "expires_on")))
            continue
        if cert.expires_on is not None and (cert.expires_on - today).days <= policy.certification_warning_days:
            warnings.append((f"{cert.name} expires on {cert.expires_on}, in "
                             f"{(cert.expires_on - today).days} days", (*where, "expires_on")))
        if any(name.startswith(r) for r in recognized):
            valid += 1
    if sp.tier == "core" and sp.personal_data and valid == 0:
        errors.insert(0, ("a core subprocessor with personal data has no valid recognized "
                          f"certification ({', '.join(policy.recognized_certifications[:4])}, ...)",
                          ("certifications",) if sp.certifications else ()))
    if errors:
        raise Verdict("; ".join(m for m, _ in errors + warnings), errors[0][1], "error")
    if warnings:
        raise Verdict("; ".join(m for m, _ in warnings), warnings[0][1], "warning")
