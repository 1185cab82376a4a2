"""`subreg diff`: what changed in the registry between two refs."""

from __future__ import annotations

import json

from subreg import diff
from subreg.errors import EXIT_OK
from subreg.options import Options, Outcome


def run(opts: Options, base: str | None, head: str | None, fmt: str) -> Outcome:
    project = opts.project()
    rng = project.resolve(base, head)
    old, new = project.pair(rng)
    changes = diff.compare(old, new, project.policy, project.today)
    err = "".join(f"warning: {p}\n" for p in old.warnings)
    if fmt == "json":
        doc = diff.as_json(changes, rng.base, rng.head)
        return Outcome(EXIT_OK, json.dumps(doc, indent=2, ensure_ascii=False) + "\n", err)
    return Outcome(EXIT_OK, diff.as_text(changes, rng.base, rng.head), err)
