"""Lernbericht (preview, print, PDF, Markdown), final reflection and the facilitator's summary."""

from __future__ import annotations

import json
import re
import time
import unicodedata
from io import BytesIO

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    send_file,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from sqlalchemy import select

from alex.auth.hooks import deletion_problem
from alex.auth.service import has_password, signed_in_recently, verify_password
from alex.errors import error_response
from alex.expeditions.access import get_facilitation_or_403, get_membership_or_404
from alex.expeditions.models import Membership
from alex.expeditions.service import today_in
from alex.exports import csv_export, service
from alex.exports.data_rights import account_export, delete_account
from alex.exports.forms import (
    DeleteAccountForm,
    DeletePasswordlessAccountForm,
    ReflectionForm,
    SelectionForm,
)
from alex.exports.markdown_export import report_markdown
from alex.exports.report import (
    SECTIONS,
    Report,
    compose_report,
    load_reflection,
    load_selection,
)
from alex.exports.text import notes_html
from alex.extensions import db, htmx, limiter
from alex.meetings.models import Meeting
from alex.progress.charts import confidence_trend_svg
from alex.web import render

bp = Blueprint("exports", __name__)
bp.add_app_template_global(notes_html, "notes_html")
# The same accessible SVG as the Zirkel page, so the trend looks alike everywhere.
bp.add_app_template_global(confidence_trend_svg, "report_confidence_svg")


@bp.after_request
def never_store(response):
    """Reports and data exports are never kept by a browser, proxy or the service worker."""
    # They hold everything personal; the service worker skips every no-store answer.
    response.cache_control.no_store = True
    response.cache_control.private = True
    return response


def _compose(membership: Membership) -> Report:
    return compose_report(
        db.session, membership.expedition, current_user, today_in(membership.expedition)
    )


def _selection_version(membership: Membership) -> int:
    selection = load_selection(db.session, membership.expedition_id, current_user.id)
    return selection.version if selection else 0


def _report_page(membership: Membership, report: Report | None = None, status: int = 200, **extra):
    report = report or _compose(membership)
    expedition = membership.expedition
    return render(
        "exports/report.html",
        "exports/_workspace.html",
        status=status,
        expedition=expedition,
        membership=membership,
        report=report,
        sections=SECTIONS,
        version=_selection_version(membership),
        reflection_open=service.reflection_is_open(expedition, today_in(expedition)),
        **extra,
    )


@bp.get("/expeditions/<int:expedition_id>/report")
@login_required
def report(expedition_id: int):
    """Preview of my Lernbericht, where I pick what goes in."""
    membership = get_membership_or_404(expedition_id)
    return _report_page(membership, _compose(membership))


@bp.post("/expeditions/<int:expedition_id>/report/selection")
@login_required
def save_selection(expedition_id: int):
    """Keep my choice of sections and cards; answer with the updated preview."""
    membership = get_membership_or_404(expedition_id)
    everything = compose_report(
        db.session,
        membership.expedition,
        current_user,
        today_in(membership.expedition),
        apply_selection=False,
    )
    candidates = [c.id for c in everything.candidate_cards]
    form = SelectionForm(card_ids=candidates)
    if not form.validate_on_submit():
        return _report_page(
            membership, status=422, problem=_("Your choice could not be saved. Please reload.")
        )
    try:
        service.save_selection(
            db.session,
            membership.expedition_id,
            current_user.id,
            set(form.sections.data or []),
            set(form.cards.data or []),
            set(candidates),
            form.version.data,
        )
    except service.StaleError:
        db.session.rollback()
        return _report_page(
            membership,
            status=409,
            problem=_(
                "You changed your choice on another device in the meantime. Here is the latest state."
            ),
        )
    db.session.commit()
    response = _report_page(membership, saved=True)
    if htmx:
        response.headers["HX-Trigger"] = json.dumps({"announce": _("Your choice is saved.")})
    return response


@bp.get("/expeditions/<int:expedition_id>/report/print")
@login_required
def report_print(expedition_id: int):
    """The Lernbericht alone, for the browser's print dialog (A4, page numbers, no navigation)."""
    membership = get_membership_or_404(expedition_id)
    return render(
        "exports/print.html", report=_compose(membership), expedition=membership.expedition
    )


def _download_name(*parts: str, suffix: str) -> str:
    """An ASCII file name (umlauts spelled out) that every file system accepts."""
    text = "-".join(parts)
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "Ae"), ("Ö", "Oe")):
        text = text.replace(umlaut, spelled)
    text = text.replace("Ü", "Ue").replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return (re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:80] or "export") + suffix


def _pdf_response(html: str, name: str):
    """Render the PDF; a failure becomes a message the user can act on, never a 500."""
    # Imported here: WeasyPrint (with Pango) costs some 40 MB in every process that loads it,
    # and the queue's consumer builds this app too without ever rendering a PDF.
    from alex.exports.pdf import render_pdf

    started = time.perf_counter()
    try:
        pdf = render_pdf(html, current_app.static_folder or "")
    except Exception:
        current_app.logger.exception("PDF rendering failed")
        return error_response(
            503,
            _(
                "The PDF could not be created just now. Please try again in a minute, or use the print view instead."
            ),
        )
    current_app.logger.info("PDF %s rendered in %.2f s", name, time.perf_counter() - started)
    return send_file(
        BytesIO(pdf), mimetype="application/pdf", as_attachment=True, download_name=name
    )


@bp.get("/expeditions/<int:expedition_id>/report.pdf")
@login_required
def report_pdf(expedition_id: int):
    """My Lernbericht as a tagged PDF, made on the server."""
    membership = get_membership_or_404(expedition_id)
    report = _compose(membership)
    html = render_template(
        "exports/print.html", report=report, expedition=membership.expedition, for_pdf=True
    )
    name = _download_name(
        _("Lernbericht"), report.person_name, report.expedition_title, suffix=".pdf"
    )
    return _pdf_response(html, name)


@bp.get("/expeditions/<int:expedition_id>/report.md")
@login_required
def report_md(expedition_id: int):
    """My Lernbericht as Markdown, for a wiki or further editing."""
    membership = get_membership_or_404(expedition_id)
    report = _compose(membership)
    name = _download_name(
        _("Lernbericht"), report.person_name, report.expedition_title, suffix=".md"
    )
    return send_file(
        BytesIO(report_markdown(report).encode()),
        mimetype="text/markdown; charset=utf-8",
        as_attachment=True,
        download_name=name,
    )


def _reflection_page(membership: Membership, form: ReflectionForm, status: int = 200, **extra):
    expedition = membership.expedition
    return render(
        "exports/reflection.html",
        "exports/_reflection_form.html",
        status=status,
        expedition=expedition,
        form=form,
        is_open=service.reflection_is_open(expedition, today_in(expedition)),
        **extra,
    )


def _reflection_form(membership: Membership) -> ReflectionForm:
    """The form filled with what is saved (or empty, version 0)."""
    saved = load_reflection(db.session, membership.expedition_id, current_user.id)
    if saved is None:
        return ReflectionForm(formdata=None)
    return ReflectionForm(formdata=None, obj=saved)


@bp.get("/expeditions/<int:expedition_id>/reflection")
@login_required
def reflection(expedition_id: int):
    """The final reflection form (open from the last sprint on)."""
    membership = get_membership_or_404(expedition_id)
    return _reflection_page(membership, _reflection_form(membership))


@bp.post("/expeditions/<int:expedition_id>/reflection")
@login_required
def save_reflection(expedition_id: int):
    """Save the final reflection and the consents."""
    membership = get_membership_or_404(expedition_id)
    form = ReflectionForm()
    if not form.validate_on_submit():
        return _reflection_page(membership, form, status=422)
    answers = service.ReflectionAnswers(
        vorhaben_now=form.vorhaben_now.data or "",
        learned=form.learned.data or "",
        keep_doing=form.keep_doing.data or "",
        advice=form.advice.data or "",
        release_to_summary=form.release_to_summary.data,
        named_in_reports=form.named_in_reports.data,
    )
    try:
        service.save_reflection(
            db.session,
            membership.expedition,
            current_user.id,
            answers,
            form.version.data,
            today_in(membership.expedition),
        )
    except service.StaleError:
        db.session.rollback()
        return _reflection_page(
            membership,
            _reflection_form(membership),
            status=409,
            problem=_(
                "Your reflection was saved on another device in the meantime. Here is that version; add your changes again."
            ),
        )
    except service.ExportError as error:
        db.session.rollback()
        return _reflection_page(membership, form, status=422, problem=str(error))
    db.session.commit()
    response = _reflection_page(membership, _reflection_form(membership), saved=True)
    if htmx:
        response.headers["HX-Trigger"] = json.dumps({"announce": _("Your reflection is saved.")})
    return response


def _summary(expedition_id: int):
    membership = get_facilitation_or_403(expedition_id)
    return membership, service.zirkel_summary(db.session, membership.expedition)


@bp.get("/expeditions/<int:expedition_id>/summary")
@login_required
def summary(expedition_id: int):
    """The facilitator's Zirkel summary (only what members released)."""
    membership, summary = _summary(expedition_id)
    return render(
        "exports/summary.html",
        expedition=membership.expedition,
        summary=summary,
        generated_on=today_in(membership.expedition),
    )


@bp.get("/expeditions/<int:expedition_id>/summary.pdf")
@login_required
def summary_pdf(expedition_id: int):
    """The Zirkel summary as PDF."""
    membership, summary = _summary(expedition_id)
    html = render_template(
        "exports/summary_print.html",
        expedition=membership.expedition,
        summary=summary,
        generated_on=today_in(membership.expedition),
    )
    name = _download_name(_("Zirkel summary"), membership.expedition.title, suffix=".pdf")
    return _pdf_response(html, name)


@bp.get("/account/export.json")
@login_required
def account_export_json():
    """Everything stored about me as one JSON file (GDPR Art. 15 and 20)."""
    data = account_export(db.session, current_user)
    name = f"alex-{_download_name(current_user.name, suffix='')}-{data['exported_at'][:10]}.json"
    return send_file(
        BytesIO(json.dumps(data, ensure_ascii=False, indent=2).encode()),
        mimetype="application/json",
        as_attachment=True,
        download_name=name,
    )


def _delete_page(form, status: int = 200):
    return render(
        "exports/delete_account.html",
        form=form,
        has_password=has_password(current_user),
        signed_in_recently=signed_in_recently(db.session, current_user),
        status=status,
    )


def _delete_form():
    """The password, or for an account without one (single sign-on) a fresh login."""
    if has_password(current_user):
        return DeleteAccountForm()
    return DeletePasswordlessAccountForm()


@bp.get("/account/delete")
@login_required
def delete_account_confirm():
    """What deleting my account does, and the password prompt."""
    return _delete_page(_delete_form())


def _delete_rate_limit() -> str:
    return current_app.config["ALEX_LOGIN_RATE_LIMIT"]


@bp.post("/account/delete")
@login_required
@limiter.limit(_delete_rate_limit)
def delete_account_post():
    """Delete my account after checking the password; every session ends at once."""
    form = _delete_form()
    if not form.validate_on_submit():
        return _delete_page(form, status=422)
    if not has_password(current_user):
        if not signed_in_recently(db.session, current_user):
            return _delete_page(form, status=422)  # the page says: log out and in again
    elif not verify_password(current_user, form.password.data):
        form.password.errors = [_("This is not your password.")]
        return _delete_page(form, status=422)
    if problem := deletion_problem(db.session, current_user.id):  # e.g. the last operator
        form.password.errors = [problem]
        return _delete_page(form, status=422)
    delete_account(db.session, current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    flash(
        _("Your account and your personal data are deleted. Thank you for taking part!"), "success"
    )
    response = redirect(url_for("auth.login"))
    # The browser drops cached pages and the offline queue of the deleted account.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


# --- CSV downloads (alex/exports/csv_export.py) ------------------------------------------------


def _csv_response(data: bytes, *parts: str):
    """A CSV download whose name keeps the umlauts where the browser can (RFC 5987)."""
    name = "-".join(p for p in parts if p) + ".csv"
    response = current_app.response_class(data, mimetype=csv_export.MIMETYPE)
    response.headers["Content-Disposition"] = csv_export.content_disposition(name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _meeting_of(membership: Membership, meeting_id: int) -> Meeting:
    """A meeting of the facilitator's expedition; another expedition's is as good as missing."""
    meeting = db.session.scalar(
        select(Meeting).where(
            Meeting.id == meeting_id, Meeting.expedition_id == membership.expedition_id
        )
    )
    if meeting is None:
        abort(404)
    return meeting


@bp.get("/expeditions/<int:expedition_id>/board.csv")
@login_required
def board_csv(expedition_id: int):
    """My own board as CSV (never anyone else's cards, whoever asks)."""
    membership = get_membership_or_404(expedition_id)
    expedition = membership.expedition
    data = csv_export.board_csv(
        db.session, expedition.id, current_user.id, expedition.timezone, str(get_locale())
    )
    return _csv_response(data, _("Board"), current_user.name, expedition.title)


@bp.get("/expeditions/<int:expedition_id>/logbook.csv")
@login_required
def logbook_csv(expedition_id: int):
    """My own Logbuch entries as CSV."""
    membership = get_membership_or_404(expedition_id)
    expedition = membership.expedition
    data = csv_export.logbook_csv(
        db.session, expedition.id, current_user.id, expedition.timezone, str(get_locale())
    )
    return _csv_response(data, _("Logbuch"), current_user.name, expedition.title)


@bp.get("/expeditions/<int:expedition_id>/meetings/<int:meeting_id>/actions.csv")
@login_required
def meeting_actions_csv(expedition_id: int, meeting_id: int):
    """The actions agreed in a meeting, for the facilitators."""
    membership = get_facilitation_or_403(expedition_id)
    meeting = _meeting_of(membership, meeting_id)
    expedition = membership.expedition
    data = csv_export.actions_csv(db.session, meeting, expedition.timezone, str(get_locale()))
    day = csv_export.local_day(meeting.starts_at, expedition.timezone)
    return _csv_response(data, _("Actions"), expedition.title, day)


@bp.get("/expeditions/<int:expedition_id>/meetings/<int:meeting_id>/retro.csv")
@login_required
def meeting_retro_csv(expedition_id: int, meeting_id: int):
    """A retro's revealed notes, for the facilitators (anonymous ones without authors)."""
    membership = get_facilitation_or_403(expedition_id)
    meeting = _meeting_of(membership, meeting_id)
    expedition = membership.expedition
    data = csv_export.retro_csv(db.session, meeting, str(get_locale()))
    day = csv_export.local_day(meeting.starts_at, expedition.timezone)
    return _csv_response(data, _("Retro"), expedition.title, day)
