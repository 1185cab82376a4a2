"""`subreg notice send`: the drafts of `subreg notice`, one message per recipient, over
SMTP, and the ledger record of what the server accepted (SPEC 9).

- **The messages.** Each recipient gets the draft of their language (`notice.L.eml`)
  as it was written, with three headers changed: `To` (the recipient alone: nobody
  sees another customer's address), `Date` (the time of sending) and `X-Unsent`
  (removed). The body is the draft's, byte for byte, so every message of a language
  has the same body digest (`digests` in the record: sha256 of what follows the
  header block of `notice.L.eml`) and the same `Message-ID`.
- **SMTP.** `smtplib`, one connection; `--starttls` upgrades it (certificate checked
  against the system's CAs). The user and password come from `SUBREG_SMTP_USER` and
  `SUBREG_SMTP_PASSWORD` only, and are sent only over STARTTLS, or to a relay on the
  machine itself (localhost).
- **Failures.** A recipient the server refuses is counted (`refused`), listed on
  stderr by its line in the recipients file, and the sending goes on. Any other SMTP
  error stops the sending at once: nothing after it is sent. The record counts only
  what the server accepted; a sending that stopped has `pending` recipients and proves
  nothing until it is resumed.
- **Resuming.** Each outcome is written to a local journal before the next message
  goes (`journal.py`); running the same command again skips everyone who was already
  accepted, and rewrites the record with the totals. A draft whose record already
  exists, but whose journal is not on this machine, is refused rather than sent twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import smtplib
import ssl
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy as email_policy
from email.parser import BytesParser
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any

from subreg.errors import InputError
from subreg.escape import one_line
from subreg.evidence import journal as journals
from subreg.evidence.recipients import Recipient
from subreg.model import _EMAIL, ID_PATTERN

LOOPBACK = ("localhost", "127.0.0.1", "::1")
# The headers of a draft that go out (To and Date are set per message): anything else a
# draft folder holds (a Bcc, a Reply-To added by hand) stays behind.
KEPT = (b"from", b"subject", b"message-id", b"mime-version", b"content-type", b"content-transfer-encoding",
        b"content-language")
_MESSAGE_ID = re.compile(r"<[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+>")
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    starttls: bool

    @property
    def shown(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def server(value: str, starttls: bool) -> Server:
    """`HOST[:PORT]` (an IPv6 address in brackets); the port defaults to 587 with
    STARTTLS, else 25."""
    host, port = value, ""
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        port = rest.removeprefix(":") if rest.startswith(":") else ("x" if rest else "")
    elif value.count(":") == 1:
        host, _, port = value.partition(":")
    ok_host = bool(_HOST.fullmatch(host)) or (value.startswith("[") and re.fullmatch(r"[0-9A-Fa-f:]+", host))
    if not ok_host or (port and not (port.isdigit() and 0 < int(port) < 65536)):
        raise InputError(f"--smtp {one_line(value)!r}: write HOST or HOST:PORT (an IPv6 address as [ADDR]:PORT)")
    return Server(host, int(port) if port else (587 if starttls else 25), starttls)


@dataclass
class Drafts:
    folder: Path
    facts: dict[str, Any]
    digest: str  # sha256 hex of notice.json
    announced_on: str
    subprocessors: list[str]
    heads: dict[str, list[bytes]] = field(default_factory=dict)  # language -> header lines
    bodies: dict[str, bytes] = field(default_factory=dict)
    senders: dict[str, str] = field(default_factory=dict)
    message_ids: dict[str, str] = field(default_factory=dict)
    subjects: dict[str, str] = field(default_factory=dict)

    @property
    def short(self) -> str:
        return self.digest[:12]

    def body_digest(self, lang: str) -> str:
        return "sha256:" + hashlib.sha256(self.bodies[lang]).hexdigest()

    def message(self, lang: str, to: str, at: dt.datetime) -> bytes:
        """The draft of `lang`, addressed to `to` and dated `at`."""
        head = [h for h in self.heads[lang] if h.split(b":", 1)[0].strip().lower() in KEPT]
        head.insert(1, f"To: {to}".encode())
        head.insert(3, f"Date: {format_datetime(at)}".encode())
        return b"\r\n".join(head) + b"\r\n\r\n" + self.bodies[lang]


def _fields(block: bytes) -> list[bytes]:
    """Header fields of a header block, each with its folded continuation lines."""
    out: list[bytes] = []
    for line in block.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and out:
            out[-1] += b"\r\n" + line
        else:
            out.append(line)
    return out


def read_drafts(folder: Path, languages: list[str]) -> Drafts:
    """The drafts `subreg notice` wrote in `folder`: notice.json and the e-mail of each
    of `languages`, checked before anything is sent."""
    def at(name: str) -> Path:
        path = folder / name
        if path.is_symlink() or not path.is_file():
            raise InputError.at(str(path), "not found: --from names a folder written by `subreg notice --out`")
        return path

    raw = at("notice.json").read_bytes()
    try:
        facts = json.loads(raw)
        announced = dt.date.fromisoformat(facts["announced_on"]).isoformat()
        ids = sorted({str(i["id"]) for key in ("added", "changed", "removed") for i in facts[key]})
        if not ids or not all(ID_PATTERN.fullmatch(i) for i in ids):
            raise ValueError
    except (ValueError, KeyError, TypeError, AttributeError):
        raise InputError.at(str(folder / "notice.json"), "is not the notice.json of `subreg notice`") from None
    drafts = Drafts(folder, facts, hashlib.sha256(raw).hexdigest(), announced, ids)
    for lang in languages:
        path = at(f"notice.{lang}.eml")
        data = path.read_bytes()
        block, sep, body = data.partition(b"\r\n\r\n")
        msg = BytesParser(policy=email_policy.default).parsebytes(data)
        sender = parseaddr(str(msg.get("From", "")))[1]
        heads = _fields(block)
        single = all(sum(h.lower().startswith(name + b":") for h in heads) == 1 for name in (b"from", b"message-id"))
        if not sep or msg.defects or not single or not _EMAIL.fullmatch(sender) \
                or not _MESSAGE_ID.fullmatch(str(msg.get("Message-ID", ""))):
            raise InputError.at(str(path), "is not an e-mail draft of `subreg notice` (CRLF lines, From, Message-ID)")
        drafts.heads[lang] = heads
        drafts.bodies[lang] = body
        drafts.senders[lang] = sender
        drafts.message_ids[lang] = str(msg["Message-ID"])
        drafts.subjects[lang] = str(msg.get("Subject", ""))
    return drafts


@dataclass
class Run:
    """What a sending did: for the record and the report."""

    accepted: int = 0
    refused: list[tuple[Recipient, str]] = field(default_factory=list)
    stopped: str | None = None  # why the sending stopped, if it did


def credentials(host: str, starttls: bool) -> tuple[str, str] | None:
    user, password = os.environ.get("SUBREG_SMTP_USER", ""), os.environ.get("SUBREG_SMTP_PASSWORD", "")
    if not user and not password:
        return None
    if not (user and password):
        raise InputError("set both SUBREG_SMTP_USER and SUBREG_SMTP_PASSWORD, or neither")
    if not starttls and host not in LOOPBACK:
        raise InputError(f"credentials are sent only over an encrypted connection: pass --starttls (or send "
                         f"through a relay on this machine without credentials), not in clear to {one_line(host)}")
    return user, password


def _reply(exc: BaseException, address: str | None = None) -> str:
    """An SMTP error as one line, without the recipient's address."""
    code = getattr(exc, "smtp_code", None)
    text = getattr(exc, "smtp_error", None)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    words = f"{code} {text}" if code else (str(exc) or type(exc).__name__)
    if address:
        words = re.sub(f"<?{re.escape(address)}>?", "<recipient>", words, flags=re.IGNORECASE)
    return one_line(" ".join(words.split()))


def deliver(srv: Server, drafts: Drafts, todo: list[Recipient], journal: journals.Journal,
            clock: Callable[[], dt.datetime]) -> Run:
    """Send `todo` in order; each outcome is in the journal before the next message."""
    run = Run()
    login = credentials(srv.host, srv.starttls)
    try:
        smtp = smtplib.SMTP(srv.host, srv.port, timeout=60)
    except (OSError, smtplib.SMTPException) as exc:
        raise InputError(f"cannot connect to the SMTP server {srv.shown}: {_reply(exc)}; nothing was sent") from None
    try:
        try:
            smtp.ehlo()
            if srv.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if login is not None:
                smtp.login(*login)
        except smtplib.SMTPAuthenticationError as exc:
            raise InputError(f"the SMTP server {srv.shown} refused the credentials of SUBREG_SMTP_USER "
                             f"({_reply(exc)}); nothing was sent") from None
        except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
            raise InputError(f"the SMTP server {srv.shown} could not be used ({_reply(exc)}); "
                             "nothing was sent") from None
        journal.open()
        for r in todo:
            now = clock()
            try:
                smtp.sendmail(drafts.senders[r.language], [r.address], drafts.message(r.language, r.address, now))
            except smtplib.SMTPRecipientsRefused as exc:
                reply = exc.recipients.get(r.address) or next(iter(exc.recipients.values()), (0, b""))
                run.refused.append((r, _reply(smtplib.SMTPResponseException(*reply), r.address)))
                journal.note(r.address, "refused", r.language, r.terms, now)
                continue
            except (OSError, smtplib.SMTPException) as exc:
                run.stopped = _reply(exc, r.address)
                break
            journal.note(r.address, "accepted", r.language, r.terms, now)
            run.accepted += 1
    finally:
        journal.close()
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
    return run


def _scalar(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else str(value)


def record(drafts: Drafts, journal: journals.Journal, pending: int, refused: int) -> tuple[str, str] | None:
    """The ledger record (file name, YAML) of everything the journal shows accepted;
    None when nothing was."""
    accepted = [o for o in journal.outcomes.values() if o.status == "accepted"]
    if not accepted:
        return None
    languages = Counter(o.language for o in accepted)
    terms = Counter(o.terms for o in accepted if o.terms)
    lines = [
        "# Written by `subreg notice send`: evidence that this notice was sent. Counts, never addresses.",
        f"announced_on: {drafts.announced_on}",
        f"sent_at: {max(o.at for o in accepted)}",
        f"subprocessors: [{', '.join(drafts.subprocessors)}]",
        "channel: email",
        "languages: {" + ", ".join(f"{k}: {v}" for k, v in sorted(languages.items())) + "}",
        "digests: {" + ", ".join(f"{k}: {_scalar(drafts.body_digest(k))}" for k in sorted(languages)) + "}",
        "message_ids: {" + ", ".join(f"{k}: {_scalar(drafts.message_ids[k])}" for k in sorted(languages)) + "}",
        f"refused: {refused}",
    ]
    if terms:
        lines.append("terms: {" + ", ".join(f"{k}: {v}" for k, v in sorted(terms.items())) + "}")
    if pending:
        lines.append(f"pending: {pending}  # the sending stopped: run the same command again to resume it")
    return f"{drafts.announced_on}-{drafts.short}.yaml", "\n".join(lines) + "\n"
