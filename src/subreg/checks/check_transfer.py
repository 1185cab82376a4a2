"""International transfers, judged for each residency region by that region's `law`.

An entry's data of a region goes to its own `locations` and to those of every member of
its chain (`subprocessors`); each such place is judged by the law of every region whose
data the entry may touch (`regions`, default all; the policy's `regions.<key>.law`,
absent: `eu` is gdpr, any other key none). The laws' data (home, adequacy lists with
their sources, mechanisms) is in subreg/data/laws/, see subreg.laws.
"""

from __future__ import annotations

import datetime as dt

from subreg import laws
from subreg.findings import Verdict
from subreg.laws import Flow, Judgement
from subreg.model import Policy, Subprocessor


def _places(found: list[Flow]) -> str:
    return ", ".join(dict.fromkeys(f.label() for f in found))


def _uncovered(sp: Subprocessor, j: Judgement) -> tuple[str, tuple[str | int, ...]]:
    data = j.law
    short = data.short["en"]
    first = j.uncovered[0]
    if data.rule == "assessment":
        assert j.deadline is not None
        when = (f"its effective_on ({j.deadline})" if sp.notice is not None and j.deadline == sp.notice.effective_on
                else f"today ({j.deadline})")
        if sp.transfer_assessed_on is None:
            why = f"without a privacy impact assessment (P-39.1 s.17): set transfer_assessed_on, on or before {when}"
            where: tuple[str | int, ...] = ("locations",) if first.member is None else first.field(sp)
        else:
            why = (f"and its privacy impact assessment of {sp.transfer_assessed_on} is after {when}: "
                   "the assessment comes before the communication (P-39.1 s.17)")
            where = ("transfer_assessed_on",)
        return (f"personal data of the {j.region} region ({short}) goes outside Québec, to "
                f"{_places(j.uncovered)}, {why}"), where
    return (f"personal data of the {j.region} region ({short}) goes to {_places(j.uncovered)} without "
            f"an adequacy finding and without a transfer mechanism valid under the {short} "
            f"({laws.accepted(data)})"), first.field(sp)


def test_transfer_mechanism(subprocessor: Subprocessor, policy: Policy, today: dt.date) -> None:
    """Personal data leaves each residency region only as that region's law allows.

    For every region whose data the entry may touch, every place its data goes (its
    own `locations` and those of its chain, `subprocessors`) is judged by the region's
    `law`:

    - `gdpr`: a place outside the EU/EEA needs an adequacy decision (the policy's
      `adequate_countries`) or a listed `SCC` or `BCR`, or for the US the `DPF`.
    - `uk-gdpr`: outside the UK, UK adequacy regulations, the `IDTA`, the `UK Addendum`
      or `UK BCR`, or for the US the `DPF UK Extension` (the EU DPF alone does not cover
      UK data).
    - `swiss-fadp`: outside Switzerland, Annex 1 DPO adequacy, `SCC (Swiss amendments)`,
      `BCR`, or for the US the `Swiss-US DPF`.
    - `quebec`: outside Québec (only `CA-QC` is in Québec; `CA` is all of Canada), a
      `transfer_assessed_on` on or before the notice's `effective_on` while that is
      ahead, else today.
    - `pipeda`, `ccpa`, `none`: no transfer condition.

    `Global` is outside every home and adequate to no law. A listed `Privacy Shield`,
    `Safe Harbor` or 2010 model clauses is an error wherever it appears. A US
    recipient under the EU DPF alone, with no fallback, is a warning: the DPF's
    validity is under appeal.

    Severity: error (a warning for the DPF alone)
    Source: GDPR Art. 44-47 and Decisions (EU) 2021/914 (SCC) and 2023/1795 (DPF);
    CJEU C-311/18 (Schrems II) and C-362/14 (Schrems I); CJEU C-703/25 P (Latombe v
    Commission, the DPF appeal); UK GDPR Art. 45-46 and DPA 2018 s. 17A, 119A (IDTA, UK
    Addendum) and SI 2023/1028 (UK Extension); FADP Art. 16 and DPO Annex 1; CQLR
    c. P-39.1 s. 17 (Québec); the data of each law in subreg/data/laws/.
    Fix: List the mechanism the contract really uses in `transfer_mechanisms` (for the
    UK, the IDTA or UK Addendum; for Switzerland, SCC with the Swiss amendments), record
    the Québec assessment in `transfer_assessed_on`, delete invalid mechanisms, or limit
    `regions` to the regions whose data the subprocessor really receives.
    """
    sp = subprocessor
    if not sp.personal_data:
        return
    errors: list[tuple[str, tuple[str | int, ...]]] = []
    warnings: list[tuple[str, tuple[str | int, ...]]] = []
    for region in laws.regions(sp, policy):
        j = laws.judge(sp, region, policy, today)
        if j.uncovered:
            errors.append(_uncovered(sp, j))
        sole = j.sole
        if sole:
            mech = sole[0][1]
            warnings.append((
                f"personal data of the {region} region goes to {_places([f for f, _ in sole])} under "
                f"{mech.id} alone, with no fallback mechanism, and {mech.warning}: add one (e.g. SCC)",
                ("transfer_mechanisms",),
            ))
    for i, name in enumerate(sp.transfer_mechanisms):
        reason = laws.invalid_reason(name)
        if reason is not None:
            errors.append((f"{name!r} is not a valid transfer mechanism: {reason}", ("transfer_mechanisms", i)))
    if errors:
        raise Verdict("; ".join(m for m, _ in errors + warnings), errors[0][1], "error")
    if warnings:
        raise Verdict("; ".join(dict.fromkeys(m for m, _ in warnings)), warnings[0][1], "warning")


def test_transfer_assessment(subprocessor: Subprocessor, policy: Policy, today: dt.date) -> None:
    """A transfer under SCC or BCR to a place without adequacy has a recent assessment.

    For each region under `gdpr` or `uk-gdpr`, when the entry's data goes (itself or
    through its chain) to a place without an adequacy finding under a contractual
    safeguard (`SCC`, `BCR`; for the UK the `IDTA`, the `UK Addendum` or `UK BCR`), the
    entry records its last transfer impact assessment in `transfer_assessed_on`, no older
    than the policy's `due_diligence_max_age_days` (365 by default) and not in the
    future. A place also covered by the DPF still counts: the SCC listed as its fallback
    oblige the parties to assess the transfer themselves (Clause 14).

    Severity: warning
    Source: CJEU C-311/18 (Schrems II), para. 134; EDPB Recommendations 01/2020 on
    supplementary measures; Clause 14 of the SCC (Decision (EU) 2021/914); ICO guidance
    on transfer risk assessments (UK GDPR Art. 46).
    Fix: Assess the transfer (the law and practice of the destination, the supplementary
    measures) and record the date in `transfer_assessed_on`; repeat it within
    `due_diligence_max_age_days`.
    """
    sp = subprocessor
    if not sp.personal_data:
        return
    needing: list[tuple[str, list[Flow], list[str]]] = []
    for region in laws.regions(sp, policy):
        j = laws.judge(sp, region, policy, today)
        if j.law.transfer_assessment and j.safeguarded:
            names = list(dict.fromkeys(m.id for _, ms in j.safeguarded for m in ms))
            needing.append((region, [f for f, _ in j.safeguarded], names))
    if not needing:
        return
    what = "; ".join(f"{'/'.join(names)} to {_places(found)} ({region} region)" for region, found, names in needing)
    assessed = sp.transfer_assessed_on
    if assessed is None:
        raise Verdict(f"transfers under {what} have no transfer impact assessment: set transfer_assessed_on "
                      "(EDPB Recommendations 01/2020; Clause 14 of the SCC)",
                      ("transfer_mechanisms",) if sp.transfer_mechanisms else ("locations",), "warning")
    age = (today - assessed).days
    if age < 0:
        raise Verdict(f"transfer_assessed_on {assessed} is in the future: record an assessment already made",
                      ("transfer_assessed_on",), "warning")
    if age > policy.due_diligence_max_age_days:
        raise Verdict(f"the transfer impact assessment of {assessed} is {age} days old; the policy allows "
                      f"{policy.due_diligence_max_age_days} (transfers under {what})",
                      ("transfer_assessed_on",), "warning")
