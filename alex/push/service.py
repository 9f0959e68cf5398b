"""Web Push: subscriptions per device, the payload a lock screen may show, sending with pywebpush.

A subscription is made only when the person presses the button in the notification settings
(the browser then asks for permission); nothing subscribes on page load. Sending encrypts the
payload to the browser's keys (RFC 8291, aes128gcm) and signs a VAPID token (RFC 8292); the push
service (RFC 8030) answers 201, or 404/410 when the browser dropped the subscription — then the
row goes too.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from flask import current_app
from flask_babel import gettext as _
from pywebpush import WebPushException, webpush
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from alex.db import upsert, utcnow
from alex.exports.hooks import iso
from alex.push import vapid
from alex.push.models import ENDPOINT_MAX, USER_AGENT_MAX, PushSubscription

log = logging.getLogger(__name__)

# Devices per account: more is almost surely a loop in some browser, not a person.
MAX_DEVICES = 10
# How long a push service keeps a message for a device that is offline (seconds).
TTL_SECONDS = 24 * 3600
SEND_TIMEOUT_SECONDS = 10
# Text past this is cut: push services accept about 4 KB of encrypted payload.
BODY_MAX = 600
TITLE_MAX = 120


class Outcome(enum.Enum):
    SENT = "sent"
    GONE = "gone"  # 404/410: the browser unsubscribed; the row is deleted
    RETRY = "retry"  # 429, 5xx, no connection: try again later
    REJECTED = "rejected"  # any other 4xx: this message will never be accepted


@dataclass(frozen=True)
class Payload:
    """What the service worker shows: a title, a body, and the local path a click opens."""

    title: str
    body: str
    url: str
    tag: str
    lang: str

    def to_json(self) -> str:
        return json.dumps(
            {
                "title": self.title,
                "body": self.body,
                "url": self.url,
                "tag": self.tag,
                "lang": self.lang,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )


# ---------------------------------------------------------------------------- subscriptions


def subscription_problem(endpoint: str, p256dh: str, auth: str) -> str | None:
    """Why a subscription the browser sent cannot be kept, or None.

    The endpoint must be an https URL: the server posts to it, so no plain-http or internal
    address (only on loopback outside production, for the test suite's push receiver).
    """
    if not endpoint or len(endpoint) > ENDPOINT_MAX:
        return _("The browser sent no usable push address.")
    parts = urlsplit(endpoint)
    if parts.scheme == "http" and _loopback_allowed(parts.hostname or ""):
        pass
    elif parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        return _("The browser sent no usable push address.")
    elif _is_internal(parts.hostname):
        return _("The browser sent no usable push address.")
    try:
        key = vapid.b64url_decode(p256dh)
        secret = vapid.b64url_decode(auth)
    except ValueError:
        return _("The browser sent unusable push keys.")
    if len(key) != 65 or key[0] != 4 or len(secret) != 16:
        return _("The browser sent unusable push keys.")
    return None


def _loopback_allowed(host: str) -> bool:
    return current_app.config["ALEX_ENV"] != "production" and host in ("127.0.0.1", "localhost")


def _is_internal(host: str) -> bool:
    """A private, loopback or link-local address, literal or by name: the server would post to
    its own network. (A name that does not resolve now is let through: sending will fail.)"""
    host = host.strip("[]")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return _refused_address(host)
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False
    return any(_refused_address(info[4][0].split("%")[0]) for info in found)


# Global by Python's table, yet a way into the own network: NAT64 (RFC 6052) translates
# 64:ff9b::a00:1 to 10.0.0.1 on a network that runs it.
REFUSED_NETWORKS = (ipaddress.ip_network("64:ff9b::/96"),)


def _refused_address(text: str) -> bool:
    """Not a public address (ValueError: not an address at all)."""
    address = ipaddress.ip_address(text)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return _refused_address(str(address.ipv4_mapped))
        if any(address in network for network in REFUSED_NETWORKS):
            return True
    return not address.is_global


class _NoRedirects(requests.Session):
    """A session that never follows a redirect: a push service answering 3xx could otherwise
    send the server's POST to any address (SSRF), past the check of the endpoint."""

    def request(self, method, url, *args, **kwargs):
        kwargs["allow_redirects"] = False
        return super().request(method, url, *args, **kwargs)


def subscribe(
    session: Session,
    user_id: int,
    *,
    endpoint: str,
    p256dh: str,
    auth: str,
    user_agent: str = "",
    show_content: bool = False,
) -> PushSubscription | None:
    """Keep this device's subscription (validated before); None when the account has too many.

    The same endpoint again (the button pressed twice, or another account on the same browser)
    updates the one row: a browser has one subscription, and it belongs to whoever asked last.
    """
    known = session.scalar(select(PushSubscription.id).where(PushSubscription.endpoint == endpoint))
    if known is None:
        count = session.scalar(
            select(func.count(PushSubscription.id)).where(PushSubscription.user_id == user_id)
        )
        if (count or 0) >= MAX_DEVICES:
            return None
    # One INSERT … ON CONFLICT: a double click (two requests at once) updates, never a 500.
    upsert(
        session,
        PushSubscription,
        {"endpoint": endpoint},
        {
            "user_id": user_id,
            "p256dh": p256dh,
            "auth": auth,
            "user_agent": user_agent[:USER_AGENT_MAX],
            "show_content": show_content,
            "created_at": utcnow(),
        },
    )
    return session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))


def renew(
    session: Session, *, old_endpoint: str, old_auth: str, endpoint: str, p256dh: str, auth: str
) -> bool:
    """The browser replaced a subscription (`pushsubscriptionchange`): move the row to the new
    one. The old auth secret proves it is that browser: only it and this server know it."""
    row = session.scalar(
        select(PushSubscription).where(PushSubscription.endpoint == old_endpoint).with_for_update()
    )
    if row is None or not hmac.compare_digest(row.auth.encode(), old_auth.encode()):
        return False
    taken = session.scalar(
        select(PushSubscription.id).where(
            PushSubscription.endpoint == endpoint, PushSubscription.id != row.id
        )
    )
    if taken is not None:
        session.delete(row)  # the new subscription is known already (turned on again meanwhile)
        return True
    row.endpoint, row.p256dh, row.auth = endpoint, p256dh, auth
    return True


def forget_devices(session: Session, user_id: int) -> None:
    """Every login session of the account ended (reset, "log out everywhere"): its devices get
    no more pushes until the person turns push on again."""
    session.execute(delete(PushSubscription).where(PushSubscription.user_id == user_id))


def subscriptions_of(session: Session, user_id: int) -> list[PushSubscription]:
    return list(
        session.scalars(
            select(PushSubscription)
            .where(PushSubscription.user_id == user_id)
            .order_by(PushSubscription.created_at.desc(), PushSubscription.id.desc())
        )
    )


def unsubscribe(session: Session, user_id: int, subscription_id: int) -> bool:
    """Turn push off for one of the person's own devices; False when there is no such device."""
    result = session.execute(
        delete(PushSubscription).where(
            PushSubscription.id == subscription_id, PushSubscription.user_id == user_id
        )
    )
    return bool(result.rowcount)


def set_show_content(session: Session, user_id: int, subscription_id: int, show: bool) -> bool:
    """Choose whether this device's lock screen shows what a message is about."""
    result = session.execute(
        update(PushSubscription)
        .where(PushSubscription.id == subscription_id, PushSubscription.user_id == user_id)
        .values(show_content=show)
    )
    return bool(result.rowcount)


# ---------------------------------------------------------------------------- sending


def neutral_payload(url: str, tag: str, lang: str) -> Payload:
    """What a lock screen shows unless the person chose otherwise: nothing private."""
    return Payload(
        title="ALEx",
        body=_("There is something new in your learning expedition."),
        url=url,
        tag=tag,
        lang=lang,
    )


def topic_of(message_id: str) -> str:
    """An RFC 8030 Topic (≤ 32 base64url characters): a newer message with it replaces the older
    one waiting at the push service."""
    return vapid.b64url(hashlib.sha256(message_id.encode()).digest()[:18])


def send(
    subscription: PushSubscription,
    payload: Payload,
    *,
    topic: str | None = None,
    urgency: str = "normal",
) -> Outcome:
    """Encrypt and post one message to one device; the push service's answer as an Outcome."""
    keys = vapid.keys(current_app)
    if keys is None:
        raise RuntimeError("Web Push needs VAPID keys: run `flask --app wsgi alex vapid-keys`.")
    headers = {"Urgency": urgency}
    if topic:
        headers["Topic"] = topic
    http = _NoRedirects()
    try:
        webpush(
            {
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            },
            payload.to_json(),
            vapid_private_key=keys.private_key,
            vapid_claims={"sub": keys.subject},
            ttl=TTL_SECONDS,
            timeout=SEND_TIMEOUT_SECONDS,
            headers=headers,
            requests_session=http,
        )
    except WebPushException as error:
        status = error.status_code
        log.info("push to subscription %s refused: %s", subscription.id, status)
        if status is not None and 300 <= status < 400:
            return Outcome.REJECTED  # a redirect is not followed: the delivery failed
        if status in (404, 410):
            return Outcome.GONE
        if status is None or status == 429 or status >= 500:
            return Outcome.RETRY
        return Outcome.REJECTED
    except requests.RequestException as error:
        log.info("push to subscription %s failed: %s", subscription.id, error)
        return Outcome.RETRY
    finally:
        http.close()
    return Outcome.SENT


def send_to_user(
    session: Session, user_id: int, payload_for, *, topic: str | None = None
) -> dict[Outcome, int]:
    """Send to every device of a person; devices the push service calls gone are deleted.

    `payload_for(subscription)` builds each device's payload (the lock-screen choice is per
    device). Returns how many devices ended in each outcome.
    """
    counts = dict.fromkeys(Outcome, 0)
    for subscription in subscriptions_of(session, user_id):
        outcome = send(subscription, payload_for(subscription), topic=topic)
        counts[outcome] += 1
        if outcome is Outcome.GONE:
            session.execute(delete(PushSubscription).where(PushSubscription.id == subscription.id))
        elif outcome is Outcome.SENT:
            subscription.last_sent_at = utcnow()
    return counts


def export_rows(session: Session, user_id: int) -> list[dict]:
    """The person's devices for their data export: the push service's host, never the keys
    (nor the full endpoint, which is itself a capability to message the device)."""
    return [
        {
            "push_service": urlsplit(s.endpoint).hostname or "",
            "device": s.user_agent,
            "show_content": s.show_content,
            "created_at": iso(s.created_at),
            "last_sent_at": iso(s.last_sent_at),
        }
        for s in session.scalars(
            select(PushSubscription)
            .where(PushSubscription.user_id == user_id)
            .order_by(PushSubscription.created_at, PushSubscription.id)
        )
    ]
