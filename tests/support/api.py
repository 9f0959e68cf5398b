"""Personal access tokens for tests of the read-only API (made through the service)."""

from __future__ import annotations

from flask import Flask

from alex.extensions import db


def make_token(app: Flask, user_id: int, name: str = "Skript", days: int = 30, **options) -> str:
    """A working token of the person; returns the secret (what a program sends)."""
    from alex.api import service

    with app.app_context():
        new = service.create_token(db.session, user_id, name, days, limit=10, **options)
        db.session.commit()
        return new.secret


def bearer(secret: str) -> dict[str, str]:
    """The request header that carries the token."""
    return {"Authorization": f"Bearer {secret}"}
