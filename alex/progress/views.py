"""The Zirkel page, Rückenwind, answers to support requests, notifications and calendar files."""

from __future__ import annotations

import json
from datetime import datetime

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select

from alex import notifications
from alex.caching import fragment, revision_cache
from alex.db import utcnow
from alex.expeditions.access import get_membership_or_404
from alex.expeditions.models import Membership
from alex.expeditions.service import today_in
from alex.extensions import db
from alex.meetings.models import Meeting
from alex.progress import calendar_feed, charts, labels, service
from alex.progress.forms import ConfirmForm, KudosForm, SupportResponseForm
from alex.progress.models import NOTE_MAX
from alex.web import render, render_fragment, wants_fragment

bp = Blueprint("progress", __name__)


@bp.context_processor
def progress_helpers() -> dict:
    """Chart functions and the fixed kinds' labels for this area's templates."""
    return {"charts": charts, "kudos_labels": labels.KUDOS, "note_max": NOTE_MAX}


@bp.app_template_global()
def unread_notification_count() -> int:
    """For the header badge, only when the header is drawn for a user.

    A GET takes the count the user loader read with the user; a request that writes may have
    changed it since, so it counts again.
    """
    if not current_user.is_authenticated:
        return 0
    loaded = current_user.loaded_extras.get("unread_notifications")
    if loaded is not None and request.method == "GET":
        return loaded
    return notifications.unread_count(db.session, current_user.id)


@bp.app_template_global()
def kudos_box(expedition, target, target_type: str, sent: bool, form=None, open_form=False):
    """A card's or check-in's Rückenwind box (`_kudos.html`).

    The Zirkel page shows a dozen; rendering the template for each was a good part of the page.
    Untouched boxes differ only in the target's id and URL and the session's CSRF token, so the
    blank box is a shared fragment (alex.caching) with those filled in. One with input or
    errors (after a failed send without HTMX) renders as it is.
    """
    if form is not None or open_form:
        return Markup(
            render_template(
                "progress/_kudos.html",
                expedition=expedition,
                target=target,
                target_type=target_type,
                sent=sent,
                form=form,
                open_form=open_form,
            )
        )
    if target_type == "card":
        action = url_for("progress.card_kudos", expedition_id=expedition.id, card_id=target.id)
    else:
        action = url_for(
            "progress.check_in_kudos", expedition_id=expedition.id, check_in_id=target.id
        )
    return fragment(
        "progress/_kudos.html",
        csrf=True,
        slots={"target_id": target.id, "action": action},
        target_type=target_type,
        sent=sent,
        form=None,
        open_form=False,
    )


def _zirkel_page(membership: Membership, status: int = 200, form_state: dict | None = None):
    expedition = membership.expedition
    # A request that writes reads its own changes; a GET may reuse figures of unchanged cards.
    figures_cache = revision_cache("zirkel_figures") if request.method == "GET" else None
    view = service.zirkel_view(db.session, expedition, membership, figures_cache=figures_cache)
    token = calendar_feed.active_token(db.session, expedition.id, membership.user_id)
    since, changes = _last_visit(membership.expedition_id), []
    if since is not None:
        changes = service.changes_since(view, membership.user_id, since)
    return render(
        "progress/zirkel.html",
        "progress/_zirkel.html",
        status=status,
        expedition=expedition,
        membership=membership,
        view=view,
        feed_token=token,
        form_state=form_state or {},
        confirm_form=ConfirmForm(),
        active_nav="zirkel",
        last_visit=since,
        changes=changes,
    )


SEEN_KEY = "zirkel_seen"  # cookie-session: expedition id -> when this device last saw its page


def _last_visit(expedition_id: int) -> datetime | None:
    """When this person last opened the Zirkel page on this device; a full page view counts as
    seen (kept in the signed session cookie: a GET writes nothing to the database)."""
    seen = dict(session.get(SEEN_KEY) or {})
    key = str(expedition_id)
    try:
        since = datetime.fromisoformat(seen[key]) if key in seen else None
    except (TypeError, ValueError):
        since = None
    if request.method == "GET" and not wants_fragment():
        seen[key] = utcnow().isoformat()
        session[SEEN_KEY] = dict(sorted(seen.items())[-20:])  # a handful of expeditions at most
    return since


@bp.get("/expeditions/<int:expedition_id>/zirkel")
@login_required
def zirkel(expedition_id: int):
    """Everyone's progress at a glance: the Expeditionskarte and one tile per member."""
    return _zirkel_page(get_membership_or_404(expedition_id))


def _kudos_answer(membership, target, target_type: str, form: KudosForm, status: int, sent: bool):
    """The target's Rückenwind box as a fragment, or the whole page without HTMX."""
    key = f"{target_type}-{target.id}"
    if wants_fragment():
        response = render_fragment(
            "progress/_kudos.html",
            status=status,
            expedition=membership.expedition,
            target=target,
            target_type=target_type,
            form=form,
            sent=sent,
            open_form=status != 200,
        )
        if sent and status == 200:
            response.headers["HX-Trigger"] = _announce(_("Your Rückenwind is on its way."))
        return response
    if status == 200:
        flash(_("Your Rückenwind is on its way."), "success")
        return redirect(
            url_for("progress.zirkel", expedition_id=membership.expedition_id) + f"#{key}"
        )
    # Without HTMX the message also goes to the top: the thing may not be on the page.
    flash(next(iter(form.errors.values()))[0], "error")
    return _zirkel_page(membership, status=status, form_state={key: form})


def _announce(message: str) -> str:
    """An HX-Trigger header value that app.js reads out through the live region."""
    return json.dumps({"announce": message})


def _send_kudos(membership: Membership, target, target_type: str):
    form = KudosForm()
    if not form.validate_on_submit():
        return _kudos_answer(membership, target, target_type, form, 422, sent=False)
    link = url_for("progress.zirkel", expedition_id=membership.expedition_id) + "#rueckenwind"
    try:
        service.send_kudos(
            db.session, current_user.id, target, form.kind.data, form.note.data or "", link
        )
    except service.ProgressError as error:
        db.session.rollback()
        form.kind.errors = [str(error)]
        return _kudos_answer(membership, target, target_type, form, 422, sent=False)
    db.session.commit()
    return _kudos_answer(membership, target, target_type, KudosForm(formdata=None), 200, sent=True)


@bp.post("/expeditions/<int:expedition_id>/zirkel/cards/<int:card_id>/kudos")
@login_required
def card_kudos(expedition_id: int, card_id: int):
    """Send Rückenwind on a card someone shared with the Zirkel."""
    membership = get_membership_or_404(expedition_id)
    card = service.shared_card(db.session, expedition_id, card_id)
    if card is None:
        abort(404)
    return _send_kudos(membership, card, "card")


@bp.post("/expeditions/<int:expedition_id>/zirkel/check-ins/<int:check_in_id>/kudos")
@login_required
def check_in_kudos(expedition_id: int, check_in_id: int):
    """Send Rückenwind on a check-in someone shared with the Zirkel."""
    membership = get_membership_or_404(expedition_id)
    check_in = service.shared_check_in(db.session, expedition_id, check_in_id)
    if check_in is None:
        abort(404)
    return _send_kudos(membership, check_in, "check_in")


@bp.post("/expeditions/<int:expedition_id>/zirkel/check-ins/<int:check_in_id>/support")
@login_required
def support_response(expedition_id: int, check_in_id: int):
    """Answer a request for support: a short note, or "Lass uns sprechen"."""
    membership = get_membership_or_404(expedition_id)
    check_in = service.shared_check_in(db.session, expedition_id, check_in_id)
    if check_in is None or not check_in.needs_support:
        abort(404)
    form = SupportResponseForm()
    status, sent = 200, False
    if not form.validate_on_submit():
        status = 422
    elif check_in.support_cleared_at is not None:
        status = 409  # closed while the form was open: show the fresh state, save nothing
    else:
        link = (
            url_for("progress.zirkel", expedition_id=expedition_id) + f"#member-{check_in.user_id}"
        )
        try:
            service.respond_to_support(
                db.session, current_user.id, check_in, form.kind.data, form.note.data or "", link
            )
        except service.ProgressError as error:
            db.session.rollback()
            form.note.errors = [str(error)]
            status = 422
        else:
            db.session.commit()
            sent = True
    if not wants_fragment():
        if sent:
            flash(_("Your answer is sent."), "success")
            return redirect(
                url_for("progress.zirkel", expedition_id=expedition_id)
                + f"#member-{check_in.user_id}"
            )
        if status == 409:
            flash(_("This request for support has been closed in the meantime."), "error")
        elif form.errors:
            flash(next(iter(form.errors.values()))[0], "error")
        return _zirkel_page(membership, status=status, form_state={f"support-{check_in.id}": form})
    response = render_fragment(
        "progress/_support.html",
        status=status,
        expedition=membership.expedition,
        check_in=check_in,
        responses=service.support_responses(db.session, check_in.id),
        form=SupportResponseForm(formdata=None) if sent else form,
        conflict=status == 409,
    )
    if sent:
        response.headers["HX-Trigger"] = _announce(_("Your answer is sent."))
    return response


@bp.get("/notifications")
@login_required
def notifications_list():
    """My notifications, newest first."""
    return _notifications_page()


def _notifications_page(status: int = 200, announce: str | None = None) -> Response:
    items = notifications.notifications_for(db.session, current_user.id)
    response = render(
        "progress/notifications.html",
        "progress/_notifications.html",
        status=status,
        items=items,
        text_of=notifications.notification_text,
        confirm_form=ConfirmForm(),
        oob_badge=wants_fragment(),
        active_nav="notifications",
    )
    if announce:
        response.headers["HX-Trigger"] = _announce(announce)
    return response


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def mark_notification_read(notification_id: int):
    """Mark one notification as read (someone else's id changes nothing: the update is scoped)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    notifications.mark_read(db.session, current_user.id, notification_id)
    db.session.commit()
    if not wants_fragment():
        return redirect(url_for("progress.notifications_list"))
    return _notifications_page(announce=_("Marked as read."))


@bp.post("/notifications/read")
@login_required
def mark_all_notifications_read():
    """Mark every notification as read."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    notifications.mark_read(db.session, current_user.id)
    db.session.commit()
    if not wants_fragment():
        return redirect(url_for("progress.notifications_list"))
    return _notifications_page(announce=_("All notifications are marked as read."))


def _calendar_answer(membership: Membership, message: str):
    if not wants_fragment():
        flash(message, "success")
        return redirect(
            url_for("progress.zirkel", expedition_id=membership.expedition_id) + "#calendar"
        )
    response = render_fragment(
        "progress/_calendar.html",
        expedition=membership.expedition,
        feed_token=calendar_feed.active_token(
            db.session, membership.expedition_id, membership.user_id
        ),
        confirm_form=ConfirmForm(),
    )
    response.headers["HX-Trigger"] = _announce(message)
    return response


@bp.post("/expeditions/<int:expedition_id>/calendar-feed")
@login_required
def renew_calendar_feed(expedition_id: int):
    """A new private calendar link; the old one stops working."""
    membership = get_membership_or_404(expedition_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    calendar_feed.renew_token(db.session, expedition_id, membership.user_id)
    db.session.commit()
    return _calendar_answer(membership, _("Your calendar link is ready."))


@bp.post("/expeditions/<int:expedition_id>/calendar-feed/revoke")
@login_required
def revoke_calendar_feed(expedition_id: int):
    """The private calendar link stops working at once."""
    membership = get_membership_or_404(expedition_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    calendar_feed.revoke_tokens(db.session, expedition_id, membership.user_id)
    db.session.commit()
    return _calendar_answer(membership, _("Your calendar link no longer works."))


def _ics(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/calendar/<token>.ics")
def calendar_feed_ics(token: str):
    """The member's calendar feed; the token is the only key (calendar apps cannot log in)."""
    membership = calendar_feed.membership_for_token(db.session, token)
    if membership is None:
        abort(404)
    expedition = membership.expedition
    with force_locale(membership.user.locale or "de"):
        body = calendar_feed.expedition_feed(
            expedition,
            service.expedition_meetings(db.session, expedition),
            request.host,
            today_in(expedition),
        )
    return _ics(body, f"alex-{expedition.id}.ics")


@bp.get("/expeditions/<int:expedition_id>/meetings/<int:meeting_id>.ics")
@login_required
def meeting_ics(expedition_id: int, meeting_id: int):
    """One meeting as a calendar file."""
    membership = get_membership_or_404(expedition_id)
    meeting = db.session.scalar(
        select(Meeting).where(Meeting.id == meeting_id, Meeting.expedition_id == expedition_id)
    )
    if meeting is None:
        abort(404)
    body = calendar_feed.meeting_file(membership.expedition, meeting, request.host)
    return _ics(body, f"alex-meeting-{meeting.id}.ics")
