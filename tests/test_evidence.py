"""The ledger and the objections as data: validated like every file, and judged by
`check` and the audit (notice-unsent, notice-sent-late, objection-open, objection-late),
on both sides of every boundary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import POLICY, Repo, dump
from subreg import strictness
from subreg.model import DpaTerms, Policy

ANNOUNCED, EFFECTIVE = "2026-12-01", "2027-01-05"
NOTICE = {"announced_on": ANNOUNCED, "effective_on": EFFECTIVE}
DD = {"assessed_on": "2026-09-01", "risk": "low", "frameworks": ["GDPR"]}


def record(**overrides: Any) -> str:
    data: dict[str, Any] = {"announced_on": ANNOUNCED, "sent_at": "2026-12-01T09:14:03Z",
                            "subprocessors": ["mailrelay"], "languages": {"en": 2},
                            "message_ids": {"en": "<notice-1.en@example.com>"}, "refused": 0}
    data.update(overrides)
    return dump({k: v for k, v in data.items() if v is not None})


@pytest.fixture
def ledgered(repo: Repo) -> Repo:
    repo.policy(notice_evidence="ledger", dpa_terms={"enterprise": {"notice_period_days": 35, "objection_days": 20}})
    repo.put("acme", transfer_assessed_on="2026-09-01", due_diligence=DD)
    repo.commit("2026-10-01", "baseline")
    repo.put("mailrelay", name="MailRelay", legal_name="MailRelay SAS", locations=["FR"], due_diligence=DD,
             notice=NOTICE)
    repo.commit("2026-11-30", "add MailRelay")
    return repo


def check(run: Any, repo: Repo, today: str, *args: str) -> tuple[int, list[tuple[str, str, str | None, str, int]]]:
    res = run("--repo", repo.path, "--today", today, "check", "--all", "--format", "json", *args)
    assert res.code in (0, 1), res.err
    doc = json.loads(res.out)
    return res.code, [(f["check"], f["outcome"], f["subprocessor"], f["path"], f["line"]) for f in doc["findings"]]


NOTICE_LINE = 33  # announced_on of registry/mailrelay.yaml
EFFECTIVE_LINE = 34


def test_the_line_numbers_of_the_notice(ledgered: Repo) -> None:
    lines = (ledgered.path / "registry" / "mailrelay.yaml").read_text("utf-8").splitlines()
    assert lines[NOTICE_LINE - 1].strip() == f"announced_on: '{ANNOUNCED}'"
    assert lines[EFFECTIVE_LINE - 1].strip() == f"effective_on: '{EFFECTIVE}'"


@pytest.mark.parametrize(("today", "found"), [("2026-12-01", []), ("2026-12-02", []),
                                              ("2026-12-03", [("notice-unsent", "failed", "mailrelay",
                                                               "registry/mailrelay.yaml", NOTICE_LINE)])])
def test_a_notice_without_a_record(run: Any, ledgered: Repo, today: str, found: list[Any]) -> None:
    code, got = check(run, ledgered, today)
    assert got == found and code == (1 if found else 0)


def test_the_message_of_notice_unsent(run: Any, ledgered: Repo) -> None:
    res = run("--repo", ledgered.path, "--today", "2026-12-03", "check", "--all")
    assert ("the notice announced on 2026-12-01 has no record of its sending: no record in notices/ledger/ "
            "covers it: send it with `subreg notice send`, or add the record of how it was sent (channel, "
            "evidence)") in res.out


def test_commit_evidence_needs_no_record(run: Any, ledgered: Repo) -> None:
    ledgered.policy()
    ledgered.commit("2026-11-30", "back to commit dating")
    assert check(run, ledgered, "2027-02-01") == (0, [])


@pytest.mark.parametrize(("sent_at", "found"), [
    ("2026-12-02T23:59:59Z", []),  # the day after announced_on is still on time
    ("2026-12-03T00:00:00Z", []),  # late, but 33 days remain... of 35 required: too short
    ("2026-11-25", []),  # a hand-written date: sent before announced_on
])
def test_the_day_of_the_sending(run: Any, ledgered: Repo, sent_at: str, found: list[Any]) -> None:
    ledgered.write(f"notices/ledger/{ANNOUNCED}-a.yaml", record(sent_at=sent_at))
    code, got = check(run, ledgered, "2027-01-10")
    if sent_at.startswith("2026-12-03"):
        assert got == [("notice-sent-late", "failed", "mailrelay", "registry/mailrelay.yaml", EFFECTIVE_LINE)]
    else:
        assert got == found and code == 0


def test_sent_late_is_judged_from_the_sending(run: Any, ledgered: Repo) -> None:
    ledgered.put("mailrelay", name="MailRelay", legal_name="MailRelay SAS", locations=["FR"], due_diligence=DD,
                 notice={"announced_on": ANNOUNCED, "effective_on": "2027-01-08"})  # postponed by 3 days
    ledgered.write(f"notices/ledger/{ANNOUNCED}-a.yaml", record(sent_at="2026-12-04T08:00:00Z"))
    assert check(run, ledgered, "2027-01-10") == (0, [])  # 2026-12-04 + 35 = 2027-01-08
    ledgered.write(f"notices/ledger/{ANNOUNCED}-a.yaml", record(sent_at="2026-12-05T08:00:00Z"))
    res = run("--repo", ledgered.path, "--today", "2027-01-10", "check", "--all")
    assert res.code == 1
    assert ("notice-sent-late" in res.out and "shows the notice sent at 2026-12-05T08:00:00Z, 4 days after "
            "announced_on 2026-12-01: counted from the sending, the period is 34 days (2026-12-05 -> 2027-01-08); "
            "the policy requires at least 35") in res.out


def test_a_record_proves_only_what_it_says(run: Any, ledgered: Repo) -> None:
    # another subprocessor, an older notice, a sending in the future, a sending that stopped
    ledgered.write("notices/ledger/2026-12-01-other.yaml", record(subprocessors=["acme"]))
    ledgered.write("notices/ledger/2026-11-01-old.yaml", record(announced_on="2026-11-01"))
    ledgered.write("notices/ledger/2026-12-01-future.yaml", record(sent_at="2026-12-09T10:00:00Z"))
    ledgered.write("notices/ledger/2026-12-01-stopped.yaml", record(pending=3))
    code, got = check(run, ledgered, "2026-12-08")
    assert got == [("notice-unsent", "failed", "mailrelay", "registry/mailrelay.yaml", NOTICE_LINE)]
    res = run("--repo", ledgered.path, "--today", "2026-12-08", "check", "--all")
    assert "stopped with 3 recipient(s) pending: resume it" in res.out
    # a draft of several notices carries the latest date: it covers the earlier ones
    ledgered.write("notices/ledger/2026-12-03-both.yaml", record(announced_on="2026-12-03",
                                                                 sent_at="2026-12-02T10:00:00Z"))
    assert check(run, ledgered, "2026-12-08") == (0, [])


def test_the_ledger_dates_the_notice_instead_of_git(run: Any, ledgered: Repo) -> None:
    """notice-backdated with the ledger: the sending, not the commit, is the evidence."""
    ledgered.write(f"notices/ledger/{ANNOUNCED}-a.yaml", record(sent_at="2026-12-09T10:00:00Z"))
    res = run("--repo", ledgered.path, "--today", "2027-01-10", "audit", "--out", ledgered.path.parent / "a")
    doc = json.loads((ledgered.path.parent / "a" / "audit.json").read_text("utf-8"))
    assert [(f["check"], f["line"]) for f in doc["findings"]] == [("notice-backdated", NOTICE_LINE),
                                                                  ("notice-sent-late", EFFECTIVE_LINE)]
    assert "the ledger record notices/ledger/2026-12-01-a.yaml shows it sent at 2026-12-09T10:00:00Z" in res.out


def test_a_hand_written_record(run: Any, ledgered: Repo) -> None:
    ledgered.write("notices/ledger/2026-12-01-letter.yaml", dump({
        "announced_on": ANNOUNCED, "sent_at": ANNOUNCED, "subprocessors": ["mailrelay"], "channel": "letter",
        "evidence": "https://tickets.example.com/PRIV-12"}))
    assert check(run, ledgered, "2027-01-10") == (0, [])
    assert run("--repo", ledgered.path, "validate").code == 0


@pytest.mark.parametrize(("name", "text", "message"), [
    ("2026-12-01-a.yaml", record(colour="blue"), "2026-12-01-a.yaml:10:1: unknown field 'colour'"),
    ("2026-12-01-a.yaml", record(sent_at="2026-12-01 09:14"), "2026-12-01-a.yaml:2:10: sent_at: '2026-12-01 09:14' "
                                                              "is not a time: write YYYY-MM-DDTHH:MM:SSZ (UTC) or "
                                                              "YYYY-MM-DD"),
    ("2026-12-01-a.yaml", record(sent_at="2026-12-01T25:00:00Z"), "is not a real time of day"),
    ("2026-12-02-a.yaml", record(), "2026-12-02-a.yaml:1:15: announced_on 2026-12-01 differs from the date of the "
                                    "file name (2026-12-02)"),
    ("sent.yaml", record(), "bad file name 'sent.yaml': a ledger record is named <announced_on>-<digest>.yaml"),
    ("2026-12-01-a.yaml", record(message_ids=None), "2026-12-01-a.yaml:1:1: evidence: a record written by hand"),
    ("2026-12-01-a.yaml", record(channel="portal"), "2026-12-01-a.yaml:10:1: evidence: a record written by hand"),
    ("2026-12-01-a.yaml", record(channel="fax", evidence="x"), "channel: Input should be 'email', 'in-app', "
                                                                "'portal' or 'letter'"),
    ("2026-12-01-a.yaml", record(terms={"gold": 2}), "unknown terms 'gold': the policy's dpa_terms are enterprise"),
    ("2026-12-01-a.yaml", record(digests={"en": "md5:x"}), "is not a digest: write sha256: and 64 hexadecimal"),
    ("notes.txt", "hello", "bad file name 'notes.txt': notices/ledger/ holds only <name>.yaml files"),
])
def test_a_bad_record_stops_every_command(run: Any, ledgered: Repo, name: str, text: str, message: str) -> None:
    ledgered.write(f"notices/ledger/{name}", text)
    for args in (["validate"], ["check"], ["audit"]):
        res = run("--repo", ledgered.path, "--today", "2026-12-05", *args)
        assert res.code == 2 and message in res.err, (args, res.err)
        assert "Traceback" not in res.err


def test_a_symlink_in_the_ledger_is_refused(run: Any, ledgered: Repo, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.yaml"
    target.write_text(record(), encoding="utf-8")
    (ledgered.path / "notices" / "ledger").mkdir(parents=True)
    (ledgered.path / "notices" / "ledger" / "2026-12-01-a.yaml").symlink_to(target)
    res = run("--repo", ledgered.path, "validate")
    assert res.code == 2 and "notices/ledger/2026-12-01-a.yaml: is a symlink; notices/ledger/ holds only" in res.err


def test_the_ledger_is_read_at_the_head_commit(run: Any, ledgered: Repo) -> None:
    ledgered.write(f"notices/ledger/{ANNOUNCED}-a.yaml", record())
    head = ledgered.commit("2026-12-01", "record")
    ledgered.remove(f"notices/ledger/{ANNOUNCED}-a.yaml")  # the work tree differs; --head is the commit
    assert check(run, ledgered, "2026-12-10", "--base", "HEAD~1", "--head", head) == (0, [])
    code, got = check(run, ledgered, "2026-12-10", "--base", "HEAD~1")
    assert [g[0] for g in got] == ["notice-unsent"]
    ledgered.write(f"notices/ledger/{ANNOUNCED}-b.yaml", record(colour="x"))
    ledgered.commit("2026-12-02", "bad record")
    res = run("--repo", ledgered.path, "--today", "2026-12-10", "check", "--base", "HEAD~1", "--head", "HEAD")
    assert res.code == 2 and f"{ledgered.git('rev-parse', 'HEAD')[:12]}:" not in res.err
    assert "notices/ledger/2026-12-01-b.yaml" in res.err


# -- objections ---------------------------------------------------------------------------

def objection(**overrides: Any) -> str:
    data: dict[str, Any] = {"customer": "ACME-0042", "subprocessor": "mailrelay", "notice": ANNOUNCED,
                            "received_on": "2026-12-10", "status": "open"}
    data.update(overrides)
    return dump({k: v for k, v in data.items() if v is not None})


@pytest.fixture
def sent(ledgered: Repo) -> Repo:
    ledgered.write(f"notices/ledger/{ANNOUNCED}-a.yaml", record())
    return ledgered


@pytest.mark.parametrize(("today", "found"), [
    ("2026-12-28", []),
    ("2026-12-29", [("objection-open", "warning")]),
    ("2027-01-04", [("objection-open", "warning")]),
    ("2027-01-05", [("objection-open", "failed")]),
])
def test_an_open_objection(run: Any, sent: Repo, today: str, found: list[Any]) -> None:
    sent.write("objections/acme.yaml", objection())
    code, got = check(run, sent, today)
    assert [(g[0], g[1]) for g in got] == found
    if found:
        assert got[0][2:] == ("mailrelay", "objections/acme.yaml", 5)
    assert code == (1 if found and found[0][1] == "failed" else 0)


def test_the_message_of_an_open_objection(run: Any, sent: Repo) -> None:
    sent.write("objections/acme.yaml", objection())
    res = run("--repo", sent.path, "--today", "2027-01-05", "check", "--all")
    assert ("the objection of customer ACME-0042 (received 2026-12-10) to the notice of mailrelay announced on "
            "2026-12-01 is still open, and the notice took effect on 2027-01-05: resolve it") in res.out


@pytest.mark.parametrize("status", ["resolved", "withdrawn"])
def test_a_closed_objection_is_fine(run: Any, sent: Repo, status: str) -> None:
    resolution = {"on": "2026-12-20", **({"outcome": "terminated"} if status == "resolved" else {})}
    sent.write("objections/acme.yaml", objection(status=status, resolution=resolution))
    assert check(run, sent, "2027-02-01") == (0, [])


@pytest.mark.parametrize(("received", "terms", "late"), [
    ("2026-12-21", "enterprise", False), ("2026-12-22", "enterprise", True),  # 20 days
    ("2027-01-05", None, False),  # standard: 35 days, capped at effective_on
])
def test_a_late_objection(run: Any, sent: Repo, received: str, terms: str | None, late: bool) -> None:
    sent.write("objections/acme.yaml", objection(received_on=received, terms=terms, status="withdrawn"))
    code, got = check(run, sent, "2027-02-01")
    assert got == ([("objection-late", "warning", "mailrelay", "objections/acme.yaml", 4)] if late else [])


def test_on_a_pull_request_only_the_entries_it_touches(run: Any, sent: Repo) -> None:
    sent.commit("2026-12-01", "record")
    sent.write("objections/acme.yaml", objection())
    sent.put("acme", transfer_assessed_on="2026-09-01", due_diligence=DD, website="https://acme.example")
    res = run("--repo", sent.path, "--today", "2027-01-05", "check", "--base", "HEAD", "--format", "json")
    assert res.code == 0 and json.loads(res.out)["findings"] == []
    code, got = check(run, sent, "2027-01-05")
    assert [g[0] for g in got] == ["objection-open"]


def test_a_waiver_covers_an_open_objection(run: Any, sent: Repo) -> None:
    sent.write("objections/acme.yaml", objection())
    sent.write("policies/waivers.yaml", dump([{"check": "objection-open", "subprocessor": "mailrelay",
                                                "reason": "Customer agreed on a call; contract amendment pending.",
                                                "approved_by": "dpo@example.com", "expires_on": "2027-01-31"}]))
    code, got = check(run, sent, "2027-01-05")
    assert code == 0 and sorted((g[0], g[1]) for g in got) == [
        ("objection-open", "waived"), ("waiver-new", "warning")]


def test_an_objection_to_an_earlier_notice_of_the_entry(run: Any, sent: Repo) -> None:
    sent.put("mailrelay", name="MailRelay", legal_name="MailRelay SAS", locations=["FR", "BE"], due_diligence=DD,
             notice={"announced_on": "2027-03-01", "effective_on": "2027-04-10"})
    sent.commit("2027-03-01", "MailRelay moves to Belgium too")
    sent.write("objections/acme.yaml", objection(status="withdrawn"))
    assert run("--repo", sent.path, "validate").code == 0
    sent.write("objections/acme.yaml", objection(notice="2026-11-15"))
    res = run("--repo", sent.path, "validate")
    assert res.code == 2
    assert res.err.splitlines()[0] == ("objections/acme.yaml:3:9: mailrelay never had a notice announced on "
                                       "2026-11-15: its notices were announced on 2026-12-01, 2027-03-01")


@pytest.mark.parametrize(("text", "message"), [
    (objection(subprocessor="nope"), "objections/acme.yaml:2:15: unknown subprocessor 'nope': there is no "
                                     "registry/nope.yaml"),
    (objection(subprocessor="acme"), "objections/acme.yaml:3:9: acme never had a notice announced on 2026-12-01: "
                                     "it has had no notice"),
    (objection(terms="gold"), "objections/acme.yaml:6:8: unknown terms 'gold': the policy's dpa_terms are "
                              "enterprise"),
    (objection(status="resolved"), "objections/acme.yaml:5:1: a resolved objection has resolution"),
    (objection(resolution={"on": "2026-12-20", "outcome": "terminated"}), "an open objection has no resolution"),
    (objection(status="withdrawn", resolution={"on": "2026-12-20", "outcome": "terminated"}),
     "a withdrawn objection has no outcome"),
    (objection(status="resolved", resolution={"on": "2026-12-01", "outcome": "terminated"}),
     "2026-12-01 is before received_on 2026-12-10"),
    (objection(status="maybe"), "status: Input should be 'open', 'resolved' or 'withdrawn'"),
    (objection(customer="Jane Doe"), "'Jane Doe' is not a customer reference"),
    (objection(customer="jane@acme.example"), "never a person's name or address"),
    (objection(name="x"), "objections/acme.yaml:6:1: unknown field 'name'"),
])
def test_a_bad_objection_stops_every_command(run: Any, sent: Repo, text: str, message: str) -> None:
    sent.write("objections/acme.yaml", text)
    for args in (["validate"], ["check"], ["audit"]):
        res = run("--repo", sent.path, "--today", "2026-12-12", *args)
        assert res.code == 2 and message in res.err, (args, res.err)


def test_objections_are_never_published(run: Any, sent: Repo, tmp_path: Path) -> None:
    sent.write("objections/acme.yaml", objection())
    sent.commit("2026-12-12", "objection")
    out = tmp_path / "site"
    assert run("--repo", sent.path, "--today", "2026-12-12", "publish", "--out", out).code == 0
    for path in out.rglob("*"):
        if path.is_file():
            assert b"ACME-0042" not in path.read_bytes(), path


# -- the policy ---------------------------------------------------------------------------

def policy(**overrides: Any) -> Policy:
    return Policy.model_validate({**POLICY, **overrides})


def test_dpa_terms_make_the_gate_require_the_longest_period(run: Any, repo: Repo) -> None:
    repo.policy(dpa_terms={"enterprise": {"notice_period_days": 60}})
    repo.put("acme", due_diligence=DD, transfer_assessed_on="2026-09-01")
    repo.commit("2026-10-01", "baseline")
    repo.put("beta", name="Beta", legal_name="Beta SAS", due_diligence=DD, transfer_assessed_on="2026-09-01",
             notice={"announced_on": "2026-12-01", "effective_on": "2027-01-29"})
    res = run("--repo", repo.path, "--today", "2026-12-01", "check")
    assert res.code == 1 and "notice period is 59 days (2026-12-01 -> 2027-01-29); the policy requires at least 60" \
        in res.out
    repo.put("beta", name="Beta", legal_name="Beta SAS", due_diligence=DD, transfer_assessed_on="2026-09-01",
             notice={"announced_on": "2026-12-01", "effective_on": "2027-01-30"})
    assert run("--repo", repo.path, "--today", "2026-12-01", "check").code == 0


def test_standard_is_not_a_name_for_negotiated_terms(run: Any, repo: Repo) -> None:
    repo.policy(dpa_terms={"standard": {"notice_period_days": 60}})
    res = run("--repo", repo.path, "validate")
    assert res.code == 2 and "'standard' names the standard terms" in res.err


def test_stricter_dpa_terms_and_evidence() -> None:
    base = policy(dpa_terms={"enterprise": {"notice_period_days": 60, "objection_days": 30},
                             "gov": {"notice_period_days": 45}})
    head = policy(dpa_terms={"enterprise": {"notice_period_days": 45, "objection_days": 40}},
                  notice_evidence="ledger")
    judged, relaxed = strictness.judge(base, head)
    assert judged.dpa_terms == {"enterprise": DpaTerms(notice_period_days=60, objection_days=40),
                                "gov": DpaTerms(notice_period_days=45)}
    assert judged.notice_evidence == "ledger"
    assert [r.field for r in relaxed] == ["dpa_terms"]
    assert relaxed[0].message == (
        "dpa_terms: this change relaxes {enterprise: 60 days notice, 30 to object, gov: 45 days notice, 45 to "
        "object} to {enterprise: 45 days notice, 40 to object}; until it is merged, changes are judged with "
        "{enterprise: 60 days notice, 40 to object, gov: 45 days notice, 45 to object}")
    back, [relaxation] = strictness.judge(policy(notice_evidence="ledger"), policy())
    assert back.notice_evidence == "ledger" and relaxation.field == "notice_evidence"
    same = policy(dpa_terms={"e": {"notice_period_days": 30, "objection_days": 30}})
    assert strictness.judge(policy(dpa_terms={"e": {"notice_period_days": 30}}), same) == (same, [])


# -- corners: the folders at a commit, the journal, the recipients file, notices due --------

def test_evidence_folders_at_a_commit_follow_the_registry_s_rules(run: Any, sent: Repo) -> None:
    sent.write("notices/ledger/notes.txt", "hello")
    sent.write("notices/ledger/sub/2026-12-01-x.yaml", record())
    sent.write("objections/acme.yaml", objection(status="withdrawn"))
    head = sent.commit("2026-12-02", "odd files")
    res = run("--repo", sent.path, "--today", "2026-12-05", "check", "--base", "HEAD~1", "--head", head)
    assert res.code == 2
    assert f"{head[:12]}:notices/ledger/notes.txt: bad file name 'notes.txt'" in res.err
    assert f"{head[:12]}:notices/ledger/sub: is a folder; notices/ledger/ holds only" in res.err
    sent.remove("notices/ledger/notes.txt")
    sent.remove("notices/ledger/sub/2026-12-01-x.yaml")
    sent.remove("objections/acme.yaml")
    (sent.path / "objections").rmdir()
    sent.write("objections", "not a folder")
    head = sent.commit("2026-12-03", "objections is a file")
    res = run("--repo", sent.path, "--today", "2026-12-05", "check", "--base", "HEAD~1", "--head", head)
    assert res.code == 2 and f"{head[:12]}:objections: is a file; it must be a folder" in res.err
    res = run("--repo", sent.path, "--today", "2026-12-05", "validate")
    assert res.code == 2 and "objections: is a file; it must be a folder" in res.err


def test_objections_outside_git(run: Any, tmp_path: Path) -> None:
    repo = tmp_path / "plain"
    (repo / "policies").mkdir(parents=True)
    (repo / "policies" / "policy.yaml").write_text(dump(POLICY), encoding="utf-8")
    (repo / "registry").mkdir()
    (repo / "registry" / "mailrelay.yaml").write_text(dump({**__import__("conftest").entry(), "notice": NOTICE}),
                                                     encoding="utf-8")
    (repo / "objections").mkdir()
    (repo / "objections" / "a.yaml").write_text(objection(notice="2026-01-01"), encoding="utf-8")
    res = run("--repo", repo, "validate")
    assert res.code == 2 and "mailrelay never had a notice announced on 2026-01-01: its notices were announced " \
        "on 2026-12-01" in res.err


def test_the_audit_lists_the_notices_due_today(run: Any, ledgered: Repo, tmp_path: Path) -> None:
    merge = ledgered.git("rev-parse", "HEAD")
    out = tmp_path / "audit"
    run("--repo", ledgered.path, "--today", ANNOUNCED, "audit", "--out", out)
    doc = json.loads((out / "audit.json").read_text("utf-8"))
    assert doc["notices_due"] == [{"commit": merge, "base": ledgered.git("rev-parse", "HEAD~1"),
                                   "announced_on": ANNOUNCED, "subprocessors": ["mailrelay"]}]
    for today in ("2026-11-30", "2026-12-02"):  # only on the day itself
        run("--repo", ledgered.path, "--today", today, "audit", "--out", out)
        assert json.loads((out / "audit.json").read_text("utf-8"))["notices_due"] == []
    ledgered.write(f"notices/ledger/{ANNOUNCED}-a.yaml", record(sent_at="2026-12-01T00:10:00Z"))
    run("--repo", ledgered.path, "--today", ANNOUNCED, "audit", "--out", out)
    assert json.loads((out / "audit.json").read_text("utf-8"))["notices_due"] == []  # sent already


def test_the_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt

    from subreg.errors import InputError
    from subreg.evidence import journal

    monkeypatch.delenv("SUBREG_STATE_DIR", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert journal.state_dir() == tmp_path / "xdg" / "subreg"
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert journal.state_dir() == tmp_path / "home" / ".local" / "state" / "subreg"
    monkeypatch.setenv("SUBREG_STATE_DIR", str(tmp_path / "state"))
    one = journal.load("d" * 64, ANNOUNCED)
    one.open()
    with pytest.raises(InputError, match="another `subreg notice send` of these drafts is running"):
        journal.load("d" * 64, ANNOUNCED).open()
    one.note("A@x.example", "accepted", "en", None, dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC))
    one.close()
    assert journal.load("d" * 64, ANNOUNCED).accepted("a@X.example")  # addresses compare case-blind
    path = one.path
    path.write_text(path.read_text("utf-8") + '{"r": "cut', encoding="utf-8")  # a kill mid-line
    assert journal.load("d" * 64, ANNOUNCED).accepted("a@x.example")
    path.write_text('{"r": "cut\n' + path.read_text("utf-8"), encoding="utf-8")
    with pytest.raises(InputError, match=r":1: the send journal is damaged"):
        journal.load("d" * 64, ANNOUNCED)
    path.write_bytes(b"\xff\n")
    with pytest.raises(InputError, match="cannot read the send journal"):
        journal.load("d" * 64, ANNOUNCED)
    (tmp_path / "ro").write_text("", encoding="utf-8")
    blocked = journal.Journal(tmp_path / "ro" / "x.jsonl", "k")
    with pytest.raises(InputError, match="cannot write the send journal"):
        blocked.open()


def test_the_recipients_file_itself(tmp_path: Path) -> None:
    from subreg.errors import InputError
    from subreg.evidence import recipients

    pol = Policy.model_validate(POLICY)
    with pytest.raises(InputError, match="cannot read the recipients file"):
        recipients.read(tmp_path / "missing.csv", pol, [])
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xfe")
    with pytest.raises(InputError, match="is not UTF-8 text"):
        recipients.read(bad, pol, [])
    bad.write_text("email,language\n\n# nobody yet\n", encoding="utf-8")
    with pytest.raises(InputError, match="lists no recipients"):
        recipients.read(bad, pol, [])
    bad.write_text('"unclosed,en\n', encoding="utf-8")
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(recipients, "MAX_BYTES", 4)
    try:
        with pytest.raises(InputError, match="is larger than 4 bytes"):
            recipients.read(bad, pol, [])
    finally:
        monkeypatch.undo()
