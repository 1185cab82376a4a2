"""International transfers (GDPR Chapter V; CJEU C-311/18 "Schrems II").

Personal data of the `eu` region may leave the EU/EEA only for a country with an
adequacy decision (Art. 45; the policy's `adequate_countries`) or under an appropriate
safeguard (Art. 46-47): the 2021 Standard Contractual Clauses (Decision 2021/914) or
Binding Corporate Rules, and, for a recipient in the United States only, the EU-US
Data Privacy Framework. The EU-US Privacy Shield (invalidated on 16 July 2020 by
C-311/18), Safe Harbor (invalidated by C-362/14) and the 2010 model clauses (repealed
on 27 December 2022) are never valid. `Global` counts as a place without adequacy.
"""

from __future__ import annotations

import re

from subreg.findings import Verdict
from subreg.model import Policy, Subprocessor

_INVALID = re.compile(r"privacy\s*shield|safe\s*harbou?r|2010", re.IGNORECASE)


def _key(mechanism: str) -> str:
    return re.sub(r"[^a-z0-9]", "", mechanism.lower())


def test_transfer_mechanism(subprocessor: Subprocessor, policy: Policy) -> None:
    """Personal data of the eu region goes outside the EEA only with a valid mechanism.

    A place without an adequacy decision (the policy's adequate_countries; Global
    counts as outside) needs SCC or BCR, or the DPF for a US recipient. Privacy Shield,
    Safe Harbor and the 2010 model clauses are never valid.

    Severity: error
    Source: GDPR Chapter V (Art. 44-47); CJEU C-311/18 (Schrems II); Commission Decision (EU) 2021/914 (SCC).
    Fix: Add the mechanism the contract uses to transfer_mechanisms (SCC, BCR, or DPF for a US recipient), or
        limit regions to the regions whose data it really receives.
    """
    sp = subprocessor
    if not sp.personal_data or (sp.regions is not None and "eu" not in sp.regions):
        return
    invalid = [m for m in sp.transfer_mechanisms if _INVALID.search(m)]
    valid = {_key(m) for m in sp.transfer_mechanisms if not _INVALID.search(m)}
    adequate = {"EU", *policy.adequate_countries}
    uncovered = []
    for place in sp.locations:
        if place in adequate:
            continue
        ok = bool(valid & {"scc", "sccs", "standardcontractualclauses", "bcr", "bcrs"})
        if place == "US" and valid & {"dpf", "dataprivacyframework"}:
            ok = True
        if not ok:
            uncovered.append(place)
    problems = []
    if uncovered:
        problems.append(
            f"personal data of the eu region goes to {', '.join(uncovered)} without an adequacy "
            "decision and without a valid transfer mechanism (SCC, BCR, or DPF for the US)"
        )
    if invalid:
        problems.append(
            f"{', '.join(repr(m) for m in invalid)} is not a valid transfer mechanism "
            "(Privacy Shield: invalid since 16 July 2020, CJEU C-311/18; Safe Harbor: C-362/14; "
            "the 2010 model clauses were repealed)"
        )
    if problems:
        raise Verdict("; ".join(problems), ("transfer_mechanisms",) if sp.transfer_mechanisms else ("locations",))
