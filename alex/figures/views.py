"""The training department's figures page and its CSV (operators and the training office only)."""

from __future__ import annotations

import csv
from io import StringIO

from flask import Blueprint, Response, abort
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from alex.extensions import db
from alex.figures.service import MIN_PEOPLE, Table, figures_table
from alex.web import render

bp = Blueprint("figures", __name__)


@bp.after_request
def never_store(response):
    """Figures of the whole instance are for the people allowed to see them: never cached."""
    response.cache_control.no_store = True
    response.cache_control.private = True
    return response


def _table() -> Table:
    """Only for "Betrieb" and "Bildung"; to everyone else the page does not exist."""
    if not (current_user.is_operator or current_user.is_training_office):
        abort(404)
    return figures_table(db.session, str(get_locale() or "de"), _("All quarters"))


@bp.get("/figures")
@login_required
def index():
    """Expeditions run, participants, attendance and completion by quarter."""
    return render("figures/index.html", table=_table(), min_people=MIN_PEOPLE)


@bp.get("/figures.csv")
@login_required
def download():
    """The same table as CSV, suppressed cells as on the page."""
    table = _table()
    out = StringIO()
    writer = csv.writer(out, delimiter=";" if str(get_locale() or "de").startswith("de") else ",")
    writer.writerow(
        [
            _("Quarter"),
            _("Expeditions"),
            _("Participants"),
            _("Attendance rate"),
            _("Completion rate"),
        ]
    )
    for row in [*table.rows, *([table.total] if table.total else [])]:
        writer.writerow(
            [row.label, row.expeditions, row.participants, row.attendance_rate, row.completion_rate]
        )
    return Response(
        "\ufeff" + out.getvalue(),  # the byte-order mark makes spreadsheet programs read UTF-8
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": "attachment; filename=alex-figures.csv"},
    )
