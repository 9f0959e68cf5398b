"""Expedition pages: home, create, settings, calendar, members, invites."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from alex.auth.instance import may_create_expeditions
from alex.errors import error_response
from alex.expeditions import invitations, service
from alex.expeditions.access import get_facilitation_or_403, get_membership_or_404
from alex.expeditions.forms import (
    EARLIEST_START,
    LATEST_START,
    ConfirmForm,
    ExpeditionForm,
    InviteForm,
    InviteMailForm,
    RolesForm,
)
from alex.expeditions.models import Expedition, Invite, Membership
from alex.extensions import db
from alex.web import id_arg, render, render_fragment

bp = Blueprint("expeditions", __name__)


@bp.get("/")
@login_required
def home():
    """My expeditions and where each stands."""
    memberships = service.memberships_of_user(db.session, current_user)
    standings = service.standings(db.session, [m.expedition for m in memberships])
    overview = [(m, standings[m.expedition_id]) for m in memberships]
    return render("expeditions/home.html", overview=overview)


def _settings_from(form: ExpeditionForm) -> service.ExpeditionSettings:
    return service.ExpeditionSettings(
        title=form.title.data,
        description=form.description.data or "",
        start_date=form.start_date.data,
        sprint_weeks=form.sprint_weeks.data,
        sprint_count=form.sprint_count.data,
        timezone=form.timezone.data,
        pit_stops=form.pit_stops.data,
        retention_months=form.retention_months.data,
    )


def _creation_closed():
    """The instance lets only listed people create expeditions, and this person is not listed."""
    if may_create_expeditions(db.session, current_user):
        return None
    return error_response(
        403,
        _(
            "On this installation only listed people start expeditions. If you want to start "
            "one, ask the people who run ALEx (Betrieb) to add you."
        ),
    )


@bp.get("/expeditions/new")
@login_required
def new():
    """The form for a new expedition, optionally pre-filled from an earlier one (Vorlage)."""
    if (closed := _creation_closed()) is not None:
        return closed
    form = ExpeditionForm(start_date=_next_monday())
    template_id = id_arg("template")
    if template_id:
        template = get_membership_or_404(template_id).expedition
        settings = service.settings_of(template)
        form = ExpeditionForm(
            data={
                **settings.__dict__,
                "start_date": _next_monday(),
                "title": _("%(title)s (new round)", title=template.title),
            }
        )
    # Instance library: a shared Vorlage carries settings only (no title, nothing of content).
    vorlage_id = id_arg("vorlage")
    if vorlage_id:
        vorlage = service.shared_vorlage(db.session, vorlage_id)
        if vorlage is None:
            abort(404)
        form = ExpeditionForm(
            data={**vorlage.settings.__dict__, "start_date": _next_monday(), "title": ""}
        )
    templates = [
        m.expedition
        for m in service.memberships_of_user(db.session, current_user)
        if m.is_facilitator
    ]
    return render(
        "expeditions/new.html",
        form=form,
        templates=templates,
        template_id=template_id,
        shared=service.shared_vorlagen(db.session),
        vorlage_id=vorlage_id,
    )


def _next_monday() -> date:
    """Sprints usually start on a Monday: the default start is the coming one."""
    today = date.today()
    return today + timedelta(days=7 - today.weekday())


@bp.get("/expeditions/calendar-preview")
@login_required
def calendar_preview():
    """The sprint calendar the entered start, sprint length and count would give (live in forms)."""
    return render_fragment("expeditions/_calendar_preview.html", preview=_preview(request.args))


def _preview(values) -> dict | None:
    """Calendar of form values, or None while they are incomplete or out of range."""
    try:
        start = date.fromisoformat(values.get("start_date", ""))
        weeks, count = int(values.get("sprint_weeks", "")), int(values.get("sprint_count", ""))
    except ValueError:
        return None
    if not (EARLIEST_START <= start <= LATEST_START and 1 <= weeks <= 6 and 1 <= count <= 26):
        return None
    pit_stops = (
        service.calendar.pit_stop_dates(start, weeks, count) if values.get("pit_stops") else []
    )
    return {
        "sprints": service.calendar.sprints(start, weeks, count),
        "end": service.calendar.end_date(start, weeks, count),
        "pit_stops": pit_stops,
    }


@bp.app_template_global("calendar_preview_of")
def _form_preview(form: ExpeditionForm) -> dict | None:
    """The preview for a rendered form's current values (the form templates call it)."""
    return _preview(
        {
            "start_date": form.start_date.data.isoformat() if form.start_date.data else "",
            "sprint_weeks": str(form.sprint_weeks.data or ""),
            "sprint_count": str(form.sprint_count.data or ""),
            "pit_stops": "y" if form.pit_stops.data else "",
        }
    )


@bp.post("/expeditions/new")
@login_required
def create():
    """Create the expedition; its creator becomes its facilitator."""
    if (closed := _creation_closed()) is not None:
        return closed
    form = ExpeditionForm()
    if not form.validate_on_submit():
        templates = [
            m.expedition
            for m in service.memberships_of_user(db.session, current_user)
            if m.is_facilitator
        ]
        return render(
            "expeditions/new.html",
            form=form,
            templates=templates,
            template_id=None,
            shared=service.shared_vorlagen(db.session),
            vorlage_id=None,
            status=422,
        )
    expedition = service.create_expedition(
        db.session, current_user, _settings_from(form), creator_participates=form.participate.data
    )
    db.session.commit()
    flash(_("Your expedition is ready. Invite your Zirkel next."), "success")
    return redirect(url_for("expeditions.members", expedition_id=expedition.id))


@bp.get("/expeditions/<int:expedition_id>")
@login_required
def show(expedition_id: int):
    """Overview: where the expedition stands, its sprint calendar and its members."""
    membership = get_membership_or_404(expedition_id)
    expedition = membership.expedition
    return render(
        "expeditions/show.html",
        membership=membership,
        expedition=expedition,
        standing=service.standing_of(db.session, expedition),
        sprints=service.sprint_calendar(expedition),
        end=service.expedition_end(expedition),
        pit_stops=service.calendar.pit_stop_dates(
            expedition.start_date, expedition.sprint_weeks, expedition.sprint_count
        )
        if expedition.pit_stops
        else [],
        deletion=service.deletion_date(expedition),
        members=service.members(db.session, expedition),
        today=service.today_in(expedition),
    )


@bp.get("/expeditions/<int:expedition_id>/settings")
@login_required
def settings(expedition_id: int):
    """The facilitator's settings form."""
    membership = get_facilitation_or_403(expedition_id)
    expedition = membership.expedition
    form = ExpeditionForm(obj=expedition, participate=membership.is_participant)
    return render(
        "expeditions/settings.html", form=form, expedition=expedition, shift_warning=False
    )


@bp.post("/expeditions/<int:expedition_id>/settings")
@login_required
def update_settings(expedition_id: int):
    """Save settings; a change that moves sprints is saved only once confirmed."""
    membership = get_facilitation_or_403(expedition_id)
    expedition = membership.expedition
    form = ExpeditionForm()
    if not form.validate_on_submit():
        return render(
            "expeditions/settings.html",
            form=form,
            expedition=expedition,
            shift_warning=False,
            status=422,
        )
    if form.version.data != expedition.version:
        return _settings_conflict(membership)
    new_settings = _settings_from(form)
    if service.shifts_sprints(expedition, new_settings) and not request.form.get("confirm_shift"):
        return render(
            "expeditions/settings.html",
            form=form,
            expedition=expedition,
            shift_warning=True,
            old_end=service.expedition_end(expedition),
            new_end=service.calendar.end_date(
                new_settings.start_date, new_settings.sprint_weeks, new_settings.sprint_count
            ),
            status=422,
        )
    service.update_expedition(db.session, expedition, new_settings)
    membership.is_participant = form.participate.data or not membership.is_facilitator
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        return _settings_conflict(get_facilitation_or_403(expedition_id))
    flash(_("The settings are saved."), "success")
    return redirect(url_for("expeditions.show", expedition_id=expedition.id))


def _settings_conflict(membership: Membership):
    """Someone saved the settings meanwhile: show theirs (409), nothing of ours is stored."""
    expedition = membership.expedition
    db.session.refresh(expedition)
    return render(
        "expeditions/settings.html",
        form=ExpeditionForm(formdata=None, obj=expedition, participate=membership.is_participant),
        expedition=expedition,
        shift_warning=False,
        conflict=True,
        status=409,
    )


def _members_page(
    membership: Membership,
    invite_form: InviteForm | None = None,
    mail_form: InviteMailForm | None = None,
    mail_problems: list | None = None,
    status: int = 200,
    new_invite: Invite | None = None,
):
    expedition = membership.expedition
    invites = service.active_invites(db.session, expedition) if membership.is_facilitator else []
    return render(
        "expeditions/members.html",
        "expeditions/_members.html",
        status=status,
        membership=membership,
        expedition=expedition,
        members=service.members(db.session, expedition),
        invites=invites,
        invite_form=invite_form or InviteForm(formdata=None),
        mail_form=mail_form
        or InviteMailForm(formdata=None, locale=expedition.locale or _default_locale()),
        mail_problems=mail_problems or [],
        mail_limit=current_app.config["ALEX_INVITE_MAIL_LIMIT"],
        new_invite=new_invite,
        confirm_form=ConfirmForm(),
    )


@bp.get("/expeditions/<int:expedition_id>/members")
@login_required
def members(expedition_id: int):
    """Who takes part; for the facilitator also roles and invite links."""
    return _members_page(get_membership_or_404(expedition_id))


@bp.post("/expeditions/<int:expedition_id>/invites")
@login_required
def create_invite(expedition_id: int):
    """A new invite link to copy and share."""
    membership = get_facilitation_or_403(expedition_id)
    form = InviteForm()
    if not form.validate_on_submit():
        return _members_page(membership, form, status=422)
    invite = service.create_invite(
        db.session,
        membership.expedition,
        current_user,
        days_valid=form.days_valid.data,
        single_use=form.single_use.data,
        as_facilitator=form.as_facilitator.data,
    )
    db.session.commit()
    return _members_page(membership, new_invite=invite)


def _default_locale() -> str:
    return current_app.config["BABEL_DEFAULT_LOCALE"]


@bp.post("/expeditions/<int:expedition_id>/invites/mail")
@login_required
def invite_by_mail(expedition_id: int):
    """Invite pasted addresses by mail: every line checked, nobody invited unless all are fine."""
    membership = get_facilitation_or_403(expedition_id)
    expedition = membership.expedition
    form = InviteMailForm()
    if not form.validate_on_submit():
        return _members_page(membership, mail_form=form, status=422)
    addresses, problems = invitations.parse_addresses(
        form.addresses.data,
        limit=current_app.config["ALEX_INVITE_MAIL_LIMIT"],
        members=invitations.member_emails(db.session, expedition),
    )
    if problems:
        return _members_page(membership, mail_form=form, mail_problems=problems, status=422)
    if expedition.locale != form.locale.data:
        # The expedition's language for mails (a plain UPDATE: no clash with a settings save).
        db.session.execute(
            update(Expedition)
            .where(Expedition.id == expedition.id)
            .values(locale=form.locale.data)
            .execution_options(synchronize_session=False)
        )
        # Only the loaded copy follows: a changed attribute would be flushed as a versioned
        # UPDATE, and two lists sent at once would then clash (StaleDataError, a 500).
        set_committed_value(expedition, "locale", form.locale.data)
    waiting = invitations.already_invited(db.session, expedition, addresses)
    fresh = [a for a in addresses if a.lower() not in waiting]
    daily = current_app.config["ALEX_INVITE_MAIL_DAILY_LIMIT"]
    left = invitations.mail_allowance(
        current_user.id, len(fresh), daily, current_app.config["RATELIMIT_KEY_PREFIX"]
    )
    if left is not None:
        db.session.rollback()
        detail = _(
            "You can send at most %(limit)d invitation mails per day (%(left)d more today). "
            "Nobody was invited; please try again tomorrow or with fewer addresses.",
            limit=daily,
            left=left,
        )
        return error_response(429, detail)
    invitations.invite_by_mail(
        db.session,
        expedition,
        current_user,
        fresh,
        link_for=lambda token: url_for("expeditions.invite", token=token),
    )
    db.session.commit()
    if fresh:
        flash(
            ngettext(
                "%(num)d invitation is on its way.",
                "%(num)d invitations are on their way.",
                len(fresh),
            ),
            "success",
        )
    if waiting:
        flash(
            ngettext(
                "%(num)d address already has an open invitation and gets no second mail.",
                "%(num)d addresses already have an open invitation and get no second mail.",
                len(addresses) - len(fresh),
            ),
            "info",
        )
    # Post/Redirect/Get: reloading the page that follows sends nothing again.
    return redirect(url_for("expeditions.members", expedition_id=expedition.id), code=303)


def _invite_of(membership: Membership, invite_id: int) -> Invite:
    invite = db.session.scalar(
        select(Invite).where(
            Invite.id == invite_id, Invite.expedition_id == membership.expedition_id
        )
    )
    if invite is None:
        abort(404)
    return invite


@bp.post("/expeditions/<int:expedition_id>/invites/<int:invite_id>/revoke")
@login_required
def revoke_invite(expedition_id: int, invite_id: int):
    """The link stops working at once."""
    membership = get_facilitation_or_403(expedition_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    service.revoke_invite(db.session, _invite_of(membership, invite_id))
    db.session.commit()
    flash(_("The invite link no longer works."), "success")
    return _members_page(membership)


def _member_of(membership: Membership, member_id: int) -> Membership:
    other = db.session.scalar(
        select(Membership).where(
            Membership.id == member_id, Membership.expedition_id == membership.expedition_id
        )
    )
    if other is None:
        abort(404)
    return other


@bp.post("/expeditions/<int:expedition_id>/members/<int:member_id>/roles")
@login_required
def change_roles(expedition_id: int, member_id: int):
    """The facilitator sets who moderates and who takes part."""
    membership = get_facilitation_or_403(expedition_id)
    other = _member_of(membership, member_id)
    form = RolesForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        service.set_roles(db.session, other, form.is_facilitator.data, form.is_participant.data)
    except service.ExpeditionError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _members_page(get_membership_or_404(expedition_id), status=422)
    db.session.commit()
    flash(_("Roles of %(name)s are saved.", name=other.user.name), "success")
    return _members_page(membership)


@bp.post("/expeditions/<int:expedition_id>/members/<int:member_id>/remove")
@login_required
def remove_member(expedition_id: int, member_id: int):
    """The facilitator takes someone out of the expedition."""
    membership = get_facilitation_or_403(expedition_id)
    other = _member_of(membership, member_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name = other.user.name
    try:
        service.remove_member(db.session, other)
    except service.ExpeditionError as error:
        flash(str(error), "error")
        return _members_page(membership, status=422)
    db.session.commit()
    if other.user_id == current_user.id:
        return redirect(url_for("expeditions.home"))
    flash(_("%(name)s is no longer part of this expedition.", name=name), "success")
    return _members_page(membership)


@bp.post("/expeditions/<int:expedition_id>/leave")
@login_required
def leave(expedition_id: int):
    """A member leaves the expedition."""
    membership = get_membership_or_404(expedition_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    title = membership.expedition.title
    try:
        service.remove_member(db.session, membership)
    except service.ExpeditionError as error:
        flash(str(error), "error")
        return redirect(url_for("expeditions.members", expedition_id=expedition_id))
    db.session.commit()
    flash(_("You have left „%(title)s“.", title=title), "success")
    return redirect(url_for("expeditions.home"))


@bp.get("/invite/<token>")
def invite(token: str):
    """The invite landing page: join, or sign up / log in first."""
    found = service.find_usable_invite(db.session, token[:64])
    if found is None:
        return render("expeditions/invite_invalid.html", status=404)
    if not current_user.is_authenticated:
        session["invite_token"] = found.token
    already = current_user.is_authenticated and db.session.scalar(
        select(Membership.id).where(
            Membership.expedition_id == found.expedition_id, Membership.user_id == current_user.id
        )
    )
    return render(
        "expeditions/invite.html",
        invite=found,
        expedition=found.expedition,
        already_member=bool(already),
        end=service.expedition_end(found.expedition),
        form=ConfirmForm(),
    )


@bp.post("/invite/<token>")
@login_required
def accept_invite(token: str):
    """Join the expedition."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return join_through_invite(token[:64])


def join_through_invite(token: str):
    """Accept an invite for the current user and land in the expedition (also used after login)."""
    found = service.find_usable_invite(db.session, token)
    if found is None:
        db.session.commit()  # keep what the caller did (e.g. a fresh login) even so
        flash(_("This invite link no longer works. Ask your facilitator for a new one."), "error")
        return redirect(url_for("expeditions.home"))
    expedition: Expedition = found.expedition
    try:
        joined = service.accept_invite(db.session, found, current_user)
        if joined.joined_now:
            invitations.tell_facilitators_of_join(
                db.session,
                joined,
                url_for("expeditions.members", expedition_id=expedition.id),
            )
        db.session.commit()
    except service.ExpeditionError as error:
        db.session.commit()
        flash(str(error), "error")
        return redirect(url_for("expeditions.home"))
    except IntegrityError:
        # The same person accepted twice at once (two tabs): the other request let them in.
        db.session.rollback()
    return _welcome(expedition.id)


def _welcome(expedition_id: int):
    """Land in the expedition just joined."""
    expedition = get_membership_or_404(expedition_id).expedition
    flash(_("Welcome to „%(title)s“!", title=expedition.title), "success")
    return redirect(url_for("expeditions.show", expedition_id=expedition.id))
