"""A real SMTP server (aiosmtpd) on a free local port, recording every message it accepts; and the
databases of tests/dbutil.py."""

import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.dbutil import db_url, engine, fresh_engine, template_databases  # noqa: F401  (pytest fixtures)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """The SMTP handler: keeps (envelope recipients, parsed message); refuses RCPT for `refuse`."""

    def __init__(self):
        self.received: list[tuple[list[str], EmailMessage]] = []
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, *, credentials: tuple[str, str] | None = None):
        self.handler = Recorder()
        self.port = free_port()
        kwargs = {}
        if credentials:

            def authenticate(server, session, envelope, mechanism, auth_data):
                ok = (
                    isinstance(auth_data, LoginPassword)
                    and (auth_data.login.decode(), auth_data.password.decode()) == credentials
                )
                return AuthResult(success=ok, handled=False)  # handled=False: the server sends the 535 reply

            # Plain-text AUTH is fine on a loopback test server (aiosmtpd warns about it).
            kwargs = dict(authenticator=authenticate, auth_require_tls=False, auth_required=True)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)

    @property
    def received(self):
        return self.handler.received

    def start(self) -> "SmtpServer":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()
