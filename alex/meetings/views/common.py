"""What every meeting view shares: the blueprint, loading through the membership, the answer.

`meeting_action` is the one way a command on a live meeting is written: load and authorise,
validate the form, run the change, commit once, answer with the fresh run-sheet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from babel import dates
from flask import Blueprint, Response, abort, current_app, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_htmx import make_response
from flask_login import current_user
from jinja2 import pass_context
from jinja2.runtime import Context
from sqlalchemy import select
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.exc import StaleDataError

from alex.db import reads_only_from_here
from alex.expeditions.access import get_membership_or_404
from alex.expeditions.models import Membership
from alex.extensions import db
from alex.forms import BaseForm, ConfirmForm
from alex.i18n import translated_table
from alex.meetings import service, state
from alex.meetings.models import Meeting, Retro, RetroAction, RetroGroup, RetroItem
from alex.web import htmx_response, render, wants_fragment

bp = Blueprint("meetings", __name__, url_prefix="/expeditions/<int:expedition_id>/meetings")


@bp.app_context_processor
def meeting_helpers() -> dict:
    """Labels, the local time formatter, the meeting URL builder and the building blocks of
    `meetings/_macros.html` the meeting templates share."""
    return {
        **_building_blocks(),
        "meeting_time": meeting_time,
        "kind_names": Labels(state.KIND_NAMES),
        "step_labels": Labels(state.STEP_LABELS),
        "phase_labels": Labels(state.PHASE_LABELS),
        "format_labels": Labels(state.FORMAT_LABELS),
        "mood_labels": Labels(state.MOOD_LABELS),
        "outcome_labels": Labels(state.OUTCOME_LABELS),
        "timer_token": service.timer_token,
        "action_url": action_url,
    }


def _building_blocks() -> dict:
    """icon, post_button, error and timer, and the sender line of a note (components/people.html).

    Macros that need nothing from the page, taken from their templates' modules, which Jinja
    builds once: a `{% from … import … with context %}` in every partial built the module again
    on every render (five times in a retro phase change's answer, a third of its render time).
    """
    env = current_app.jinja_env
    macros = env.get_template("meetings/_macros.html").module
    people = env.get_template("components/people.html").module
    return {
        "icon": macros.icon,
        "post_button": macros.post_button,
        "error": macros.error,
        "timer": macros.timer,
        "sender": people.sender,
    }


@pass_context
def action_url(context: Context, endpoint: str, **values: Any) -> str:
    """A meeting command's URL, for the meeting the template shows (`action_url('phase')`).

    A function rather than a macro: the meeting templates can then import their macros without
    the context, which Jinja would otherwise rebuild for every import in every render.
    """
    meeting = context["meeting"]
    return url_for(
        f"meetings.{endpoint}",
        expedition_id=meeting.expedition_id,
        meeting_id=meeting.id,
        **values,
    )


class Labels(Mapping):
    """A table of lazily translated labels for templates, translated when first read (see
    `translated_table`: once per process and language)."""

    def __init__(self, labels: Mapping) -> None:
        self._labels = labels
        self._translated: dict | None = None

    def __getitem__(self, key) -> str:
        if self._translated is None:
            self._translated = translated_table(self._labels)
        return self._translated[key]

    def __iter__(self) -> Iterator:
        return iter(self._labels)

    def __len__(self) -> int:
        return len(self._labels)


def meeting_time(moment: datetime, expedition, style: str = "full") -> str:
    """A meeting's start in the expedition's time zone, in the user's language."""
    locale = get_locale()
    local = moment.astimezone(ZoneInfo(expedition.timezone))
    day = dates.format_date(local.date(), style, locale=locale)
    return f"{day}, {dates.format_time(local.time(), 'short', locale=locale)}"


@dataclass
class Live:
    """A meeting as the current member reaches it."""

    membership: Membership
    meeting: Meeting
    retro: Retro | None = None  # as a retro command left it (its answer need not read it again)


def load_meeting(
    expedition_id: int, meeting_id: int, steer: bool = False, lock: bool = False
) -> Live:
    """The member's meeting of this expedition (a foreign id is a 404).

    With steer=True only the facilitators and the meeting's moderator get it: others 403.
    lock=True (a facilitator's command): loaded by raising its version, see `service.lock_meeting`.
    """
    return meeting_in(get_membership_or_404(expedition_id), meeting_id, steer, lock)


def meeting_in(
    membership: Membership, meeting_id: int, steer: bool = False, lock: bool = False
) -> Live:
    """A meeting of the membership's expedition (see load_meeting)."""
    if lock:
        meeting = service.lock_meeting(db.session, membership.expedition_id, meeting_id)
    else:
        meeting = db.session.scalar(
            select(Meeting).where(
                Meeting.id == meeting_id, Meeting.expedition_id == membership.expedition_id
            )
        )
    if meeting is None:
        abort(404)
    if steer and not service.can_run(membership, meeting):
        abort(403)
    return Live(membership, meeting)


def writer() -> service.Writer:
    """The current user as the author of notes (the app's secret keys their anonymous notes)."""
    return service.Writer(current_user.id, current_app.secret_key)


def note_of(meeting: Meeting, item_id: int, own: bool = False) -> RetroItem:
    """A note of this meeting's retro that the user may see (and with own=True, change)."""
    item = db.session.scalar(
        select(RetroItem)
        .join(Retro, Retro.id == RetroItem.retro_id)
        .options(contains_eager(RetroItem.retro))
        .where(RetroItem.id == item_id, Retro.meeting_id == meeting.id)
    )
    if item is None:
        abort(404)
    mine = service.is_mine(item, writer())
    if (own or not service.is_revealed(item.retro)) and not mine:
        abort(404)  # a hidden note does not exist for anyone else
    return item


def retro_of(meeting: Meeting) -> Retro:
    """The meeting's retro; 404 before the retro step created it."""
    retro = service.retro_of(db.session, meeting)
    if retro is None:
        abort(404)
    return retro


def answer(
    live: Live, status: int = 200, errors: dict | None = None, announce: str | None = None
) -> Response:
    """The run-sheet page, or its live fragment for HTMX; after a plain form post, a redirect."""
    meeting = live.meeting
    if status == 200 and request.method == "POST" and not wants_fragment():
        return redirect(
            url_for("meetings.show", expedition_id=meeting.expedition_id, meeting_id=meeting.id)
        )
    response = render(
        "meetings/show.html",
        "meetings/_live.html",
        status=status,
        expedition=live.membership.expedition,
        membership=live.membership,
        meeting=meeting,
        s=state.live_state(db.session, live.membership, meeting, writer(), errors or {}),
    )
    # Clients other than our page (bench, scripts) learn the version to poll with.
    response.headers["X-Meeting-Version"] = str(meeting.version)
    return make_response(response, trigger={"announce": str(announce)} if announce else None)


def phase_answer(live: Live, announce: str | None) -> Callable[[], Response]:
    """The answer to a retro phase change: only what it shows (where the meeting is, the stage,
    the phase buttons), out of band; the rest of the run-sheet follows with the next poll.

    Reads what it shows now, in the command's transaction, and renders after the commit.
    """
    meeting = live.meeting
    s = state.live_state(
        db.session, live.membership, meeting, writer(), {}, retro=live.retro, stage_only=True
    )

    def respond() -> Response:
        response = htmx_response(
            "meetings/_phase_answer.html",
            reswap="none",
            trigger={"announce": str(announce)} if announce else None,
            expedition=live.membership.expedition,
            membership=live.membership,
            meeting=meeting,
            s=s,
        )
        response.headers["X-Meeting-Version"] = str(meeting.version)
        return response

    return respond


Loader = Callable[..., dict[str, Any]]
Answer = Callable[[Live, str | None], Callable[[], Response]]


def meeting_action(
    slot: str,
    form_class: type[BaseForm] = ConfirmForm,
    *,
    steer: bool = False,
    load: Loader | None = None,
    answer_with: Answer | None = None,
    lock: bool = False,
):
    """A command on a live meeting: the view only runs the change and says what to announce.

    Before the view: the meeting is loaded through the membership (steer=True: only those who
    run it), `load(live, **url_ids)` loads what the URL names (404/403 before any validation),
    and the form is validated. The view gets the `Live`, the valid form and what `load`
    returned, and returns the sentence to announce (or None). After it: one commit and the
    fresh run-sheet. Input the form or the service refuses answers 422 with the message in
    `slot` (formatted with the URL's ids, e.g. "item-{item_id}"); a facilitator command that
    another facilitator's change overtook answers 409 with the fresh state. `answer_with(live,
    announcement)` answers a successful HTMX command instead of the whole run-sheet: it reads
    before the commit and returns the function that renders after it. lock=True
    (with steer, for a command whose service function bumps the meeting first): the meeting is
    loaded, locked and bumped in one statement; a refused input undoes that before answering.
    """

    def decorate(view: Callable[..., str | None]):
        @wraps(view)
        def command(expedition_id: int, meeting_id: int, **ids: int) -> Response:
            live = load_meeting(expedition_id, meeting_id, steer=steer, lock=lock)
            loaded = load(live, **ids) if load else {}
            where = slot.format(**ids)
            form = form_class()
            if not form.validate_on_submit():
                errors = {where: _first_error(form)}
                return _refused(live, 422, errors) if lock else answer(live, 422, errors)
            try:
                announcement = view(live, form, **loaded)
            except (service.StaleMeeting, StaleDataError) as error:
                return _refused(live, 409, {where: _conflict_message(error)})
            except service.MeetingError as error:
                return _refused(live, 422, {where: str(error)})
            if answer_with is not None and wants_fragment():
                # Its reads share the command's transaction (no second one just to read).
                respond = answer_with(live, announcement)
                _commit_keeping_state()
                reads_only_from_here()
                return respond()
            _commit_keeping_state()
            reads_only_from_here()
            return answer(live, announce=announcement)

        return command

    return decorate


def _commit_keeping_state() -> None:
    """Commit, keeping the loaded rows as written: the answer shows exactly the state just
    committed without reading the meeting, membership and retro again."""
    session = db.session
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def _refused(live: Live, status: int, errors: dict) -> Response:
    """Undo the change and show the fresh state with the message in place."""
    db.session.rollback()
    db.session.refresh(live.meeting)
    return answer(live, status, errors)


def _conflict_message(error: Exception) -> str:
    """What a change that lost a race says: another facilitator moved the same thing, or the
    same note changed.

    Which changes conflict at all is the service's decision (the state a command carries).
    """
    if isinstance(error, service.StaleMeeting):
        return str(error)
    return _("Someone changed this in the meantime.")


def _first_error(form: BaseForm) -> str:
    """The message of the first field that failed (the run-sheet shows one message a form)."""
    for field in form:
        if field.errors:
            return str(field.errors[0])
    return _("Please check your input.")


def visible_note(live: Live, item_id: int) -> dict:
    """Loader: a note the user may see."""
    return {"note": note_of(live.meeting, item_id)}


def own_note(live: Live, item_id: int) -> dict:
    """Loader: a note the user wrote."""
    return {"note": note_of(live.meeting, item_id, own=True)}


def reviewable_action(live: Live, action_id: int) -> dict:
    """Loader: an action of this expedition that its owner or someone who runs the meeting reviews."""
    action = db.session.scalar(
        select(RetroAction)
        .join(Meeting, Meeting.id == RetroAction.meeting_id)
        .where(
            RetroAction.id == action_id,
            Meeting.expedition_id == live.membership.expedition_id,
        )
    )
    if action is None:
        abort(404)
    if action.owner_id != current_user.id and not service.can_run(live.membership, live.meeting):
        abort(403)
    return {"action": action}


def group_of(live: Live, group_id: int) -> dict:
    """Loader: a group of notes in this meeting's retro."""
    group = db.session.scalar(
        select(RetroGroup)
        .join(Retro, Retro.id == RetroGroup.retro_id)
        .where(RetroGroup.id == group_id, Retro.meeting_id == live.meeting.id)
    )
    if group is None:
        abort(404)
    return {"group": group}
