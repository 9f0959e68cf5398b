"""Meeting pages: calendar, scheduling, the live run-sheet and its actions, the record."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from babel import dates
from flask import Blueprint, Response, abort, flash, redirect, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.exc import StaleDataError
from wtforms.fields.choices import SelectChoice

from alex.expeditions.access import get_facilitation_or_403, get_membership_or_404
from alex.expeditions.models import Membership
from alex.extensions import db, login_manager
from alex.meetings import service
from alex.meetings.forms import ScheduleForm
from alex.meetings.models import Meeting, Retro, RetroAction, RetroItem, RetroTemplate
from alex.meetings.state import live_state, meeting_list, record_state
from alex.progress.notifications import meeting_subject, notify, notify_members
from alex.twofactor import service as twofactor_service
from alex.web import nav_url, render, wants_fragment

bp = Blueprint("meetings", __name__, url_prefix="/expeditions/<int:expedition_id>/meetings")

# Ids of the anonymous notes this browser wrote: with anonymity on, the database keeps no author.
MY_ANONYMOUS_ITEMS = "meeting_items"


@bp.app_context_processor
def meeting_helpers() -> dict:
    """Labels and the local time formatter the meeting templates share."""
    from alex.meetings import state

    return {
        "meeting_time": meeting_time,
        "kind_names": state.KIND_NAMES,
        "step_labels": state.STEP_LABELS,
        "phase_labels": state.PHASE_LABELS,
        "format_labels": state.FORMAT_LABELS,
        "mood_labels": state.MOOD_LABELS,
        "outcome_labels": state.OUTCOME_LABELS,
    }


def meeting_time(moment: datetime, expedition, style: str = "full") -> str:
    """A meeting's start in the expedition's time zone, in the user's language."""
    locale = get_locale()
    zone = ZoneInfo(expedition.timezone)
    local = moment.astimezone(zone)
    return f"{dates.format_date(local.date(), style, locale=locale)}, {dates.format_time(local.time(), 'short', locale=locale)}"


def _load(expedition_id: int, meeting_id: int) -> tuple[Membership, Meeting]:
    """The member's view of a meeting of this expedition; a foreign id is a 404."""
    membership = get_membership_or_404(expedition_id)
    meeting = db.session.scalar(
        select(Meeting).where(Meeting.id == meeting_id, Meeting.expedition_id == expedition_id)
    )
    if meeting is None:
        abort(404)
    return membership, meeting


def _load_for_running(expedition_id: int, meeting_id: int) -> tuple[Membership, Meeting]:
    """Only the facilitators and the meeting's moderator steer it: others 403."""
    membership, meeting = _load(expedition_id, meeting_id)
    if not service.can_run(membership, meeting):
        abort(403)
    return membership, meeting


def _item_of(meeting: Meeting, item_id: int, own: bool = False) -> RetroItem:
    """A note of this meeting's retro that the user may see (and with own=True, change)."""
    item = db.session.scalar(
        select(RetroItem)
        .join(Retro, Retro.id == RetroItem.retro_id)
        .options(contains_eager(RetroItem.retro))
        .where(RetroItem.id == item_id, Retro.meeting_id == meeting.id)
    )
    if item is None:
        abort(404)
    mine = _is_mine(item)
    if (own and not mine) or (not service.is_revealed(item.retro) and not mine):
        abort(404)  # a hidden note does not exist for anyone else
    return item


def _is_mine(item: RetroItem) -> bool:
    if item.author_id is not None:
        return item.author_id == current_user.id
    return item.id in session.get(MY_ANONYMOUS_ITEMS, [])


def _live(membership: Membership, meeting: Meeting, status: int = 200, errors=None) -> Response:
    """The run-sheet page, or its live fragment for HTMX; after a plain form post, a redirect."""
    if status == 200 and request.method == "POST" and not wants_fragment():
        return redirect(
            url_for("meetings.show", expedition_id=meeting.expedition_id, meeting_id=meeting.id)
        )
    state = live_state(
        db.session,
        membership,
        meeting,
        my_anonymous_items=session.get(MY_ANONYMOUS_ITEMS, []),
        errors=errors or {},
    )
    response = render(
        "meetings/show.html",
        "meetings/_live.html",
        status=status,
        expedition=membership.expedition,
        membership=membership,
        meeting=meeting,
        s=state,
    )
    # Clients other than our page (bench, scripts) learn the version to poll with.
    response.headers["X-Meeting-Version"] = str(meeting.version)
    return response


def _attempt(membership: Membership, meeting: Meeting, field: str, change) -> Response:
    """Run a change, commit once, answer with the fresh state (422/409 with the message in place)."""
    try:
        result = change()
    except service.StaleMeeting as error:
        db.session.rollback()
        db.session.refresh(meeting)
        return _live(membership, meeting, 409, {field: str(error)})
    except StaleDataError:
        db.session.rollback()
        db.session.refresh(meeting)
        return _live(membership, meeting, 409, {field: _("Someone changed this in the meantime.")})
    except service.MeetingError as error:
        db.session.rollback()
        db.session.refresh(meeting)
        return _live(membership, meeting, 422, {field: str(error)})
    db.session.commit()
    response = _live(membership, meeting)
    if isinstance(result, str):
        response.headers["HX-Trigger"] = json.dumps({"announce": result})
    return response


def _int(name: str, default: int | None = None) -> int | None:
    """An integer form field; anything else is None (the service says what is missing)."""
    try:
        return int(request.form.get(name, ""))
    except ValueError:
        return default


@bp.get("")
@login_required
def index(expedition_id: int):
    """The expedition's meetings; the facilitator schedules new ones here."""
    membership = get_membership_or_404(expedition_id)
    form = _schedule_form(membership)
    return _index_page(membership, form)


def _index_page(membership: Membership, form: ScheduleForm, status: int = 200) -> Response:
    expedition = membership.expedition
    upcoming, past = meeting_list(db.session, expedition)
    return render(
        "meetings/index.html",
        status=status,
        expedition=expedition,
        membership=membership,
        upcoming=upcoming,
        past=past,
        form=form,
        active_nav="meetings",
    )


def _schedule_form(
    membership: Membership, meeting: Meeting | None = None, **kwargs
) -> ScheduleForm:
    """The schedule form with the expedition's sprints and members as choices."""
    from alex.expeditions.service import members

    expedition = membership.expedition
    zone = ZoneInfo(expedition.timezone)
    if meeting is not None and "formdata" not in kwargs:
        local = meeting.starts_at.astimezone(zone)
        form = ScheduleForm(
            data={
                "kind": meeting.kind,
                "day": local.date(),
                "time": local.time().replace(second=0, microsecond=0),
                "duration_minutes": meeting.duration_minutes,
                "location": meeting.location,
                "sprint_number": str(meeting.sprint_number or ""),
                "moderator_id": str(meeting.moderator_id or ""),
            }
        )
    else:
        form = ScheduleForm(**kwargs)
    form.sprint_number.choices = [SelectChoice("", _("None"))] + [
        SelectChoice(str(n), _("Sprint %(num)d", num=n))
        for n in range(1, expedition.sprint_count + 1)
    ]
    form.moderator_id.choices = [SelectChoice("", _("The expedition's facilitators"))] + [
        SelectChoice(str(m.user_id), m.user.name) for m in members(db.session, expedition)
    ]
    return form


def _plan_from(membership: Membership, form: ScheduleForm) -> service.Schedule:
    zone = ZoneInfo(membership.expedition.timezone)
    starts = datetime.combine(form.day.data, form.time.data, tzinfo=zone)
    return service.Schedule(
        kind=form.kind.data,
        starts_at=starts,
        duration_minutes=form.duration_minutes.data,
        location=form.location.data or "",
        sprint_number=int(form.sprint_number.data) if form.sprint_number.data else None,
        moderator_id=int(form.moderator_id.data) if form.moderator_id.data else None,
    )


@bp.post("")
@login_required
def schedule(expedition_id: int):
    """Put a new meeting on the calendar."""
    membership = get_facilitation_or_403(expedition_id)
    form = _schedule_form(membership)
    if not form.validate_on_submit():
        return _index_page(membership, form, 422)
    try:
        meeting = service.schedule_meeting(
            db.session, membership.expedition, _plan_from(membership, form)
        )
    except service.MeetingError as error:
        db.session.rollback()
        form.kind.errors = [str(error)]
        return _index_page(membership, form, 422)
    notify_members(
        db.session,
        expedition_id,
        "meeting_scheduled",
        actor_id=current_user.id,
        subject=meeting_subject(meeting, membership.expedition.timezone),
        link=url_for("meetings.show", expedition_id=expedition_id, meeting_id=meeting.id),
    )
    db.session.commit()
    flash(_("The meeting is on the calendar."), "success")
    return redirect(url_for("meetings.show", expedition_id=expedition_id, meeting_id=meeting.id))


@bp.get("/<int:meeting_id>/edit")
@login_required
def edit(expedition_id: int, meeting_id: int):
    """Move a meeting or change who moderates."""
    get_facilitation_or_403(expedition_id)
    membership, meeting = _load(expedition_id, meeting_id)
    return render(
        "meetings/edit.html",
        expedition=membership.expedition,
        meeting=meeting,
        form=_schedule_form(membership, meeting),
        active_nav="meetings",
    )


@bp.post("/<int:meeting_id>/edit")
@login_required
def update(expedition_id: int, meeting_id: int):
    """Save the new date, place or moderation."""
    get_facilitation_or_403(expedition_id)
    membership, meeting = _load(expedition_id, meeting_id)
    form = _schedule_form(membership, meeting, formdata=request.form)
    error = None
    if form.validate_on_submit():
        try:
            service.reschedule_meeting(
                db.session, membership.expedition, meeting, _plan_from(membership, form)
            )
        except service.MeetingError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            notify_members(
                db.session,
                expedition_id,
                "meeting_moved",
                actor_id=current_user.id,
                subject=meeting_subject(meeting, membership.expedition.timezone),
                link=url_for("meetings.show", expedition_id=expedition_id, meeting_id=meeting_id),
            )
            db.session.commit()
            flash(_("The meeting is saved."), "success")
            return redirect(
                url_for("meetings.show", expedition_id=expedition_id, meeting_id=meeting_id)
            )
    if error:
        form.kind.errors = [error]
    return render(
        "meetings/edit.html",
        status=422,
        expedition=membership.expedition,
        meeting=meeting,
        form=form,
        active_nav="meetings",
    )


@bp.post("/<int:meeting_id>/delete")
@login_required
def delete(expedition_id: int, meeting_id: int):
    """Take a meeting that has not started off the calendar."""
    get_facilitation_or_403(expedition_id)
    membership, meeting = _load(expedition_id, meeting_id)
    try:
        service.delete_meeting(db.session, meeting)
    except service.MeetingError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(
            url_for("meetings.edit", expedition_id=expedition_id, meeting_id=meeting_id)
        )
    db.session.commit()
    flash(_("The meeting is off the calendar."), "success")
    return redirect(url_for("meetings.index", expedition_id=expedition_id))


@bp.get("/<int:meeting_id>")
@login_required
def show(expedition_id: int, meeting_id: int):
    """The live run-sheet: facilitator controls beside the shared view; the participant's view."""
    membership, meeting = _load(expedition_id, meeting_id)
    return _live(membership, meeting)


@bp.get("/<int:meeting_id>/live")
def poll(expedition_id: int, meeting_id: int):
    """204 while the client's version is current (one indexed query); the fresh fragment otherwise.

    Authorised in the same statement that reads the version, from the login-session token in the
    session cookie, so an unchanged poll never loads the user.
    """
    token = session.get("_user_id")
    if token:
        version = service.current_version(db.session, meeting_id, expedition_id, token)
        held = request.args.get("v") or request.headers.get("X-Meeting-Version")
        if version is not None and str(version) == held:
            return Response(status=204)
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    membership, meeting = _load(expedition_id, meeting_id)
    # The app-wide two-factor hook skips the poll (it would cost every poll two queries).
    if twofactor_service.blocks_member(db.session, current_user.id, expedition_id):
        abort(403)
    return _live(membership, meeting)


@bp.get("/<int:meeting_id>/record")
@login_required
def record(expedition_id: int, meeting_id: int):
    """What happened: who was there, moods, notes, votes, actions. Printable."""
    membership, meeting = _load(expedition_id, meeting_id)
    return render(
        "meetings/record.html",
        expedition=membership.expedition,
        membership=membership,
        meeting=meeting,
        r=record_state(db.session, meeting),
        active_nav="meetings",
    )


@bp.post("/<int:meeting_id>/step")
@login_required
def step(expedition_id: int, meeting_id: int):
    """Start the meeting or move the run-sheet to a step (optionally skipping the current one)."""
    membership, meeting = _load_for_running(expedition_id, meeting_id)
    target = request.form.get("step", "")
    version = _int("version", -1)
    skip = request.form.get("skip") == "1"
    return _attempt(
        membership,
        meeting,
        "step",
        lambda: (
            service.go_to_step(db.session, meeting, target, version, skip_current=skip)
            or _("Now: %(step)s", step=_step_label(target))
        ),
    )


def _step_label(step: str) -> str:
    from alex.meetings.state import STEP_LABELS

    return str(STEP_LABELS.get(step, step))


@bp.post("/<int:meeting_id>/finish")
@login_required
def finish(expedition_id: int, meeting_id: int):
    """End the meeting."""
    membership, meeting = _load_for_running(expedition_id, meeting_id)
    version = _int("version", -1)
    return _attempt(
        membership,
        meeting,
        "step",
        lambda: service.finish_meeting(db.session, meeting, version) or _("The meeting is over."),
    )


@bp.post("/<int:meeting_id>/timer")
@login_required
def timer(expedition_id: int, meeting_id: int):
    """Start (or stop, with 0 minutes) the countdown on every screen."""
    membership, meeting = _load_for_running(expedition_id, meeting_id)
    minutes = _int("minutes", -1)
    return _attempt(
        membership, meeting, "timer", lambda: service.start_timer(db.session, meeting, minutes)
    )


@bp.post("/<int:meeting_id>/review")
@login_required
def review_person(expedition_id: int, meeting_id: int):
    """Whose turn it is in the review round."""
    membership, meeting = _load_for_running(expedition_id, meeting_id)
    user_id = _int("user_id", -1)
    minutes = _int("minutes", 5)
    return _attempt(
        membership,
        meeting,
        "review",
        lambda: service.set_review_person(db.session, meeting, user_id, minutes),
    )


@bp.post("/<int:meeting_id>/notes")
@login_required
def notes(expedition_id: int, meeting_id: int):
    """Save the shared notes (agreements, planning)."""
    membership, meeting = _load_for_running(expedition_id, meeting_id)
    text = request.form.get("notes", "")
    return _attempt(
        membership, meeting, "notes", lambda: service.save_notes(db.session, meeting, text)
    )


@bp.post("/<int:meeting_id>/check-in")
@login_required
def check_in(expedition_id: int, meeting_id: int):
    """Say how you arrive: mood and a word."""
    membership, meeting = _load(expedition_id, meeting_id)
    mood = _int("mood", 0)
    word = request.form.get("word", "")
    return _attempt(
        membership,
        meeting,
        "checkin",
        lambda: (
            service.check_in(db.session, meeting, current_user, mood, word)
            and _("You are checked in.")
        ),
    )


@bp.post("/<int:meeting_id>/presence")
@login_required
def presence(expedition_id: int, meeting_id: int):
    """The facilitator notes who is there."""
    membership, meeting = _load_for_running(expedition_id, meeting_id)
    user_id = _int("user_id", -1)
    present = request.form.get("present") == "1"
    return _attempt(
        membership,
        meeting,
        "presence",
        lambda: service.set_presence(db.session, meeting, user_id, present),
    )


@bp.post("/<int:meeting_id>/retro")
@login_required
def retro_setup(expedition_id: int, meeting_id: int):
    """Choose the retro's format, prompts and rules."""
    membership, meeting = _load_for_running(expedition_id, meeting_id)
    form = request.form
    chosen, prompts = form.get("format", ""), form.get("prompts", "")
    if chosen.startswith("template:"):
        template = db.session.scalar(
            select(RetroTemplate).where(
                RetroTemplate.id == _template_id(chosen),
                RetroTemplate.expedition_id == expedition_id,
            )
        )
        if template is None:
            abort(404)
        chosen, prompts = "custom", template.prompts
    return _attempt(
        membership,
        meeting,
        "retro",
        lambda: (
            service.configure_retro(
                db.session,
                meeting,
                format=chosen,
                prompts=prompts,
                anonymous=form.get("anonymous") == "1",
                votes_enabled=form.get("votes_enabled") == "1",
                vote_limit=_int("vote_limit", 3),
                template_name=form.get("template_name", ""),
            )
            and _("The retro is set up.")
        ),
    )


def _template_id(value: str) -> int:
    try:
        return int(value.removeprefix("template:"))
    except ValueError:
        abort(404)


@bp.post("/<int:meeting_id>/retro/phase")
@login_required
def phase(expedition_id: int, meeting_id: int):
    """Move the retro to its next phase."""
    membership, meeting = _load_for_running(expedition_id, meeting_id)
    target = request.form.get("phase", "")
    version = _int("version", -1)
    return _attempt(
        membership,
        meeting,
        "phase",
        lambda: (
            service.set_phase(db.session, meeting, target, version)
            and _("Retro: %(phase)s", phase=_phase_label(target))
        ),
    )


def _phase_label(phase: str) -> str:
    from alex.meetings.state import PHASE_LABELS

    return str(PHASE_LABELS.get(phase, phase))


def _retro(meeting: Meeting):
    retro = service.retro_of(db.session, meeting)
    if retro is None:
        abort(404)
    return retro


@bp.post("/<int:meeting_id>/retro/items")
@login_required
def add_item(expedition_id: int, meeting_id: int):
    """Write a note for the retro."""
    membership, meeting = _load(expedition_id, meeting_id)
    retro = _retro(meeting)
    prompt = _int("prompt", -1)
    text = request.form.get("text", "")

    def change():
        item = service.add_item(db.session, meeting, retro, current_user, prompt, text)
        if retro.anonymous:
            session[MY_ANONYMOUS_ITEMS] = [*session.get(MY_ANONYMOUS_ITEMS, [])[-200:], item.id]
        return _("Your note is saved.")

    return _attempt(membership, meeting, "item", change)


@bp.post("/<int:meeting_id>/retro/items/<int:item_id>")
@login_required
def edit_item(expedition_id: int, meeting_id: int, item_id: int):
    """Change one's own note."""
    membership, meeting = _load(expedition_id, meeting_id)
    item = _item_of(meeting, item_id, own=True)
    text = request.form.get("text", "")
    return _attempt(
        membership,
        meeting,
        f"item-{item.id}",
        lambda: (
            service.edit_item(db.session, meeting, item.retro, item, text)
            or _("Your note is saved.")
        ),
    )


@bp.post("/<int:meeting_id>/retro/items/<int:item_id>/delete")
@login_required
def delete_item(expedition_id: int, meeting_id: int, item_id: int):
    """Remove one's own note."""
    membership, meeting = _load(expedition_id, meeting_id)
    item = _item_of(meeting, item_id, own=True)
    return _attempt(
        membership,
        meeting,
        "item",
        lambda: (
            service.delete_item(db.session, meeting, item.retro, item) or _("Your note is removed.")
        ),
    )


@bp.post("/<int:meeting_id>/retro/items/<int:item_id>/vote")
@login_required
def vote(expedition_id: int, meeting_id: int, item_id: int):
    """Put a dot on a note."""
    membership, meeting = _load(expedition_id, meeting_id)
    item = _item_of(meeting, item_id)
    return _attempt(
        membership,
        meeting,
        "vote",
        lambda: (
            service.vote(db.session, meeting, item.retro, item, current_user.id)
            or _("Vote counted.")
        ),
    )


@bp.post("/<int:meeting_id>/retro/items/<int:item_id>/unvote")
@login_required
def unvote(expedition_id: int, meeting_id: int, item_id: int):
    """Take a dot back."""
    membership, meeting = _load(expedition_id, meeting_id)
    item = _item_of(meeting, item_id)
    return _attempt(
        membership,
        meeting,
        "vote",
        lambda: (
            service.unvote(db.session, meeting, item.retro, item, current_user.id)
            or _("Vote taken back.")
        ),
    )


@bp.post("/<int:meeting_id>/retro/items/<int:item_id>/group")
@login_required
def group(expedition_id: int, meeting_id: int, item_id: int):
    """Gather a note with a similar one."""
    membership, meeting = _load_for_running(expedition_id, meeting_id)
    item = _item_of(meeting, item_id)
    other_id = _int("with")
    other = _item_of(meeting, other_id) if other_id else None
    return _attempt(
        membership,
        meeting,
        "group",
        lambda: service.group_items(db.session, meeting, item.retro, item, other),
    )


@bp.post("/<int:meeting_id>/retro/discuss")
@login_required
def discuss(expedition_id: int, meeting_id: int):
    """Mark the note being discussed (empty: none)."""
    membership, meeting = _load_for_running(expedition_id, meeting_id)
    retro = _retro(meeting)
    item_id = _int("item_id")
    item = _item_of(meeting, item_id) if item_id else None
    return _attempt(
        membership,
        meeting,
        "discuss",
        lambda: service.discuss_item(db.session, meeting, retro, item),
    )


@bp.post("/<int:meeting_id>/actions")
@login_required
def add_action(expedition_id: int, meeting_id: int):
    """Agree an action; it becomes a card on its owner's board."""
    membership, meeting = _load_for_running(expedition_id, meeting_id)
    item_id = _int("item_id")
    item = _item_of(meeting, item_id) if item_id else None
    owner_id = _int("owner_id", -1)

    def agree() -> str:
        action = service.add_action(
            db.session,
            meeting,
            membership.expedition,
            title=request.form.get("title", ""),
            owner_id=owner_id,
            kind=request.form.get("kind", ""),
            item=item,
        )
        notify(
            db.session,
            owner_id,
            "action_assigned",
            expedition_id=expedition_id,
            actor_id=current_user.id,
            subject=action.title,
            link=nav_url("boards.board", expedition_id=expedition_id) or "",
        )
        return _("The action is on the board of its owner.")

    return _attempt(membership, meeting, "action", agree)


@bp.post("/<int:meeting_id>/actions/<int:action_id>/review")
@login_required
def review_action(expedition_id: int, meeting_id: int, action_id: int):
    """Say how an earlier action went (its owner or the facilitator)."""
    membership, meeting = _load(expedition_id, meeting_id)
    action = db.session.scalar(
        select(RetroAction)
        .join(Meeting, Meeting.id == RetroAction.meeting_id)
        .where(RetroAction.id == action_id, Meeting.expedition_id == expedition_id)
    )
    if action is None:
        abort(404)
    if action.owner_id != current_user.id and not service.can_run(membership, meeting):
        abort(403)
    return _attempt(
        membership,
        meeting,
        f"outcome-{action.id}",
        lambda: service.review_action(
            db.session,
            meeting,
            action,
            request.form.get("outcome", ""),
            request.form.get("note", ""),
        ),
    )


@bp.post("/<int:meeting_id>/focus")
@login_required
def focus(expedition_id: int, meeting_id: int):
    """Set one's focus for the next sprint while planning."""
    membership, meeting = _load(expedition_id, meeting_id)
    text = request.form.get("focus", "")
    return _attempt(
        membership,
        meeting,
        "focus",
        lambda: (
            service.set_focus(db.session, meeting, membership.expedition, current_user.id, text)
            and _("Your focus is saved.")
        ),
    )
