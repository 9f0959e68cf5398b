"""The retro of a live meeting: its set-up and phases, notes, votes, groups and actions."""

from __future__ import annotations

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user, login_required

from alex.extensions import db
from alex.forms import ConfirmForm
from alex.meetings import service
from alex.meetings.forms import (
    ActionForm,
    DiscussForm,
    DoneWritingForm,
    GroupForm,
    GroupTitleForm,
    NoteForm,
    NoteTextForm,
    PhaseForm,
    RetroSetupForm,
)
from alex.meetings.state import PHASE_LABELS
from alex.meetings.views.common import (
    Live,
    bp,
    group_of,
    meeting_action,
    note_of,
    own_note,
    phase_answer,
    retro_of,
    visible_note,
    writer,
)
from alex.notifications import notify
from alex.web import nav_url


@bp.post("/<int:meeting_id>/retro")
@login_required
@meeting_action("retro", RetroSetupForm, steer=True)
def retro_setup(live: Live, form: RetroSetupForm) -> str | None:
    """Choose the retro's format (built in or saved), prompts and rules."""
    chosen, prompts = form.format.data, form.prompts.data
    template_id = form.saved_template_id()
    if template_id is not None:
        saved = service.saved_prompts(db.session, live.meeting.expedition_id, template_id)
        if saved is None:
            abort(404)
        chosen, prompts = "custom", saved
    service.configure_retro(
        db.session,
        live.meeting,
        format=chosen,
        prompts=prompts,
        anonymous=form.anonymous.data,
        votes_enabled=form.votes_enabled.data,
        vote_limit=form.vote_limit.data or 3,
        template_name=form.template_name.data,
    )
    return _("The retro is set up.")


@bp.post("/<int:meeting_id>/retro/phase")
@login_required
@meeting_action("phase", PhaseForm, steer=True, answer_with=phase_answer, lock=True)
def phase(live: Live, form: PhaseForm) -> str | None:
    """Move the retro to a phase."""
    target = form.phase.data
    live.retro = service.set_phase(db.session, live.meeting, target, form.seen.data)
    return _("Retro: %(phase)s", phase=str(PHASE_LABELS.get(target, target)))


@bp.post("/<int:meeting_id>/retro/open")
@login_required
@meeting_action("retro", ConfirmForm, steer=True)
def open_writing(live: Live, form: ConfirmForm) -> str | None:
    """Open the writing phase before the meeting: people write when they have time."""
    service.open_writing(db.session, live.meeting)
    return _("Notes are open. Everyone can write now; the reveal happens in the meeting.")


@bp.post("/<int:meeting_id>/retro/done")
@login_required
@meeting_action("done", DoneWritingForm)
def done_writing(live: Live, form: DoneWritingForm) -> str | None:
    """Say "I am done writing" (or take it back)."""
    retro = retro_of(live.meeting)
    service.set_done_writing(db.session, live.meeting, retro, current_user.id, form.done.data)
    return _("Marked as done writing.") if form.done.data else _("Marked as still writing.")


@bp.post("/<int:meeting_id>/retro/items")
@login_required
@meeting_action("item", NoteForm)
def add_item(live: Live, form: NoteForm) -> str | None:
    """Write a note for the retro."""
    retro = retro_of(live.meeting)
    service.add_item(db.session, live.meeting, retro, writer(), form.prompt.data, form.text.data)
    return _("Your note is saved.")


@bp.post("/<int:meeting_id>/retro/items/<int:item_id>")
@login_required
@meeting_action("item-{item_id}", NoteTextForm, load=own_note)
def edit_item(live: Live, form: NoteTextForm, note) -> str | None:
    """Change one's own note."""
    service.edit_item(db.session, live.meeting, note.retro, note, form.text.data)
    return _("Your note is saved.")


@bp.post("/<int:meeting_id>/retro/items/<int:item_id>/delete")
@login_required
@meeting_action("item", ConfirmForm, load=own_note)
def delete_item(live: Live, form: ConfirmForm, note) -> str | None:
    """Remove one's own note."""
    service.delete_item(db.session, live.meeting, note.retro, note)
    return _("Your note is removed.")


@bp.post("/<int:meeting_id>/retro/items/<int:item_id>/vote")
@login_required
@meeting_action("vote", ConfirmForm, load=visible_note)
def vote(live: Live, form: ConfirmForm, note) -> str | None:
    """Put a dot on a note."""
    service.vote(db.session, live.meeting, note.retro, note, current_user.id)
    return _("Vote counted.")


@bp.post("/<int:meeting_id>/retro/items/<int:item_id>/unvote")
@login_required
@meeting_action("vote", ConfirmForm, load=visible_note)
def unvote(live: Live, form: ConfirmForm, note) -> str | None:
    """Take a dot back."""
    service.unvote(db.session, live.meeting, note.retro, note, current_user.id)
    return _("Vote taken back.")


@bp.post("/<int:meeting_id>/retro/items/<int:item_id>/group")
@login_required
@meeting_action("group", GroupForm, steer=True, load=visible_note)
def group(live: Live, form: GroupForm, note) -> str | None:
    """Gather a note with a similar one (no other note: take it out of its group)."""
    other = note_of(live.meeting, form.other_id.data) if form.other_id.data else None
    service.group_items(db.session, live.meeting, note.retro, note, other, form.whole.data)
    return None


@bp.post("/<int:meeting_id>/retro/groups/<int:group_id>")
@login_required
@meeting_action("group-{group_id}", GroupTitleForm, steer=True, load=group_of)
def group_title(live: Live, form: GroupTitleForm, group) -> str | None:
    """Give a group of notes its title."""
    service.rename_group(db.session, live.meeting, group, form.title.data)
    return None


@bp.post("/<int:meeting_id>/retro/discuss")
@login_required
@meeting_action("discuss", DiscussForm, steer=True)
def discuss(live: Live, form: DiscussForm) -> str | None:
    """Mark the note being discussed (empty: none)."""
    retro = retro_of(live.meeting)
    note = note_of(live.meeting, form.item_id.data) if form.item_id.data else None
    service.discuss_item(db.session, live.meeting, retro, note)
    return None


@bp.post("/<int:meeting_id>/actions")
@login_required
@meeting_action("action", ActionForm, steer=True)
def add_action(live: Live, form: ActionForm) -> str | None:
    """Agree an action; it becomes a card on its owner's board, and its owner is told."""
    note = note_of(live.meeting, form.item_id.data) if form.item_id.data else None
    expedition = live.membership.expedition
    action = service.add_action(
        db.session,
        live.meeting,
        expedition,
        title=form.title.data,
        owner_id=form.owner_id.data,
        kind=form.kind.data,
        item=note,
    )
    notify(
        db.session,
        form.owner_id.data,
        "action_assigned",
        expedition_id=expedition.id,
        actor_id=current_user.id,
        subject=action.title,
        link=nav_url("boards.board", expedition_id=expedition.id) or "",
    )
    return _("The action is on the board of its owner.")
