"""The notice ledger (SPEC 9): records that a notice was sent, and what they prove.

A record (`notices/ledger/<announced_on>-<digest>.yaml`) is written by `subreg notice
send`, or by hand for a notice sent another way (`channel: in-app | portal | letter`,
or `email` through another tool, with `evidence:` a URL or a ticket). A record is data
like the rest, reviewed, and trusted for no more than it says:

- it covers the notice of each subprocessor it lists whose `announced_on` is on or
  before the record's (a draft announcing several notices carries the latest date);
- it proves the sending at its `sent_at` (UTC), and only once that time has come: a
  record dated after the day of the run proves nothing yet;
- a sending that stopped half-way (`pending` > 0) proves nothing until it is resumed;
- its counts are counts: no address is ever written.

With `notice_evidence: ledger` the earliest record covering a notice dates it, in
place of git history (`LedgerDating`), and `notice-unsent` / `notice-sent-late` judge
every current notice (`unsent`, `sent_late`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from subreg import yamlio
from subreg.diff import Change
from subreg.errors import InputError, Problem
from subreg.evidence import files
from subreg.findings import Verdict
from subreg.model import LedgerRecord, Notice, Policy, Subprocessor
from subreg.notices import Evidence, required_period
from subreg.project import Project

FOLDER = "notices/ledger"
_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})-[A-Za-z0-9._-]+\.yaml")
# A notice may go out on the day after its announced_on (time zones, a night run).
ALLOWANCE = dt.timedelta(days=1)


@dataclass(frozen=True)
class Entry:
    path: str
    record: LedgerRecord

    @property
    def sent_on(self) -> dt.date:
        return self.record.sent_at.date()

    @property
    def sent_text(self) -> str:
        return self.record.sent_at.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Ledger:
    entries: list[Entry] = field(default_factory=list)

    def covering(self, sp_id: str, notice: Notice) -> list[Entry]:
        """Every record that covers the notice of `sp_id`, earliest sending first."""
        found = [e for e in self.entries
                 if sp_id in e.record.subprocessors and notice.announced_on <= e.record.announced_on]
        return sorted(found, key=lambda e: (e.record.sent_at, e.path))

    def proof(self, sp_id: str, notice: Notice, today: dt.date) -> Entry | None:
        """The earliest complete record of the sending of that notice, up to today."""
        return next((e for e in self.covering(sp_id, notice)
                     if e.record.pending == 0 and e.sent_on <= today), None)


def check(rec: LedgerRecord, doc: yamlio.Doc, path: str, policy: Policy | None) -> list[Problem]:
    """What the schema alone cannot see in a record."""
    problems = []
    name = path.rpartition("/")[2]
    found = _NAME.fullmatch(name)
    if found is None:
        problems.append(doc.problem((), f"bad file name {name!r}: a ledger record is named "
                                        "<announced_on>-<digest>.yaml, e.g. 2026-12-01-3f2a9c1b0d4e.yaml"))
    elif found[1] != rec.announced_on.isoformat():
        problems.append(doc.problem(("announced_on",), f"announced_on {rec.announced_on} differs from the date "
                                                      f"of the file name ({found[1]})"))
    if rec.evidence is None and (rec.channel != "email" or not rec.message_ids):
        problems.append(doc.problem(("channel",) if "channel" in doc.data else (), (
            "evidence: a record written by hand (without message_ids, or for a channel other than email) "
            "names its evidence: a URL or a ticket"), key=True))
    if policy is not None:
        known = ", ".join(sorted(policy.dpa_terms)) or "none"
        problems += [doc.problem(("terms", terms), f"unknown terms {terms!r}: the policy's dpa_terms are {known}",
                                 key=True) for terms in rec.terms if terms not in policy.dpa_terms]
    return problems


def parse(items: files.Files, policy: Policy | None) -> Ledger:
    """A Ledger from the folder's files; every problem of every file, or the ledger."""
    ledger = Ledger()
    records, problems = files.parsed(items, LedgerRecord)
    for path, rec, doc in records:
        found = check(rec, doc, path, policy)
        if found:
            problems.extend(found)
            continue
        ledger.entries.append(Entry(path, rec))
    if problems:
        raise InputError(problems=problems)
    return ledger


def load(project: Project, head: str, policy: Policy | None) -> Ledger:
    return parse(files.read(project, head, FOLDER), policy)


@dataclass
class LedgerDating:
    """`notice_evidence: ledger`: a notice is dated by the earliest record of its
    sending (SPEC 4, 9), in `check` and in the audit's replay alike."""

    ledger: Ledger
    today: dt.date

    def evidence(self, change: Change) -> Evidence | None:
        if change.new is None or change.new.notice is None:
            return None
        entry = self.ledger.proof(change.id, change.new.notice, self.today)
        if entry is None:
            return None
        return Evidence(entry.sent_on, f"the ledger record {entry.path} shows it sent at {entry.sent_text}")


def _judged(sp: Subprocessor, policy: Policy) -> Notice | None:
    """The notice of `sp` that the ledger rules judge today, if any."""
    notice = sp.notice
    if policy.notice_evidence != "ledger" or notice is None or not sp.needs_notice():
        return None
    return notice


def unsent(sp: Subprocessor, policy: Policy, ledger: Ledger, today: dt.date) -> Verdict | None:
    """notice-unsent: the notice's announced_on (and the day after) has passed, and no
    complete record of its sending exists."""
    notice = _judged(sp, policy)
    if notice is None or today <= notice.announced_on + ALLOWANCE:
        return None
    if ledger.proof(sp.id, notice, today) is not None:
        return None
    stopped = [e for e in ledger.covering(sp.id, notice) if e.record.pending]
    if stopped:
        why = (f"the sending recorded in {stopped[0].path} stopped with {stopped[0].record.pending} "
               "recipient(s) pending: resume it (run the same `subreg notice send` again)")
    else:
        why = (f"no record in {FOLDER}/ covers it: send it with `subreg notice send`, or add the record "
               "of how it was sent (channel, evidence)")
    return Verdict(f"the notice announced on {notice.announced_on} has no record of its sending: {why}",
                   ("notice", "announced_on"))


def sent_late(sp: Subprocessor, policy: Policy, ledger: Ledger, today: dt.date) -> Verdict | None:
    """notice-sent-late: the earliest record shows the sending after announced_on + 1
    day, and the period counted from the sending is shorter than required."""
    notice = _judged(sp, policy)
    if notice is None:
        return None
    entry = ledger.proof(sp.id, notice, today)
    if entry is None or entry.sent_on <= notice.announced_on + ALLOWANCE:
        return None
    period, days = required_period(policy), (notice.effective_on - entry.sent_on).days
    if days >= period:
        return None
    return Verdict(
        f"the ledger record {entry.path} shows the notice sent at {entry.sent_text}, "
        f"{(entry.sent_on - notice.announced_on).days} days after announced_on {notice.announced_on}: counted "
        f"from the sending, the period is {days} days ({entry.sent_on} -> {notice.effective_on}); "
        f"the policy requires at least {period}",
        ("notice", "effective_on"))
