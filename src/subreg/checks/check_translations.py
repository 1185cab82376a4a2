"""Every customer-facing text exists in every policy language.

Notices and the public page are sent in each language of the policy; a text missing in
one of them would leave those customers without the information Art. 28 requires.
"""

from __future__ import annotations

from subreg.findings import Verdict
from subreg.model import Policy, Subprocessor


def test_translations(subprocessor: Subprocessor, policy: Policy) -> None:
    """Every customer-facing text has a text in each of the policy's languages.

    `purpose` and `data_processed` of the entry, and the `purpose` of each chain member
    that gives one.

    Notices and the public page are written in every policy language; a missing text
    would leave those customers without the information.

    Severity: error
    Source: GDPR Art. 12(1) (information in a concise, intelligible form, in clear and plain language) and
        Art. 28(2).
    Fix: Add the missing language key to the text map, e.g. `fr:`.
    """
    missing: list[tuple[str, tuple[str | int, ...]]] = [
        (f"{name}.{lang}", (name,))
        for name in ("purpose", "data_processed")
        for lang in policy.languages
        if lang not in getattr(subprocessor, name)
    ]
    for i, member in enumerate(subprocessor.subprocessors):
        if member.purpose is not None:
            missing += [(f"subprocessors[{i}].purpose.{lang} ({member.name})", ("subprocessors", i, "purpose"))
                        for lang in policy.languages if lang not in member.purpose]
    if missing:
        listed = ", ".join(label for label, _ in missing)
        raise Verdict(f"missing translation: {listed}", missing[0][1])
