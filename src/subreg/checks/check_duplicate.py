"""No subprocessor is listed twice.

Two entries with the same `name` (ignoring case, spaces and punctuation) confuse
customers and split one company's obligations across two records.
"""

from __future__ import annotations

from subreg.findings import Verdict
from subreg.model import identity
from subreg.registry import Registry


def test_duplicate(registry: Registry) -> None:
    """Every entry has a distinct name.

    Two entries with the same name (ignoring case, spaces and punctuation) confuse
    customers and split one company's obligations across two records.

    Severity: error
    Source: GDPR Art. 28(2) and 12(1): the list customers rely on must be clear.
    Fix: Merge the two files into one, or rename one if they really are different companies.
    """
    seen: dict[str, str] = {}
    clashes = []
    for sp in registry:
        key = identity(sp.name)
        if key in seen:
            clashes.append((seen[key], sp))
        else:
            seen[key] = sp.id
    if clashes:
        sp = clashes[0][1]
        text = "; ".join(f"{b.id} has the same name as {a} ({b.name!r})" for a, b in clashes)
        raise Verdict(text, (sp.path, registry.line(sp.id, "name")))
