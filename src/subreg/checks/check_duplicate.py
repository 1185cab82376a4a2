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

    Two entries with the same name confuse customers and split one company's obligations
    across two records; an entry whose name only looks like another's passes for it.
    Names are compared ignoring case, spaces and punctuation, and by their Unicode
    confusable skeleton (UTS #39: Cyrillic or Greek look-alike letters, fullwidth forms).

    Severity: error
    Source: GDPR Art. 28(2) and 12(1): the list customers rely on must be clear.
    Fix: Merge the two files into one, or give each its real, distinct name if they really
    are different companies.
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
