"""`subreg validate` and `subreg schema`."""

from __future__ import annotations

import json

from subreg import registry as reg
from subreg.errors import EXIT_INPUT, EXIT_OK, InputError, Problem, format_problems
from subreg.model import Policy, Subprocessor
from subreg.options import Options, Outcome
from subreg.project import WORKTREE, Project


def run(opts: Options) -> Outcome:
    """Every problem of the registry, the policy and the waivers; exit 0 or 2."""
    project = opts.project()
    root = project.root
    problems: list[Problem] = []
    policy: Policy | None = None
    try:
        policy = project.policy
    except InputError as exc:
        problems.extend(exc.problems or [Problem(reg.POLICY, 0, 0, str(exc))])
    try:
        project.waivers  # noqa: B018 - reading is validating
    except InputError as exc:
        problems.extend(exc.problems)
    files = reg.worktree_files(root)
    count = 0
    registry = None
    if files is not None:
        try:
            registry = reg.build(files, policy)
            count = len(registry)
        except InputError as exc:
            problems.extend(exc.problems)
    problems += _evidence(project, policy, registry)
    if problems:
        lines = format_problems(problems)
        total = len(set(problems))
        lines.append(f"{total} problem{'s' if total != 1 else ''} found")
        return Outcome(EXIT_INPUT, err="\n".join(lines) + "\n")
    return Outcome(EXIT_OK, f"ok: {count} subprocessors, {reg.POLICY} and waivers are valid\n")


def _evidence(project: Project, policy: Policy | None, registry: reg.Registry | None) -> list[Problem]:
    """The ledger's records and the objections, validated like the registry (the
    objections only once the registry and the policy are valid: they are checked
    against both)."""
    from subreg.evidence import ledger, objections

    problems: list[Problem] = []
    try:
        ledger.load(project, WORKTREE, policy)
    except InputError as exc:
        problems.extend(exc.problems)
    if policy is not None and registry is not None:
        try:
            objections.load(project, WORKTREE, registry, policy)
        except InputError as exc:
            problems.extend(exc.problems)
    return problems


def schema() -> Outcome:
    doc = Subprocessor.model_json_schema()
    doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    doc["title"] = "subreg registry entry"
    return Outcome(EXIT_OK, json.dumps(doc, indent=2, sort_keys=True) + "\n")
