"""Pages for everyone: the accessibility statement (BITV 2.0), the privacy notice (GDPR), help."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, current_app

from alex.web import render

bp = Blueprint("pages", __name__)
# The day this statement was last reviewed against the product (BITV asks for it).
STATEMENT_DATE = date(2026, 11, 24)


def _operator() -> dict:
    """Who runs this instance and how to reach them, as configured by the operator."""
    return {
        "operator": current_app.config["ALEX_OPERATOR"],
        "contact": current_app.config["ALEX_CONTACT_EMAIL"],
        "statement_date": STATEMENT_DATE,
    }


@bp.get("/accessibility")
def accessibility() -> Response:
    """Erklärung zur Barrierefreiheit: status, known limits, feedback, enforcement procedure."""
    return render("pwa/accessibility.html", **_operator())


@bp.get("/privacy")
def privacy() -> Response:
    """Datenschutzhinweise: what is stored, for how long, no third parties, your rights."""
    return render("pwa/privacy.html", **_operator())


@bp.get("/help")
def help_page() -> Response:
    """Help: the method's words in German and English (a small glossary)."""
    return render("pwa/help.html")
