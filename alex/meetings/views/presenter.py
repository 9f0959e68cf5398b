"""The presenter view for the room's screen: large text, no controls, a QR code to join.

It follows the meeting like every screen (the same poll, `?view=presenter`), and never shows a
note before the reveal, not even the presenting person's own.
"""

from __future__ import annotations

import segno
from flask import Response, url_for
from flask_login import login_required
from markupsafe import Markup

from alex.extensions import db
from alex.meetings import state
from alex.meetings.views.common import Live, bp, load_meeting, writer
from alex.web import render


def presenter_answer(live: Live) -> Response:
    """The presenter page, or its live fragment for the poll."""
    meeting = live.meeting
    join = url_for(
        "meetings.show",
        expedition_id=meeting.expedition_id,
        meeting_id=meeting.id,
        _external=True,
    )
    response = render(
        "meetings/presenter.html",
        "meetings/_presenter.html",
        expedition=live.membership.expedition,
        membership=live.membership,
        meeting=meeting,
        s=state.live_state(db.session, live.membership, meeting, writer(), {}),
        join_url=join,
        join_qr=join_qr(join),
    )
    response.headers["X-Meeting-Version"] = str(meeting.version)
    return response


def join_qr(url: str) -> Markup:
    """The meeting's address as a QR code, an inline SVG rendered here (nothing from elsewhere)."""
    svg = segno.make(url, error="m").svg_inline(scale=6, border=2, dark="#000", light="#fff")
    return Markup(svg.replace("<svg ", '<svg aria-hidden="true" ', 1))  # noqa: S704 – segno's own output


@bp.get("/<int:meeting_id>/presenter")
@login_required
def presenter(expedition_id: int, meeting_id: int):
    """The room's screen: where the meeting is, the timer, revealed notes, how to join."""
    return presenter_answer(load_meeting(expedition_id, meeting_id))
