"""`subreg notice`: customer-notice drafts for base..head (SPEC 7).

Writes, into `--out`, `notice.json` and, for each policy language L, `notice.L.md`,
`notice.L.html` and `notice.L.eml`, all or nothing. With nothing to announce it writes
nothing (the folder is not even created), says so, and exits 0. What a draft contains
and how its dates are chosen is documented in `subreg.render.notice`.
"""

from __future__ import annotations

from pathlib import Path

from subreg import diff
from subreg.errors import EXIT_OK
from subreg.options import Options, Outcome
from subreg.outputs import write_tree
from subreg.render import notice
from subreg.report import github


def run(opts: Options, base: str | None, head: str | None, out: Path) -> Outcome:
    project = opts.project()
    rng = project.resolve(base, head)
    old, new = project.pair(rng)
    changes = diff.compare(old, new, project.policy)
    facts = notice.build_facts(changes, old, new, project.policy, project.today,
                               rng.base, rng.head)
    span = f"{rng.base_label}..{rng.head_label}"
    if facts is None:
        warning = github.add_to_summary(f"## Customer notice\n\nNothing to announce in `{github.cell(span)}`: "
                                        "no notice drafts written.\n")
        return Outcome(EXIT_OK, f"nothing to announce in {span}: no notice drafts written\n", warning or "")
    files = notice.render(facts, project.root, project.policy)
    write_tree(out, files)
    # Reviewers read the first language's draft in the job summary, without downloading it.
    first = project.policy.languages[0]
    warning = github.add_to_summary(f"## Customer notice draft ({first})\n\n{files[f'notice.{first}.md']!s}\n")
    counts = ", ".join(f"{len(facts[k])} {k}" for k in ("added", "changed", "removed"))
    lines = [f"notice drafts for {span} ({counts}) written to {out}:"]
    lines += [f"  {out / name}" for name in files]
    return Outcome(EXIT_OK, "\n".join(lines) + "\n", warning or "")
