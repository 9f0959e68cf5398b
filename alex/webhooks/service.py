"""Webhooks: register, turn on and off, and deliver an expedition's events, signed.

An event (`alex.events.publish`, raised where a meeting is scheduled, moved or cancelled, an
action agreed or done, support requested) becomes one outbox row per webhook that wants it, in
the transaction of the change (`on_event`). The consumer delivers the row (`deliver`, channel
"webhook") with the outbox's retries (1, 2, 4 … 64 minutes); each attempt is recorded. A webhook
that failed `MAX_FAILURES` times in a row, or has failed for `FAILING_FOR` without a success in
between, is turned off and the facilitators get a notice in the app.

What a request carries (the body, Standard Webhooks' recommended shape)::

    {"type": "meeting.moved", "timestamp": "2026-12-07T10:00:00+00:00",
     "data": {"expedition": {"id": 1, "title": "…", "url": "…"}, "meeting": {…}}}

`data` holds the expedition and the event's own part, as published (see `alex.events`):
``meeting`` (id, kind, sprint_number, starts_at, duration_minutes, location, url),
``action`` (id, title, kind, owner's name, outcome, meeting_id), ``support`` (check_in_id and
the name of the member who asks; never what they wrote, and only for an entry shared with the
Zirkel). Nothing from private cards, no author of a retro note. URLs are absolute with
``ALEX_BASE_URL`` and left out without it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from alex.db import utcnow
from alex.events import EVENTS
from alex.expeditions.models import Expedition, Membership
from alex.exports.hooks import iso
from alex.notifications import absolute, local_link, notify_all
from alex.webhooks import sending
from alex.webhooks.models import URL_MAX, Webhook, WebhookDelivery

CHANNEL = "webhook"
MAX_WEBHOOKS = 5  # per expedition
MAX_FAILURES = 10  # failed attempts in a row before a webhook is turned off …
FAILING_FOR = timedelta(hours=24)  # … or failing this long without a success
KEEP_DELIVERIES = 20  # attempts listed per webhook; older ones are deleted

REFUSAL_MESSAGES = {
    "scheme": _l("Please give an https:// address."),
    "credentials": _l("Please leave user name and password out of the address."),
    "host": _l("Please give a complete address, e.g. https://chat.example.org/hook."),
    "port": _l("The port in the address is not a number."),
    "dns": _l("This host name cannot be found. Please check the address."),
    "private": _l(
        "This address is in a private or local network. ALEx sends webhooks only to the internet."
    ),
}


class WebhookError(Exception):
    """A problem the facilitator can fix; the message says how, `field` where ("url", "events")."""

    def __init__(self, message, field: str = "url"):
        super().__init__(message)
        self.field = field


def event_label(event: str) -> str:
    """An event's name on the settings page (current language)."""
    return str(
        {
            "meeting.scheduled": _l("A meeting is scheduled"),
            "meeting.moved": _l("A meeting is moved"),
            "meeting.cancelled": _l("A meeting is cancelled"),
            "action.created": _l("An action is agreed in the retro"),
            "action.done": _l("An action is done (or learned from)"),
            "support.requested": _l("Someone asks the Zirkel for support"),
        }.get(event, event)
    )


def _allow_private() -> bool:
    return bool(current_app.config.get("ALEX_WEBHOOK_ALLOW_PRIVATE"))


def check_url(url: str) -> str:
    """The URL, stripped, if a webhook may be sent there; else `WebhookError`."""
    url = (url or "").strip()
    if not url:
        raise WebhookError(_l("Please give the address the events are sent to."))
    if len(url) > URL_MAX:
        raise WebhookError(_l("Please keep the address under %(max)d characters.", max=URL_MAX))
    try:
        sending.resolve(url, allow_private=_allow_private())
    except sending.Refused as refusal:
        raise WebhookError(REFUSAL_MESSAGES[str(refusal)]) from refusal
    return url


def webhooks_of(session: Session, expedition_id: int) -> list[Webhook]:
    """The expedition's webhooks, oldest first."""
    return list(
        session.scalars(
            select(Webhook).where(Webhook.expedition_id == expedition_id).order_by(Webhook.id)
        )
    )


def deliveries_of(session: Session, webhook_ids: list[int]) -> dict[int, list[WebhookDelivery]]:
    """The last attempts per webhook, newest first (one query for the page)."""
    found: dict[int, list[WebhookDelivery]] = {i: [] for i in webhook_ids}
    if not webhook_ids:
        return found
    for delivery in session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.webhook_id.in_(webhook_ids))
        .order_by(WebhookDelivery.attempted_at.desc(), WebhookDelivery.id.desc())
    ):
        if len(found[delivery.webhook_id]) < KEEP_DELIVERIES:
            found[delivery.webhook_id].append(delivery)
    return found


def create_webhook(
    session: Session, expedition_id: int, user_id: int, url: str, events: list[str]
) -> Webhook:
    """Register a webhook; its secret is on the returned row (show it now: never again)."""
    url = check_url(url)
    chosen = [e for e in EVENTS if e in set(events)]
    if not chosen or len(chosen) != len(set(events)):
        raise WebhookError(_l("Please choose at least one event."), "events")
    # The expedition's row stays locked until commit, so two registrations at once count one
    # after the other and cannot both pass at four (SQLite already writes one at a time).
    session.execute(
        select(Expedition.id).where(Expedition.id == expedition_id).with_for_update()
    ).all()
    count = session.scalar(
        select(func.count(Webhook.id)).where(Webhook.expedition_id == expedition_id)
    )
    if (count or 0) >= MAX_WEBHOOKS:
        raise WebhookError(
            _l(
                "An expedition can have %(max)d webhooks. Please delete one first.",
                max=MAX_WEBHOOKS,
            )
        )
    webhook = Webhook(
        expedition_id=expedition_id,
        url=url,
        events=chosen,
        secret=sending.new_secret(),
        enabled=True,
        disabled_reason="",
        failures=0,
        created_by=user_id,
    )
    session.add(webhook)
    session.flush()
    return webhook


def set_enabled(session: Session, webhook: Webhook, enabled: bool) -> None:
    """Turn a webhook on (with a clean slate of failures) or off."""
    webhook.enabled = enabled
    webhook.disabled_reason = "" if enabled else "manual"
    if enabled:
        webhook.failures = 0
        webhook.failing_since = None


def delete_webhook(session: Session, webhook: Webhook) -> None:
    """Delete a webhook; its queued messages are dropped when they come up."""
    session.delete(webhook)


# --- events in, requests out -------------------------------------------------------------------


def _with_urls(part: Any) -> Any:
    """A published part with each local ``path`` made an absolute ``url`` (none without a base)."""
    if isinstance(part, dict):
        shown = {}
        for key, value in part.items():
            if key == "path":
                if value and current_app.config.get("ALEX_BASE_URL"):
                    shown["url"] = absolute(value)
                continue
            shown[key] = _with_urls(value)
        return shown
    return part


def body_of(
    session: Session, event: str, expedition_id: int, payload: dict[str, Any]
) -> dict[str, Any]:
    """The JSON body for an event (see the module docstring)."""
    expedition = session.get(Expedition, expedition_id)
    title = expedition.title if expedition else ""
    data = {
        "expedition": _with_urls(
            {
                "id": expedition_id,
                "title": title,
                "path": local_link("expeditions.show", expedition_id=expedition_id),
            }
        ),
        **_with_urls(payload),
    }
    return {"type": event, "timestamp": utcnow().isoformat(), "data": data}


def on_event(session: Session, event: str, expedition_id: int, payload: dict[str, Any]) -> None:
    """Queue one signed message per enabled webhook of the expedition that wants this event."""
    from alex.outbox import enqueue

    hooks = [
        hook
        for hook in session.scalars(
            select(Webhook).where(Webhook.expedition_id == expedition_id, Webhook.enabled.is_(True))
        )
        if event in (hook.events or [])
    ]
    if not hooks:
        return
    # Serialised once: every retry sends the very bytes the signature covers.
    body = json.dumps(
        body_of(session, event, expedition_id, payload), ensure_ascii=False, sort_keys=True
    )
    for hook in hooks:
        enqueue(
            session,
            channel=CHANNEL,
            kind=event,
            template="webhook",
            context={"webhook_id": hook.id, "msg_id": f"msg_{uuid.uuid4().hex}", "body": body},
            address=f"webhook:{hook.id}",
        )


TEST_EVENT = "ping"  # "send a test event" on the settings page; no expedition content


def send_test(session: Session, webhook: Webhook) -> None:
    """Queue a signed test event for one webhook (on or off: it is how one checks a fix)."""
    from alex.outbox import enqueue

    body = json.dumps(
        body_of(session, TEST_EVENT, webhook.expedition_id, {}), ensure_ascii=False, sort_keys=True
    )
    enqueue(
        session,
        channel=CHANNEL,
        kind=TEST_EVENT,
        template="webhook",
        context={
            "webhook_id": webhook.id,
            "msg_id": f"msg_{uuid.uuid4().hex}",
            "body": body,
            "test": True,
        },
        address=f"webhook:{webhook.id}",
    )


@dataclass
class Attempt:
    """What one delivery attempt did to its webhook."""

    ok: bool
    turned_off: bool


def record_attempt(
    session: Session, webhook: Webhook, event: str, message_id: str, answer: sending.Answer
) -> Attempt:
    """Log the attempt; count failures in a row and turn the webhook off after too many.

    Conditional UPDATEs: two consumers finishing attempts of one webhook at once count both, and
    only one of them turns it off (and so only one notice goes out).
    """
    now = utcnow()
    session.add(
        WebhookDelivery(
            webhook_id=webhook.id,
            event=event,
            message_id=message_id,
            attempted_at=now,
            status_code=answer.status,
            ok=answer.ok,
            error=answer.error[:200],
        )
    )
    turned_off = False
    if answer.ok:
        session.execute(
            update(Webhook).where(Webhook.id == webhook.id).values(failures=0, failing_since=None)
        )
    else:
        session.execute(
            update(Webhook).where(Webhook.id == webhook.id).values(failures=Webhook.failures + 1)
        )
        session.execute(
            update(Webhook)
            .where(Webhook.id == webhook.id, Webhook.failing_since.is_(None))
            .values(failing_since=now)
        )
        turned_off = bool(
            session.execute(
                update(Webhook)
                .where(
                    Webhook.id == webhook.id,
                    Webhook.enabled.is_(True),
                    (Webhook.failures >= MAX_FAILURES)
                    | (Webhook.failing_since <= now - FAILING_FOR),
                )
                .values(enabled=False, disabled_reason="failures")
            ).rowcount
        )
        if turned_off:
            _tell_facilitators(session, webhook)
    _prune(session, webhook.id)
    return Attempt(ok=answer.ok, turned_off=turned_off)


def _tell_facilitators(session: Session, webhook: Webhook) -> None:
    facilitators = session.scalars(
        select(Membership.user_id).where(
            Membership.expedition_id == webhook.expedition_id, Membership.is_facilitator.is_(True)
        )
    )
    notify_all(
        session,
        facilitators,
        "webhook_disabled",
        expedition_id=webhook.expedition_id,
        subject=urlsplit(webhook.url).hostname or webhook.url,
        link=local_link("webhooks.settings", expedition_id=webhook.expedition_id),
    )


def _prune(session: Session, webhook_id: int) -> None:
    """Keep the last KEEP_DELIVERIES attempts of a webhook."""
    session.flush()
    keep = (
        select(WebhookDelivery.id)
        .where(WebhookDelivery.webhook_id == webhook_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(KEEP_DELIVERIES)
        .scalar_subquery()
    )
    session.execute(
        delete(WebhookDelivery).where(
            WebhookDelivery.webhook_id == webhook_id, WebhookDelivery.id.not_in(keep)
        )
    )


def send(webhook: Webhook, message_id: str, body: str) -> sending.Answer:
    """Sign and send one message to its webhook (now, with this attempt's timestamp)."""
    timestamp = int(utcnow().timestamp())
    headers = {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sending.sign(webhook.secret, message_id, timestamp, body),
    }
    return sending.post(webhook.url, body.encode(), headers, allow_private=_allow_private())


def deliver(message) -> None:
    """The outbox deliverer of channel "webhook" (registered by `alex.webhooks.init_app`).

    A webhook that is gone or turned off drops the message (`Undeliverable`); a failed attempt
    is tried again by the outbox (`RetryLater`) until the webhook is turned off or the outbox
    gives up. A repeat after a crash carries the same ``webhook-id``, so a receiver can tell.
    """
    from alex.extensions import db
    from alex.outbox import RetryLater, Undeliverable

    context = message.context or {}
    session = db.session
    try:
        webhook = session.get(Webhook, context.get("webhook_id"))
        if webhook is None or not (webhook.enabled or context.get("test")):
            raise Undeliverable("the webhook was deleted or turned off")
        answer = send(webhook, str(context["msg_id"]), str(context["body"]))
        attempt = record_attempt(session, webhook, message.kind, str(context["msg_id"]), answer)
        session.commit()
    finally:
        session.rollback()
    if attempt.ok:
        return
    if context.get("test"):  # a test is not tried again: the page shows how it went
        raise Undeliverable(answer.error or "failed")
    if attempt.turned_off:
        raise Undeliverable(f"{answer.error}; the webhook was turned off")
    raise RetryLater(answer.error or "failed")


def export_rows(session: Session, user_id: int) -> list[dict]:
    """Webhooks the person registered, for their data export (never the signing secret)."""
    return [
        {
            "expedition_id": w.expedition_id,
            "url": w.url,
            "events": list(w.events),
            "enabled": w.enabled,
            "created_at": iso(w.created_at),
        }
        for w in session.scalars(
            select(Webhook).where(Webhook.created_by == user_id).order_by(Webhook.created_at)
        )
    ]
