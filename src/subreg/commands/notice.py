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
    changes = diff.compare(old, new, project.policy, project.today)
    facts = notice.build_facts(changes, old, new, project.policy, project.today,
                               rng.base, rng.head)
    span = f"{rng.base_label}..{rng.head_label}"
    err = "".join(f"warning: {p}\n" for p in old.warnings)
    if facts is None:
        warning = github.add_to_summary(f"## Customer notice\n\nNothing to announce in `{github.cell(span)}`: "
                                        "no notice drafts written.\n")
        return Outcome(EXIT_OK, f"nothing to announce in {span}: no notice drafts written\n", err + (warning or ""))
    files = notice.render(facts, project.root, project.policy)
    write_tree(out, files)
    # Reviewers read the first language's draft in the job summary, without downloading it.
    first = project.policy.languages[0]
    warning = github.add_to_summary(f"## Customer notice draft ({first})\n\n{files[f'notice.{first}.md']!s}\n")
    counts = ", ".join(f"{len(facts[k])} {k}" for k in ("added", "changed", "removed"))
    lines = [f"notice drafts for {span} ({counts}) written to {out}:"]
    lines += [f"  {out / name}" for name in files]
    return Outcome(EXIT_OK, "\n".join(lines) + "\n", err + (warning or ""))


def send(opts: Options, source: Path, recipients_file: Path, smtp: str, starttls: bool,
         ledger_dir: Path | None, dry_run: bool) -> Outcome:
    """`subreg notice send`: the drafts in `source`, one message per recipient, and the
    ledger record of what the server accepted (see subreg.evidence.send)."""
    import contextlib
    import datetime as dt

    from subreg.errors import EXIT_INPUT, EXIT_VIOLATIONS, InputError
    from subreg.escape import one_line
    from subreg.evidence import journal as journals
    from subreg.evidence import recipients
    from subreg.evidence import send as sending
    from subreg.evidence.ledger import FOLDER
    from subreg.outputs import write_atomic

    project = opts.project()
    policy = project.policy
    srv = sending.server(smtp, starttls)
    trees = [project.root]
    with contextlib.suppress(InputError):  # not a git repository: the compliance repo is the work tree
        trees.append(project.git.top)
    people = recipients.read(recipients_file, policy, trees)
    languages = sorted({r.language for r in people}, key=policy.languages.index)
    drafts = sending.read_drafts(source, languages)
    journal = journals.load(drafts.digest, drafts.announced_on)
    folder = ledger_dir if ledger_dir is not None else project.root / FOLDER
    name = f"{drafts.announced_on}-{drafts.short}.yaml"
    todo = [r for r in people if not journal.accepted(r.address)]
    if (folder / name).exists() and not journal.outcomes:
        return Outcome(EXIT_INPUT, err=(
            f"{folder / name} already records a sending of these drafts, and this machine has no journal of it "
            f"({journal.path}): nothing was sent, so that nobody gets a second copy. Resume on the machine "
            "that sent it, or restore its journal here.\n"))
    late = []
    if todo and project.today > dt.date.fromisoformat(drafts.announced_on) + dt.timedelta(days=1):
        late.append(f"warning: these drafts announce {drafts.announced_on} and go out on {project.today}: customers "
                    "are told today, and the notice period counts from today (see notice-sent-late)")
    counts = {lang: sum(r.language == lang for r in todo) for lang in languages}
    plan = ", ".join(f"{lang} {n}" for lang, n in counts.items() if n)
    what = f"the notice of {drafts.announced_on} (drafts {drafts.short})"
    if dry_run:
        lines = [f"dry run, nothing sent: {what} would go through {srv.shown}"
                 f"{' with STARTTLS' if srv.starttls else ''} to {len(todo)} recipient(s) ({plan or 'none'})"]
        for lang in languages:
            lines.append(f"  {lang}: {counts[lang]} message(s), Subject: {one_line(drafts.subjects[lang])}, "
                         f"Message-ID: {one_line(drafts.message_ids[lang])}, body {drafts.body_digest(lang)}")
        terms = sorted({r.terms for r in todo if r.terms})
        if terms:
            lines.append("  under dpa_terms: " + ", ".join(f"{t} {sum(r.terms == t for r in todo)}" for t in terms))
        if len(todo) < len(people):
            lines.append(f"  already sent (journal {journal.path}): {len(people) - len(todo)}")
        lines.append(f"  the ledger record would be {folder / name}")
        return Outcome(EXIT_OK, "\n".join(lines) + "\n", "".join(w + "\n" for w in late))
    run = sending.Run()
    if todo:
        run = sending.deliver(srv, drafts, todo, journal, lambda: dt.datetime.now(dt.UTC).replace(microsecond=0))
    pending = len(todo) - run.accepted - len(run.refused)
    refused = sum(1 for r in people if (o := journal.outcomes.get(journal.name(r.address))) and o.status == "refused")
    rec = sending.record(drafts, journal, pending, refused)
    in_actions = github.in_actions()
    err = late + [f"{recipients_file}:{r.line}: {'' if in_actions else r.address + ': '}refused by the server ({reply})"
           for r, reply in run.refused]
    if rec is not None:
        write_atomic(folder / rec[0], rec[1])
    sent = ", ".join(f"{lang} {n}" for lang in languages
                     if (n := sum(r.language == lang and journal.accepted(r.address) for r in todo)))
    out = [f"{what}: {run.accepted} message(s) accepted by {srv.shown} ({sent or 'none' if todo else 'none to send'}), "
           f"{len(run.refused)} refused"]
    if len(todo) < len(people):
        out.append(f"already sent before (journal {journal.path}): {len(people) - len(todo)}")
    if rec is not None:
        out.append(f"ledger record: {folder / rec[0]}")
    if run.stopped is not None:
        err.append(f"the sending stopped: {run.stopped}; {pending} recipient(s) not sent. Run the same command "
                   "again to resume: nobody already accepted gets a second copy")
        return Outcome(EXIT_INPUT, "\n".join(out) + "\n", "\n".join(err) + "\n")
    code = EXIT_VIOLATIONS if refused else EXIT_OK
    if refused:
        err.append(f"{refused} recipient(s) refused by the server: they were not told; fix their addresses and run "
                   "the same command again (only they are retried)")
    return Outcome(code, "\n".join(out) + "\n", "\n".join(err) + ("\n" if err else ""))
