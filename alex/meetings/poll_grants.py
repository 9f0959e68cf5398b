"""Recently authorised meeting polls: lets an unchanged poll skip the loaders for a few seconds.

Every open meeting screen polls every 1.5 s. A poll that passed the user loader and the
membership loader is remembered per process for GRANT_SECONDS, keyed by the exact session
cookie it came with and the meeting it asked for. During that window an *unchanged* poll of the
same cookie and meeting reads only the meeting's version and answers 204: it learns nothing but
"no change". Anything else (a changed meeting, another cookie, an expired grant) goes through the
loaders again, so a removed member, an ended login session or a new two-factor requirement is
refused at the latest GRANT_SECONDS later, and never sees new content.

Cache: per process, per app. Key: (session cookie, expedition id, meeting id). Value: the moment
the grant ends. Invalidated by time only (and cleared when full). Test: tests/unit/
test_meeting_service.py::test_an_unchanged_poll_within_the_grant_costs_one_statement and
tests/http/test_meetings.py::test_a_removed_member_stops_polling.
"""

from __future__ import annotations

import time

from flask import Flask, current_app, request

GRANT_SECONDS = 10.0
GRANTS_MAX = 20_000  # open meeting screens per process; cleared when exceeded


def _grants(app: Flask) -> dict[tuple, float]:
    return app.extensions.setdefault("alex_meeting_poll_grants", {})


def _key(expedition_id: int, meeting_id: int) -> tuple | None:
    """The cookie as sent (no session is opened to read it) with the meeting; None without one."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    cookie = request.cookies.get(app.session_interface.get_cookie_name(app))
    return (cookie, expedition_id, meeting_id) if cookie else None


def granted(expedition_id: int, meeting_id: int) -> bool:
    """Whether this cookie passed the loaders for this meeting within the last GRANT_SECONDS."""
    key = _key(expedition_id, meeting_id)
    if key is None:
        return False
    ends = _grants(current_app).get(key)
    return ends is not None and ends > time.monotonic()


def grant(expedition_id: int, meeting_id: int) -> None:
    """Remember that this cookie passed the loaders for this meeting just now."""
    key = _key(expedition_id, meeting_id)
    if key is None:
        return
    grants = _grants(current_app)
    if len(grants) >= GRANTS_MAX:
        grants.clear()
    grants[key] = time.monotonic() + GRANT_SECONDS
