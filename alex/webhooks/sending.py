"""Signing and sending one webhook request: Standard Webhooks, and no way into the local network.

Signature (https://www.standardwebhooks.com/, "Signature scheme"; signed by the reference
library `standardwebhooks`): the secret is ``whsec_`` and base64 of random bytes; the signature
is base64 of HMAC-SHA256, keyed with those bytes, over ``{webhook-id}.{webhook-timestamp}.{body}``,
sent as ``webhook-signature: v1,<signature>``.

Where a request may go: ``https`` only, to an address on the public internet. The URL's host is
resolved once per attempt, every address it names must be public, and the connection goes to
that very address (the name is used only for TLS and the Host header), so a name that changes
its answer between the check and the connect (DNS rebinding) gains nothing. No redirect is
followed, every socket operation times out, and at most `RESPONSE_MAX` bytes of the answer are
read. `ALEX_WEBHOOK_ALLOW_PRIVATE=1` lets an operator send to private, loopback and link-local
addresses too, and there also by plain ``http`` (a bridge in the office network).
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import secrets
import socket
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from standardwebhooks import Webhook as StandardWebhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24
TIMEOUT_SECONDS = 5.0  # each connect, send and read
RESPONSE_MAX = 64 * 1024  # bytes of an answer read at most (the body is not used)
USER_AGENT = "ALEx-Webhooks/1"


class Refused(Exception):
    """The URL may not be called; the message is the reason: "scheme", "credentials", "host",
    "port", "dns" or "private" (`alex.webhooks.service.REFUSAL_MESSAGES` words them)."""


def new_secret() -> str:
    """A fresh signing secret in the Standard Webhooks form."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` header's value for this request (the reference library's)."""
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return StandardWebhook(secret).sign(msg_id=message_id, timestamp=moment, data=body)


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class Target:
    """Where one request goes: the URL's parts and the checked address to connect to."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def resolve(url: str, *, allow_private: bool) -> Target:
    """Check the URL and pick the address to connect to; `Refused` says why not."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise Refused("scheme")
    if parts.username or parts.password:
        raise Refused("credentials")
    host = parts.hostname
    if not host:
        raise Refused("host")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as error:
        raise Refused("port") from error
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise Refused("dns") from error
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        raise Refused("dns")
    private = [a for a in addresses if not _is_public(a)]
    if private and not allow_private:
        raise Refused("private")
    if scheme == "http" and not (allow_private and len(private) == len(addresses)):
        raise Refused("scheme")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme, host, port, path, str(addresses[0]))


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Plain HTTP to the checked address, whatever the name resolves to by now."""

    def __init__(self, target: Target):
        super().__init__(target.host, target.port, timeout=TIMEOUT_SECONDS)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the checked address; the certificate must be valid for the URL's host name."""

    def __init__(self, target: Target):
        super().__init__(
            target.host,
            target.port,
            timeout=TIMEOUT_SECONDS,
            context=ssl.create_default_context(),
        )
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Answer:
    """What the receiver said: its status (None: no answer) and, if it failed, why."""

    status: int | None
    error: str = ""

    @property
    def ok(self) -> bool:
        """A 2xx answer; a redirect counts as a failure (it is never followed)."""
        return self.status is not None and 200 <= self.status < 300


def post(url: str, body: bytes, headers: dict[str, str], *, allow_private: bool) -> Answer:
    """Send one signed request; never raises for network trouble (the answer says it)."""
    try:
        target = resolve(url, allow_private=allow_private)
    except Refused as error:
        return Answer(None, f"refused: {error}")
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target)
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={
                **headers,
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "Connection": "close",
            },
        )
        response = connection.getresponse()
        response.read(RESPONSE_MAX)  # drained up to the cap, then the connection is closed
        status = response.status
    except (OSError, http.client.HTTPException) as error:
        return Answer(None, f"{type(error).__name__}: {error}"[:200])
    finally:
        connection.close()
    if 300 <= status < 400:
        return Answer(status, "redirects are not followed")
    if not 200 <= status < 300:
        return Answer(status, f"HTTP {status}")
    return Answer(status)
