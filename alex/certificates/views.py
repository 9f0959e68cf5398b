"""Certificates of attendance: the facilitator issues and revokes, the holder reads and downloads,
anyone verifies a code."""

from __future__ import annotations

import re
import unicodedata
from io import BytesIO

import segno
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from alex.certificates import service
from alex.certificates.forms import IssueForm, RevokeForm
from alex.certificates.models import Certificate
from alex.errors import error_response
from alex.expeditions.access import get_facilitation_or_403, get_membership_or_404
from alex.expeditions.models import Membership
from alex.expeditions.service import today_in
from alex.extensions import db, limiter
from alex.web import render

bp = Blueprint("certificates", __name__)


@bp.after_request
def never_store(response):
    """Certificates name a person: no browser, proxy or service worker keeps them."""
    response.cache_control.no_store = True
    response.cache_control.private = True
    return response


@bp.app_template_filter("certificate_code")
def certificate_code(code: str) -> str:
    """ABCD-EFGH-JKLM."""
    return service.format_code(code)


@bp.app_template_filter("certificate_hours")
def certificate_hours(minutes: int) -> str:
    """1,5 (German) or 1.5 (English)."""
    return service.format_hours(minutes, str(get_locale() or "de"))


def verify_url(code: str) -> str:
    """The public address of the verify page, as printed: ALEX_BASE_URL when set."""
    base = (current_app.config.get("ALEX_BASE_URL") or "").rstrip("/")
    if base:
        return base + url_for("certificates.verify", verification_code=code)
    return url_for("certificates.verify", verification_code=code, _external=True)


def verify_qr(code: str) -> Markup:
    """The verify address as an inline SVG QR code (no style attribute: strict CSP)."""
    svg = segno.make(verify_url(code), error="m").svg_inline(
        scale=3, svgclass="certificate-qr", lineclass=None, omitsize=True, border=2
    )
    label = _("QR code with the address to verify this certificate")
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1))  # noqa: S704 – segno's own output, our label


def _issuer() -> str:
    config = current_app.config
    return config.get("ALEX_CERTIFICATE_ISSUER") or config.get("ALEX_OPERATOR") or ""


def _manage_page(membership: Membership, form: IssueForm, status: int = 200, **extra):
    expedition = membership.expedition
    candidates = service.candidates(db.session, expedition)
    form.participants.choices = [(c.membership.user_id, c.membership.user.name) for c in candidates]
    if not form.is_submitted():
        first = next((c for c in candidates if c.attendance.held), None)
        minutes = service.default_minutes(first.attendance) if first else 90
        form.hours.data = service.format_hours(minutes, str(get_locale() or "de"))
        form.participants.data = [
            c.membership.user_id for c in candidates if c.valid is None and c.attendance.attended
        ]
    return render(
        "certificates/manage.html",
        "certificates/_manage.html",
        status=status,
        expedition=expedition,
        membership=membership,
        candidates=candidates,
        form=form,
        revoke_form=RevokeForm(),
        ended=service.has_ended(db.session, expedition, today_in(expedition)),
        **extra,
    )


@bp.get("/expeditions/<int:expedition_id>/certificates")
@login_required
def manage(expedition_id: int):
    """The facilitator's list: attendance per participant, issue and revoke."""
    membership = get_facilitation_or_403(expedition_id)
    return _manage_page(membership, IssueForm(formdata=None))


@bp.post("/expeditions/<int:expedition_id>/certificates")
@login_required
def issue(expedition_id: int):
    """Issue certificates to the chosen participants with the hours given."""
    membership = get_facilitation_or_403(expedition_id)
    form = IssueForm()
    candidates = service.candidates(db.session, membership.expedition)
    form.participants.choices = [(c.membership.user_id, c.membership.user.name) for c in candidates]
    if not form.validate_on_submit():
        return _manage_page(membership, form, status=422)
    try:
        minutes = service.parse_hours(form.hours.data)
        made = service.issue(
            db.session,
            membership.expedition,
            current_user._get_current_object(),
            form.participants.data or [],
            minutes,
            today_in(membership.expedition),
            _issuer(),
        )
    except service.CertificateError as error:
        db.session.rollback()
        if error.field == "hours":
            form.hours.errors = [str(error)]
            return _manage_page(membership, form, status=422)
        return _manage_page(membership, form, status=422, problem=str(error))
    db.session.commit()
    flash(
        ngettext("%(num)d certificate issued.", "%(num)d certificates issued.", len(made))
        if made
        else _("Everyone you chose holds a valid certificate already."),
        "success",
    )
    return redirect(url_for("certificates.manage", expedition_id=expedition_id), 303)


@bp.post("/expeditions/<int:expedition_id>/certificates/<int:certificate_id>/revoke")
@login_required
def revoke(expedition_id: int, certificate_id: int):
    """Revoke a certificate (the record stays; the verify page says it was revoked)."""
    membership = get_facilitation_or_403(expedition_id)
    certificate = _certificate_or_404(membership, certificate_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        return error_response(400, _("The form expired. Please reload the page and try again."))
    if service.revoke(db.session, certificate, current_user._get_current_object()):
        flash(_("The certificate of %(name)s is revoked.", name=certificate.holder_name), "success")
    else:
        flash(_("This certificate was revoked already."), "info")
    db.session.commit()
    return redirect(url_for("certificates.manage", expedition_id=expedition_id), 303)


def _certificate_or_404(membership: Membership, certificate_id: int) -> Certificate:
    """A certificate of this expedition the member may see: their own, or any for facilitators."""
    certificate = service.certificate_in(db.session, membership.expedition_id, certificate_id)
    if certificate is None or (
        certificate.user_id != membership.user_id and not membership.is_facilitator
    ):
        abort(404)
    return certificate


@bp.get("/expeditions/<int:expedition_id>/certificate")
@login_required
def mine(expedition_id: int):
    """My certificate in this expedition (or why there is none yet)."""
    membership = get_membership_or_404(expedition_id)
    own = service.certificates_of(db.session, expedition_id, current_user.id)
    valid = next((c for c in own if c.is_valid), None)
    if valid is not None:
        return redirect(
            url_for("certificates.show", expedition_id=expedition_id, certificate_id=valid.id)
        )
    return render(
        "certificates/mine.html",
        expedition=membership.expedition,
        membership=membership,
        revoked=own,
        ended=service.has_ended(db.session, membership.expedition, today_in(membership.expedition)),
    )


@bp.get("/expeditions/<int:expedition_id>/certificates/<int:certificate_id>")
@login_required
def show(expedition_id: int, certificate_id: int):
    """The certificate as a page, with the PDF to download."""
    membership = get_membership_or_404(expedition_id)
    certificate = _certificate_or_404(membership, certificate_id)
    return render(
        "certificates/show.html",
        expedition=membership.expedition,
        membership=membership,
        certificate=certificate,
        qr=verify_qr(certificate.code),
        verify_address=verify_url(certificate.code),
        verify_home=_verify_home(),
    )


def _download_name(*parts: str) -> str:
    """An ASCII file name (umlauts spelled out) that every file system accepts."""
    text = "-".join(parts)
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "Ae"), ("Ö", "Oe")):
        text = text.replace(umlaut, spelled)
    text = text.replace("Ü", "Ue").replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return (re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:80] or "certificate") + ".pdf"


@bp.get("/expeditions/<int:expedition_id>/certificates/<int:certificate_id>.pdf")
@login_required
def pdf(expedition_id: int, certificate_id: int):
    """The certificate as a tagged PDF (PDF/UA-1), made on the server."""
    membership = get_membership_or_404(expedition_id)
    certificate = _certificate_or_404(membership, certificate_id)
    if not certificate.is_valid:
        return error_response(410, _("This certificate was revoked; there is no PDF of it."))
    html = render_template(
        "certificates/print.html",
        certificate=certificate,
        qr=verify_qr(certificate.code),
        verify_address=verify_url(certificate.code),
        verify_home=_verify_home(),
        for_pdf=True,
    )
    # Imported here: WeasyPrint costs some 40 MB in every process that loads it.
    from alex.exports.pdf import render_pdf

    try:
        document = render_pdf(html, current_app.static_folder or "")
    except Exception:
        current_app.logger.exception("Certificate PDF rendering failed")
        return error_response(
            503, _("The PDF could not be created just now. Please try again in a minute.")
        )
    name = _download_name(_("Teilnahmebescheinigung"), certificate.holder_name)
    return send_file(
        BytesIO(document), mimetype="application/pdf", as_attachment=True, download_name=name
    )


def _verify_home() -> str:
    base = (current_app.config.get("ALEX_BASE_URL") or "").rstrip("/")
    return (
        base + url_for("certificates.verify_form")
        if base
        else url_for("certificates.verify_form", _external=True)
    )


def _verify_rate_limit() -> str:
    return current_app.config["ALEX_VERIFY_RATE_LIMIT"]


@bp.get("/verify")
@limiter.limit(_verify_rate_limit)
def verify_form():
    """Where a code printed on a certificate is typed in (or ?code= from the form)."""
    typed = request.args.get("code")
    if typed is not None:
        normal = service.normalise_code(typed)
        if normal is not None:
            return redirect(url_for("certificates.verify", verification_code=normal), 303)
        return render(
            "certificates/verify_form.html",
            status=422,
            typed=typed[:40],
            problem=_("A code has 12 letters and digits, like ABCD-EFGH-JKLM. Please check it."),
        )
    return render("certificates/verify_form.html", typed="")


@bp.get("/verify/<verification_code>")
@limiter.limit(_verify_rate_limit)
def verify(verification_code: str):
    """Whether a certificate with this code exists and is valid: name, expedition, dates, attendance.

    An unknown code and a malformed one get the same 404 page, so the answer tells nothing but
    "not found".
    """
    code = verification_code[:40]
    certificate = service.by_code(db.session, code)
    if certificate is None:
        return render("certificates/verify.html", status=404, certificate=None, typed=code)
    if certificate.code != code:
        return redirect(url_for("certificates.verify", verification_code=certificate.code), 301)
    return render("certificates/verify.html", certificate=certificate, typed=code)
