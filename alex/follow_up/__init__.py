"""Anschluss-Expedition: a follow-up run that carries the circle (each person opts in), their
Vorhaben as a starting point and their open cards.

An optional area above the others; it shows its links ("Fortsetzung von …", "Fortgesetzt in …")
on the expedition page through the template global it registers in `init_app`.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Give the expedition page the follow-up links; put invitations into the data export."""
    from flask_login import current_user

    from alex.exports.hooks import register_export_section
    from alex.extensions import db
    from alex.follow_up.service import export_rows, links_of

    app.jinja_env.globals["follow_up_links"] = lambda expedition_id: links_of(
        db.session, expedition_id, current_user.id
    )
    register_export_section(app, "follow_up_invitations", export_rows)
