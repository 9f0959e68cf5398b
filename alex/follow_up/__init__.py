"""Anschluss-Expedition: a follow-up run that carries the circle (each person opts in), their
Vorhaben as a starting point and their open cards.

An optional area above the others; it shows its links ("Fortsetzung von …", "Fortgesetzt in …")
on the expedition page through the template global it registers in `init_app`.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Give the expedition page the follow-up links (a read, on the page's session)."""
    from flask_login import current_user

    from alex.extensions import db
    from alex.follow_up.service import links_of

    app.jinja_env.globals["follow_up_links"] = lambda expedition_id: links_of(
        db.session, expedition_id, current_user.id
    )
