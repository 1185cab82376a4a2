"""`subreg scan SOURCE`: third-party services that product code uses, against the registry."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from subreg.errors import EXIT_OK, EXIT_VIOLATIONS, InputError
from subreg.options import Options, Outcome

if TYPE_CHECKING:
    from subreg.findings import Finding
    from subreg.model import Waiver
    from subreg.scan.begin import Started
    from subreg.scan.compare import ScanFinding

# The compliance repo's own folders are data about services, not uses of them.
COMPLIANCE_FOLDERS = ("registry", "policies", "checks", "templates", "notices", "objections")


def catalogue(fmt: str) -> Outcome:
    from subreg.scan import catalog

    services = catalog.load()
    if fmt == "json":
        doc = [{"id": s.id, **s.as_json()} for s in services]
        return Outcome(EXIT_OK, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    width = max(len(s.id) for s in services)
    lines = [f"{s.id:<{width}}  {s.name}  [{', '.join(s.hosts + s.domains + s.urls) or '-'}]" for s in services]
    return Outcome(EXIT_OK, "\n".join(lines) + f"\n{len(services)} services\n")


def _display(source: Path) -> str:
    """How paths under SOURCE are shown: as the user would reach them from here."""
    here = Path.cwd().resolve()
    full = source.resolve()
    try:
        rel = full.relative_to(here).as_posix()
    except ValueError:
        return full.as_posix() + "/"
    return "" if rel == "." else rel + "/"


def _skip(source: Path, root: Path) -> tuple[str, ...]:
    try:
        rel = root.resolve().relative_to(source.resolve()).as_posix()
    except ValueError:
        return ()
    prefix = "" if rel == "." else rel + "/"
    return tuple(prefix + f for f in COMPLIANCE_FOLDERS)


def run(opts: Options, source: Path | None, base: str | None, fmt: str, sarif_path: Path | None,
        show_catalog: bool) -> Outcome:
    if show_catalog:
        return catalogue(fmt)
    if source is None:
        raise InputError("subreg scan needs SOURCE, the folder of product code to scan (or --catalog)")
    if not source.is_dir():
        raise InputError(f"{source}: no such folder")
    started = None
    if base is None:
        # git grep starts first: it runs while subreg imports and loads what it needs
        from subreg.scan.begin import start

        started = start(source)
    try:
        return _run(opts, source, base, fmt, sarif_path, started)
    finally:
        if started is not None:
            started.close()


def _run(opts: Options, source: Path, base: str | None, fmt: str, sarif_path: Path | None,
         started: Started | None) -> Outcome:
    from subreg import findings as fd
    from subreg.report import github, text
    from subreg.scan import collect, compare

    project = opts.project()
    policy, waivers, registry = project.policy, project.waivers, project.worktree
    links = compare.link(registry, compare.Catalogue.load())
    own = tuple(policy.scan.own_domains)
    skip = _skip(source, project.root)
    from subreg.scan.activation import Earlier

    earlier = Earlier(project)
    earlier.start()  # its git log runs while the product is read
    if base is not None:
        got = collect.change(source, base, links.matcher, own, skip)
    else:
        assert started is not None
        got = collect.whole(started, links.matcher, own, skip)
    prefix = _display(source)
    evidence = [dataclasses.replace(e, path=prefix + e.path) for e in got.evidence]
    warnings = [dataclasses.replace(w, path=prefix + w.path) for w in got.warnings]
    found, passed = compare.judge(links, evidence, project.today, base is None, policy, earlier.in_effect_before)
    found = _waive(found, [w for w in waivers if w.check in compare.CHECKS], project.today, base is not None)
    plain = [f.finding for f in found]
    totals = fd.summary(plain, passed)
    if sarif_path:
        from subreg import __version__
        from subreg.outputs import write_atomic
        from subreg.report import sarif

        write_atomic(sarif_path, sarif.render(plain, __version__))
    in_actions = os.environ.get("GITHUB_ACTIONS") == "true"
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if in_actions and summary_file:
        with open(summary_file, "a", encoding="utf-8") as fh:
            fh.write(github.summary(plain, totals, [], "subreg scan"))
    services = sorted({e.service for e in evidence})
    err = "".join(f"{w}\n" for w in sorted(warnings))
    if fmt == "json":
        doc = {"source": source.as_posix(), "base": got.base, "head": got.head,
               "today": project.today.isoformat(), "services": services,
               "findings": [f.as_json() for f in found], "summary": totals,
               "warnings": [dataclasses.asdict(w) for w in sorted(warnings)]}
        out = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    else:
        header = (f"subreg scan {source.as_posix()} ({got.scope}): {got.files} file(s) read, "
                  f"{len(services)} service(s) in use: {', '.join(services) or 'none'}")
        out = text.render(plain, totals, header) + _stubs(found)
        if in_actions:
            out = github.annotate(plain) + out
    return Outcome(EXIT_VIOLATIONS if totals["failed"] else EXIT_OK, out, err)


def _stubs(found: list[ScanFinding]) -> str:
    parts = []
    for f in found:
        if f.stub and f.finding.outcome == "failed":
            path, body = f.stub
            parts.append(f"\nProposed {path}:\n" + "".join(f"  {line}\n" for line in body.splitlines()))
    return "".join(parts)


def _waive(found: list[ScanFinding], waivers: list[Waiver], today: dt.date, scoped: bool) -> list[ScanFinding]:
    """Waivers by check id and catalogue id (undeclared) or registry id (the others).
    On a change, an unused waiver is reported only for what the change touched."""
    from subreg import findings as fd
    from subreg.scan.compare import ScanFinding
    by_key = {_key(f.finding): f for f in found}
    in_scope = {f.finding.subprocessor for f in found}
    out = []
    for f in fd.apply_waivers([f.finding for f in found], waivers, today):
        match = by_key.get(_key(f))
        if match is not None:
            out.append(dataclasses.replace(match, finding=f))
            continue
        if scoped and f.check == "waiver-unused":
            waiver = next((w for w in waivers if w.line == f.line), None)
            if waiver is not None and waiver.subprocessor not in in_scope:
                continue
        out.append(ScanFinding(f))
    return out


def _key(f: Finding) -> tuple[str, str | None, str, int, str]:
    return (f.check, f.subprocessor, f.path, f.line, f.message)
