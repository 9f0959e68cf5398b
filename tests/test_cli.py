"""Operator commands: flask --app wsgi alex …"""

from __future__ import annotations

from sqlalchemy import func, select

from alex import create_app
from alex.auth.models import User
from alex.expeditions.models import Expedition, Membership
from alex.extensions import db
from tests.support.accounts import login


def _run(app, *args, **kw):
    return app.test_cli_runner().invoke(args=["alex", *args], **kw)


def test_seed_demo_refuses_in_production(make_app):
    app = make_app(ENV="production", CHEAP_PASSWORD_HASHING=False)
    result = _run(app, "seed-demo")
    assert result.exit_code != 0
    assert "ALEX_ENV=production" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_seed_demo_creates_a_living_expedition(app):
    result = _run(app, "seed-demo")
    assert result.exit_code == 0, result.output
    assert "ada@example.org" in result.output
    with app.app_context():
        expedition = db.session.scalar(select(Expedition).order_by(Expedition.id))
        memberships = db.session.scalars(
            select(Membership).where(Membership.expedition_id == expedition.id)
        ).all()
        assert len(memberships) == 4
        assert sum(m.is_facilitator for m in memberships) == 1
        assert expedition.pit_stops and expedition.sprint_count == 6
    # Ada logs in with the demo password and sees the expedition mid-way.
    client = app.test_client()
    assert login(client, "ada@example.org", "demo-expedition").status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "Lern-Expedition Digitale Verwaltung" in home and "Sprint 3 von 6" in home
    # Two further expeditions of Mona's are open on the Börse.
    if "openings" in app.blueprints:
        assert client.get("/boerse").get_data(as_text=True).count("Details und Anfrage") == 2
    # The finished expedition beside it (Mona facilitates both) has its certificates issued.
    from alex.certificates.models import Certificate

    with app.app_context():
        holders = db.session.scalars(select(Certificate.holder_name)).all()
        assert sorted(holders) == ["Aylin Demir", "Jonas Weber", "Sabine Hoffmann"]
    assert "sabine@sample.example.org" in result.output
    # A second run leaves the data alone.
    assert _run(app, "seed-demo", "--if-empty").exit_code == 0
    assert _run(app, "seed-demo").exit_code != 0
    with app.app_context():
        # Four in the expedition, the demo's operator (Betrieb), who is in none, and Sabine, Jonas
        # and Aylin of the finished expedition.
        assert db.session.scalar(select(func.count()).select_from(User)) == 8


def test_create_user_and_unlock(app):
    result = _run(
        app,
        "create-user",
        "--email",
        "Nele@Example.org",
        "--name",
        "Nele Neu",
        input="purple kites over hamburg\npurple kites over hamburg\n",
    )
    assert result.exit_code == 0, result.output
    weak = _run(app, "create-user", "--email", "x@example.org", "--name", "X", input="123\n123\n")
    assert weak.exit_code != 0
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "nele@example.org"))
        user.failed_logins = 3
        db.session.commit()
    assert _run(app, "unlock-user", "nele@example.org").exit_code == 0
    assert _run(app, "unlock-user", "nobody@example.org").exit_code != 0


def test_cheap_password_hashing_is_refused_in_production(app_config):
    import pytest

    with pytest.raises(RuntimeError):
        create_app({**app_config, "ENV": "production"})


def test_production_hasher_uses_recommended_argon2id_parameters():
    from alex.auth.service import _hasher

    assert _hasher.type.name == "ID"
    # OWASP's recommendation (m = 19 MiB, t = 2, p = 1): logins feel instant on a small server.
    assert _hasher.memory_cost >= 19 * 1024 and _hasher.time_cost >= 2
