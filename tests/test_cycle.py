"""The whole cycle of a notice, on a real git repository and a real SMTP server: a pull
request adds a subprocessor with a notice; it merges; `subreg notice send` delivers
both languages and writes the ledger record; an objection arrives and is resolved; the
audit passes on the effective date, and fails with the right check id when a link is
broken (the record missing, the notice sent late, the objection still open)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import Repo, dump
from smtp_server import SMTPServer

ANNOUNCED, EFFECTIVE = "2026-12-01", "2027-01-05"
OBJECTION = {"customer": "ACME-0042", "subprocessor": "mailrelay", "notice": ANNOUNCED,
             "received_on": "2026-12-10", "terms": "enterprise", "status": "open"}


def findings(out: Path) -> list[tuple[str, str, str | None, str]]:
    doc = json.loads((out / "audit.json").read_text("utf-8"))
    return [(f["check"], f["outcome"], f["subprocessor"], f["path"]) for f in doc["findings"]]


@pytest.fixture
def cycle(cli: Any, repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("SUBREG_STATE_DIR", str(tmp_path / "state"))
    repo.policy(notice_evidence="ledger", dpa_terms={"enterprise": {"notice_period_days": 35, "objection_days": 20}},
                objection_process={"en": "You may terminate the affected service without penalty.",
                                   "fr": "Vous pouvez résilier le service concerné sans pénalité."})
    repo.put("acme", transfer_assessed_on="2026-09-01", due_diligence={"assessed_on": "2026-09-01", "risk": "low", "frameworks": ["GDPR"]})
    repo.commit("2026-10-01", "baseline")
    # the pull request
    repo.git("checkout", "-q", "-b", "add-mailrelay")
    repo.put("mailrelay", name="MailRelay", legal_name="MailRelay SAS", locations=["FR", "US"],
             transfer_mechanisms=["SCC", "DPF"], transfer_assessed_on="2026-09-01",
             due_diligence={"assessed_on": "2026-09-01", "risk": "low", "frameworks": ["GDPR"]},
             purpose={"en": "Transactional e-mail", "fr": "Envoi d'e-mails transactionnels"},
             notice={"announced_on": ANNOUNCED, "effective_on": EFFECTIVE})
    repo.commit("2026-11-28", "Add MailRelay")
    gate = cli("--repo", repo.path, "--today", "2026-11-30", "check", "--base", "main")
    assert gate.code == 0, gate.out + gate.err
    # it merges
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge pull request #1", "add-mailrelay", day="2026-11-30")
    merge = repo.git("rev-parse", "HEAD")
    # on announced_on: the drafts of the merged change, sent to both languages
    drafts = tmp_path / "drafts"
    res = cli("--repo", repo.path, "--today", ANNOUNCED, "notice", "--base", f"{merge}^1", "--head", merge,
              "--out", drafts)
    assert res.code == 0, res.err
    people = tmp_path / "private" / "recipients.csv"
    people.parent.mkdir()
    people.write_text("ops@client-a.example,en\ndpo@client-b.example,fr,enterprise\n", encoding="utf-8")
    with SMTPServer() as smtp:
        res = cli("--repo", repo.path, "notice", "send", "--from", drafts, "--recipients", people,
                  "--smtp", smtp.address)
        received = smtp.received
    assert res.code == 0, res.err
    assert [(m.recipients, m.message["Content-Language"]) for m in received] == [
        (["ops@client-a.example"], "en"), (["dpo@client-b.example"], "fr")]
    fr = received[1].message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "sous-traitant ultérieur" in fr and "Vous pouvez résilier le service concerné sans pénalité." in fr
    [record] = sorted((repo.path / "notices" / "ledger").iterdir())
    text = record.read_text("utf-8")
    assert "languages: {en: 1, fr: 1}\n" in text and "terms: {enterprise: 1}\n" in text
    # the record is committed (its sent_at, not the commit, dates the notice)
    text = text.replace(text.split("sent_at: ")[1].split("\n")[0], "2026-12-01T09:14:03Z")
    record.write_text(text, encoding="utf-8")
    repo.commit("2026-12-01", "Ledger: the notice of MailRelay was sent")
    # an objection arrives, then is resolved
    repo.write("objections/acme-0042.yaml", dump(OBJECTION))
    repo.commit("2026-12-10", "Objection of ACME-0042")
    out = tmp_path / "audit-open"
    res = cli("--repo", repo.path, "--today", "2026-12-30", "audit", "--out", out)
    assert res.code == 0, res.out + res.err
    assert findings(out) == [("objection-open", "warning", "mailrelay", "objections/acme-0042.yaml")]
    repo.write("objections/acme-0042.yaml", dump({**OBJECTION, "status": "resolved", "resolution": {
        "on": "2026-12-20", "outcome": "alternative-offered", "note": "EU-only relay offered"}}))
    repo.commit("2026-12-20", "Objection of ACME-0042 resolved")
    return {"repo": repo, "record": record, "cli": cli, "tmp": tmp_path}


def audit(cycle: dict[str, Any], name: str) -> tuple[Any, Path]:
    out = cycle["tmp"] / name
    return cycle["cli"]("--repo", cycle["repo"].path, "--today", EFFECTIVE, "audit", "--out", out), out


def test_the_cycle_passes_on_the_effective_date(cycle: dict[str, Any]) -> None:
    res, out = audit(cycle, "audit")
    assert res.code == 0, res.out + res.err
    assert findings(out) == []
    doc = json.loads((out / "audit.json").read_text("utf-8"))
    assert doc["now_active"] == ["mailrelay"]
    [notice] = doc["objections"]
    assert {k: notice[k] for k in ("subprocessor", "notice", "effective_on", "open", "resolved", "withdrawn")} == {
        "subprocessor": "mailrelay", "notice": ANNOUNCED, "effective_on": EFFECTIVE, "open": 0, "resolved": 1,
        "withdrawn": 0}
    md = (out / "audit.md").read_text("utf-8")
    assert "| ACME-0042 | mailrelay | 2026-12-01 | 2026-12-10 | enterprise | resolved | 2026-12-20 " \
           "(alternative-offered) | objections/acme-0042.yaml |" in md


def test_a_missing_record_fails_the_audit(cycle: dict[str, Any]) -> None:
    cycle["repo"].git("rm", "-q", str(cycle["record"].relative_to(cycle["repo"].path)))
    cycle["repo"].commit("2027-01-02", "lose the record")
    res, out = audit(cycle, "audit")
    assert res.code == 1
    assert findings(out) == [("notice-unsent", "failed", "mailrelay", "registry/mailrelay.yaml")]


def test_a_late_sending_fails_the_audit(cycle: dict[str, Any]) -> None:
    record: Path = cycle["record"]
    record.write_text(record.read_text("utf-8").replace("2026-12-01T09:14:03Z", "2026-12-20T09:00:00Z"), "utf-8")
    res, out = audit(cycle, "audit")
    assert res.code == 1
    checks = {(c, s) for c, _, s, _ in findings(out)}
    assert ("notice-sent-late", "mailrelay") in checks
    assert "counted from the sending, the period is 16 days (2026-12-20 -> 2027-01-05); the policy requires " \
           "at least 35" in res.out


def test_an_objection_still_open_fails_the_audit(cycle: dict[str, Any]) -> None:
    cycle["repo"].write("objections/acme-0042.yaml", dump(OBJECTION))
    res, out = audit(cycle, "audit")
    assert res.code == 1
    assert findings(out) == [("objection-open", "failed", "mailrelay", "objections/acme-0042.yaml")]
    assert json.loads((out / "audit.json").read_text("utf-8"))["objections"][0]["open"] == 1


def test_the_ledger_is_evidence_only_in_git_history(cycle: dict[str, Any]) -> None:
    """Where the record lives: committed, never beside the registry as an untracked file only."""
    repo: Repo = cycle["repo"]
    tracked = repo.git("ls-files", "notices/ledger")
    assert tracked == str(cycle["record"].relative_to(repo.path))
    assert subprocess.run(["git", "status", "--porcelain"], cwd=repo.path, capture_output=True, text=True,
                          check=True).stdout == ""
