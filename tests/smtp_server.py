"""A real SMTP server in-process (aiosmtpd), for the tests of `subreg notice send`.

It keeps every message it accepted (envelope and bytes), and can be told to refuse
some recipients, to require a login, to offer STARTTLS with a certificate of its own,
or to drop the connection at the n-th message (before accepting it)."""

from __future__ import annotations

import socket
import subprocess
from dataclasses import dataclass, field
from email import policy as email_policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = "notices@example.com", "s3cret-pass"


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        msg = BytesParser(policy=email_policy.default).parsebytes(self.data)
        assert isinstance(msg, EmailMessage)
        return msg


@dataclass
class Handler:
    refuse: set[str] = field(default_factory=set)
    drop_at: int | None = None  # drop the connection instead of accepting message n (1-based)
    received: list[Received] = field(default_factory=list)
    attempts: int = 0
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address.lower() in self.refuse:
            return f"550 5.1.1 <{address}>: recipient address rejected: user unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.attempts += 1
        if self.drop_at is not None and self.attempts == self.drop_at:
            server.transport.close()
            return "421 closing"
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 2.0.0 queued"


def _authenticate(handler: Handler) -> Any:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER \
            and auth_data.password.decode() == PASSWORD
        if ok:
            handler.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)
    return check


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1 (cert, key)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


class _Controller(Controller):
    def factory(self) -> Any:
        import warnings

        # aiosmtpd warns about AUTH without TLS: the tests of plain AUTH do that on purpose
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return super().factory()


class SMTPServer:
    def __init__(self, handler: Handler | None = None, auth: bool = False, tls: tuple[Path, Path] | None = None) -> None:
        import ssl

        self.handler = handler or Handler()
        self.port = free_port()
        kwargs: dict[str, Any] = {"auth_require_tls": tls is not None}
        if auth:
            kwargs.update(authenticator=_authenticate(self.handler), auth_required=True)
        if tls is not None:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(str(tls[0]), str(tls[1]))
            kwargs.update(tls_context=ctx, require_starttls=True)
        self.controller = _Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def __enter__(self) -> SMTPServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
