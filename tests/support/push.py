"""A Web Push service inside the test suite: RFC 8030 on a loopback port, decrypting RFC 8291.

Each `device()` is a browser's side of a subscription: a P-256 key pair and a 16-byte auth
secret, with an endpoint on this server. A POST to the endpoint is checked the way a real push
service (and the browser behind it) would: the VAPID token (RFC 8292: `Authorization: vapid
t=<JWT>, k=<key>`, ES256, `aud` = the endpoint's origin, `exp` within 24 h, a `sub` contact),
`TTL`, `Content-Encoding: aes128gcm`, and the body decrypted with the device's private key and
auth secret (http_ece). Accepted messages answer 201 Created with a Location, as RFC 8030 says.

    with PushReceiver() as receiver:
        device = receiver.device()
        ... subscribe with device.subscription ...
        [message] = receiver.messages   # message.payload is the decrypted JSON

`receiver.answer(device, 410)` makes the service answer that status for the device (a browser
that unsubscribed: 404/410; overload: 429/503).
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def settings_path(app) -> str:
    """Where the push settings are shown: the notification settings page, else the account page."""
    return "/account/notifications" if "reach.settings" in app.view_functions else "/account"


@dataclass
class Device:
    """The browser side of one push subscription."""

    token: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes

    @property
    def p256dh(self) -> str:
        return b64url(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    @property
    def auth(self) -> str:
        return b64url(self.auth_secret)

    @property
    def subscription(self) -> dict:
        """What PushSubscription.toJSON() gives in a browser."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


@dataclass
class Received:
    """One message the push service accepted, decrypted."""

    device: Device
    headers: dict[str, str]
    claims: dict
    vapid_key: str
    body: bytes
    plaintext: bytes
    payload: dict = field(default_factory=dict)


class VapidError(Exception):
    pass


def verify_vapid(authorization: str, origin: str) -> tuple[dict, str]:
    """Check an RFC 8292 `vapid t=…, k=…` header; the token's claims and the signer's key."""
    scheme, _, params = authorization.partition(" ")
    if scheme.lower() != "vapid":
        raise VapidError(f"not a vapid authorization: {scheme!r}")
    values = dict(part.strip().split("=", 1) for part in params.split(","))
    token, key = values["t"], values["k"]
    header_b64, claims_b64, signature_b64 = token.split(".")
    header = json.loads(unb64url(header_b64))
    if header.get("alg") != "ES256":
        raise VapidError(f"alg {header.get('alg')!r}")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
    signature = unb64url(signature_b64)
    if len(signature) != 64:
        raise VapidError("signature is not raw r||s")
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    try:
        public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as error:
        raise VapidError("bad signature") from error
    claims = json.loads(unb64url(claims_b64))
    now = time.time()
    if claims.get("aud") != origin:
        raise VapidError(f"aud {claims.get('aud')!r} is not {origin!r}")
    if not now < int(claims.get("exp", 0)) <= now + 24 * 3600:
        raise VapidError("exp not within 24 hours")
    if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
        raise VapidError(f"sub {claims.get('sub')!r}")
    return claims, key


class PushReceiver:
    """The push service: start it, make devices, read what arrived."""

    def __init__(self) -> None:
        self.devices: dict[str, Device] = {}
        self.messages: list[Received] = []
        self.refusals: list[str] = []  # why requests were refused (a test expects none)
        self.answers: dict[str, int] = {}
        self.redirects: dict[str, str] = {}  # device token -> where a 307 points
        self.requests = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                status, location = receiver._handle(self)
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> PushReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def device(self) -> Device:
        token = secrets.token_urlsafe(16)
        device = Device(
            token=token,
            endpoint=f"{self.origin}/push/{token}",
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth_secret=secrets.token_bytes(16),
        )
        self.devices[token] = device
        return device

    def answer(self, device: Device, status: int) -> None:
        """From now on, answer this status for the device (0: accept again)."""
        self.answers[device.token] = status

    def redirect(self, device: Device, location: str) -> None:
        """From now on, answer 307 Temporary Redirect to `location` for the device."""
        self.redirects[device.token] = location

    def messages_for(self, device: Device) -> list[Received]:
        return [m for m in self.messages if m.device is device]

    def _refuse(self, status: int, reason: str) -> tuple[int, str]:
        with self._lock:
            self.refusals.append(reason)
        return status, ""

    def _handle(self, request: BaseHTTPRequestHandler) -> tuple[int, str]:
        with self._lock:
            self.requests += 1
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        token = request.path.removeprefix("/push/")
        device = self.devices.get(token)
        if device is None or not request.path.startswith("/push/"):
            return 404, ""
        if status := self.answers.get(token):
            return status, ""
        if location := self.redirects.get(token):
            return 307, location
        headers = {k.lower(): v for k, v in request.headers.items()}
        if not headers.get("ttl", "").isdigit():
            return self._refuse(400, "TTL header missing")
        try:
            claims, key = verify_vapid(headers.get("authorization", ""), self.origin)
        except (VapidError, ValueError, KeyError) as error:
            return self._refuse(401, f"VAPID: {error}")
        if headers.get("content-encoding") != "aes128gcm":
            return self._refuse(415, f"content-encoding {headers.get('content-encoding')!r}")
        try:
            plaintext = http_ece.decrypt(
                body,
                private_key=device.private_key,
                auth_secret=device.auth_secret,
                version="aes128gcm",
            )
        except Exception as error:  # noqa: BLE001 (any decryption failure is a refusal)
            return self._refuse(400, f"decryption failed: {error!r}")
        try:
            payload = json.loads(plaintext)
        except ValueError:
            payload = {}
        received = Received(device, headers, claims, key, body, plaintext, payload)
        with self._lock:
            self.messages.append(received)
            number = len(self.messages)
        return 201, f"{self.origin}/message/{number}"
