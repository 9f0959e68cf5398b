"""E-mail: compose multipart messages from templates, send them over SMTP (or keep .eml files).

Configuration (README, "Betrieb"):

- ``ALEX_SMTP_URL``: ``smtp://host:25`` (plain), ``smtp+starttls://user:password@host:587``
  (STARTTLS, required) or ``smtps://user:password@host:465`` (TLS from the start). User and
  password are percent-encoded. ``?cafile=/path/ca.pem`` trusts a private CA; ``?timeout=20``.
- ``ALEX_MAIL_FROM``: the sender, e.g. ``ALEx <alex@example.org>``.
- ``ALEX_BASE_URL``: how links start (``https://alex.example.org``); the consumer refuses to send
  without it. `absolute_url` builds links from it outside any request.
- Without ``ALEX_SMTP_URL`` each message becomes an ``.eml`` file under ``instance/mail/`` and
  its subject and first link are printed on the console (development, ``make run``).

A template ``templates/mail/<name>.txt`` (with ``{% block subject %}``) and its twin
``<name>.html`` both extend the shared layouts ``mail/_layout.txt`` and ``mail/_layout.html``.
Headers: Message-ID (the outbox row's), Date, Auto-Submitted: auto-generated, Content-Language,
and List-Unsubscribe + List-Unsubscribe-Post (RFC 8058) when the context holds
``unsubscribe_url``. Names and subjects lose their line breaks before they reach a header.
"""

from __future__ import annotations

import functools
import logging
import re
import smtplib
import socket
import ssl
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from flask import Flask, current_app
from flask_babel import force_locale, format_date
from sqlalchemy import column, select, table, update

from alex.db import utcnow
from alex.outbox import OutboxMessage, RetryLater, Undeliverable, register_channel

log = logging.getLogger(__name__)

# The few columns of the account the channel needs (the core does not import auth's models).
_user = table(
    "user",
    column("id"),
    column("email"),
    column("name"),
    column("locale"),
    column("email_undeliverable_at"),
    column("email_undeliverable_reason"),
)

# Kinds sent even to an address marked undeliverable (it may work again; the person needs it).
ALWAYS_TRY = {"password_reset"}

_LINK = re.compile(r"https?://[^\s<>\"]+")


class MailConfigError(RuntimeError):
    """The mail settings are incomplete or malformed (said in plain words)."""


@dataclass(frozen=True)
class SmtpSettings:
    """A parsed ALEX_SMTP_URL."""

    host: str
    port: int
    security: str  # "plain" | "starttls" | "tls"
    username: str | None
    password: str | None
    cafile: str | None
    timeout: float


_SCHEMES = {"smtp": ("plain", 25), "smtp+starttls": ("starttls", 587), "smtps": ("tls", 465)}


def smtp_settings(url: str) -> SmtpSettings:
    """Parse ALEX_SMTP_URL (see the module docstring)."""
    parts = urlsplit(url)
    if parts.scheme not in _SCHEMES:
        raise MailConfigError("ALEX_SMTP_URL must start with smtp://, smtp+starttls:// or smtps://")
    if not parts.hostname:
        raise MailConfigError("ALEX_SMTP_URL names no host")
    security, default_port = _SCHEMES[parts.scheme]
    query = parse_qs(parts.query)
    return SmtpSettings(
        host=parts.hostname,
        port=parts.port or default_port,
        security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        cafile=query.get("cafile", [None])[0],
        timeout=float(query.get("timeout", ["30"])[0]),
    )


def absolute_url(endpoint: str, **values: Any) -> str:
    """An absolute URL from ALEX_BASE_URL, also outside a request (in the consumer)."""
    base = current_app.config.get("ALEX_BASE_URL") or ""
    if not base:
        raise MailConfigError(
            "ALEX_BASE_URL is not set: mails need absolute links (e.g. https://alex.example.org)."
        )
    parts = urlsplit(base.rstrip("/"))
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)


def absolute(link: str) -> str:
    """A local path made absolute with ALEX_BASE_URL (absolute links stay as they are).

    Areas put local paths (url_for(...)) into a message's context; the mail template writes
    ``{{ absolute(link) }}``, so links are built at delivery, never from a request's Host.
    """
    if not link.startswith("/") or link.startswith("//"):
        return link
    base = current_app.config.get("ALEX_BASE_URL") or ""
    if not base:
        raise MailConfigError(
            "ALEX_BASE_URL is not set: mails need absolute links (e.g. https://alex.example.org)."
        )
    return base.rstrip("/") + link


def one_line(value: str) -> str:
    """A header-safe text: every kind of line break becomes a space."""
    return " ".join(str(value).splitlines()).replace("\r", " ").replace("\n", " ").strip()


def _address(name: str, email: str) -> Address:
    local, _, domain = one_line(email).rpartition("@")
    if not local or not domain:
        raise Undeliverable(f"not an e-mail address: {email!r}")
    return Address(display_name=one_line(name)[:80], username=local, domain=domain)


def _sender() -> Address:
    configured = current_app.config.get("ALEX_MAIL_FROM") or ""
    if not configured and not current_app.config.get("ALEX_SMTP_URL"):
        configured = "ALEx <alex@localhost>"  # only ever written to .eml files
    name, email = parseaddr(configured)
    if not email:
        raise MailConfigError("ALEX_MAIL_FROM is not set (e.g. 'ALEx <alex@example.org>').")
    return _address(name, email)


def render_parts(template: str, context: dict[str, Any], locale: str) -> tuple[str, str, str]:
    """(subject, text, html) of a mail template in a language."""
    env = current_app.jinja_env
    values = {
        **context,
        "locale": locale,
        "absolute": absolute,
        "iso_date": date.fromisoformat,
        "format_date": format_date,
    }
    with force_locale(locale):
        values.update(_translations())
        text_template = env.get_template(f"mail/{template}.txt")
        subject = "".join(text_template.blocks["subject"](text_template.new_context(values)))
        text = text_template.render(values)
        html = env.get_template(f"mail/{template}.html").render({**values, "subject": subject})
    return one_line(subject), text.strip() + "\n", html


def _translations() -> dict[str, Any]:
    from flask_babel import get_translations
    from jinja2 import pass_eval_context
    from markupsafe import Markup

    translations = get_translations()

    @pass_eval_context
    def gettext(eval_ctx, string: str, /, **variables) -> str:
        text = translations.ugettext(string)
        return (Markup(text) if eval_ctx.autoescape else text) % variables

    @pass_eval_context
    def ngettext(eval_ctx, singular: str, plural: str, num: int, /, **variables) -> str:
        variables.setdefault("num", num)
        text = translations.ungettext(singular, plural, num)
        return (Markup(text) if eval_ctx.autoescape else text) % variables

    return {"gettext": gettext, "ngettext": ngettext, "_": gettext}


def compose(
    *,
    template: str,
    context: dict[str, Any],
    to_email: str,
    to_name: str = "",
    locale: str = "de",
    message_id: str,
    attachments: list[tuple[str, str, bytes | str]] | None = None,
) -> EmailMessage:
    """The complete message: headers, text part, HTML part, attachments."""
    subject, text, html = render_parts(template, context, locale)
    message = EmailMessage(policy=SMTP_POLICY)
    message["Subject"] = subject
    message["From"] = _sender()
    message["To"] = _address(to_name, to_email)
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = one_line(message_id)
    message["Auto-Submitted"] = "auto-generated"
    if unsubscribe := context.get("unsubscribe_url"):
        message["List-Unsubscribe"] = f"<{one_line(absolute(unsubscribe))}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    for filename, mimetype, content in attachments or []:
        _attach(message, filename, mimetype, content)
    # After the parts: building them moves every Content-* header into the first part.
    message["Content-Language"] = one_line(locale)
    return message


def _attach(message: EmailMessage, filename: str, mimetype: str, content: bytes | str) -> None:
    kind, _, rest = mimetype.partition("/")
    subtype, *parameters = [p.strip() for p in rest.split(";")]
    params = dict(p.split("=", 1) for p in parameters if "=" in p)
    name = one_line(filename)
    if isinstance(content, str):
        message.add_attachment(content, subtype=subtype, filename=name, params=params)
    else:
        message.add_attachment(content, maintype=kind, subtype=subtype, filename=name)


# --- sending -----------------------------------------------------------------------------------


def _dot_stuffed(message: EmailMessage) -> bytes:
    """The message as SMTP DATA, without the final ".": CRLF line ends, leading dots doubled."""
    data = message.as_bytes(policy=SMTP_POLICY)
    data = re.sub(rb"(?:\r\n|\n|\r(?!\n))", b"\r\n", data)
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data


@functools.lru_cache(maxsize=8)
def _tls_context(cafile: str | None) -> ssl.SSLContext:
    """One verifying TLS context per CA file (building one reads the system's CAs: ~0.1 s)."""
    return ssl.create_default_context(cafile=cafile)


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    context = _tls_context(settings.cafile) if settings.security != "plain" else None
    if settings.security == "tls":
        connection: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=context
        )
    else:
        connection = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        # The final "." goes as a small write right after the body: with Nagle's algorithm it
        # waited for the server's delayed ACK, about 40 ms a mail (most of the digest's time).
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection.ehlo()
        if settings.security == "starttls":
            connection.starttls(context=context)
            connection.ehlo()
        if settings.username:
            connection.login(settings.username, settings.password or "")
    except BaseException:
        _close(connection)
        raise
    return connection


def _close(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (OSError, smtplib.SMTPException):
        connection.close()


# Each worker thread keeps its connection through a batch: the batch's mails share one (no new
# TCP, TLS and AUTH per mail); the outbox closes it after the batch (`close_kept_connection`).
KEEP_CONNECTION_SECONDS = 10.0
_held = threading.local()


def close_kept_connection() -> None:
    """Close this thread's kept connection (the outbox calls it after each batch)."""
    kept = getattr(_held, "connection", None)
    _held.connection = None
    if kept is not None:
        _close(kept[1])


def _take_connection(settings: SmtpSettings) -> tuple[smtplib.SMTP, bool]:
    """(connection, whether it was kept from before) for this thread."""
    kept = getattr(_held, "connection", None)
    _held.connection = None
    if kept is not None:
        kept_settings, connection, since = kept
        if kept_settings == settings and time.monotonic() - since < KEEP_CONNECTION_SECONDS:
            return connection, True
        _close(connection)
    return _open(settings), False


def _open(settings: SmtpSettings) -> smtplib.SMTP:
    try:
        return _connect(settings)
    except smtplib.SMTPAuthenticationError as error:
        raise RetryLater(f"SMTP login refused: {error.smtp_code}") from error
    except (OSError, smtplib.SMTPException) as error:
        raise RetryLater(f"SMTP server not reachable: {error}") from error


def send_smtp(
    settings: SmtpSettings, message: EmailMessage, sender: str, recipient: str, commit_point
) -> None:
    """Hand one message to the SMTP server; `commit_point()` runs just before the final ".".

    Raises RetryLater (connection trouble, 4xx) or Undeliverable (5xx for the recipient).
    """
    connection, kept = _take_connection(settings)
    finished = False
    try:
        try:
            code, reply = connection.mail(sender)
        except (OSError, smtplib.SMTPServerDisconnected):
            if not kept:
                raise
            connection.close()  # the server ended the idle connection: once more, afresh
            connection = _open(settings)
            code, reply = connection.mail(sender)
        if code != 250:
            raise _failure("MAIL FROM", code, reply)
        code, reply = connection.rcpt(recipient)
        if code not in (250, 251):
            raise _failure("RCPT TO", code, reply, address=recipient)
        code, reply = connection.docmd("DATA")
        if code != 354:
            raise _failure("DATA", code, reply)
        connection.send(_dot_stuffed(message))
        commit_point()  # from here on the message counts as sent (see alex.outbox)
        connection.send(b".\r\n")
        code, reply = connection.getreply()
        if code != 250:
            raise _failure("end of DATA", code, reply)
        finished = True
    except (OSError, smtplib.SMTPException) as error:
        raise RetryLater(f"SMTP conversation broke off: {error}") from error
    finally:
        if finished:
            _held.connection = (settings, connection, time.monotonic())
        else:
            _close(connection)


class AddressRefused(Undeliverable):
    """The server refused the recipient permanently (5xx on RCPT TO)."""


def _failure(step: str, code: int, reply: bytes, address: str | None = None) -> Exception:
    text = f"{step}: {code} {reply.decode(errors='replace')}"
    if 500 <= code < 600:
        return AddressRefused(text) if address else Undeliverable(text)
    return RetryLater(text)


def write_eml(message: EmailMessage, folder: Path) -> Path:
    """Keep the message as an .eml file; print its subject and first link (development; in
    production never the link)."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%d-%H%M%S")
    token = re.sub(r"[^A-Za-z0-9]", "", str(message["Message-ID"]))[:16]
    path = folder / f"{stamp}-{token}.eml"
    path.write_bytes(message.as_bytes(policy=SMTP_POLICY))
    text_part = message.get_body(("plain",))
    body = text_part.get_content() if text_part is not None else ""
    # Never a link in production: it may carry a reset token, and logs are read by many.
    link = None if current_app.config.get("ALEX_ENV") == "production" else _LINK.search(body)
    print(
        f"[mail] {message['To']}: {message['Subject']}"
        + (f"\n[mail]   {link.group(0)}" if link else "")
        + f"\n[mail]   {path}",
        file=sys.stdout,
        flush=True,
    )
    return path


# --- the "email" channel of the outbox ---------------------------------------------------------


def _recipient(message: OutboxMessage) -> tuple[str, str, str | None, bool]:
    """(address, name, locale, marked undeliverable) of the message's recipient."""
    from alex.extensions import db

    if message.user_id is None:
        return message.address or "", "", None, False
    with db.engine.connect() as connection:
        row = connection.execute(
            select(
                _user.c.email, _user.c.name, _user.c.locale, _user.c.email_undeliverable_at
            ).where(_user.c.id == message.user_id)
        ).first()
    if row is None:
        raise Undeliverable("the account no longer exists")
    return (
        message.address or row.email,
        row.name,
        row.locale,
        row.email_undeliverable_at is not None,
    )


def mark_undeliverable(user_id: int, reason: str, clear: bool = False) -> None:
    """Flag the account's address (the account page says so; mail to it stops), or clear it."""
    from alex.extensions import db

    values = (
        {"email_undeliverable_at": None, "email_undeliverable_reason": None}
        if clear
        else {"email_undeliverable_at": utcnow(), "email_undeliverable_reason": reason[:200]}
    )
    with db.engine.begin() as connection:
        connection.execute(update(_user).where(_user.c.id == user_id).values(**values))


def deliver_email(message: OutboxMessage) -> None:
    """Render the message in the recipient's language and send it (or keep it as .eml)."""
    config = current_app.config
    if not config.get("ALEX_BASE_URL"):
        raise RetryLater("ALEX_BASE_URL is not set")
    address, name, user_locale, undeliverable = _recipient(message)
    if undeliverable and message.address is None and message.kind not in ALWAYS_TRY:
        raise Undeliverable("the address is marked undeliverable")
    locale = message.locale or user_locale or config["BABEL_DEFAULT_LOCALE"]
    try:
        composed = compose(
            template=message.template,
            context={**message.context, "recipient_name": name},
            to_email=address,
            to_name=name,
            locale=locale,
            message_id=message.message_id,
            attachments=message.attachment_files(),
        )
    except MailConfigError as error:
        raise RetryLater(str(error)) from error
    url = config.get("ALEX_SMTP_URL")
    if not url:
        message.commit_point()
        write_eml(composed, Path(current_app.instance_path) / "mail")
        return
    try:
        settings = smtp_settings(url)
    except MailConfigError as error:
        raise RetryLater(str(error)) from error
    sender = composed["From"].addresses[0].addr_spec
    # The mark speaks of the account's own address: a message to another inbox (an address
    # change's confirmation link goes to the new one) neither sets nor clears it.
    own_address = message.user_id is not None and message.address is None
    try:
        send_smtp(settings, composed, sender, address, message.commit_point)
    except AddressRefused as error:
        if own_address:
            mark_undeliverable(message.user_id, str(error))
        raise
    if undeliverable and own_address:
        mark_undeliverable(message.user_id, "", clear=True)


def check_sending_config(app: Flask) -> list[str]:
    """What keeps the consumer from sending mail, in plain words (empty: all set)."""
    problems = []
    if not app.config.get("ALEX_BASE_URL"):
        problems.append(
            "ALEX_BASE_URL is not set: mails need absolute links (e.g. https://alex.example.org)."
        )
    if not app.config.get("ALEX_SMTP_URL") and app.config.get("ALEX_ENV") == "production":
        problems.append(
            "ALEX_SMTP_URL is not set: in production mails must go out over SMTP "
            "(e.g. smtp+starttls://user:password@mail.example.org:587); without it they would "
            "only be kept as .eml files on this server."
        )
    if url := app.config.get("ALEX_SMTP_URL"):
        try:
            smtp_settings(url)
        except MailConfigError as error:
            problems.append(str(error))
        if not parseaddr(app.config.get("ALEX_MAIL_FROM") or "")[1]:
            problems.append("ALEX_MAIL_FROM is not set (e.g. 'ALEx <alex@example.org>').")
    return problems


def init_app(app: Flask) -> None:
    """Register the e-mail channel with the outbox."""
    register_channel("email", deliver_email, batch_end=close_kept_connection)
