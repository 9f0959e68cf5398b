"""Domain events other parts may listen to, without the place that raises them knowing who.

    from alex.events import publish
    publish(session, "meeting.scheduled", expedition.id, {"meeting": {...}})

A listener is registered from an optional area's `init_app` (`subscribe("webhooks", handle)`),
never by importing a module. It runs in the caller's transaction, so whatever it writes (an
outbox row) is committed or rolled back with the change itself. Keyed by name: building a
second app (the tests build many) replaces a listener instead of adding it twice.

Payloads hold plain JSON values and only what every member of the expedition may see: no
private card, no author of an anonymous note, no Logbuch text. A listener may pass a payload
outside the installation (webhooks), so the place that publishes decides what is safe to say.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

EVENTS = (
    "meeting.scheduled",
    "meeting.moved",
    "meeting.cancelled",
    "action.created",
    "action.done",
    "support.requested",
)

Listener = Callable[[Session, str, int, dict[str, Any]], None]
_listeners: dict[str, Listener] = {}


def subscribe(name: str, listener: Listener) -> None:
    """Have `listener(session, event, expedition_id, payload)` called for every event."""
    _listeners[name] = listener


def publish(session: Session, event: str, expedition_id: int, payload: dict[str, Any]) -> None:
    """Tell every listener about an event of an expedition (in the caller's transaction)."""
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")
    for listener in list(_listeners.values()):
        listener(session, event, expedition_id, payload)
