"""No subprocessor is listed twice.

Two entries with the same `name` confuse customers and split one company's obligations
across two records. Names are compared as a reader sees them: ignoring case, spaces and
punctuation, and by their Unicode confusable skeleton (UTS #39, computed by ICU), so
that `Strіpe` with a Cyrillic `і`, or a fullwidth `Ｓｔｒｉｐｅ`, is the same name as
`Stripe`.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import Any

from subreg.findings import Verdict
from subreg.model import identity
from subreg.registry import Registry


@cache
def _checker() -> Any:
    import icu  # PyICU (the pyicu-wheels distribution): ICU's own UTS #39 implementation

    return icu.SpoofChecker()


def look_alike_key(name: str) -> str:
    """What a reader compares: compatibility forms folded (NFKC: fullwidth letters),
    case folded, mapped to the UTS #39 skeleton, then only letters and digits kept."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return identity(_checker().getSkeleton(0, folded))


def test_duplicate(registry: Registry) -> None:
    """Every entry has a distinct name.

    Two entries whose `name`s are the same, ignoring case, spaces and punctuation, or
    that only look the same (their UTS #39 confusable skeletons are equal: Cyrillic or
    Greek look-alike letters, fullwidth forms), are one subprocessor listed twice, or an
    entry made to pass for another.

    Severity: error
    Source: GDPR Art. 28(2) and 28(4): customers are told of each subprocessor once, by
    a name they can recognise.
    Fix: Merge the two entries into one, or give each its real, distinct name.
    """
    seen: dict[str, str] = {}
    clashes = []
    for sp in registry:
        key = look_alike_key(sp.name)
        if key in seen:
            clashes.append((seen[key], sp))
        else:
            seen[key] = sp.id
    if clashes:
        sp = clashes[0][1]
        text = "; ".join(f"{b.id} has the same name as {a} ({b.name!r})" for a, b in clashes)
        raise Verdict(text, (sp.path, registry.line(sp.id, "name")))
