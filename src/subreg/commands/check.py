"""`subreg check`: the merge gate."""

from __future__ import annotations

import json
from pathlib import Path

from subreg import findings as fd
from subreg import runner, session
from subreg.errors import EXIT_OK, EXIT_VIOLATIONS
from subreg.options import Options, Outcome
from subreg.report import github, text


def run(opts: Options, base: str | None, head: str | None, everything: bool, fmt: str,
        junit_path: Path | None, sarif_path: Path | None) -> Outcome:
    project = opts.project()
    project.waivers  # noqa: B018 - a malformed waivers file stops the run before anything
    sess = session.prepare(project, base, head, everything)
    found = runner.run(sess)
    totals = fd.summary(found, sess.passed)
    assert sess.rng is not None
    if junit_path or sarif_path:  # imported only when asked for
        from subreg import __version__
        from subreg.outputs import write_atomic
        from subreg.report import junit, sarif

        if junit_path:
            write_atomic(junit_path, junit.render(found, totals))
        if sarif_path:
            write_atomic(sarif_path, sarif.render(found, __version__))
    in_actions = github.in_actions()
    warning = github.add_to_summary(github.summary(found, totals, sess.changes, "subreg check")) \
        if in_actions else None
    if fmt == "json":
        doc = {"base": sess.rng.base, "head": sess.rng.head, "today": project.today.isoformat(),
               "findings": [f.as_json() for f in found], "summary": totals}
        out = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    else:
        header = f"subreg check {sess.rng.base_label}..{sess.rng.head_label}: " \
                 f"{len(sess.changes)} change(s), {len(sess.scope)} subprocessor(s) in scope"
        out = text.render(found, totals, header)
        if in_actions:
            out = github.annotate(found) + out
    return Outcome(EXIT_VIOLATIONS if totals["failed"] else EXIT_OK, out, warning or "")
