"""A bare board and Logbuch that keep the boards area's interface, for the offline tests.

Used only while the boards area is not installed (`boards.board` missing): the same URLs, the
same form fields (column, position, version; done, learned, next_steps, stuck), the same answers
(409 with the fresh board on a stale version, a redirect after a check-in) and the same markup
hooks (`#card-<id>` with `data-version` inside `[data-column]`). Once the real board lands, the
tests run against it unchanged.
"""

from __future__ import annotations

from flask import Blueprint, Flask, redirect, render_template_string, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select, update

from alex.boards.models import COLUMNS, Card, CheckIn
from alex.expeditions.access import get_membership_or_404
from alex.extensions import db

bp = Blueprint("boards", __name__, url_prefix="/expeditions/<int:expedition_id>")

BOARD = """
<div id="board">
  {% for column in columns %}
    <section aria-labelledby="h-{{ column }}">
      <h2 id="h-{{ column }}">{{ column }}</h2>
      <ol data-column="{{ column }}">
        {% for card in cards if card.column == column %}
          <li id="card-{{ card.id }}" data-version="{{ card.version }}"><h3>{{ card.title }}</h3></li>
        {% endfor %}
      </ol>
    </section>
  {% endfor %}
</div>
"""
PAGE = (
    """{% extends "base.html" %}{% block title %}Board{% endblock %}
{% block content %}<h1>Board</h1>"""
    + BOARD
    + "{% endblock %}"
)
LOGBOOK = """{% extends "base.html" %}{% block title %}Logbuch{% endblock %}
{% block content %}<h1>Logbuch</h1>
<form method="post" action="{{ url_for('boards.add_check_in', expedition_id=expedition_id) }}">
  <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
  <label for="done">Done</label><textarea id="done" name="done"></textarea>
  <button type="submit" class="button">Save</button>
</form>
<ul>{% for entry in entries %}<li>{{ entry.done }}</li>{% endfor %}</ul>
{% endblock %}"""


def _board(expedition_id: int, status: int = 200, fragment: bool = False):
    cards = db.session.scalars(
        select(Card)
        .where(Card.expedition_id == expedition_id, Card.owner_id == current_user.id)
        .order_by(Card.column, Card.position)
    ).all()
    source = BOARD if fragment else PAGE
    return render_template_string(source, cards=cards, columns=COLUMNS), status


@bp.get("/board")
@login_required
def board(expedition_id: int):
    """The owner's cards by column."""
    get_membership_or_404(expedition_id)
    return _board(expedition_id)


@bp.post("/cards/<int:card_id>/move")
@login_required
def move_card(expedition_id: int, card_id: int):
    """Move with a conditional UPDATE on the version: a stale one gets 409 and the fresh board."""
    get_membership_or_404(expedition_id)
    moved = db.session.execute(
        update(Card)
        .where(
            Card.id == card_id,
            Card.owner_id == current_user.id,
            Card.version == int(request.form["version"]),
        )
        .values(
            column=request.form["column"],
            position=int(request.form.get("position", 0)),
            version=Card.version + 1,
        )
    ).rowcount
    db.session.commit()
    return _board(expedition_id, 200 if moved else 409, fragment=True)


@bp.get("/logbook")
@login_required
def logbook(expedition_id: int):
    """Check-ins of the user."""
    get_membership_or_404(expedition_id)
    entries = db.session.scalars(
        select(CheckIn).where(
            CheckIn.expedition_id == expedition_id, CheckIn.user_id == current_user.id
        )
    ).all()
    return render_template_string(LOGBOOK, entries=entries, expedition_id=expedition_id)


@bp.post("/logbook")
@login_required
def add_check_in(expedition_id: int):
    """Write a check-in, then back to the Logbuch."""
    get_membership_or_404(expedition_id)
    db.session.add(
        CheckIn(expedition_id=expedition_id, user_id=current_user.id, done=request.form["done"])
    )
    db.session.commit()
    return redirect(url_for("boards.logbook", expedition_id=expedition_id))


def install_if_missing(app: Flask) -> None:
    """Register the stand-in unless the real boards area is there."""
    if "boards.board" not in app.view_functions:
        app.register_blueprint(bp)
