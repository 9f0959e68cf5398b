"""After the meeting: its record, and the catch-up for those who missed it (with notes on actions)."""

from __future__ import annotations

from flask import Response, abort, redirect, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from alex.extensions import db
from alex.forms import BaseForm
from alex.meetings import catchup, service
from alex.meetings.forms import bounded_text
from alex.meetings.models import ITEM_MAX
from alex.meetings.views.common import Live, bp, load_meeting
from alex.web import render, render_fragment, wants_fragment


class ActionNoteForm(BaseForm):
    """A note on an agreed action."""

    text = bounded_text(
        _l("Your note on this action"),
        ITEM_MAX,
        _l("Please keep your note under %(max)d characters.", max=ITEM_MAX),
        area=True,
    )


@bp.get("/<int:meeting_id>/record")
@login_required
def record(expedition_id: int, meeting_id: int):
    """What happened: who was there (the moderation too), moods, notes, votes, actions. Printable."""
    live = load_meeting(expedition_id, meeting_id)
    expedition = live.membership.expedition
    r, people = catchup.record_with_people(db.session, live.meeting, expedition)
    return render(
        "meetings/record.html",
        expedition=expedition,
        membership=live.membership,
        meeting=live.meeting,
        r=r,
        people=people,
        active_nav="meetings",
    )


def _catch_up_page(
    live: Live, status: int = 200, errors: dict[int, str] | None = None, drafts=None
) -> Response:
    expedition = live.membership.expedition
    return render(
        "meetings/catchup.html",
        status=status,
        expedition=expedition,
        membership=live.membership,
        meeting=live.meeting,
        c=catchup.catch_up(db.session, live.meeting, expedition, current_user.id),
        errors=errors or {},
        drafts=drafts or {},
        active_nav="meetings",
    )


@bp.get("/<int:meeting_id>/catch-up")
@login_required
def catch_up(expedition_id: int, meeting_id: int):
    """What was discussed and decided, and the actions with their owners."""
    return _catch_up_page(load_meeting(expedition_id, meeting_id))


@bp.post("/<int:meeting_id>/actions/<int:action_id>/notes")
@login_required
def action_note(expedition_id: int, meeting_id: int, action_id: int):
    """Add a note to an action of this meeting (any member of the expedition)."""
    live = load_meeting(expedition_id, meeting_id)
    action = catchup.action_of(db.session, live.meeting, action_id)
    if action is None:
        abort(404)
    form = ActionNoteForm()
    error = None
    if not form.validate_on_submit():
        error = next(
            (str(f.errors[0]) for f in form if f.errors), str(_l("Please check your input."))
        )
    else:
        try:
            catchup.add_note(db.session, action, current_user.id, form.text.data)
        except service.MeetingError as refused:
            db.session.rollback()
            error = str(refused)
    if error is None:
        db.session.commit()
    status = 422 if error else 200
    if wants_fragment():
        expedition = live.membership.expedition
        return render_fragment(
            "meetings/_catchup_action.html",
            status,
            expedition=expedition,
            meeting=live.meeting,
            action=action,
            notes=catchup.notes_on(db.session, [action.id]).get(action.id, []),
            error=error,
            draft=form.text.data if error else "",
        )
    if error:
        return _catch_up_page(live, 422, {action.id: error}, {action.id: form.text.data or ""})
    return redirect(
        url_for(
            "meetings.catch_up",
            expedition_id=expedition_id,
            meeting_id=meeting_id,
            _anchor=f"action-{action.id}",
        )
    )
