"""The identity of every sub-processor in the chain (EDPB Opinion 22/2024)."""

from __future__ import annotations

from subreg.findings import Verdict
from subreg.model import Subprocessor


def test_identity(subprocessor: Subprocessor) -> None:
    """A subprocessor with personal data, and every member of its chain, is identified.

    Each entry with `personal_data: true` records its legal entity's registered
    `address` and a privacy `contact` (an e-mail address or an https link), and so does
    every member of its chain (`subprocessors`): the name alone does not let a
    controller, or a customer exercising its audit and objection rights, reach the
    entity that processes its data. An entry without personal data is not checked.

    Severity: error
    Source: EDPB Opinion 22/2024 on certain obligations following from the reliance on
    processor(s) and sub-processor(s) (7 October 2024): the controller should have the
    identity (name, address, contact person) of all processors and sub-processors
    readily available at all times; GDPR Art. 28(1), 28(2) and 28(4).
    Fix: Add `address` and `contact` to the entry, or to the chain member named in the
    finding (its DPA or its own public list of sub-processors gives both).
    """
    sp = subprocessor
    if not sp.personal_data:
        return
    problems: list[tuple[str, tuple[str | int, ...]]] = []
    missing = [f for f in ("address", "contact") if getattr(sp, f) is None]
    if missing:
        problems.append((f"{sp.entity} lacks {' and '.join(missing)}", ("legal_name",) if sp.legal_name else ("name",)))
    for i, member in enumerate(sp.subprocessors):
        missing = [f for f in ("address", "contact") if getattr(member, f) is None]
        if missing:
            problems.append((f"its sub-processor {member.entity} lacks {' and '.join(missing)}",
                             ("subprocessors", i)))
    if problems:
        raise Verdict(
            "; ".join(m for m, _ in problems) + ": the identity (name, address, contact) of every "
            "sub-processor in the chain must be readily available (EDPB Opinion 22/2024)",
            problems[0][1],
        )
