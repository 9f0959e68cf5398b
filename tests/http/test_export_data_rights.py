"""Data rights: JSON export, account deletion, retention purge; final reflection; Zirkel summary."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import func, select

from alex.auth.models import LoginSession, User
from alex.boards.models import Card, CardMove, CheckIn, SprintReflection, Vorhaben
from alex.boards.service import create_card
from alex.db import Base
from alex.expeditions.models import Expedition, Membership
from alex.exports.models import FinalReflection
from alex.extensions import db
from alex.meetings.models import Meeting
from tests.support.accounts import TEST_PASSWORD, login
from tests.support.htmx import swapped_targets

SCHEMA = Path(__file__).resolve().parents[2] / "alex/exports/schemas/account-export-1.1.schema.json"


def _path(sample, suffix: str) -> str:
    return f"/expeditions/{sample.expedition_id}{suffix}"


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# --- JSON export -------------------------------------------------------------------------------


def test_export_needs_login(client):
    response = client.get("/account/export.json")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_export_has_exactly_my_data_and_validates(actor, sample, app):
    with app.app_context():  # a peer's own things in the same expedition
        create_card(db.session, sample.expedition_id, sample.peers[0].id, "Jonas' geheime Karte")
        db.session.add(
            CheckIn(
                expedition_id=sample.expedition_id,
                user_id=sample.peers[0].id,
                learned="Jonas lernt",
            )
        )
        db.session.commit()
    me = actor(sample.participant)
    response = me.get("/account/export.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    jsonschema.validate(
        data, json.loads(SCHEMA.read_text()), format_checker=jsonschema.FormatChecker()
    )
    assert data["schema_version"] == "1.1"
    assert data["profile"]["email"] == sample.participant.email
    [membership] = data["memberships"]
    assert membership["expedition"]["id"] == sample.expedition_id
    assert len(membership["cards"]) == 18  # 6 sprints × (2 tasks + 1 experiment)
    assert all(len(c["moves"]) == 5 for c in membership["cards"])  # an idea, then four columns
    assert len(membership["vorhaben"]["history"]) == 2
    assert len(membership["sprint_reflections"]) == 6
    assert len(membership["check_ins"]) == 6
    assert membership["final_reflection"]["release_to_summary"] is True
    text = response.get_data(as_text=True)
    assert "Jonas' geheime Karte" not in text and "Jonas lernt" not in text
    assert "jonas@" not in text and "password" not in text


# --- Account deletion --------------------------------------------------------------------------


def test_delete_page_and_wrong_password(actor, sample, app):
    me = actor(sample.participant)
    page = me.get("/account/delete", headers={"Accept-Language": "de"})
    assert page.status_code == 200 and "Mein Konto endgültig löschen" in page.get_data(True)
    response = me.post("/account/delete", {"password": "wrong"}, headers={"Accept-Language": "de"})
    assert response.status_code == 422
    assert "Das ist nicht dein Passwort." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, sample.participant.id) is not None


def test_delete_needs_csrf(actor, sample):
    me = actor(sample.participant)
    response = me.client.post("/account/delete", data={"password": TEST_PASSWORD})
    assert response.status_code == 400


def test_delete_removes_me_and_leaves_the_expedition_working(actor, sample, app):
    me = actor(sample.participant)
    other_device = actor(sample.participant)  # a second signed-in browser
    with app.app_context():
        peer_cards = _count(Card, Card.owner_id == sample.peers[0].id)
        create_card(db.session, sample.expedition_id, sample.peers[0].id, "Jonas' Karte")
        db.session.commit()
    response = me.post("/account/delete", {"password": TEST_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert "cache" in response.headers["Clear-Site-Data"]
    # Every session ends at once, on every device.
    assert other_device.get("/account").status_code == 302
    with app.app_context():
        uid = sample.participant.id
        assert db.session.get(User, uid) is None
        for model, column in (
            (Card, Card.owner_id),
            (Vorhaben, Vorhaben.user_id),
            (CheckIn, CheckIn.user_id),
            (SprintReflection, SprintReflection.user_id),
            (FinalReflection, FinalReflection.user_id),
            (Membership, Membership.user_id),
            (LoginSession, LoginSession.user_id),
        ):
            assert _count(model, column == uid) == 0, model
        assert _count(CardMove) == 1  # the moves of my cards went with them; the peer's stays
        assert db.session.get(Expedition, sample.expedition_id) is not None
        assert _count(Card, Card.owner_id == sample.peers[0].id) == peer_cards + 1
    peer = actor(sample.peers[0])
    assert peer.get(_path(sample, "/report")).status_code == 200


def test_deleting_the_only_facilitator_hands_the_role_on_and_anonymises(actor, sample, app):
    with app.app_context():
        db.session.add(
            Meeting(
                expedition_id=sample.expedition_id,
                kind="closing",
                starts_at=datetime.now(UTC) - timedelta(days=7),
                moderator_id=sample.facilitator.id,
            )
        )
        db.session.commit()
    facilitator = actor(sample.facilitator)
    assert facilitator.post("/account/delete", {"password": TEST_PASSWORD}).status_code == 302
    with app.app_context():
        meeting = db.session.scalar(select(Meeting))
        assert meeting.moderator_id is None  # the group's record stays, without the person
        expedition = db.session.get(Expedition, sample.expedition_id)
        assert expedition.created_by_id is None
        leads = db.session.scalars(
            select(Membership.user_id).where(
                Membership.expedition_id == sample.expedition_id,
                Membership.is_facilitator.is_(True),
            )
        ).all()
        assert leads == [sample.participant.id]  # the longest-standing member takes over
    assert actor(sample.participant).get(_path(sample, "/summary")).status_code == 200


def test_deleting_the_last_member_deletes_the_expedition(actor, world, app):
    alone = world.user("Ada Lorenz")
    expedition = world.expedition(alone)
    assert actor(alone).post("/account/delete", {"password": TEST_PASSWORD}).status_code == 302
    with app.app_context():
        assert db.session.get(Expedition, expedition.id) is None


# --- Final reflection --------------------------------------------------------------------------


def _reflection_payload(html: str, **answers) -> dict:
    version = re.search(r'name="version" type="hidden" value="(\d+)"', html) or re.search(
        r'id="version" name="version" type="hidden" value="(\d+)"', html
    )
    found = version.group(1) if version else re.search(r'value="(\d+)"[^>]*name="version"', html)
    payload = {
        "vorhaben_now": "Erreicht",
        "learned": "Viel",
        "keep_doing": "Stand-up",
        "advice": "Mutig sein",
        "version": found if isinstance(found, str) else found.group(1),
    }
    payload.update(answers)
    return payload


def _version_of(html: str) -> str:
    tag = re.search(r"<input[^>]*name=\"version\"[^>]*>", html).group(0)
    return re.search(r'value="(\d+)"', tag).group(1)


@pytest.mark.parametrize("htmx", [False, True])
def test_final_reflection_saves_with_consents(actor, sample, app, htmx):
    peer = actor(sample.peers[0])  # has a reflection (version 1), not released
    html = peer.get(_path(sample, "/reflection")).get_data(as_text=True)
    payload = {
        "vorhaben_now": "Mein Vorhaben <b>heute</b>",
        "learned": "Experimente",
        "keep_doing": "Retros",
        "advice": "Anfangen",
        "release_to_summary": "y",
        "version": _version_of(html),
    }
    response = peer.post(_path(sample, "/reflection"), payload, htmx=htmx)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "&lt;b&gt;heute&lt;/b&gt;" in body
    if htmx:
        assert swapped_targets(body) == {"reflection-form"}
    with app.app_context():
        saved = db.session.scalar(
            select(FinalReflection).where(FinalReflection.user_id == sample.peers[0].id)
        )
        assert saved.release_to_summary is True and saved.named_in_reports is False
        assert saved.version == 2


def test_stale_reflection_gets_409_and_keeps_the_newer_text(actor, sample, app):
    me = actor(sample.participant)
    html = me.get(_path(sample, "/reflection")).get_data(as_text=True)
    version = _version_of(html)
    first = {"learned": "Erste Fassung", "version": version}
    assert me.post(_path(sample, "/reflection"), first).status_code == 200
    second = {"learned": "Zweite Fassung aus altem Tab", "version": version}
    response = me.post(_path(sample, "/reflection"), second, htmx=True)
    assert response.status_code == 409
    assert "Erste Fassung" in response.get_data(as_text=True)
    with app.app_context():
        saved = db.session.scalar(
            select(FinalReflection).where(FinalReflection.user_id == sample.participant.id)
        )
        assert saved.learned == "Erste Fassung"


def test_reflection_is_closed_before_the_last_sprint(actor, world):
    ada = world.user("Ada Lorenz")
    expedition = world.expedition(ada)  # started 10 days ago: sprint 1 of 6
    me = actor(ada)
    page = me.get(f"/expeditions/{expedition.id}/reflection", headers={"Accept-Language": "de"})
    assert "öffnet mit dem letzten Sprint" in page.get_data(as_text=True)
    response = me.post(
        f"/expeditions/{expedition.id}/reflection",
        {"learned": "zu früh", "version": "0"},
        headers={"Accept-Language": "de"},
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    "bad", [{"learned": "x" * 5001}, {"version": "-1"}, {"version": "abc"}, {"version": ""}]
)
def test_bad_reflection_input_is_422(actor, sample, bad):
    me = actor(sample.participant)
    response = me.post(_path(sample, "/reflection"), {"learned": "ok", **bad})
    assert response.status_code == 422


# --- Zirkel summary ----------------------------------------------------------------------------


def test_summary_anonymous_and_participant(client, actor, sample):
    assert client.get(_path(sample, "/summary")).status_code == 302
    assert actor(sample.participant).get(_path(sample, "/summary")).status_code == 403
    assert actor(sample.peers[0]).get(_path(sample, "/summary.pdf")).status_code == 403


def test_summary_shows_only_released_content(actor, sample, app):
    with app.app_context():
        db.session.add(
            Vorhaben(
                expedition_id=sample.expedition_id,
                user_id=sample.peers[0].id,
                what="Geheimes Vorhaben von Jonas",
            )
        )
        create_card(
            db.session,
            sample.expedition_id,
            sample.participant.id,
            "Private Karte",
            visibility="private",
        )
        db.session.commit()
    facilitator = actor(sample.facilitator)
    page = facilitator.get(_path(sample, "/summary"), headers={"Accept-Language": "de"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Antragsformular 7b" in html  # Sabine released
    assert "Klein anfangen, früh testen" in html
    assert "Geheimes Vorhaben" not in html  # Jonas did not
    assert "Viel über Experimente gelernt" not in html
    assert "Private Karte" not in html
    assert "Nicht für die Zusammenfassung freigegeben." in html
    pdf = facilitator.get(_path(sample, "/summary.pdf"), headers={"Accept-Language": "de"})
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf.data, capture_output=True, check=True
    ).stdout.decode()
    assert "Vorhaben und Abschlussreflexionen" in text and "Sabine Hoffmann" in text
    assert "Geheimes Vorhaben" not in text and "Viel über Experimente" not in text


# --- Retention ---------------------------------------------------------------------------------


def _rows_of_expedition(expedition_id: int) -> dict[str, int]:
    """Rows in every table that refer to the expedition (directly or through a card)."""
    counts = {}
    for table in Base.metadata.sorted_tables:
        if "expedition_id" in table.c:
            counts[table.name] = db.session.scalar(
                select(func.count())
                .select_from(table)
                .where(table.c.expedition_id == expedition_id)
            )
    counts["expedition"] = _count(Expedition, Expedition.id == expedition_id)
    return counts


def test_purge_removes_expired_expeditions_completely(sample, world, app):
    with app.app_context():
        expired = db.session.get(Expedition, sample.expedition_id)
        expired.retention_months = 1  # ended about a week ago … so not yet due
        db.session.commit()
    keeper = world.expedition(world.user("Kim Keeper"), retention_months=1)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["alex", "purge-expired"])
    assert result.exit_code == 0 and "No expedition is due" in result.output
    with app.app_context():
        expired = db.session.get(Expedition, sample.expedition_id)
        expired.start_date -= timedelta(weeks=12)  # now it ended two months ago
        db.session.commit()
        before = _rows_of_expedition(sample.expedition_id)
        assert before["card"] == 18 and before["membership"] == 4
        cards = select(Card.id).where(Card.expedition_id == sample.expedition_id)
        assert _count(CardMove, CardMove.card_id.in_(cards)) == 18 * 5  # an idea, then four moves
    result = runner.invoke(args=["alex", "purge-expired"])
    assert result.exit_code == 0, result.output
    assert f"#{sample.expedition_id}" in result.output
    assert "Lern-Expedition Bürgerservice digital" in result.output
    with app.app_context():
        assert set(_rows_of_expedition(sample.expedition_id).values()) == {0}
        assert _count(CardMove) == 0
        assert db.session.get(Expedition, keeper.id) is not None
        assert db.session.get(User, sample.participant.id) is not None  # accounts stay


def test_purge_function_uses_the_deletion_date(app, world):
    from alex.exports.data_rights import purge_expired

    owner = world.user("Ola Owner")
    expedition = world.expedition(
        owner, start=date(2025, 1, 6), retention_months=3, sprint_weeks=1, sprint_count=2
    )  # ends 2025-01-19, deletion on 2025-04-19
    with app.app_context():
        assert purge_expired(db.session, date(2025, 4, 18)) == []
        [purged] = purge_expired(db.session, date(2025, 4, 19))
        db.session.commit()
        assert purged.id == expedition.id and purged.deletion_date == date(2025, 4, 19)
        assert db.session.get(Expedition, expedition.id) is None


# The auth area's language field still passes tuple choices (deprecated in WTForms 3.3).
@pytest.mark.filterwarnings("ignore:Passing SelectField choices:DeprecationWarning")
def test_account_page_links_to_data_rights(actor):
    me = actor()
    html = me.get("/account", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "/account/export.json" in html and "/account/delete" in html


def test_login_after_deletion_fails(actor, sample, app):
    me = actor(sample.participant)
    me.post("/account/delete", {"password": TEST_PASSWORD})
    fresh = app.test_client()
    assert login(fresh, sample.participant.email).status_code == 422


@pytest.fixture
def group_record(app, sample):
    """A finished Zirkeltreffen with a retro item and actions, and Rückenwind for the participant."""
    from alex.meetings.models import Attendance, Retro, RetroAction, RetroItem
    from alex.progress.models import Kudos

    with app.app_context():
        meeting = Meeting(
            expedition_id=sample.expedition_id,
            kind="zirkeltreffen",
            sprint_number=1,
            starts_at=datetime.now(UTC) - timedelta(weeks=20),
            status="finished",
        )
        db.session.add(meeting)
        db.session.flush()
        retro = Retro(meeting_id=meeting.id)
        db.session.add(retro)
        db.session.flush()
        db.session.add_all(
            [
                RetroItem(retro_id=retro.id, author_id=sample.participant.id, text="Mehr testen!"),
                RetroAction(
                    meeting_id=meeting.id,
                    owner_id=sample.participant.id,
                    title="Hotline-Notizen teilen",
                    outcome="done",
                    outcome_note="im Team-Wiki",
                ),
                RetroAction(
                    meeting_id=meeting.id, owner_id=sample.peers[0].id, title="Jonas' Aufgabe"
                ),
                Attendance(meeting_id=meeting.id, user_id=sample.participant.id, present=True),
                Attendance(meeting_id=meeting.id, user_id=sample.peers[0].id, present=True),
            ]
        )
        card_id = db.session.scalar(
            select(Card.id).where(Card.owner_id == sample.participant.id).limit(1)
        )
        db.session.add(
            Kudos(
                expedition_id=sample.expedition_id,
                sender_id=sample.peers[1].id,
                receiver_id=sample.participant.id,
                card_id=card_id,
                kind="brave_experiment",
                note="Toll gemacht",
            )
        )
        db.session.commit()


def test_report_and_summary_show_retro_actions_and_rueckenwind(actor, sample, group_record):
    me = actor(sample.participant)
    html = me.get(_path(sample, "/report/print"), headers={"Accept-Language": "de"}).text
    assert "Hotline-Notizen teilen" in html and "im Team-Wiki" in html
    assert "Jonas&#39; Aufgabe" not in html and "Jonas' Aufgabe" not in html  # not mine
    assert "Toll gemacht" in html and "Aylin Demir" in html
    assert "<svg" in html.split('id="doc-confidence"')[1]  # the shared confidence chart
    summary = actor(sample.facilitator).get(
        _path(sample, "/summary"), headers={"Accept-Language": "de"}
    )
    assert "Hotline-Notizen teilen" in summary.text and "Jonas&#39; Aufgabe" in summary.text
    assert "2 anwesend" in summary.text


def test_export_and_deletion_of_retro_items_and_kudos(actor, sample, group_record, app):
    data = json.loads(actor(sample.participant).get("/account/export.json").data)
    jsonschema.validate(data, json.loads(SCHEMA.read_text()))
    assert [i["text"] for i in data["retro_items"]] == ["Mehr testen!"]
    assert [(k["direction"], k["note"]) for k in data["kudos"]] == [("received", "Toll gemacht")]
    sender = json.loads(actor(sample.peers[1]).get("/account/export.json").data)
    assert [k["direction"] for k in sender["kudos"]] == ["given"]
    assert actor(sample.peers[1]).post("/account/delete", {"password": TEST_PASSWORD})
    assert (
        actor(sample.participant).post("/account/delete", {"password": TEST_PASSWORD}).status_code
        == 302
    )
    from alex.meetings.models import RetroItem

    with app.app_context():
        item = db.session.scalar(select(RetroItem))
        assert item.text == "Mehr testen!" and item.author_id is None  # stays, anonymised
