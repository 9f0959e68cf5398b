"""VAPID keys (RFC 8292): made once by the operator, kept in config, never in code.

`flask --app wsgi alex vapid-keys` makes a P-256 key pair and keeps it in `instance/vapid.json`
(mode 0600); an operator who prefers the environment sets `ALEX_VAPID_PRIVATE_KEY` and
`ALEX_VAPID_PUBLIC_KEY` instead (the environment wins). `ALEX_VAPID_SUBJECT` is the contact a
push service may write to (`mailto:` or `https:`); by default the operator's contact address.

Both keys are base64url without padding: the private key as its raw 32 bytes, the public key as
the uncompressed point (65 bytes) that browsers take as `applicationServerKey`.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask

KEY_FILE = "vapid.json"


@dataclass(frozen=True)
class VapidKeys:
    private_key: str
    public_key: str
    subject: str


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def generate_keys() -> tuple[str, str]:
    """A fresh key pair: (private, public), both base64url."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(private), b64url(public)


def public_key_of(private_key: str) -> str:
    """The public half of a base64url private key (checks that a configured pair matches)."""
    value = int.from_bytes(b64url_decode(private_key), "big")
    key = ec.derive_private_key(value, ec.SECP256R1())
    return b64url(
        key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )


def key_file(app: Flask) -> Path | None:
    """Where the keys are kept: ALEX_VAPID_KEY_FILE, else instance/vapid.json (none in tests)."""
    if app.config.get("ALEX_VAPID_KEY_FILE"):
        return Path(app.config["ALEX_VAPID_KEY_FILE"])
    return None if app.testing else Path(app.instance_path) / KEY_FILE


def write_key_file(path: Path) -> tuple[str, str]:
    """Make a key pair and keep it in `path`, readable by the owner only."""
    private, public = generate_keys()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(json.dumps({"private_key": private, "public_key": public}, indent=2) + "\n")
    return private, public


def load(app: Flask) -> None:
    """Fill ALEX_VAPID_* from instance/vapid.json where the environment left them empty.

    A private key without its matching public key is refused at start, with the reason: every
    subscription made with the wrong public key would fail silently later.
    """
    config = app.config
    if not config.get("ALEX_VAPID_PRIVATE_KEY"):
        path = key_file(app)
        if path is not None and path.exists():
            stored = json.loads(path.read_text())
            config["ALEX_VAPID_PRIVATE_KEY"] = stored.get("private_key", "")
            config["ALEX_VAPID_PUBLIC_KEY"] = stored.get("public_key", "")
    private = config.get("ALEX_VAPID_PRIVATE_KEY") or ""
    if private:
        try:
            derived = public_key_of(private)
        except (ValueError, TypeError) as error:
            raise RuntimeError(f"ALEX_VAPID_PRIVATE_KEY is not a P-256 key: {error}") from error
        if config.get("ALEX_VAPID_PUBLIC_KEY") and config["ALEX_VAPID_PUBLIC_KEY"] != derived:
            raise RuntimeError("ALEX_VAPID_PUBLIC_KEY does not belong to ALEX_VAPID_PRIVATE_KEY.")
        config["ALEX_VAPID_PUBLIC_KEY"] = derived


def keys(app: Flask) -> VapidKeys | None:
    """The configured keys, or None: then push is not offered on this installation."""
    private = app.config.get("ALEX_VAPID_PRIVATE_KEY") or ""
    if not private:
        return None
    subject = app.config.get("ALEX_VAPID_SUBJECT") or ""
    if not subject:
        contact = app.config.get("ALEX_CONTACT_EMAIL") or ""
        subject = f"mailto:{contact}" if contact else app.config["ALEX_SECURITY_CONTACT"]
    return VapidKeys(private, app.config["ALEX_VAPID_PUBLIC_KEY"], subject)
