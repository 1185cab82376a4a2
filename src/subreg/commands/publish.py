"""`subreg publish --out DIR`: the public subprocessor list and its change feed.

Writes `index.html` (the first policy language) and `index.L.html` (each other one),
`subprocessors.L.md` per policy language, `subprocessors.json` and `feed.xml` (SPEC 8),
all at once: when anything is wrong (an invalid entry in the working
tree, a shallow clone) nothing is written. An invalid file in an old commit cannot be
fixed any more: it is reported as a warning and left out of the feed (the entry keeps its
last valid state), as the nightly audit does.

The page shows the working tree's registry. "Last updated" is the date of the last commit
that changed the registry; the feed comes from the registry's first-parent history. Where
there is no history to read (not a git repository, or no commit touching the registry
yet) the feed has no entries and "last updated" is today (`--today`), the date of the
data being published.

The same history gives the values in force of an entry whose announced change has not
taken effect yet (pending.py); without history, such an entry is listed as upcoming.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from subreg import history, pending
from subreg import registry as reg
from subreg.errors import EXIT_OK, InputError, Problem
from subreg.gitrepo import Git
from subreg.model import Subprocessor
from subreg.options import Options, Outcome
from subreg.outputs import write_tree
from subreg.project import Project
from subreg.render import feed, publish


def _git(project: Project) -> Git | None:
    """The project's git repository, or None when it is not in one."""
    try:
        return project.git
    except InputError:
        return None


def _in_commit(sha: str, problem: Problem) -> Problem:
    """A problem of an old file, located at the commit that holds it (`<commit>:<path>`)."""
    return replace(problem, path=f"{sha[:12]}:{problem.path}")


def run(opts: Options, out: Path) -> Outcome:
    project: Project = opts.project()
    policy = project.policy
    registry = project.worktree  # validated: an invalid entry stops here (exit 2)
    steps: list[history.Step] = []
    warnings: list[str] = []
    last_commit: int | None = None
    versions: dict[str, list[Subprocessor]] = {}
    git = _git(project)
    head = git.head() if git is not None else None
    if git is not None and head is not None:
        git.require_full_history()
        hist = history.scan(git, policy, [head], replay_from=head)
        warnings = [f"warning: {_in_commit(sha, p)} (left out of the feed)" for sha, p in hist.problems]
        steps = hist.steps
        last = reg.Registry(entries={sp.id: sp for sp in hist.final.values()})
        versions = pending.versions(steps, last, registry, policy)
        last_commit = git.last_commit_time(reg.FOLDER)
    updated = history.utc_date(last_commit) if last_commit is not None else project.today

    in_force = pending.in_force(registry, versions, project.today)
    files = publish.render(project.root, policy, registry, project.today, updated, in_force)
    files[publish.FEED_FILE] = feed.render(project.root, policy, steps, project.today, last_commit)
    write_tree(out, files)

    lst, _ = publish.listing(registry, project.today, in_force)
    entries = len(feed.events(steps, policy))
    changes = len(lst.upcoming) - lst.added
    summary = (
        f"published {lst.current} current and {lst.added} upcoming subprocessors"
        + (f", {changes} pending {'change' if changes == 1 else 'changes'}" if changes else "")
        + f" (last updated {updated.isoformat()}) and {entries} feed "
        f"{'entry' if entries == 1 else 'entries'} to {out}:\n"
    )
    err = "".join(line + "\n" for line in warnings)
    return Outcome(EXIT_OK, summary + "".join(f"  {name}\n" for name in files), err)
