"""The outbox's channel "push": one outbox row becomes a notification on each of a person's devices.

What an outbox row for push carries (`outbox.enqueue(session, channel="push", user_id=…,
kind=…, template=…, context={…})`):

- `kind` one of `alex.notifications.KINDS`: the sentence is the in-app one, written from
  `context["subject"]` and `context["actor_name"]`;
- otherwise `templates/push/<template>.txt`, rendered with the context: its first line is the
  title, the rest the body;
- otherwise `context["title"]` and `context["body"]`.

`context["link"]` (a local path) is what a click opens, `context["expedition_title"]` the
title of a notification kind, `context["tag"]` replaces an earlier notification of the same tag
on the device (default: one tag per message). A device whose person did not choose to see content on the lock screen gets only
"ALEx" and a neutral sentence (the link still opens the right page after unlocking). Text is
written at delivery, in the recipient's language (the row's `locale`, else the account's).
"""

from __future__ import annotations

from types import SimpleNamespace

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from jinja2 import TemplateNotFound

from alex.auth.models import User
from alex.extensions import db
from alex.i18n import LOCALES
from alex.notifications import KINDS, notification_text
from alex.push import service, vapid
from alex.push.models import PushSubscription

TEST_KIND = "push_test"  # the settings' "send a test notification"


def message_locale(message) -> str:
    """The row's language, else the recipient's, else the installation's default."""
    if message.locale in LOCALES:
        return message.locale
    user = db.session.get(User, message.user_id) if message.user_id else None
    if user is not None and user.locale in LOCALES:
        return user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _local_path(link) -> str:
    if not isinstance(link, str) or not link.startswith("/") or link.startswith("//"):
        return "/"
    return link


def content(message) -> tuple[str, str]:
    """Title and body that say what the message is about (current locale)."""
    context = message.context or {}
    if message.kind == TEST_KIND:
        return "ALEx", _("Push notifications work on this device.")
    if message.kind in KINDS:
        actor_name = context.get("actor_name")
        shown = SimpleNamespace(
            kind=message.kind,
            subject=str(context.get("subject") or ""),
            actor=SimpleNamespace(name=actor_name) if actor_name else None,
        )
        title = str(context.get("expedition_title") or "ALEx")
        return title, notification_text(shown)  # type: ignore[arg-type]
    if message.template:
        try:
            text = render_template(f"push/{message.template}.txt", **context).strip()
        except TemplateNotFound:
            text = ""
        if text:
            title, _newline, body = text.partition("\n")
            return title.strip(), body.strip()
    return str(context.get("title") or "ALEx"), str(context.get("body") or "")


def payload_for(message, subscription: PushSubscription, lang: str) -> service.Payload:
    """What this device shows for the message: content only where the person chose so."""
    context = message.context or {}
    url = _local_path(context.get("link"))
    # One tag per message: should a crash make the consumer send it again, the device shows it
    # once (the new one replaces the old), and the push service keeps one (the same Topic).
    tag = str(context.get("tag") or service.topic_of(str(message.message_id)))[:64]
    if not subscription.show_content:
        return service.neutral_payload(url, tag, lang)
    title, body = content(message)
    return service.Payload(
        title=title[: service.TITLE_MAX],
        body=body[: service.BODY_MAX],
        url=url,
        tag=tag,
        lang=lang,
    )


def send_message(message) -> dict[service.Outcome, int]:
    """Send one outbox row to every device of its recipient (see `deliver` for the outcome)."""
    lang = message_locale(message)
    with force_locale(lang):
        return service.send_to_user(
            db.session,
            message.user_id,
            lambda subscription: payload_for(message, subscription, lang),
            topic=service.topic_of(str(message.message_id)),
        )


def deliver(message) -> None:
    """The outbox deliverer of channel "push" (registered by `alex.push.init_app`).

    Sent when at least one device took it. Devices the push service calls gone (404/410) are
    deleted. No device took it but one was busy or out of reach: `RetryLater` (all devices get
    it again then; the same tag and Topic keep that to one notification per device). No device
    at all, or every one refused: `Undeliverable`. There is no `commit_point`: a push cannot be
    taken back halfway, and a repeat after a crash only replaces the notification with itself.
    """
    from alex.outbox import RetryLater, Undeliverable

    if vapid.keys(current_app) is None:
        raise Undeliverable("Web Push is not set up (no VAPID keys)")
    if message.user_id is None:
        raise Undeliverable("a push message needs a recipient account")
    try:
        counts = send_message(message)
        db.session.commit()  # the gone devices' rows go, whatever happens to the message
    finally:
        db.session.rollback()
    if counts[service.Outcome.SENT]:
        return
    if counts[service.Outcome.RETRY]:
        raise RetryLater(f"{counts[service.Outcome.RETRY]} push service(s) busy or unreachable")
    if not any(counts.values()):
        raise Undeliverable("the person has no device with push turned on")
    raise Undeliverable("every device refused the message or is gone")
