"""`subreg notice send`: the drafts, over real SMTP (an in-process aiosmtpd server), one
message per recipient in their language, and the ledger record of what was accepted."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from conftest import Repo
from smtp_server import PASSWORD, USER, Handler, SMTPServer, certificate, free_port
from subreg.evidence import ledger
from subreg.project import Project

ANNOUNCED, EFFECTIVE = "2026-12-01", "2027-01-05"


@pytest.fixture
def drafted(repo: Repo, tmp_path: Path, run: Any) -> tuple[Repo, Path]:
    """A merged change adding a subprocessor with its notice, and its drafts."""
    repo.put("acme")
    repo.commit("2026-10-01", "baseline")
    repo.put("mailrelay", name="MailRelay", legal_name="MailRelay SAS", locations=["FR"],
             purpose={"en": "Transactional e-mail", "fr": "Envoi d'e-mails transactionnels"},
             notice={"announced_on": ANNOUNCED, "effective_on": EFFECTIVE})
    repo.commit("2026-11-30", "add MailRelay")
    drafts = tmp_path / "drafts"
    res = run("--repo", repo.path, "--today", ANNOUNCED, "notice", "--base", "HEAD~1", "--head", "HEAD",
              "--out", drafts)
    assert res.code == 0, res.err
    return repo, drafts


@pytest.fixture(autouse=True)
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "state"
    monkeypatch.setenv("SUBREG_STATE_DIR", str(folder))
    monkeypatch.delenv("SUBREG_SMTP_USER", raising=False)
    monkeypatch.delenv("SUBREG_SMTP_PASSWORD", raising=False)
    return folder


def recipients(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "private" / "recipients.csv"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


PEOPLE = "email,language,terms\nana@client-a.example,en\nbob@client-b.example,fr\ncid@client-c.example,en\n"


def body(raw: bytes) -> bytes:
    return raw.partition(b"\r\n\r\n")[2]


def records(repo: Repo) -> dict[str, str]:
    folder = repo.path / "notices" / "ledger"
    return {p.name: p.read_text("utf-8") for p in sorted(folder.glob("*.yaml"))} if folder.exists() else {}


def digest_of(drafts: Path) -> str:
    return hashlib.sha256((drafts / "notice.json").read_bytes()).hexdigest()[:12]


def test_one_message_per_recipient_in_their_language(cli: Any, drafted: tuple[Repo, Path], tmp_path: Path,
                                                     state: Path) -> None:
    repo, drafts = drafted
    people = recipients(tmp_path, PEOPLE)
    with SMTPServer() as smtp:
        res = cli("--repo", repo.path, "notice", "send", "--from", drafts, "--recipients", people,
                  "--smtp", smtp.address)
        got = smtp.received
    assert res.code == 0, res.err
    assert [(m.sender, m.recipients) for m in got] == [
        ("privacy@example.com", ["ana@client-a.example"]), ("privacy@example.com", ["bob@client-b.example"]),
        ("privacy@example.com", ["cid@client-c.example"])]
    short = digest_of(drafts)
    drafts_en, drafts_fr = ((drafts / f"notice.{lang}.eml").read_bytes() for lang in ("en", "fr"))
    for m, lang, to in zip(got, ["en", "fr", "en"], ["ana@client-a.example", "bob@client-b.example",
                                                     "cid@client-c.example"], strict=True):
        msg = m.message
        draft = drafts_en if lang == "en" else drafts_fr
        assert msg["To"] == to and msg["Content-Language"] == lang and "X-Unsent" not in msg
        assert msg.defects == [] and msg["Date"] and msg["Date"] != "Tue, 01 Dec 2026 09:00:00 +0000"
        assert body(m.data) == body(draft)  # the draft's body, byte for byte
        assert msg["Message-ID"] == re.search(rb"Message-ID: (\S+)", draft)[1].decode()  # type: ignore[index]
        text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert ("MailRelay SAS" in text) and (("Envoi d'e-mails transactionnels" in text) == (lang == "fr"))
    en_digest = "sha256:" + hashlib.sha256(body(drafts_en)).hexdigest()
    fr_digest = "sha256:" + hashlib.sha256(body(drafts_fr)).hexdigest()
    [(name, text)] = records(repo).items()
    assert name == f"{ANNOUNCED}-{short}.yaml"
    sent_at = re.search(r"^sent_at: (\S+)$", text, re.M)[1]  # type: ignore[index]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", sent_at)
    en_id, fr_id = (got[0].message["Message-ID"], got[1].message["Message-ID"])
    assert text == (
        "# Written by `subreg notice send`: evidence that this notice was sent. Counts, never addresses.\n"
        f"announced_on: {ANNOUNCED}\nsent_at: {sent_at}\nsubprocessors: [mailrelay]\nchannel: email\n"
        "languages: {en: 2, fr: 1}\n"
        f'digests: {{en: "{en_digest}", fr: "{fr_digest}"}}\n'
        f'message_ids: {{en: "{en_id}", fr: "{fr_id}"}}\n'
        "refused: 0\n")
    assert "@" not in text.replace(en_id, "").replace(fr_id, "")  # no address
    # the record is a valid ledger record, and it covers the notice
    project = Project(repo.path, __import__("datetime").date(2026, 12, 1))
    book = ledger.load(project, "worktree", project.policy)
    assert [e.record.subprocessors for e in book.entries] == [["mailrelay"]]
    assert res.out.splitlines() == [
        f"the notice of {ANNOUNCED} (drafts {short}): 3 message(s) accepted by {smtp.address} (en 2, fr 1), "
        "0 refused",
        f"ledger record: {repo.path / 'notices' / 'ledger' / name}"]
    assert res.err == ""
    # a second run sends nothing: everyone already got it
    with SMTPServer() as again:
        res = cli("--repo", repo.path, "notice", "send", "--from", drafts, "--recipients", people,
                  "--smtp", again.address)
        assert again.received == []
    assert res.code == 0 and "0 message(s) accepted" in res.out and "already sent before" in res.out
    assert records(repo) == {name: text}


def send(run: Any, repo: Repo, drafts: Path, people: Path, address: str, *extra: str) -> Any:
    return run("--repo", repo.path, "notice", "send", "--from", drafts, "--recipients", people, "--smtp", address,
               *extra)


def test_a_refused_recipient_is_counted_and_listed_by_line(cli: Any, drafted: tuple[Repo, Path],
                                                           tmp_path: Path) -> None:
    repo, drafts = drafted
    people = recipients(tmp_path, PEOPLE)
    with SMTPServer(Handler(refuse={"bob@client-b.example"})) as smtp:
        res = send(cli, repo, drafts, people, smtp.address)
        assert [m.recipients for m in smtp.received] == [["ana@client-a.example"], ["cid@client-c.example"]]
    assert res.code == 1
    # the counts are of the messages accepted (bob's French one was refused)
    assert res.out.splitlines()[0].endswith(f"2 message(s) accepted by {smtp.address} (en 2), 1 refused")
    assert res.err.splitlines() == [
        f"{people}:3: bob@client-b.example: refused by the server (550 5.1.1 <recipient>: recipient address "
        "rejected: user unknown)",
        "1 recipient(s) refused by the server: they were not told; fix their addresses and run the same command "
        "again (only they are retried)"]
    [text] = records(repo).values()
    assert "languages: {en: 2}\n" in text and "refused: 1\n" in text and "fr:" not in text
    assert "pending" not in text
    # the fixed address is sent on the next run; nobody else gets a second copy
    with SMTPServer() as smtp:
        res = send(cli, repo, drafts, people, smtp.address)
        assert [m.recipients for m in smtp.received] == [["bob@client-b.example"]]
    assert res.code == 0, res.err
    assert res.out.splitlines()[0].endswith(f"1 message(s) accepted by {smtp.address} (fr 1), 0 refused")
    [text] = records(repo).values()
    assert "languages: {en: 2, fr: 1}\n" in text and "refused: 0\n" in text


def test_in_github_actions_a_refused_address_is_not_printed(run: Any, drafted: tuple[Repo, Path], tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    repo, drafts = drafted
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    people = recipients(tmp_path, PEOPLE)
    with SMTPServer(Handler(refuse={"bob@client-b.example"})) as smtp:
        res = send(run, repo, drafts, people, smtp.address)
    assert res.code == 1
    assert res.err.splitlines()[0] == (f"{people}:3: refused by the server (550 5.1.1 <recipient>: recipient address "
                                       "rejected: user unknown)")
    assert "bob@" not in res.err + res.out


def test_server_down_sends_nothing_and_writes_nothing(cli: Any, drafted: tuple[Repo, Path], tmp_path: Path,
                                                     state: Path) -> None:
    repo, drafts = drafted
    res = send(cli, repo, drafts, recipients(tmp_path, PEOPLE), f"127.0.0.1:{free_port()}")
    assert res.code == 2 and res.out == ""
    assert res.err.startswith("cannot connect to the SMTP server 127.0.0.1:") and res.err.endswith(
        "; nothing was sent\n")
    assert "Traceback" not in res.err
    assert records(repo) == {} and not (state / "send").exists()


def test_authentication(cli: Any, drafted: tuple[Repo, Path], tmp_path: Path,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    repo, drafts = drafted
    people = recipients(tmp_path, PEOPLE)
    monkeypatch.setenv("SUBREG_SMTP_USER", USER)
    monkeypatch.setenv("SUBREG_SMTP_PASSWORD", "wrong")
    with SMTPServer(auth=True) as smtp:
        res = send(cli, repo, drafts, people, smtp.address)
        assert smtp.received == []
    assert res.code == 2 and "refused the credentials of SUBREG_SMTP_USER (535 5.7.8 Authentication credentials " \
        "invalid); nothing was sent" in res.err, res.err
    assert PASSWORD not in res.err and "wrong" not in res.err and records(repo) == {}
    monkeypatch.setenv("SUBREG_SMTP_PASSWORD", PASSWORD)
    with SMTPServer(auth=True) as smtp:
        res = send(cli, repo, drafts, people, smtp.address)
        assert len(smtp.received) == 3 and smtp.handler.logins == [USER]
    assert res.code == 0, res.err


def test_credentials_go_only_over_starttls(run: Any, drafted: tuple[Repo, Path], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    repo, drafts = drafted
    monkeypatch.setenv("SUBREG_SMTP_USER", USER)
    monkeypatch.setenv("SUBREG_SMTP_PASSWORD", PASSWORD)
    res = send(run, repo, drafts, recipients(tmp_path, PEOPLE), "smtp.example.invalid:25")
    assert res.code == 2 and "credentials are sent only over an encrypted connection: pass --starttls" in res.err
    monkeypatch.delenv("SUBREG_SMTP_PASSWORD")
    res = send(run, repo, drafts, recipients(tmp_path, PEOPLE), "smtp.example.invalid")
    assert res.code == 2 and res.err == "set both SUBREG_SMTP_USER and SUBREG_SMTP_PASSWORD, or neither\n"


def test_starttls_with_a_checked_certificate(cli: Any, drafted: tuple[Repo, Path], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    repo, drafts = drafted
    cert = certificate(tmp_path)
    people = recipients(tmp_path, PEOPLE)
    monkeypatch.setenv("SUBREG_SMTP_USER", USER)
    monkeypatch.setenv("SUBREG_SMTP_PASSWORD", PASSWORD)
    with SMTPServer(auth=True, tls=cert) as smtp:
        # not trusted: the certificate is checked, and nothing is sent
        res = send(cli, repo, drafts, people, smtp.address, "--starttls")
        assert res.code == 2 and "CERTIFICATE_VERIFY_FAILED" in res.err and smtp.received == []
        monkeypatch.setenv("SSL_CERT_FILE", str(cert[0]))
        res = send(cli, repo, drafts, people, smtp.address, "--starttls")
        assert res.code == 0, res.err
        assert len(smtp.received) == 3 and smtp.handler.logins == [USER]


def test_a_dropped_connection_stops_then_resumes_without_a_second_copy(cli: Any, drafted: tuple[Repo, Path],
                                                                      tmp_path: Path, state: Path) -> None:
    repo, drafts = drafted
    people = recipients(tmp_path, PEOPLE)
    with SMTPServer(Handler(drop_at=2)) as smtp:
        res = send(cli, repo, drafts, people, smtp.address)
        assert [m.recipients for m in smtp.received] == [["ana@client-a.example"]]
    assert res.code == 2
    assert "the sending stopped: " in res.err and "2 recipient(s) not sent. Run the same command again to resume" \
        in res.err
    [(name, text)] = records(repo).items()
    assert "languages: {en: 1}\n" in text and text.endswith(
        "pending: 2  # the sending stopped: run the same command again to resume it\n")
    # the journal names recipients by a keyed hash, never by address
    [journal] = (state / "send").iterdir()
    lines = [json.loads(line) for line in journal.read_text("utf-8").splitlines()]
    assert [(e["status"], e["language"]) for e in lines] == [("accepted", "en")]
    assert "@" not in journal.read_text("utf-8")
    # a partial record proves nothing yet
    project = Project(repo.path, __import__("datetime").date(2026, 12, 5))
    book = ledger.load(project, "worktree", project.policy)
    [entry] = book.entries
    assert entry.record.pending == 2 and book.proof("mailrelay", project.worktree["mailrelay"].notice, project.today) \
        is None  # type: ignore[arg-type]
    with SMTPServer() as smtp:
        res = send(cli, repo, drafts, people, smtp.address)
        assert [m.recipients for m in smtp.received] == [["bob@client-b.example"], ["cid@client-c.example"]]
    assert res.code == 0, res.err
    assert "already sent before" in res.out
    [text] = records(repo).values()
    assert "languages: {en: 2, fr: 1}\n" in text and "pending" not in text


def test_a_recorded_sending_without_its_journal_is_not_repeated(run: Any, drafted: tuple[Repo, Path],
                                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, drafts = drafted
    people = recipients(tmp_path, PEOPLE)
    with SMTPServer() as smtp:
        assert send(run, repo, drafts, people, smtp.address).code == 0
    monkeypatch.setenv("SUBREG_STATE_DIR", str(tmp_path / "another-machine"))
    with SMTPServer() as smtp:
        res = send(run, repo, drafts, people, smtp.address)
        assert smtp.received == []
    assert res.code == 2 and "already records a sending of these drafts, and this machine has no journal" in res.err


def test_dry_run_sends_and_writes_nothing(cli: Any, drafted: tuple[Repo, Path], tmp_path: Path, state: Path) -> None:
    repo, drafts = drafted
    people = recipients(tmp_path, PEOPLE)
    with SMTPServer() as smtp:
        res = send(cli, repo, drafts, people, smtp.address, "--dry-run")
        assert smtp.received == []
    assert res.code == 0, res.err
    short = digest_of(drafts)
    lines = res.out.splitlines()
    assert lines[0] == (f"dry run, nothing sent: the notice of {ANNOUNCED} (drafts {short}) would go through "
                        f"{smtp.address} to 3 recipient(s) (en 2, fr 1)")
    assert lines[1].startswith("  en: 2 message(s), Subject: Example Corp: new ")
    assert lines[2].startswith("  fr: 1 message(s), Subject: Example Corp : nouveau ")
    assert lines[-1] == f"  the ledger record would be {repo.path / 'notices' / 'ledger' / f'{ANNOUNCED}-{short}.yaml'}"
    assert "@client" not in res.out
    assert records(repo) == {} and not state.exists()


def test_the_recipients_file_never_lives_in_the_repository(cli: Any, drafted: tuple[Repo, Path]) -> None:
    repo, drafts = drafted
    inside = repo.write("private/recipients.csv", PEOPLE)
    res = send(cli, repo, drafts, inside, "127.0.0.1:25")
    assert res.code == 2
    assert res.err == (f"{inside}: is inside the repository's work tree ({repo.path}): the recipients file holds "
                       "customers' addresses, which never enter git; keep it outside the repository\n")


def test_a_symlink_into_the_repository_is_refused(run: Any, drafted: tuple[Repo, Path], tmp_path: Path) -> None:
    repo, drafts = drafted
    target = repo.write("recipients.csv", PEOPLE)
    link = tmp_path / "outside.csv"
    link.symlink_to(target)
    res = send(run, repo, drafts, link, "127.0.0.1:25")
    assert res.code == 2 and "is inside the repository's work tree" in res.err


def test_bad_recipient_rows_are_reported_by_line(run: Any, drafted: tuple[Repo, Path], tmp_path: Path) -> None:
    repo, drafts = drafted
    people = recipients(tmp_path, "# customers\nana@client-a.example,en\nnot-an-address,en\nbob@x.example,de\n"
                                  "cid@x.example,en,gold\nANA@client-a.example,fr\na@b.example,en,,extra\n")
    res = send(run, repo, drafts, people, "127.0.0.1:25")
    assert res.code == 2
    assert res.err.splitlines() == [
        f"{people}:3:1: the first column is not an e-mail address",
        f"{people}:4: language 'de' is not one of the policy's languages (en, fr)",
        f"{people}:5: terms 'gold' are not in the policy's dpa_terms (none)",
        f"{people}:6:1: this address is already listed on line 2: each recipient gets one message",
        f"{people}:7: 4 columns: a row is email,language[,terms]"]
    assert "not-an-address" not in res.err


def test_language_defaults_to_the_first_and_terms_are_counted(run: Any, drafted: tuple[Repo, Path],
                                                             tmp_path: Path) -> None:
    repo, drafts = drafted
    repo.policy(dpa_terms={"enterprise": {"notice_period_days": 30, "objection_days": 20}})
    people = recipients(tmp_path, "ana@client-a.example\nbob@client-b.example,fr,enterprise\n")
    with SMTPServer() as smtp:
        res = send(run, repo, drafts, people, smtp.address)
        assert [m.message["Content-Language"] for m in smtp.received] == ["en", "fr"]
    assert res.code == 0, res.err
    [text] = records(repo).values()
    assert "languages: {en: 1, fr: 1}\n" in text and "terms: {enterprise: 1}\n" in text


@pytest.mark.parametrize(("value", "shown"), [("mail.example.com", "mail.example.com:25"),
                                              ("[::1]:2525", "[::1]:2525"), ("h:587", "h:587")])
def test_smtp_addresses(value: str, shown: str) -> None:
    from subreg.evidence.send import server

    assert server(value, False).shown == shown
    assert server("mail.example.com", True).port == 587


@pytest.mark.parametrize("value", ["mail.example.com:0", "mail.example.com:x", "-oops", "[::1]x", "a:b:c"])
def test_bad_smtp_addresses(run: Any, drafted: tuple[Repo, Path], tmp_path: Path, value: str) -> None:
    repo, drafts = drafted
    res = send(run, repo, drafts, recipients(tmp_path, PEOPLE), value)
    assert res.code == 2 and "write HOST or HOST:PORT" in res.err


def test_drafts_are_checked_before_sending(run: Any, drafted: tuple[Repo, Path], tmp_path: Path) -> None:
    repo, drafts = drafted
    people = recipients(tmp_path, PEOPLE)
    (drafts / "notice.fr.eml").unlink()
    res = send(run, repo, drafts, people, "127.0.0.1:25")
    assert res.code == 2 and res.err == (f"{drafts / 'notice.fr.eml'}: not found: --from names a folder written by "
                                         "`subreg notice --out`\n")
    (drafts / "notice.json").write_text("[]", encoding="utf-8")
    res = send(run, repo, drafts, people, "127.0.0.1:25")
    assert res.code == 2 and "is not the notice.json of `subreg notice`" in res.err


def test_notice_keeps_working_as_a_command(run: Any, drafted: tuple[Repo, Path], tmp_path: Path) -> None:
    repo, _ = drafted
    res = run("--repo", repo.path, "notice")
    assert res.code == 2 and "Missing option '--out'." in res.err
    res = run("--repo", repo.path, "notice", "--out", tmp_path / "x", "send", "--from", tmp_path,
              "--recipients", tmp_path / "r.csv", "--smtp", "h")
    assert res.code == 2 and "--base, --head and --out are options of `subreg notice`, not of " \
        "`subreg notice send`" in res.err
    res = run("--repo", repo.path, "notice", "send")
    assert res.code == 2 and "Missing option '--from'" in res.err


def test_a_draft_folder_cannot_add_recipients_or_headers(run: Any, drafted: tuple[Repo, Path], tmp_path: Path) -> None:
    """The drafts may come from a CI artifact: only the draft's own headers go out, and
    what the record is written from is checked."""
    repo, drafts = drafted
    people = recipients(tmp_path, "ana@client-a.example,en\n")
    eml = drafts / "notice.en.eml"
    raw = eml.read_bytes()
    eml.write_bytes(raw.replace(b"\r\nSubject:", b"\r\nBcc: spy@evil.example\r\nReply-To: spy@evil.example\r\nSubject:",
                                1))
    with SMTPServer() as smtp:
        assert send(run, repo, drafts, people, smtp.address).code == 0
        [m] = smtp.received
    assert m.recipients == ["ana@client-a.example"]
    assert "Bcc" not in m.message and "Reply-To" not in m.message and b"spy@" not in m.data
    assert m.message.keys() == ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type",
                                "Content-Language"]
    eml.write_bytes(raw.replace(b"Message-ID: <", b"Message-ID: <x\r\nMessage-ID: <", 1))
    res = send(run, repo, drafts, people, "127.0.0.1:25")
    assert res.code == 2 and "is not an e-mail draft of `subreg notice`" in res.err
    eml.write_bytes(raw)
    doc = json.loads((drafts / "notice.json").read_text("utf-8"))
    doc["added"][0]["id"] = "x]\nevil: [y"
    (drafts / "notice.json").write_text(json.dumps(doc), encoding="utf-8")
    res = send(run, repo, drafts, people, "127.0.0.1:25")
    assert res.code == 2 and "is not the notice.json of `subreg notice`" in res.err


def test_a_late_sending_is_announced(run: Any, drafted: tuple[Repo, Path], tmp_path: Path) -> None:
    repo, drafts = drafted
    people = recipients(tmp_path, PEOPLE)
    for today, warned in (("2026-12-02", False), ("2026-12-03", True)):
        res = run("--repo", repo.path, "--today", today, "notice", "send", "--from", drafts, "--recipients", people,
                  "--smtp", "127.0.0.1:25", "--dry-run")
        assert res.code == 0
        assert (res.err == "warning: these drafts announce 2026-12-01 and go out on 2026-12-03: customers are told "
                           "today, and the notice period counts from today (see notice-sent-late)\n") == warned
        assert (res.err == "") == (not warned)
