"""Planning the expedition's meetings in one go: the settings, a preview, one save."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Response, flash, redirect, request, url_for
from flask_babel import ngettext
from flask_login import current_user, login_required

from alex.expeditions.access import get_facilitation_or_403
from alex.expeditions.models import Membership
from alex.expeditions.service import expedition_end, today_in
from alex.extensions import db
from alex.meetings import series, service
from alex.meetings.series_forms import SeriesForm, chosen_rows
from alex.meetings.views.common import bp
from alex.web import render

# How far from the expedition's own dates a meeting of the series may be moved.
MARGIN = timedelta(days=120)


@bp.app_template_filter("place_or_link")
def place_or_link_filter(text: str):
    """A meeting's place with its https link clickable."""
    return series.place_or_link(text)


def _series_form(membership: Membership) -> SeriesForm:
    """The settings: as sent, or on a first visit the rhythm of the meetings so far."""
    if request.method == "POST":
        return SeriesForm()
    expedition = membership.expedition
    suggestion = series.suggest_next(
        expedition, service.meetings_of(db.session, expedition), today_in(expedition)
    )
    return SeriesForm(
        data={
            "weekday": str(suggestion.weekday),
            "time": suggestion.time,
            "duration_minutes": suggestion.duration_minutes,
            "location": suggestion.location,
            "kickoff": True,
            "zirkeltreffen": True,
            "pit_stops": bool(expedition.pit_stops),
            "closing": True,
        }
    )


def _choice(form: SeriesForm) -> series.SeriesChoice:
    return series.SeriesChoice(
        weekday=int(form.weekday.data),
        time=form.time.data,
        duration_minutes=form.duration_minutes.data,
        location=(form.location.data or "").strip(),
        kickoff=form.kickoff.data,
        zirkeltreffen=form.zirkeltreffen.data,
        pit_stops=form.pit_stops.data,
        closing=form.closing.data,
    )


def _bounds(membership: Membership) -> tuple[date, date]:
    expedition = membership.expedition
    return expedition.start_date - MARGIN, expedition_end(expedition) + MARGIN


def _page(
    membership: Membership,
    form: SeriesForm,
    valid: bool,
    status: int = 200,
    row_errors: dict[str, str] | None = None,
    message: str | None = None,
    keep_rows: bool = False,
) -> Response:
    """The page (or, for HTMX, the preview) with the rows the settings give."""
    expedition = membership.expedition
    rows: list[series.Proposal] = []
    if valid:
        rows = series.propose(
            expedition,
            service.meetings_of(db.session, expedition),
            _choice(form),
            today_in(expedition),
        )
    # What the preview showed before: the ticks stay; the dates stay unless the weekday changed.
    sent = request.form if request.method == "POST" and "rows" in request.form else None
    keep_dates = keep_rows or (
        sent is not None and sent.get("shown_weekday") == (form.weekday.data or "")
    )
    return render(
        "meetings/series.html",
        "meetings/_series_preview.html",
        status=status,
        expedition=expedition,
        membership=membership,
        form=form,
        valid=valid,
        rows=rows,
        sent=sent,
        keep_dates=keep_dates,
        row_errors=row_errors or {},
        message=message,
        active_nav="meetings",
    )


@bp.get("/series")
@login_required
def series_page(expedition_id: int):
    """The series as the sprint calendar suggests it, ready to check and save."""
    membership = get_facilitation_or_403(expedition_id)
    return _page(membership, _series_form(membership), valid=True)


@bp.post("/series/preview")
@login_required
def series_preview(expedition_id: int):
    """The preview for changed settings (nothing is saved)."""
    membership = get_facilitation_or_403(expedition_id)
    form = _series_form(membership)
    valid = form.validate_on_submit()
    return _page(membership, form, valid, 200 if valid else 422)


@bp.post("/series")
@login_required
def series_save(expedition_id: int):
    """Put the ticked meetings of the preview on the calendar, as one series."""
    membership = get_facilitation_or_403(expedition_id)
    expedition = membership.expedition
    form = _series_form(membership)
    if not form.validate_on_submit():
        return _page(membership, form, False, 422)
    choice = _choice(form)
    proposals = series.propose(
        expedition, service.meetings_of(db.session, expedition), choice, today_in(expedition)
    )
    earliest, latest = _bounds(membership)
    rows, errors = chosen_rows(request.form, proposals, earliest, latest)
    if errors:
        return _page(membership, form, True, 422, row_errors=errors, keep_rows=True)
    try:
        meetings = series.create_series(
            db.session, expedition, choice, rows, actor_id=current_user.id
        )
    except service.MeetingError as error:
        db.session.rollback()
        return _page(membership, form, True, 422, message=str(error), keep_rows=True)
    db.session.commit()
    flash(
        ngettext(
            "%(num)d meeting is on the calendar.",
            "%(num)d meetings are on the calendar.",
            len(meetings),
        ),
        "success",
    )
    return redirect(
        url_for("meetings.index", expedition_id=expedition_id, _anchor="upcoming-heading")
    )
