"""Logging in must feel instant: argon2id at OWASP's parameters, not the library's 64 MiB × 4 lanes."""

from __future__ import annotations

from argon2 import PasswordHasher

from alex.extensions import db


def test_new_hashes_use_owasp_parameters(make_app):
    from alex.auth.service import hash_password

    app = make_app(CHEAP_PASSWORD_HASHING=False)
    with app.app_context():
        assert hash_password("ein langes Passwort").startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_an_old_costly_hash_is_replaced_at_the_next_login(make_app):
    from alex.auth import attempts
    from alex.auth.models import User
    from alex.auth.service import authenticate

    app = make_app(CHEAP_PASSWORD_HASHING=False)
    old = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash("ein langes Passwort")
    with app.test_request_context("/login", method="POST"):  # a write, as the login is
        user = User(name="Ada Lorenz", email="ada-cost@example.org", password_hash=old)
        db.session.add(user)
        db.session.commit()
        rule = attempts.policy(app, attempts.Check.PASSWORD)
        authenticate(db.session, "ada-cost@example.org", "ein langes Passwort", rule)
        assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
