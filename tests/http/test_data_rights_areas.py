"""Data rights across the optional areas: the export holds what each keeps about the person,
deleting the account leaves nothing that names them, deactivation ends API tokens for good, and
the retention purge removes keys that ran out."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest
from sqlalchemy import JSON, String, Text, func, select, update

from alex.api.models import ApiToken
from alex.auth.models import PasswordReset
from alex.auth.recovery import start_reset
from alex.db import Base, utcnow
from alex.expeditions.models import Invite
from alex.extensions import db
from alex.follow_up.models import FollowUp, FollowUpInvitation
from alex.openings.models import LibraryItem
from alex.outbox import OutboxMessage
from alex.push import service as push
from alex.sso.models import SsoIdentity
from alex.webhooks.models import Webhook
from tests.support.accounts import TEST_PASSWORD
from tests.support.api import bearer, make_token

SCHEMA = Path(__file__).resolve().parents[2] / "alex/exports/schemas/account-export-1.1.schema.json"
SECRET_PATTERN = re.compile(r'value="(alex_pat_[A-Za-z0-9_-]{43})"')
ENDPOINT = "https://push.example.net/wpush/v2/gAAAAABnSabinesGeraet"
P256DH = "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM"
AUTH = "tBHItJI5svbpez7KI4CCXg"
ISSUER = "https://login.amt.example"
SUBJECT = "f3b2c9d0-sabine"


@pytest.fixture
def everything(app, world, actor, sample):
    """Sabine (the sample's participant) with one of each thing the newer areas keep."""
    sabine = actor(sample.participant)
    # A certificate, issued by the facilitator after the Abschluss.
    issued = actor(sample.facilitator).post(
        f"/expeditions/{sample.expedition_id}/certificates",
        {"hours": "1,5", "participants": [sample.participant.id]},
    )
    assert issued.status_code == 303
    # A personal API token, made on the account page.
    made = sabine.post("/account/api-tokens", {"name": "Kalender-Skript", "days": "90"})
    secret = SECRET_PATTERN.search(made.get_data(as_text=True)).group(1)
    # A request to join an expedition listed on the Börse.
    lena = world.user("Lena Neumann")
    open_one = world.expedition(lena, title="Offen für alle")
    listed = actor(lena).post(
        f"/expeditions/{open_one.id}/opening",
        {
            "seats": "2",
            "deadline": (date.today() + timedelta(days=14)).isoformat(),
            "description": "Wir lernen Klartext.",
        },
    )
    assert listed.status_code == 303
    asked = sabine.post(f"/boerse/{open_one.id}/request", {"message": "Sabine möchte mit."})
    assert asked.status_code == 303
    # An expedition she facilitates (with Lena in it, so it outlives her), with her webhook.
    hers = world.expedition(world.user("Kai Kern"), title="Sabines Zirkel")
    world.join(hers, SimpleNamespace(id=sample.participant.id), facilitator=True)
    world.join(hers, lena)
    with app.app_context():
        db.session.add_all(
            [
                # The webhook's URL check resolves names; the row is what registering leaves.
                Webhook(
                    expedition_id=hers.id,
                    url="https://chat.example.org/hooks/sabine",
                    events=["meeting.scheduled"],
                    secret="whsec_c2FiaW5lcy1nZWhlaW1uaXM=",
                    created_by=sample.participant.id,
                ),
                SsoIdentity(user_id=sample.participant.id, issuer=ISSUER, subject=SUBJECT),
                LibraryItem(
                    kind="retro_format",
                    name="Sabines Seestern",
                    prompts="Mehr\nWeniger",
                    publisher_id=sample.participant.id,
                    show_publisher=True,
                ),
                # Invited by mail once, to her address: the invite and the mail's record.
                OutboxMessage(
                    message_id="<einladung-sabine@alex.invalid>",
                    channel="email",
                    kind="invitation",
                    template="invitation",
                    context={"title": "Sabines Zirkel"},
                    address=sample.participant.email,
                    state="sent",
                ),
                Invite(
                    expedition_id=hers.id,
                    token="einladung-an-sabine",
                    expires_at=utcnow() + timedelta(days=7),
                    single_use=True,
                    email=sample.participant.email,
                ),
            ]
        )
        follow_up = FollowUp(previous_id=sample.expedition_id, following_id=open_one.id)
        db.session.add(follow_up)
        db.session.flush()
        db.session.add(FollowUpInvitation(follow_up_id=follow_up.id, user_id=sample.participant.id))
        push.subscribe(
            db.session,
            sample.participant.id,
            endpoint=ENDPOINT,
            p256dh=P256DH,
            auth=AUTH,
            user_agent="Firefox auf Android",
        )
        db.session.commit()
    return SimpleNamespace(secret=secret, open_id=open_one.id, hers_id=hers.id)


def test_export_holds_what_the_newer_areas_keep_and_no_secret(app, actor, sample, everything):
    response = actor(sample.participant).get("/account/export.json")
    assert response.status_code == 200
    data = json.loads(response.data)
    jsonschema.validate(
        data, json.loads(SCHEMA.read_text()), format_checker=jsonschema.FormatChecker()
    )
    assert data["schema_version"] == "1.1"

    [certificate] = data["certificates"]
    assert certificate["expedition_id"] == sample.expedition_id
    assert certificate["holder_name"] == sample.participant.name
    assert (certificate["meetings_attended"], certificate["meetings_held"]) == (7, 7)
    assert (certificate["minutes_per_meeting"], certificate["total_minutes"]) == (90, 630)
    assert re.fullmatch(r"[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}", certificate["code"])
    assert certificate["start_date"] < certificate["end_date"] and certificate["revoked_at"] is None

    [token] = data["api_tokens"]
    assert token["name"] == "Kalender-Skript" and token["last_used_at"] is None
    assert set(token) == {"name", "scope", "created_at", "expires_at", "last_used_at"}

    [device] = data["push_subscriptions"]
    assert device["push_service"] == "push.example.net"
    assert device["device"] == "Firefox auf Android"

    assert data["sso_identities"][0] | {"created_at": None} == {
        "issuer": ISSUER,
        "subject": SUBJECT,
        "created_at": None,
        "last_login_at": None,
    }
    [request] = data["join_requests"]
    assert (request["expedition_id"], request["expedition_title"]) == (
        everything.open_id,
        "Offen für alle",
    )
    assert (request["message"], request["status"]) == ("Sabine möchte mit.", "pending")
    assert [w["url"] for w in data["webhooks"]] == ["https://chat.example.org/hooks/sabine"]
    assert data["webhooks"][0]["expedition_id"] == everything.hers_id
    assert [i["name"] for i in data["library_items"]] == ["Sabines Seestern"]
    [invitation] = data["follow_up_invitations"]
    assert invitation["following_expedition_id"] == everything.open_id
    assert invitation["status"] == "pending"

    text = response.get_data(as_text=True)
    with app.app_context():
        [token_hash] = db.session.scalars(
            select(ApiToken.token_hash).where(ApiToken.user_id == sample.participant.id)
        ).all()
    for secret in (everything.secret, token_hash, "whsec_", P256DH, AUTH, "gAAAAABn"):
        assert secret not in text


def test_export_of_someone_without_any_of_it_has_empty_sections(actor, world):
    data = json.loads(actor(world.user("Ada Lorenz")).get("/account/export.json").data)
    jsonschema.validate(data, json.loads(SCHEMA.read_text()))
    for key in (
        "certificates",
        "api_tokens",
        "push_subscriptions",
        "sso_identities",
        "join_requests",
        "library_items",
        "follow_up_invitations",
        "webhooks",
    ):
        assert data[key] == [], key


def _user_columns():
    """Every column that points at an account."""
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table.name == "user" for fk in column.foreign_keys):
                yield table, column


def _text_columns():
    """Every column that can hold a name, an address or another person's identifier."""
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, String | Text | JSON):
                yield table, column


def test_deleting_the_account_leaves_nothing_that_names_the_person(app, actor, sample, everything):
    person = sample.participant
    response = actor(person).post("/account/delete", {"password": TEST_PASSWORD})
    assert response.status_code == 302
    with app.app_context():
        for table, column in _user_columns():
            left = db.session.scalar(
                select(func.count()).select_from(table).where(column == person.id)
            )
            assert left == 0, f"{table.name}.{column.name}"
        # Nothing names her either: not her name, her address, her SSO subject or her device.
        clues = (person.name, person.email, SUBJECT, ENDPOINT)
        found = set()
        for table, column in _text_columns():
            for value in db.session.scalars(select(column).where(column.is_not(None))):
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                found |= {f"{table.name}.{column.name}: {c}" for c in clues if c in text}
        assert found == set()
        # What the others share stays: the expedition she facilitated goes on with Lena.
        from alex.expeditions.models import Expedition

        assert db.session.get(Expedition, everything.hers_id) is not None
        assert db.session.scalar(select(func.count()).select_from(Webhook)) == 1


# --- Deactivation and the retention purge -------------------------------------------------------


@pytest.fixture
def operator(world):
    return world.user("Otto Betrieb", is_operator=True)


def test_deactivation_revokes_api_tokens_and_reactivation_does_not_revive_them(
    app, world, actor, client, operator
):
    ada = world.user("Ada Lorenz")
    ben = world.user("Ben Okafor")
    secret = make_token(app, ada.id)
    others = make_token(app, ben.id)
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    otto = actor(operator)
    confirm = otto.get(f"/betrieb/accounts/{ada.id}/deactivate", headers={"Accept-Language": "de"})
    assert "API-Zugänge" in confirm.get_data(as_text=True)  # the operator is told
    assert otto.post(f"/betrieb/accounts/{ada.id}/deactivate").status_code == 302
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401
    assert otto.post(f"/betrieb/accounts/{ada.id}/reactivate").status_code == 302
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401
    with app.app_context():
        assert db.session.scalars(select(ApiToken.user_id)).all() == [ben.id]
    assert client.get("/api/v1/me", headers=bearer(others)).status_code == 200


def test_purge_deletes_long_expired_tokens_spent_reset_links_and_old_mails(app, world, client):
    ada = world.user("Ada Lorenz")
    old, recent, live = (make_token(app, ada.id, name) for name in ("alt", "neulich", "aktiv"))
    now = utcnow()
    with app.app_context():
        for name, expired in (
            ("alt", now - timedelta(days=31)),
            ("neulich", now - timedelta(days=2)),
        ):
            db.session.execute(
                update(ApiToken).where(ApiToken.name == name).values(expires_at=expired)
            )
        from alex.auth.models import User

        user = db.session.get(User, ada.id)
        start_reset(db.session, user, now=now - timedelta(days=40))  # expired long ago
        used = start_reset(db.session, user, now=now - timedelta(days=35))
        db.session.execute(
            update(PasswordReset)
            .where(PasswordReset.created_at == now - timedelta(days=35))
            .values(used_at=now - timedelta(days=35))
        )
        start_reset(db.session, user)  # just asked for: still works
        for state, days in (("sent", 31), ("failed", 40), ("sent", 3), ("pending", 31)):
            db.session.add(
                OutboxMessage(
                    message_id=f"<{state}-{days}@alex.invalid>",
                    channel="email",
                    kind="invitation",
                    template="invitation",
                    address="jemand@example.org",
                    state=state,
                    created_at=now - timedelta(days=days),
                )
            )
        db.session.commit()
    assert used
    result = app.test_cli_runner().invoke(args=["alex", "purge-expired"])
    assert result.exit_code == 0, result.output
    assert "1 expired API token(s) deleted." in result.output
    assert "2 used or expired password reset link(s) deleted." in result.output
    assert "2 sent or failed outbox message(s) deleted." in result.output
    with app.app_context():
        assert sorted(db.session.scalars(select(ApiToken.name))) == ["aktiv", "neulich"]
        [left] = db.session.scalars(select(PasswordReset)).all()
        assert left.used_at is None and left.expires_at > now
        kept = db.session.scalars(select(OutboxMessage.message_id).order_by(OutboxMessage.id))
        assert kept.all() == ["<sent-3@alex.invalid>", "<pending-31@alex.invalid>"]
    assert client.get("/api/v1/me", headers=bearer(live)).status_code == 200
    assert client.get("/api/v1/me", headers=bearer(old)).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(recent)).status_code == 401
