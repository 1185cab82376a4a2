"""Every customer-facing text exists in every policy language.

Notices and the public page are sent in each language of the policy; a text missing in
one of them would leave those customers without the information Art. 28 requires.
"""

from __future__ import annotations

from subreg.findings import Verdict
from subreg.model import Policy, Subprocessor


def test_translations(subprocessor: Subprocessor, policy: Policy) -> None:
    """`purpose` and `data_processed` have a text for each of the policy's languages.

    Notices and the public page are written in every policy language; a missing text
    would leave those customers without the information.

    Severity: error
    Source: GDPR Art. 12(1) (information in a concise, intelligible form, in clear and plain language) and
        Art. 28(2).
    Fix: Add the missing language key to the text map, e.g. `fr:`.
    """
    missing = [
        (name, lang)
        for name in ("purpose", "data_processed")
        for lang in policy.languages
        if lang not in getattr(subprocessor, name)
    ]
    if missing:
        listed = ", ".join(f"{name}.{lang}" for name, lang in missing)
        raise Verdict(f"missing translation: {listed}", (missing[0][0],))
