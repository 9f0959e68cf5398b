"""A real SMTP server for the tests (aiosmtpd on a free loopback port), and running queued work.

    def test_something(app, smtp_server, run_outbox):        # fixtures from tests/conftest.py
        ... enqueue a mail, commit ...
        run_outbox(app)                                      # deliver what is due, synchronously
        [message] = smtp_server.messages                     # parsed email.message.EmailMessage

`smtp_server` speaks STARTTLS (required) and AUTH (required, PLAIN/LOGIN) with a self-signed
certificate the client trusts through ``?cafile=`` in `smtp_server.url`; `SmtpServer.start(mode=…)`
makes a plain (``"plain"``) or implicit-TLS (``"tls"``) one. `refuse(address, "550 …")` makes it
refuse a recipient; `delay` and `rcpt_delay` slow every DATA or RCPT down (the kill test).

`run_outbox(app)` delivers the due outbox rows synchronously through the code the consumer's
periodic sweep runs (`alex.outbox.deliver_due`): no Huey involved, deterministic. Tests of the
queue itself run the real consumer (`consumer_process`).
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

ROOT = Path(__file__).resolve().parents[2]
SMTP_USER = "alex-mailer"
SMTP_PASSWORD = "s3cret pass:word@"  # characters that must be percent-encoded in the URL


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost (cert, key), made with openssl."""
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    if not cert.exists():
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout",
                str(key),
                "-out",
                str(cert),
            ],
            check=True,
            capture_output=True,
        )
    return cert, key


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.server.rcpt_delay:
            time.sleep(self.server.rcpt_delay)
        if reply := self.server.refusals.get(address.lower()):
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.server.delay:
            time.sleep(self.server.delay)  # blocks the server's loop on purpose: a slow server
        if self.server.data_reply:
            return self.server.data_reply
        with self.server.lock:
            self.server.envelopes.append(
                (envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
            )
            self.server.authenticated.append(bool(session.authenticated))
        return "250 Message accepted"


class SmtpServer:
    """aiosmtpd in a thread; collects what it accepts."""

    def __init__(self, folder: Path, mode: str = "starttls", auth: bool = True) -> None:
        self.mode, self.auth = mode, auth
        self.port = free_port()
        self.envelopes: list[tuple[str, list[str], bytes]] = []
        self.authenticated: list[bool] = []
        self.refusals: dict[str, str] = {}
        self.data_reply: str | None = None
        self.delay = 0.0
        self.rcpt_delay = 0.0
        self.lock = threading.Lock()
        self.cert, key = make_certificate(folder)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, key)
        options: dict = {}
        if mode == "starttls":
            options.update(tls_context=context, require_starttls=True)
        elif mode == "tls":
            options.update(ssl_context=context)
        if auth:
            options.update(
                authenticator=self._authenticate,
                auth_required=True,
                auth_require_tls=mode != "plain",
            )
        self.controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, **options
        )

    @staticmethod
    def _authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == SMTP_USER.encode()
            and auth_data.password == SMTP_PASSWORD.encode()
        )
        return AuthResult(success=ok, handled=False)

    @property
    def url(self) -> str:
        from urllib.parse import quote

        scheme = {"plain": "smtp", "starttls": "smtp+starttls", "tls": "smtps"}[self.mode]
        credentials = f"{quote(SMTP_USER, safe='')}:{quote(SMTP_PASSWORD, safe='')}@"
        return (
            f"{scheme}://{credentials if self.auth else ''}127.0.0.1:{self.port}"
            f"?cafile={self.cert}&timeout=10"
        )

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def refuse(self, address: str, reply: str = "550 5.1.1 No such user") -> None:
        self.refusals[address.lower()] = reply

    @property
    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [
                message_from_bytes(raw, policy=default_policy)  # type: ignore[misc]
                for _sender, _rcpts, raw in self.envelopes
            ]

    def wait_for(self, count: int, timeout: float = 20.0) -> list[EmailMessage]:
        """Wait until at least `count` messages arrived; returns them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.envelopes) >= count:
                return self.messages
            time.sleep(0.05)
        raise AssertionError(f"{len(self.envelopes)} of {count} messages arrived in {timeout}s")


@contextmanager
def smtp_server_running(folder: Path, mode: str = "starttls", auth: bool = True):
    server = SmtpServer(folder, mode, auth).start()
    try:
        yield server
    finally:
        server.stop()


def run_outbox(app):
    """Deliver every due outbox row now, in this process (what the consumer's sweep does)."""
    from alex import outbox

    with app.app_context():
        return outbox.deliver_due()


def consumer_env(app_config: dict, **settings: str) -> dict[str, str]:
    """Environment for a real consumer process on the test's database and queue."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALEX_")}
    env.update(
        ALEX_DATABASE_URL=app_config["DATABASE_URL"],
        ALEX_SECRET_KEY=app_config["SECRET_KEY"],
        ALEX_ENV="testing",
    )
    from alex.config import DEFAULTS

    for key, value in app_config.items():
        if key in DEFAULTS and key not in ("DATABASE_URL", "SECRET_KEY", "ENV"):
            env[f"ALEX_{key}"] = ("1" if value else "0") if isinstance(value, bool) else str(value)
    env.update({f"ALEX_{k}": str(v) for k, v in settings.items()})
    return env


@contextmanager
def consumer_process(env: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen]:
    """`flask --app wsgi alex consumer` as a child process; killed (SIGTERM) afterwards."""
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "alex", "consumer", "--workers", "2"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
