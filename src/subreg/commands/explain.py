"""`subreg explain CHECK-ID`: a check's rule, severity, legal source and how to fix a
finding, from the check's docstring (as `ruff rule` does for its rules).

Built-in checks are always known; inside a compliance repo (or with `--repo`), its own
checks in `checks/` are too, read without running them.
"""

from __future__ import annotations

import difflib

from subreg import rules
from subreg.errors import EXIT_OK, InputError
from subreg.escape import one_line
from subreg.options import Options, Outcome


def known(opts: Options) -> dict[str, rules.Rule]:
    """Built-in rules, plus the compliance repo's own when there is one."""
    found = dict(rules.builtin())
    try:
        root = opts.project().root
    except InputError:  # not in a compliance repo: the built-in checks only
        return found
    for rid, rule in rules.custom(root).items():
        found.setdefault(rid, rule)
    return found


def run(opts: Options, check_id: str | None, list_all: bool) -> Outcome:
    table = known(opts)
    if list_all or check_id is None:
        width = max(len(r) for r in table)
        lines = [f"{rid:<{width}}  {one_line(rule.summary)}" for rid, rule in sorted(table.items())]
        return Outcome(EXIT_OK, "\n".join(lines) + "\n")
    rule = table.get(check_id)
    if rule is None:
        close = difflib.get_close_matches(check_id, table, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InputError(f"unknown check id {check_id!r}{hint}; `subreg explain --all` lists them")
    # a custom check's docstring is data: its own line breaks stay, nothing else does
    return Outcome(EXIT_OK, "\n".join(one_line(line) for line in rule.explain().split("\n")))
