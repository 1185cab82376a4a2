"""The notice rules, the diff, the dating and the stricter policy, branch by branch and
boundary by boundary (the day before, the day, the day after), on real models parsed from
real YAML. Each test asserts the exact verdict: its check id, message and field."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from conftest import POLICY, dump, entry
from subreg import diff, model, notices, registry, strictness, yamlio
from subreg.dating import MainlineDating, RangeDating
from subreg.history import History
from subreg.model import Notice, Policy, Subprocessor
from subreg.notices import Evidence
from subreg.registry import Registry

D = dt.date.fromisoformat


def sp(sid: str = "acme", **fields: Any) -> Subprocessor:
    return registry.parse_entry(dump(entry(**fields)).encode(), f"registry/{sid}.yaml")[0]


def policy(**fields: Any) -> Policy:
    data = copy.deepcopy(POLICY)
    data.update(fields)
    return model.parse(Policy, yamlio.loads(dump(data).encode(), "policies/policy.yaml"))


def reg(*entries: Subprocessor, exists: bool = True) -> Registry:
    return Registry(entries={e.id: e for e in entries}, exists=exists)


def notice(announced: str, effective: str) -> dict[str, str]:
    return {"announced_on": announced, "effective_on": effective}


BETA = {"name": "Beta", "legal_name": "Beta SAS"}
P = policy()


def one(base: list[Subprocessor], head: list[Subprocessor], today: str | None = "2025-06-01",
        pol: Policy = P, exists: bool = True) -> diff.Change:
    [change] = diff.compare(reg(*base, exists=exists), reg(*head), pol, D(today) if today else None)
    return change


def verdicts(change: diff.Change, evidence: Evidence | None = None, on: str = "2025-06-01",
             pol: Policy = P) -> dict[str, tuple[str, tuple[str | int, ...]]]:
    return {k: (v.message, v.field) for k, v in notices.evaluate(change, pol, evidence, D(on)).items()}


# -- notice-required: what needs a notice, and what it says ------------------------------

def test_addition_without_notice() -> None:
    change = one([], [sp("beta", **BETA)])
    assert verdicts(change) == {"notice-required": (
        "a new subprocessor with personal data needs a new customer notice, and it has no notice: add "
        "notice: {announced_on, effective_on} at least 30 days apart", ())}
    assert change.material is False and change.kind == "added"


def test_baseline_and_removals_need_nothing() -> None:
    assert verdicts(one([], [sp("beta", **BETA)], exists=False)) == {}
    assert one([], [sp("beta", **BETA)], exists=False).baseline is True
    assert verdicts(one([sp("beta", **BETA, notice=notice("2025-05-01", "2025-07-01"))], [])) == {}


@pytest.mark.parametrize(("old", "new", "what"), [
    ({}, {"legal_name": "Acme Holdings Ltd"}, "a change of legal entity (a replacement)"),
    ({"retired_on": "2025-05-01"}, {}, "a retired subprocessor brought back"),
    ({"personal_data": False}, {}, "an entry that now processes personal data without opt-in"),
    ({"tier": "integration", "opt_in": True}, {"tier": "integration", "opt_in": False},
     "an entry that now processes personal data without opt-in"),
    ({}, {"locations": ["DE", "FR"], "name": "ACME analytics"}, "a material change (locations)"),
    ({}, {"locations": ["DE", "FR"], "tier": "infrastructure"}, "a material change (locations, tier)"),
])
def test_what_needs_a_notice(old: dict[str, Any], new: dict[str, Any], what: str) -> None:
    change = one([sp(**old)], [sp(**new)])
    assert change.needs_notice is True
    message, field = verdicts(change)["notice-required"]
    assert message.startswith(f"{what} needs a new customer notice, and it has no notice")
    assert field == ()


def test_published_notice_is_not_a_new_one() -> None:
    published = notice("2025-01-01", "2025-02-01")
    change = one([sp(notice=published)], [sp(notice=published, locations=["DE", "AT"])])
    assert change.notice_is_new is False
    assert verdicts(change) == {"notice-required": (
        "a material change (locations) needs a new customer notice, and its notice is the one already "
        "published: add notice: {announced_on, effective_on} at least 30 days apart", ("notice",))}


@pytest.mark.parametrize("fields", [
    {"website": "https://acme.example"},  # not a material field
    {"personal_data": False},  # no personal data: no notice, whatever else changes
    {"tier": "integration", "locations": ["US"], "transfer_mechanisms": ["DPF"]},  # opt-in by default
])
def test_changes_that_need_no_notice(fields: dict[str, Any]) -> None:
    change = one([sp()], [sp(**fields)])
    assert change.needs_notice is False and verdicts(change) == {}


def test_material_fields_come_from_the_policy() -> None:
    change = one([sp()], [sp(website="https://acme.example")], pol=policy(material_fields=["website"]))
    assert change.material is True and change.needs_notice is True
    assert one([sp()], [sp(locations=["DE", "AT"])], pol=policy(material_fields=["website"])).needs_notice is False


# -- editorial changes ---------------------------------------------------------------------

@pytest.mark.parametrize(("field", "old", "new", "is_editorial"), [
    ("name", "DropBox", "Dropbox", True),
    ("name", "Semmle Inc.", "Semmle Inc", True),
    ("name", "Acme", "Acme 2", False),
    ("legal_name", "Acme GmbH", "ACME G.m.b.H.", True),
    ("legal_name", "Acme GmbH", "Acme AG", False),
    ("purpose", {"en": "Analytics", "fr": "Analyse"}, {"en": "Analytics", "fr": "Analytique"}, True),
    ("purpose", {"en": "Analytics", "fr": "Analyse"}, {"en": "Analytics!", "fr": "Analyse"}, False),
    ("purpose", {"en": "Analytics", "fr": "Analyse"}, {"en": "Analytics"}, True),
    ("data_processed", {"en": "Events", "fr": "Événements"}, {"en": "Events", "fr": "Évènements"}, True),
    ("data_processed", {"en": "Events", "fr": "Événements"}, {"en": "Emails", "fr": "Événements"}, False),
    ("locations", ["DE"], ["de"], False),
])
def test_editorial(field: str, old: Any, new: Any, is_editorial: bool) -> None:
    a, b = sp(**{field: old}), sp(**{field: new}) if field != "locations" else sp(locations=["AT"])
    assert diff.editorial(field, a, b, P) is is_editorial
    if field != "locations":
        change = one([a], [b])
        assert change.material is (not is_editorial) and change.changed == {field}
        assert change.needs_notice is (not is_editorial)


def test_a_legal_name_matching_the_old_name_is_editorial() -> None:
    old = sp(name="Acme Analytics GmbH", legal_name=None)
    new = sp(name="Acme Analytics GmbH", legal_name="ACME Analytics GmbH")
    assert diff.editorial("legal_name", old, new, P) is True
    assert one([old], [new]).needs_notice is False


def test_first_language_decides_translation_fixes() -> None:
    fr_first = policy(languages=["fr", "en"])
    a = sp(purpose={"en": "Analytics", "fr": "Analyse"})
    b = sp(purpose={"en": "Product analytics", "fr": "Analyse"})
    assert diff.editorial("purpose", a, b, fr_first) is True
    assert diff.editorial("purpose", a, b, P) is False


# -- notice identity, postponement, notice-period -------------------------------------------

@pytest.mark.parametrize(("old", "new", "is_new"), [
    (None, notice("2025-06-01", "2025-07-01"), True),
    (notice("2025-06-01", "2025-07-01"), notice("2025-06-01", "2025-08-01"), False),  # postponed
    (notice("2025-06-01", "2025-07-01"), notice("2025-06-02", "2025-07-02"), True),
    (notice("2025-06-01", "2025-07-01"), None, False),
])
def test_notice_identity_is_entry_and_announced_on(old: Any, new: Any, is_new: bool) -> None:
    assert one([sp(notice=old)], [sp(notice=new, website="https://a.example")]).notice_is_new is is_new


def test_added_entry_with_notice_is_new() -> None:
    assert one([], [sp("beta", **BETA, notice=notice("2025-06-01", "2025-07-01"))]).notice_is_new is True
    assert one([], [sp("beta", **BETA)]).notice_is_new is False


@pytest.mark.parametrize(("effective", "days"), [("2025-06-30", 29), ("2025-07-01", 30), ("2025-07-02", 31)])
def test_notice_period_boundary(effective: str, days: int) -> None:
    change = one([], [sp("beta", **BETA, notice=notice("2025-06-01", effective))])
    got = verdicts(change)
    if days < 30:
        assert got == {"notice-period": (
            f"notice period is {days} days (2025-06-01 -> {effective}); the policy requires at least 30",
            ("notice", "effective_on"))}
    else:
        assert got == {}


def test_notice_period_is_not_rejudged_for_an_unchanged_notice() -> None:
    short = notice("2025-01-01", "2025-01-05")  # merged under a waiver long ago
    assert verdicts(one([sp(notice=short)], [sp(notice=short, website="https://a.example")])) == {}
    # nor for a postponement, which only lengthens it
    assert verdicts(one([sp(notice=short)], [sp(notice=notice("2025-01-01", "2025-01-20"))])) == {}


def test_required_period_is_the_policy_s() -> None:
    assert notices.required_period(policy(notice_period_days=45)) == 45
    change = one([], [sp("beta", **BETA, notice=notice("2025-06-01", "2025-07-01"))])
    assert set(verdicts(change, pol=policy(notice_period_days=31))) == {"notice-period"}


# -- notice-backdated -------------------------------------------------------------------------

@pytest.mark.parametrize(("grace", "announced", "backdated"), [
    (7, "2025-05-24", True), (7, "2025-05-25", False), (7, "2025-05-26", False),
    (0, "2025-05-31", True), (0, "2025-06-01", False), (3, "2025-05-29", False),
    (3, "2025-05-28", True),
])
def test_backdated_boundaries(grace: int, announced: str, backdated: bool) -> None:
    change = one([], [sp("beta", **BETA, notice=notice(announced, "2025-08-01"))])
    got = verdicts(change, Evidence(D("2025-06-01"), "shown by X"), pol=policy(notice_grace_days=grace))
    limit = D("2025-06-01") - dt.timedelta(days=grace)
    if backdated:
        assert got == {"notice-backdated": (
            f"announced_on {announced} is before {limit}: the notice can be shown to exist only from "
            f"2025-06-01 (shown by X), less the policy's notice_grace_days ({grace}); a notice cannot "
            "be backdated", ("notice", "announced_on"))}
    else:
        assert got == {}


def test_no_evidence_no_backdating_and_only_new_notices_are_dated() -> None:
    change = one([], [sp("beta", **BETA, notice=notice("2020-01-01", "2020-03-01"))])
    assert verdicts(change, None) == {}
    published = notice("2020-01-01", "2020-03-01")
    postponed = one([sp(notice=published)], [sp(notice=notice("2020-01-01", "2026-03-01"))])
    assert verdicts(postponed, Evidence(D("2025-06-01"), "x")) == {}


# -- notice-altered, every branch --------------------------------------------------------------

PUB = notice("2025-05-01", "2025-06-10")  # published: 40 days


@pytest.mark.parametrize(("new", "head", "message", "field"), [
    # deleted before it took effect: what customers were told vanishes
    (None, {}, "the published notice (2025-05-01 -> 2025-06-10) was removed before it took effect", ()),
    (notice("2025-04-30", "2025-06-10"), {},
     "the published notice (2025-05-01 -> 2025-06-10) was moved earlier, to announced_on 2025-04-30", ("notice",)),
    (notice("2025-05-01", "2025-06-09"), {},
     "the published notice (2025-05-01 -> 2025-06-10) was moved earlier, to effective_on 2025-06-09", ("notice",)),
    # a later announcement without a change that needs it: still judged against the published one
    (notice("2025-05-02", "2025-06-09"), {},
     "the published notice (2025-05-01 -> 2025-06-10) was moved earlier, to effective_on 2025-06-09", ("notice",)),
    (notice("2025-05-05", "2025-06-13"), {},
     "the published notice (2025-05-01 -> 2025-06-10) was shortened to 39 days (2025-05-05 -> 2025-06-13)",
     ("notice",)),
])
def test_notice_altered(new: Any, head: dict[str, Any], message: str, field: tuple[str, ...]) -> None:
    change = one([sp(notice=PUB)], [sp(notice=new, **head)])
    got = verdicts(change, on="2025-06-01")
    assert got["notice-altered"] == (
        f"{message}: a published notice cannot be moved earlier or shortened; postpone it (a later "
        "effective_on) or announce a new notice", field)


@pytest.mark.parametrize(("new", "head", "on"), [
    (PUB, {"website": "https://a.example"}, "2025-06-01"),    # unchanged
    (notice("2025-05-01", "2025-06-11"), {}, "2025-06-01"),  # postponed
    (notice("2025-05-05", "2025-06-14"), {}, "2025-06-01"),  # later, same 40 days
    (notice("2025-05-05", "2025-06-20"), {}, "2025-06-01"),  # later and longer
    (None, {}, "2025-06-10"),  # deleted on the day it took effect: history, not a promise
    (None, {}, "2025-06-11"),
    # a change that needs its own notice replaces the published one, even ending earlier
    (notice("2025-05-20", "2025-06-05"), {"locations": ["DE", "FR"]}, "2025-06-01"),
])
def test_notice_not_altered(new: Any, head: dict[str, Any], on: str) -> None:
    change = one([sp(notice=PUB)], [sp(notice=new, **head)])
    assert "notice-altered" not in verdicts(change, on=on)


def test_replacement_with_an_earlier_announcement_is_altered() -> None:
    change = one([sp(notice=PUB)], [sp(notice=notice("2025-04-01", "2025-07-01"), locations=["DE", "FR"])])
    assert verdicts(change)["notice-altered"][0].startswith(
        "the published notice (2025-05-01 -> 2025-06-10) was moved earlier, to announced_on 2025-04-01")


# -- retired entries ----------------------------------------------------------------------------

@pytest.mark.parametrize(("old", "new", "today", "is_revived"), [
    ("2025-05-31", None, "2025-06-01", True),
    ("2025-06-01", None, "2025-06-01", True),
    ("2025-06-02", None, "2025-06-01", False),
    ("2025-05-01", "2025-05-02", "2025-06-01", True),
    ("2025-05-01", "2025-05-01", "2025-06-01", False),
    ("2025-05-01", "2025-04-30", "2025-06-01", False),
    (None, "2025-05-01", "2025-06-01", False),
    ("2025-05-01", None, None, False),
])
def test_revived(old: str | None, new: str | None, today: str | None, is_revived: bool) -> None:
    a, b = sp(retired_on=old), sp(retired_on=new, website="https://a.example")
    assert diff.revived(a, b, D(today) if today else None) is is_revived
    assert one([a], [b], today=today).revived is is_revived


def test_revived_by_a_rename() -> None:
    change = one([sp("acme", retired_on="2025-01-01")], [sp("acme-gmbh")])
    assert (change.kind, change.revived, change.needs_notice) == ("renamed", True, True)


# -- the diff itself ------------------------------------------------------------------------------

def test_compare_kinds_order_and_fields() -> None:
    base = reg(sp("acme"), sp("beta", **BETA), sp("gone", name="Gone", legal_name="Gone Ltd"))
    head = reg(sp("acme", locations=["FR", "DE"]), sp("beta-sas", **BETA, website="https://b.example"),
               sp("new", name="New", legal_name="New Ltd"))
    base.entries["acme"] = sp("acme", locations=["DE", "FR"])
    changes = diff.compare(base, head, P, D("2025-06-01"))
    assert [(c.kind, c.id, c.old_id, sorted(c.changed), c.material) for c in changes] == [
        ("renamed", "beta-sas", "beta", ["website"], False),
        ("removed", "gone", "gone", [], False),
        ("added", "new", None, [], False),
    ]
    assert changes[0].fields == {"website": {"old": None, "new": "https://b.example"}}
    assert changes[1].fields == {} and changes[2].fields == {}
    assert [c.replaced_entity for c in changes] == [False, False, False]
    assert [c.needs_notice for c in changes] == [False, False, True]


def test_field_changes_ignore_list_order_but_see_the_rest() -> None:
    a = sp(locations=["DE", "FR"], transfer_mechanisms=["SCC", "BCR"])
    b = sp(locations=["FR", "DE"], transfer_mechanisms=["SCC", "DPF"], website="https://a.example")
    assert diff.changed_fields(a, b) == {"transfer_mechanisms", "website"}
    assert diff.field_changes(a, b) == {
        "transfer_mechanisms": {"old": ["SCC", "BCR"], "new": ["SCC", "DPF"]},
        "website": {"old": None, "new": "https://a.example"}}
    assert diff.field_changes(a, sp(locations=["FR", "DE"], transfer_mechanisms=["BCR", "SCC"])) == {}
    assert diff.changed_fields(a, a) == frozenset()


def test_rename_pairs_one_to_one_in_id_order() -> None:
    base = reg(sp("a1"), sp("a2"))
    head = reg(sp("b1"), sp("b2"), sp("b3"))
    changes = diff.compare(base, head, P)
    assert [(c.kind, c.old_id, c.id) for c in changes] == [
        ("renamed", "a1", "b1"), ("renamed", "a2", "b2"), ("added", None, "b3")]


def test_as_text_and_json() -> None:
    long = "x" * 200
    base = reg(sp("acme"), sp("beta", **BETA), sp("gone", name="Gone", legal_name="Gone Ltd"))
    head = reg(sp("acme", locations=["DE", "AT"], address=long), sp("beta-2", **BETA), sp("new", name="N"))
    changes = diff.compare(base, head, P)
    text = diff.as_text(changes, "a" * 40, "worktree")
    assert text == (
        "registry changes aaaaaaaaaaaa..worktree\n"
        "  modified  acme (material)\n"
        f"      address: \"Musterstraße 1, 10115 Berlin, Germany\" -> \"{'x' * 116}...\n"
        "      locations: [\"DE\"] -> [\"DE\", \"AT\"]\n"
        "  renamed   beta -> beta-2\n"
        "  removed   gone\n"
        "  added     new\n")
    assert diff.as_text([], "a" * 40, "b" * 40) == "registry changes aaaaaaaaaaaa..bbbbbbbbbbbb\n  no changes\n"
    assert diff.as_json(changes, "a", "b") == {
        "base": "a", "head": "b", "added": ["new"], "removed": ["gone"],
        "renamed": [{"from": "beta", "to": "beta-2"}],
        "modified": [{"id": "acme", "material": True, "fields": {
            "address": {"old": "Musterstraße 1, 10115 Berlin, Germany", "new": long}, "locations": {"old": ["DE"], "new": ["DE", "AT"]}}}]}


@pytest.mark.parametrize(("size", "shown"), [(118, 120), (119, 120)])
def test_short_values(size: int, shown: int) -> None:
    text = diff._short("y" * size)  # a JSON string: two quotes more than its length
    assert len(text) == shown and text.endswith(("\"", "..."))
    assert diff._short("y" * 118) == "\"" + "y" * 118 + "\""
    assert diff._short("y" * 119) == "\"" + "y" * 116 + "..."


def test_renamed_with_a_material_change_reads_as_both() -> None:
    base = reg(sp("acme"))
    head = reg(sp("acme-gmbh", locations=["DE", "AT"]))
    text = diff.as_text(diff.compare(base, head, P), "a" * 40, "worktree")
    assert text.splitlines()[1:3] == ["  renamed   acme -> acme-gmbh", "  modified  acme-gmbh (material)"]


# -- dating ---------------------------------------------------------------------------------------------

def _history(table: str, key: tuple[str, str], time: int, sha: str) -> History:
    hist = History()
    getattr(hist, table)[(key[0], D(key[1]))] = (time, sha)
    return hist


def _epoch(stamp: str) -> int:
    return int(dt.datetime.fromisoformat(stamp + "+00:00").timestamp())


@pytest.mark.parametrize(("stamp", "date", "future"), [
    ("2025-05-20T12:00:00", "2025-06-01", False),
    ("2025-06-01T23:59:59", "2025-06-01", False),
    ("2025-06-02T00:00:00", "2025-06-02", True),
])
def test_range_dating_is_the_later_of_the_commit_and_today(stamp: str, date: str, future: bool) -> None:
    change = one([], [sp("beta", **BETA, notice=notice("2025-05-01", "2025-07-01"))])
    hist = _history("sightings", ("beta", "2025-05-01"), _epoch(stamp), "c" * 40)
    got = RangeDating(hist, D("2025-06-01")).evidence(change)
    assert got is not None and got.date == D(date)
    if future:
        assert got.source == ("it first appears in commit cccccccccccc, dated 2025-06-02, after the date of "
                              "this run, 2025-06-01")
    else:
        assert got.source == (f"the date of this run; it first appears in commit cccccccccccc, dated {stamp[:10]}, "
                              "but commit dates in a pull request are its author's claim")


def test_range_dating_of_uncommitted_and_renamed_notices() -> None:
    beta = sp("beta", **BETA, notice=notice("2025-05-01", "2025-07-01"))
    dating = RangeDating(History(), D("2025-06-01"))
    assert dating.evidence(one([], [beta])) == Evidence(D("2025-06-01"), "the date of this run; it is not "
                                                                        "committed yet")
    assert dating.evidence(one([], [sp("beta", **BETA)])) is None
    renamed = one([sp("beta-old", **BETA, notice=notice("2025-05-01", "2025-07-01"))], [beta])
    hist = _history("sightings", ("beta-old", "2025-05-01"), _epoch("2025-07-01T00:00:00"), "d" * 40)
    got = RangeDating(hist, D("2025-06-01")).evidence(renamed)
    assert got is not None and got.date == D("2025-07-01")


def test_mainline_dating() -> None:
    beta = sp("beta", **BETA, notice=notice("2025-05-01", "2025-07-01"))
    change = one([], [beta])
    hist = _history("mainline", ("beta", "2025-05-01"), _epoch("2025-05-03T00:00:00"), "e" * 40)
    hist.sightings[("beta", D("2025-05-01"))] = (_epoch("2025-04-01T00:00:00"), "f" * 40)
    got = MainlineDating(hist).evidence(change)
    assert got == Evidence(D("2025-05-03"), "the default branch's first commit containing it is eeeeeeeeeeee, "
                                            "dated 2025-05-03")
    assert MainlineDating(History()).evidence(change) is None
    assert MainlineDating(hist).evidence(one([], [sp("beta", **BETA)])) is None


def test_history_lookup_takes_the_earliest_of_both_ids() -> None:
    hist = History()
    day = D("2025-05-01")
    hist.sightings[("a", day)] = (200, "x" * 40)
    hist.sightings[("b", day)] = (100, "y" * 40)
    n = Notice(announced_on=day, effective_on=D("2025-06-01"))
    assert hist.notice_first_seen(["a", "b"], n) == (dt.date(1970, 1, 1), "y" * 40)
    assert hist.notice_first_seen(["a", None], n) == (dt.date(1970, 1, 1), "x" * 40)
    assert hist.notice_first_seen(["c"], n) is None
    assert hist.notice_first_seen(["a"], n, mainline=True) is None


# -- the stricter policy ------------------------------------------------------------------------------

def test_every_policy_field_has_a_rule() -> None:
    assert set(strictness.RULES) == set(Policy.model_fields)


def test_a_stricter_head_applies_at_once() -> None:
    base = policy()
    head = policy(notice_period_days=45, notice_grace_days=3, material_fields=["name", "website"],
                  certification_warning_days=60, max_breach_notice_hours=48, due_diligence_max_age_days=180,
                  adequate_countries=["DE"], recognized_certifications=["ISO 27001"], languages=["en", "fr", "de"],
                  regions={"eu": POLICY["regions"]["eu"]})
    judged, relaxed = strictness.judge(base, head)
    assert [r.field for r in relaxed] == ["material_fields"]  # dropping fields relaxes, adding tightens
    assert judged.material_fields == [*base.material_fields, "website"]
    assert judged.notice_period_days == 45 and judged.notice_grace_days == 3
    assert judged.certification_warning_days == 60 and judged.max_breach_notice_hours == 48
    assert judged.due_diligence_max_age_days == 180 and judged.adequate_countries == ["DE"]
    assert judged.recognized_certifications == ["ISO 27001"] and judged.languages == ["en", "fr", "de"]
    assert list(judged.regions) == ["eu"]


@pytest.mark.parametrize(("field", "value", "judged", "message"), [
    ("notice_period_days", 29, 30, "notice_period_days: this change relaxes 30 to 29; until it is merged, "
                                   "changes are judged with 30"),
    ("notice_grace_days", 8, 7, "notice_grace_days: this change relaxes 7 to 8; until it is merged, changes "
                                "are judged with 7"),
    ("certification_warning_days", 29, 30, None),
    ("max_breach_notice_hours", 73, 72, None),
    ("due_diligence_max_age_days", 366, 365, None),
    ("material_fields", ["name", "tier", "personal_data", "locations", "regions", "purpose"],
     ["name", "legal_name", "tier", "personal_data", "locations", "regions", "purpose", "data_processed",
      "subprocessors"],
     "material_fields: this change removes legal_name, data_processed, subprocessors, which relaxes the policy; "
     "until it is merged, changes are judged with material_fields: [name, legal_name, tier, personal_data, "
     "locations, regions, purpose, data_processed, subprocessors]"),
    ("adequate_countries", ["DE", "US"], ["DE"], None),
    ("recognized_certifications", ["ISO 27001", "Made Up Cert"], ["ISO 27001"], None),
    ("languages", ["en"], ["en", "fr"], None),
])
def test_relaxations_are_judged_by_base(field: str, value: Any, judged: Any, message: str | None) -> None:
    common: dict[str, Any] = {"adequate_countries": ["DE"], "recognized_certifications": ["ISO 27001"]}
    base = policy(**common)
    head = policy(**{**common, field: value})
    got, relaxed = strictness.judge(base, head)
    assert getattr(got, field) == judged
    assert [r.field for r in relaxed] == [field]
    if message:
        assert relaxed[0].message == message
    assert strictness.judge(head, base)[1] == []  # the other way round, a tightening
    assert strictness.judge(None, head) == (head, [])


def test_adding_and_removing_in_one_list() -> None:
    base = policy(recognized_certifications=["ISO 27001", "SOC 2 Type II"])
    head = policy(recognized_certifications=["ISO 27001", "Made Up"])
    got, [relaxed] = strictness.judge(base, head)
    assert got.recognized_certifications == ["ISO 27001"]
    assert relaxed.message == ("recognized_certifications: this change adds Made Up, which relaxes the policy; "
                               "until it is merged, changes are judged with recognized_certifications: "
                               "[ISO 27001]")


def test_changing_the_first_language() -> None:
    got, relaxed = strictness.judge(policy(), policy(languages=["fr", "en"]))
    assert got.languages == ["en", "fr"]
    assert [r.message for r in relaxed] == [
        "languages: this change makes fr the first language instead of en; until it is merged, en decides "
        "which text changes are translation fixes"]


def test_settings_without_a_bar_are_head_s() -> None:
    head = policy(company="New Name", contacts={"privacy": "new@example.com"}, public_url="https://x.example")
    got, relaxed = strictness.judge(policy(), head)
    assert (got.company, got.contacts, got.public_url, relaxed) == (
        "New Name", {"privacy": "new@example.com"}, "https://x.example", [])


def test_a_field_without_a_rule_is_judged_by_base(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(strictness.RULES, "company")
    got, [relaxed] = strictness.judge(policy(), policy(company="Other"))
    assert got.company == "Example Corp" and relaxed.field == "company"


def test_as_text_writes_text_as_is_with_sorted_keys() -> None:
    sec = {"encryption_at_rest": True, "encryption_in_transit": True, "breach_notice_hours": 24, "audit_rights": True}
    head = reg(sp("acme", purpose={"en": "Product analytics", "fr": "Données d'usage"}, security=sec))
    lines = diff.as_text(diff.compare(reg(sp("acme")), head, P), "a" * 40, "worktree").splitlines()
    assert lines[2:] == [
        "      purpose: {\"en\": \"Product analytics\", \"fr\": \"Analyse produit\"} -> "
        "{\"en\": \"Product analytics\", \"fr\": \"Données d'usage\"}",
        "      security: {\"audit_rights\": true, \"breach_notice_hours\": 48, \"encryption_at_rest\": true, "
        "\"encryption_in_transit\": true} -> {\"audit_rights\": true, \"breach_notice_hours\": 24, "
        "\"encryption_at_rest\": true, \"encryption_in_transit\": true}"]


def test_ids_of_this_gate_are_documented_for_explain() -> None:
    import inspect

    from subreg import rules
    from subreg.checks import check_notice

    documented = {name.replace("_", "-"): fn for name, fn in ((f.__name__, f) for f in rules.DOCUMENTED)}
    documented.update({name.removeprefix("test_").replace("_", "-"): fn
                       for name, fn in inspect.getmembers(check_notice, inspect.isfunction)
                       if name.startswith("test_")})
    assert {"policy-relaxed", "waiver-new", "waiver-expired", "waiver-expiring", "waiver-unused", "history-invalid",
            "notice-required", "notice-period", "notice-backdated", "notice-altered"} <= set(documented)
    for check_id, fn in documented.items():
        doc = inspect.getdoc(fn) or ""
        summary, _, rest = doc.partition("\n\n")
        assert summary and "\n" not in summary, check_id
        for part in ("Severity: ", "Source: ", "Fix: "):
            assert f"\n{part}" in f"\n{rest}", (check_id, part)
    for fn in rules.DOCUMENTED:
        assert fn() is None  # documentation only: the rules are applied elsewhere


def _regions(**laws: str | None) -> dict[str, Any]:
    regions = copy.deepcopy(POLICY["regions"])
    for key, law in laws.items():
        if law is not None:
            regions[key]["law"] = law
    return regions


@pytest.mark.parametrize(("base_laws", "head_laws", "judged", "message"), [
    # a law without transfer conditions in place of one: base's law, until merged
    ({"eu": None}, {"eu": "none"}, "gdpr", "regions.eu.law: this change relaxes gdpr to none; until it is merged, "
                                           "that region's data is judged with gdpr"),
    ({"us": "ccpa"}, {"us": "quebec"}, "quebec", None),  # conditions where there were none: at once
    ({"us": "gdpr"}, {"us": "uk-gdpr"}, "gdpr", "regions.us.law: this change relaxes gdpr to uk-gdpr; until it is "
                                                 "merged, that region's data is judged with gdpr"),
    ({"eu": None}, {"eu": "gdpr"}, "gdpr", None),  # the default, written out: no change
])
def test_a_region_s_law_is_judged_by_the_stricter_policy(base_laws: dict[str, Any], head_laws: dict[str, Any],
                                                         judged: str, message: str | None) -> None:
    key = next(iter(head_laws))
    got, relaxed = strictness.judge(policy(regions=_regions(**base_laws)), policy(regions=_regions(**head_laws)))
    assert got.law(key) == judged
    assert [r.message for r in relaxed] == ([message] if message else [])


def test_a_region_added_by_the_change_is_head_s() -> None:
    regions = _regions()
    regions["ch"] = {"name": {"en": "Switzerland", "fr": "Suisse"}, "location": {"en": "Zurich", "fr": "Zurich"},
                     "law": "swiss-fadp"}
    got, relaxed = strictness.judge(policy(), policy(regions=regions))
    assert got.law("ch") == "swiss-fadp" and relaxed == []


@pytest.mark.parametrize(("base", "head", "judged", "relaxes"), [
    (None, None, [], False),
    (None, {"own_domains": ["api.acme.example"]}, [], True),  # a new own domain waits for the merge
    (None, {"own_domains": []}, [], False),
    ({"own_domains": ["a.example.com"]}, None, [], False),  # fewer exclusions: at once
    ({"own_domains": ["a.example.com"]}, {"own_domains": ["a.example.com", "b.example.com"]}, ["a.example.com"], True),
    ({"own_domains": ["a.example.com", "b.example.com"]}, {"own_domains": ["b.example.com"]}, ["b.example.com"], False),
])
def test_own_domains_are_judged_by_the_stricter_policy(base: Any, head: Any, judged: list[str],
                                                       relaxes: bool) -> None:
    got, relaxed = strictness.judge(policy(**({"scan": base} if base else {})),
                                    policy(**({"scan": head} if head else {})))
    assert got.scan.own_domains == judged
    assert [r.field for r in relaxed] == (["scan"] if relaxes else [])
