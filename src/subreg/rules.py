"""Every check id, documented: its rule, severity, legal source, and how to fix a finding.

A check documents itself in its docstring, in one shape:

    One line: the rule.

    Paragraphs: the rule precisely, and why.

    Severity: error
    Source: GDPR Art. 28(2) ...
    Fix: What to change ...

Built-in pytest checks are the `test_*` functions of `subreg/checks/check_*.py`. Checks
that are not pytest functions (waivers, history, policy, scan) are documented by the
functions of this module, named after their ids. `subreg explain`, the SARIF rules and
`docs/reference.md` all read the rules from here. A compliance repo's own checks
(`checks/test_*.py`) are read with `ast`, never imported: explaining a check must not run
its code.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from subreg.escape import one_line

SECTIONS = ("Severity", "Source", "Fix")
_SECTION = re.compile(rf"^({'|'.join(SECTIONS)}):\s*(.*)$")


@dataclass(frozen=True)
class Rule:
    id: str
    summary: str
    text: str  # the paragraphs between the summary and the sections
    severity: str
    source: str
    fix: str
    origin: str  # "built-in", or the custom check's file

    def explain(self) -> str:
        """The rule as `subreg explain` prints it."""
        out = [f"{self.id} ({self.severity})", "", self.summary]
        if self.text:
            out += ["", self.text]
        if self.source:
            out += ["", *textwrap.wrap(f"Source: {self.source}", 88, break_on_hyphens=False)]
        if self.fix:
            out += ["", *textwrap.wrap(f"How to fix: {self.fix}", 88, break_on_hyphens=False)]
        if self.origin != "built-in":
            out += ["", f"Defined in {self.origin}."]
        return "\n".join(out) + "\n"


def check_id(function_name: str) -> str:
    """`test_no_india` -> `no-india`; `waiver_expired` -> `waiver-expired`."""
    return function_name.removeprefix("test_").replace("_", "-")


def parse(rule_id: str, doc: str | None, origin: str = "built-in", severity: str = "error") -> Rule:
    """A Rule from a docstring of the documented shape (missing parts stay empty)."""
    lines = inspect.cleandoc(doc or "").splitlines()
    # the summary is the first paragraph, joined into one line
    first = 0
    while first + 1 < len(lines) and lines[first + 1].strip() and not _SECTION.match(lines[first + 1].strip()):
        first += 1
    summary = " ".join(line.strip() for line in lines[: first + 1])
    lines = [lines[0], *lines[first + 1:]] if lines else lines
    body: list[str] = []
    sections: dict[str, list[str]] = {}
    current: list[str] = body
    for line in lines[1:]:
        m = _SECTION.match(line.strip())
        if m:
            current = sections.setdefault(m[1], [])
            current.append(m[2])
        else:
            current.append(line.strip() if current is not body else line)
    text = "\n".join(body).strip()
    text = re.sub(r"\n{3,}", "\n\n", text)

    def section(name: str) -> str:
        return " ".join(" ".join(sections.get(name, [])).split())

    return Rule(rule_id, summary, text, section("Severity") or severity, section("Source"),
                section("Fix"), origin)


# -- the checks that are not pytest functions -------------------------------------------

def policy_relaxed() -> None:
    """The change relaxes the policy; it is judged by the stricter one.

    A pull request cannot lower the bar it is judged by: `check` judges base..head by
    the stricter of the base's and the head's `policies/policy.yaml`, setting by
    setting (the longer `notice_period_days`, the shorter `notice_grace_days`, every
    language and material field of both, the adequate countries and recognized
    certifications common to both, the wider warning windows, the lower
    `max_breach_notice_hours` and `due_diligence_max_age_days`), and reports each
    relaxation at its line of the policy, so that it takes effect only once merged. A
    change of the first language (which decides what a translation fix is) is reported
    too. A tightening applies at once.

    Severity: warning
    Source: GDPR Art. 5(2) (accountability) and Art. 28(2): the rules a change is judged by are
        not the change's to set; a relaxation is the privacy team's decision, reviewed as such.
    Fix: Nothing, if the relaxation is intended and approved by the code owners: it applies once
        merged.
    """


def waiver_new() -> None:
    """A waiver added by the change (a warning, so that the reviewer sees it).

    Waivers added in a pull request apply to it (an emergency replacement comes with its
    waiver of `notice-period`), but each is reported, naming the check, the subprocessor
    and the `approved_by`, so that the reviewer can check the approval. A waiver whose
    terms change (a later `expires_on`, another approver) counts as new.

    Severity: warning
    Source: GDPR Art. 5(2) (accountability): an accepted exception is approved by someone who
        can approve it.
    Fix: Confirm the approval with the approver named; nothing to change in the files.
    """


def waiver_expired() -> None:
    """A waiver is past its `expires_on`: it no longer waives, and is itself an error.

    A waiver applies up to and including its `expires_on`. After that the finding it
    waived fails again, and the waiver is reported until it is deleted, so that no
    exception outlives its approval unnoticed. In the audit's replay, a past commit is
    judged with the waivers of that commit, as they stood then.

    Severity: error
    Source: GDPR Art. 5(2) (accountability): an accepted risk is reviewed when its approval ends.
    Fix: Fix what the waiver waived and delete the waiver, or renew it with a new approval and a new
        expires_on.
    """


def waiver_unused() -> None:
    """A waiver matched no failure where it could have been used.

    On a pull request, only waivers of the subprocessors in scope (those the change
    touches) are judged; with `--all` and in the audit, a waiver that waived nothing at
    head and nothing in the replay of the history. An emergency waiver of
    `notice-period` is therefore reported once its subprocessor is live: it can be
    deleted, and the audit stays green (the replay judges the past commit with the
    waivers of that commit).

    Severity: warning
    Source: GDPR Art. 5(2) (accountability): the list of accepted exceptions stays true.
    Fix: Delete the waiver from policies/waivers.yaml.
    """


def waiver_expiring() -> None:
    """A waiver expires within 14 days.

    Reported at the waiver's own line in `policies/waivers.yaml`, by `check` and by the
    audit, so that its renewal or the fix is planned before it lapses.

    Severity: warning
    Source: GDPR Art. 5(2) (accountability).
    Fix: Fix the finding it waives before expires_on, or renew the waiver with a new approval.
    """


def history_invalid() -> None:
    """A file already merged cannot be read: in an old commit, or at the base of a change.

    History cannot be rewritten: the audit and publish report the commit and the
    problem, and the entry keeps its last valid state (a broken commit never reads as a
    removal followed by an addition). What cannot be read: a registry file that does not
    parse or fails the schema; a file under `registry/` that is not a regular `<id>.yaml`
    file (a submodule, a symlink, a file name with control characters or bytes that are
    not UTF-8); a committer date that cannot be used (malformed, or after the year 9999),
    in which case the commit is dated as the one before it. At the base of a pull
    request, an invalid entry does not block the change that fixes it: the change is
    judged against the entry's last valid state in history (as absent when it never had
    one), and an invalid base policy or waivers file is replaced by head's. Head is
    always read strictly.

    Severity: warning
    Source: GDPR Art. 5(2) (accountability): the replay of history is the audit trail, and it
        must be read whole.
    Fix: Nothing to fix in the past commit; make sure the file is valid at head (the pull request
        that fixes it passes). The warning stays as a record.
    """


def undeclared_subprocessor() -> None:
    """Product code uses a third-party service that no current registry entry declares.

    `subreg scan` found evidence in SOURCE that the product uses a service of the
    catalogue (or one an entry's `detect` describes): a runtime dependency in a
    manifest, a URL host in source code, a Terraform provider, or a variable of an
    `.env*` template or deployment manifest. No current entry of the registry (not
    retired, any tier) is linked to that service, by `detect.catalog`, by its website,
    by its name or by its legal entity. A service in use that the list does not name is
    the most common broken subprocessor promise: the data flows before customers were
    told. On a pull request (`--base`), only what the change adds counts.

    Severity: error
    Source: GDPR Art. 28(2) and 28(4): no sub-processor without the controller's prior
    authorisation; the DPA's notice clause.
    Fix: Add the proposed `registry/<id>.yaml` (printed with the finding), complete its
    TODOs and let it meet the notice gate; or remove the use; or, if the evidence is
    wrong, waive `undeclared-subprocessor` for the catalogue id with a reason.
    """


def activation_before_notice() -> None:
    """Product code uses a subprocessor whose notice is not yet effective.

    The service is declared, but every current entry linked to it carries a notice
    whose `effective_on` is after today, and the entry is new: no earlier version of
    it in the registry's git history was in effect (none without a notice, none whose
    notice had taken effect, unretired). Customers are still within their notice
    period, and may object: the code may not send the service customers' data before
    that day. A pending notice of an entry long in use (a material change such as a
    new location) is not an activation: the service was already used legitimately,
    and the change's notice is judged by `check`. Telling the two apart reads the
    compliance repository's history, so a shallow clone of it is exit 2
    (`fetch-depth: 0`).

    Severity: error
    Source: GDPR Art. 28(2); the notice period of the DPA (policy `notice_period_days`).
    Fix: Merge the code on or after the entry's `effective_on`, or keep it behind a
    switch that stays off until then.
    """


def unused_subprocessor() -> None:
    """A current core entry that the scanned code shows no sign of using.

    In a whole-tree scan (no `--base`), a current core entry linked to a catalogue
    service (or with its own `detect`) has no evidence anywhere in SOURCE. Either the
    service is no longer used, and the public list overstates what is shared, or the
    scan cannot see how it is used (a service reached only through infrastructure, or
    from another repository).

    Severity: warning
    Source: GDPR Art. 5(1)(a) and 28: the list customers rely on should be accurate.
    Fix: Retire the entry (`retired_on`) if it is no longer used; or scan the
    repository that uses it; or describe how to see it with `detect`.
    """


def objection_open() -> None:
    """An objection that is still open when the notice takes effect (error), or within 7 days of it (warning).

    Each file of `objections/` records one customer's objection to one notice (the
    registry id and the notice's `announced_on`). While its `status` is `open`, the
    customer's position is unanswered: from the notice's `effective_on` on, the
    subprocessor processes that customer's data although they objected. Seven days
    before, it is a warning, so that there is time to answer. An objection is closed by
    `status: resolved` with a `resolution` (`not-engaged-for-customer`,
    `alternative-offered` or `terminated`), or `status: withdrawn`. Reported at the
    objection's file and line; on a pull request, for the subprocessors it touches.

    Severity: error (open on or after effective_on); warning (within 7 days of it)
    Source: GDPR Art. 28(2) (the controller may object to the change) and the DPA's objection
        clause: an objection must be answered before the change applies to that customer.
    Fix: Resolve the objection with the customer and record it: `status: resolved` and
        `resolution: {on, outcome, note}`; or `status: withdrawn`. If it cannot be resolved in time,
        postpone the notice's `effective_on`.
    """


def objection_late() -> None:
    """An objection received after the objection deadline of the terms it falls under.

    The deadline is the notice's `announced_on` plus the required period for the
    standard terms, or plus the `objection_days` (else the notice period) of the
    `dpa_terms` entry the objection names in `terms`, and never after the notice's
    `effective_on`. A late objection is still recorded and still counted in the audit:
    the warning tells the privacy team that the contract may not oblige them to honour
    it.

    Severity: warning
    Source: the DPA's objection clause (the period within which the controller may object).
    Fix: Decide whether to honour it and record the outcome; check that `received_on` and
        `terms` are right.
    """


DOCUMENTED: tuple[Callable[[], None], ...] = (
    objection_open, objection_late,
    policy_relaxed, waiver_new, waiver_expired, waiver_unused, waiver_expiring, history_invalid,
    undeclared_subprocessor, activation_before_notice, unused_subprocessor,
)


@cache
def builtin() -> dict[str, Rule]:
    """Every built-in check id and its Rule, by id."""
    from subreg import checks

    found: dict[str, Rule] = {}
    for mod in sorted(pkgutil.iter_modules(checks.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"subreg.checks.{mod.name}")
        for name, fn in vars(module).items():
            if name.startswith("test_") and callable(fn) and getattr(fn, "__module__", "") == module.__name__:
                found[check_id(name)] = parse(check_id(name), fn.__doc__)
    for fn in DOCUMENTED:
        found[check_id(fn.__name__)] = parse(check_id(fn.__name__), fn.__doc__)
    return dict(sorted(found.items()))


def custom(root: Path) -> dict[str, Rule]:
    """The compliance repo's own checks (`checks/test_*.py`), read without importing them."""
    folder = root / "checks"
    found: dict[str, Rule] = {}
    if not folder.is_dir() or folder.is_symlink():
        return found
    for path in sorted(folder.glob("test_*.py")):
        if path.is_symlink() or not path.is_file():
            continue
        try:
            tree = ast.parse(path.read_bytes(), str(path))
        except (SyntaxError, ValueError):
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                severity = "warning" if _warning_marker(node) else "error"
                rid = check_id(node.name)
                found[rid] = parse(rid, _inert(ast.get_docstring(node, clean=False)), f"checks/{path.name}", severity)
    return found


def _inert(doc: str | None) -> str | None:
    """A custom check's docstring with its own line breaks only: a carriage return or a
    line separator in it is escaped, not read as a line break."""
    if doc is None:
        return None
    return inspect.cleandoc("\n".join(one_line(line) for line in doc.split("\n")))


def _warning_marker(node: ast.FunctionDef) -> bool:
    """`@pytest.mark.severity("warning")` on the function."""
    for deco in node.decorator_list:
        if (isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute) and deco.func.attr == "severity"
                and deco.args and isinstance(deco.args[0], ast.Constant) and deco.args[0].value == "warning"):
            return True
    return False


def markdown(table: dict[str, Rule]) -> str:
    """The checks section of docs/reference.md."""
    out: list[str] = []
    for rid, rule in sorted(table.items()):
        out += [f"### `{rid}`", "", f"**Severity:** {rule.severity}", "", rule.summary]
        if rule.text:
            out += ["", rule.text]
        if rule.source:
            out += ["", f"**Source:** {rule.source}"]
        if rule.fix:
            out += ["", f"**How to fix:** {rule.fix}"]
        out.append("")
    return "\n".join(out)


def summary_table(table: dict[str, Rule]) -> str:
    """The README's short table of the checks: id, severity, rule."""
    rows = ["| check | severity | rule |", "|---|---|---|"]
    rows += [f"| `{rid}` | {rule.severity} | {rule.summary.replace('|', '/')} |" for rid, rule in sorted(table.items())]
    return "\n".join(rows) + "\n"
