"""What each imported entry still lacks, as `subreg check` itself says it.

The imported entries are judged by the real checks (built-in and the compliance repo's
own), as a pull request that adds them to the repo's registry at HEAD would be: where
that registry has been committed, they are additions, and those with personal data
need a notice; where it has not (a new repo), they will be the baseline. Outside a
compliance repo they are judged alone against the policy `subreg init` writes, in the
languages imported.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from subreg import diff, runner, yamlio
from subreg.dating import RangeDating
from subreg.errors import InputError
from subreg.findings import Finding
from subreg.history import History
from subreg.importer.entries import Draft, ReadTable
from subreg.importer.source import Source
from subreg.model import Policy, Subprocessor
from subreg.project import Project
from subreg.registry import Registry
from subreg.session import Session


@dataclass
class Verdicts:
    by_id: dict[str, list[Finding]] = field(default_factory=dict)
    context: str = ""  # how the entries were judged, for the report's header
    existing: set[str] = field(default_factory=set)  # ids the repo's registry already has


def init_policy(today: dt.date, languages: list[str]) -> Policy:
    """The policy `subreg init` writes, in `languages`."""
    from subreg import __version__, model
    from subreg.commands.init import files

    text = files(today, __version__)["policies/policy.yaml"]
    doc = yamlio.loads(text.encode() if isinstance(text, str) else text, "policies/policy.yaml")
    return model.parse(Policy, doc).model_copy(update={"languages": languages})


def _base(project: Project) -> tuple[Registry, str]:
    try:
        git = project.git
    except InputError:
        return Registry(exists=False), "not a git repository: the entries will be the registry's baseline"
    head = git.head()
    registry = project.at(head, "HEAD") if head is not None else Registry(exists=False)
    if not registry.exists:
        return registry, ("registry/ not committed yet: the entries will be the baseline, which needs no "
                          "customer notice")
    assert head is not None
    return registry, (f"as additions to the registry at HEAD ({head[:12]}): those with personal data "
                      "need a customer notice")


def judge(project: Project | None, languages: list[str], today: dt.date,
          entries: dict[str, tuple[Subprocessor, yamlio.Doc]]) -> Verdicts:
    """Run every check on the imported entries; findings by id."""
    with tempfile.TemporaryDirectory(prefix="subreg-import-") as tmp:
        if project is None:
            # an empty root: no custom checks, no waivers; the policy `subreg init` writes
            project = Project(Path(tmp), today, init_policy(today, languages))
            base, context = Registry(exists=False), (
                "outside a compliance repo: judged alone, by the policy `subreg init` writes, in "
                + ", ".join(languages))
        else:
            base, context = _base(project)
        head = Registry()
        head.entries = dict(sorted({**base.entries, **{i: sp for i, (sp, _d) in entries.items()}}.items()))
        head.docs = {**base.docs, **{i: d for i, (_sp, d) in entries.items()}}
        changes = diff.compare(base, head, project.policy)
        session = Session(project, None, head, base, changes, History(), sorted(entries), project.policy,
                          RangeDating(History(), today), everything=False)
        found = runner.run(session)
    verdicts = Verdicts(context=context, existing=set(entries) & set(base.entries))
    paths = {sp.path: i for i, (sp, _d) in entries.items()}
    for f in found:
        sid = f.subprocessor if f.subprocessor in entries else paths.get(f.path)
        if sid is not None and f.outcome != "waived":
            verdicts.by_id.setdefault(sid, []).append(f)
    return verdicts


def _count(n: int, word: str, words: str = "") -> str:
    return f"{n} {word if n == 1 else words or word + 's'}"


def summary(verdicts: Verdicts, total: int) -> str:
    lacking = sum(1 for fs in verdicts.by_id.values() if any(f.outcome == "failed" for f in fs))
    counts = Counter(f.check for fs in verdicts.by_id.values() for f in fs if f.outcome == "failed")
    if not lacking:
        return "every entry passes subreg's checks"
    listed = ", ".join(f"{check} {n}" for check, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return (f"{lacking} of {_count(total, 'entry', 'entries')} still lack something for "
            f"`subreg check` to pass (entries per check: {listed})")


def render(source: Source, tables: list[ReadTable], drafts: list[Draft], verdicts: Verdicts, out: Path,
           languages: str) -> str:
    """The report: what was read, then each entry with what the source left out and what
    `subreg check` would still report."""
    lines = [f"subreg import: {_count(len(drafts), 'entry', 'entries')} from {source.display} into {out}",
             f"  languages: {languages}"]
    for t in tables:
        tier = "tier column" if t.has_tier_column else t.tier or "core (not stated)"
        lines.append(f"  read: {t.table.where}: {tier}, {t.lang}, {_count(len(t.table.rows), 'row')}")
    lines.append(f"  judged: {verdicts.context}")
    lines += [f"  note: {n}" for n in source.notes]
    for d in drafts:
        lines.append("")
        lines.append(f"{d.id}.yaml: {d.name} ({d.fields['tier']}; {d.rows})")
        if d.id_note:
            lines.append(f"  id: {d.id_note}")
        if d.id in verdicts.existing:
            lines.append(f"  id: {d.id!r} is already in the compliance repo's registry: judged as a change to "
                         f"registry/{d.id}.yaml")
        lines += [f"  source: {n}" for n in d.notes]
        found = verdicts.by_id.get(d.id, [])
        for f in found:
            label = "error" if f.outcome == "failed" else "warning"
            lines.append(f"  check: {f.path}:{f.line}: [{label}] {f.check}: {f.message}")
        if not found:
            lines.append("  check: passes every check")
        elif not any(f.outcome == "failed" for f in found):
            lines.append("  check: no error (warnings only)")
    lines.append("")
    lines.append(f"{_count(len(drafts), 'file')} written to {out}; {summary(verdicts, len(drafts))}")
    return "\n".join(lines) + "\n"
