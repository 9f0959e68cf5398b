"""Teilnahmebescheinigung: issued by the facilitator after the Abschluss, from attendance; the
holder reads and downloads it; anyone verifies its code; revoking keeps the record."""

from __future__ import annotations

import re
import subprocess
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from alex.certificates import service
from alex.certificates.models import Certificate
from alex.expeditions.models import Expedition, Membership
from alex.extensions import db
from alex.meetings.models import Attendance, Meeting

HOURS = {"hours": "1,5"}


def _path(sample, tail: str = "") -> str:
    return f"/expeditions/{sample.expedition_id}/certificates{tail}"


def _issue(actor, sample, people, **extra):
    return actor(sample.facilitator).post(
        _path(sample), {**HOURS, "participants": [p.id for p in people], **extra}
    )


def _certificate(app, user_id: int) -> Certificate:
    with app.app_context():
        certificate = db.session.scalar(
            select(Certificate).where(
                Certificate.user_id == user_id, Certificate.revoked_at.is_(None)
            )
        )
        db.session.expunge(certificate)
        return certificate


def test_attendance_counts_meetings_held_and_who_was_there(app, sample):
    """The sample's seven held meetings: Sabine at all, Jonas at six, Aylin at five."""
    jonas, aylin = sample.peers
    with app.app_context():
        expedition = db.session.get(Expedition, sample.expedition_id)
        # A meeting planned and never opened is not held: it counts for nobody.
        db.session.add(
            Meeting(
                expedition_id=expedition.id, starts_at=expedition.created_at, status="scheduled"
            )
        )
        db.session.flush()
        by_user = {
            c.membership.user_id: c.attendance for c in service.candidates(db.session, expedition)
        }
    assert by_user[sample.participant.id].held == 7
    assert by_user[sample.participant.id].attended == 7
    assert by_user[jonas.id].attended == 6
    assert by_user[aylin.id].attended == 5
    assert sample.facilitator.id not in by_user  # facilitators get no certificate


def test_marked_absent_and_ran_it(app, sample):
    """Marked absent does not count; the moderator counts without checking in."""
    jonas, _aylin = sample.peers
    with app.app_context():
        meeting = db.session.scalar(
            select(Meeting).where(
                Meeting.expedition_id == sample.expedition_id, Meeting.sprint_number == 1
            )
        )
        row = db.session.scalar(
            select(Attendance).where(
                Attendance.meeting_id == meeting.id, Attendance.user_id == jonas.id
            )
        )
        row.present = False  # marked absent afterwards
        other = db.session.scalar(
            select(Meeting).where(
                Meeting.expedition_id == sample.expedition_id, Meeting.sprint_number == 2
            )
        )
        other.moderator_id = sample.peers[1].id  # Aylin ran sprint 2 without checking in
        db.session.commit()
        expedition = db.session.get(Expedition, sample.expedition_id)
        by_user = {
            c.membership.user_id: c.attendance for c in service.candidates(db.session, expedition)
        }
    assert by_user[jonas.id].attended == 5
    assert by_user[sample.peers[1].id].attended == 6


def test_facilitator_issues_and_holder_sees_and_downloads(app, actor, sample):
    response = _issue(actor, sample, [sample.participant, *sample.peers])
    assert response.status_code == 303
    certificate = _certificate(app, sample.participant.id)
    assert (certificate.meetings_held, certificate.meetings_attended) == (7, 7)
    assert certificate.minutes_per_meeting == 90 and certificate.total_minutes == 630
    assert re.fullmatch(r"[A-Z2-7]{12}", certificate.code)

    sabine = actor(sample.participant)
    mine = sabine.get(f"/expeditions/{sample.expedition_id}/certificate")
    assert mine.status_code == 302 and mine.location.endswith(f"/certificates/{certificate.id}")
    page = sabine.get(_path(sample, f"/{certificate.id}"), headers={"Accept-Language": "de"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Sabine Hoffmann" in text and "7 von 7" in text and "10,5 Stunden" in text
    assert service.format_code(certificate.code) in text
    assert f"/verify/{certificate.code}" in text and "<svg" in text  # link and QR code
    assert "Formular 7b" not in text  # nothing of the content

    pdf = sabine.get(_path(sample, f"/{certificate.id}.pdf"))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert "no-store" in pdf.headers["Cache-Control"]


def test_pdf_reads_as_a_certificate(app, actor, sample, tmp_path):
    """The PDF's text (pdftotext) names everything a manager looks for."""
    _issue(actor, sample, [sample.participant])
    certificate = _certificate(app, sample.participant.id)
    pdf = actor(sample.participant).get(
        _path(sample, f"/{certificate.id}.pdf"), headers={"Accept-Language": "de"}
    )
    target = tmp_path / "c.pdf"
    target.write_bytes(pdf.data)
    text = subprocess.run(
        ["pdftotext", "-layout", str(target), "-"], capture_output=True, text=True, check=True
    ).stdout
    for expected in (
        "Teilnahmebescheinigung",
        "Sabine Hoffmann",
        "Lern-Expedition Bürgerservice digital",
        "7 von 7",
        "10,5 Stunden",
        "Mona Moderation",
        service.format_code(certificate.code),
        "/verify",
    ):
        assert expected in text, expected
    info = subprocess.run(["pdfinfo", str(target)], capture_output=True, text=True).stdout
    assert re.search(r"Tagged:\s+yes", info) and re.search(r"Pages:\s+1\n", info)


def test_others_see_nothing_of_a_certificate(app, actor, world, sample):
    _issue(actor, sample, [sample.participant])
    certificate = _certificate(app, sample.participant.id)
    jonas = actor(sample.peers[0])
    for tail in (f"/{certificate.id}", f"/{certificate.id}.pdf"):
        assert jonas.get(_path(sample, tail)).status_code == 404
    assert jonas.get(_path(sample)).status_code == 403
    assert jonas.post(_path(sample, f"/{certificate.id}/revoke")).status_code == 403
    stranger = actor(world.user("Olga Außen", is_training_office=True))
    assert stranger.get(_path(sample, f"/{certificate.id}")).status_code == 404
    # The facilitator may look at every certificate of the expedition.
    assert actor(sample.facilitator).get(_path(sample, f"/{certificate.id}")).status_code == 200


def test_not_before_the_abschluss(app, actor, world):
    mona = world.user("Mona Moderation")
    ada = world.user("Ada Lorenz")
    expedition = world.expedition(mona, start=date.today() - timedelta(weeks=2), participates=False)
    world.join(expedition, ada)
    with app.app_context():
        meeting = Meeting(
            expedition_id=expedition.id,
            starts_at=db.session.get(Expedition, expedition.id).created_at,
            status="finished",
        )
        db.session.add(meeting)
        db.session.flush()
        db.session.add(Attendance(meeting_id=meeting.id, user_id=ada.id))
        db.session.commit()
    page = actor(mona).post(
        f"/expeditions/{expedition.id}/certificates", {**HOURS, "participants": [ada.id]}
    )
    assert page.status_code == 422
    assert "Abschluss" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0


@pytest.mark.parametrize("hours", ["", "abc", "0", "9", "1,1", "-1", "1E307", "inf", "nan"])
def test_hours_are_checked_with_a_message_at_the_field(actor, sample, hours):
    response = _issue(actor, sample, [sample.participant], hours=hours)
    assert response.status_code == 422
    assert 'id="hours-error"' in response.get_data(as_text=True)


def test_hours_accept_comma_point_and_colon():
    assert (
        service.parse_hours("1,5")
        == service.parse_hours("1.5")
        == service.parse_hours("1:30")
        == 90
    )


def test_someone_who_attended_nothing_gets_none(app, actor, sample):
    with app.app_context():
        db.session.execute(
            Attendance.__table__.delete().where(Attendance.user_id == sample.peers[1].id)
        )
        db.session.commit()
    response = _issue(actor, sample, [sample.peers[1]])
    assert response.status_code == 422
    assert "Aylin Demir" in response.get_data(as_text=True)


def test_verify_page_shows_attendance_and_nothing_else(app, actor, client, sample):
    _issue(actor, sample, [sample.participant])
    certificate = _certificate(app, sample.participant.id)
    page = client.get(f"/verify/{certificate.code}", headers={"Accept-Language": "de"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for expected in (
        "Sabine Hoffmann",
        "Lern-Expedition Bürgerservice digital",
        "7 von 7",
        "Gültig",
    ):
        assert expected in text
    assert "Formular 7b" not in text and "sabine@" not in text
    assert (
        'name="robots" content="noindex' in text
    )  # a name on a public page: not for search engines
    # Typed with dashes, spaces and in lower case, it finds the same certificate.
    typed = service.format_code(certificate.code).lower().replace("-", " ")
    found = client.get("/verify", query_string={"code": typed})
    assert found.status_code == 303 and found.location.endswith(f"/verify/{certificate.code}")


def test_unknown_and_malformed_codes_get_the_same_404(app, client):
    unknown = client.get("/verify/AAAABBBBCCCC", headers={"Accept-Language": "de"})
    malformed = client.get("/verify/x'<script>", headers={"Accept-Language": "de"})
    assert unknown.status_code == malformed.status_code == 404

    def strip(response):
        page = response.get_data(as_text=True)
        # The CSRF token carries a timestamp: two requests a second apart differ there.
        return re.sub(r'"X-CSRFToken": "[^"]*"|nonce="[^"]*"', "", page)

    assert strip(unknown) == strip(malformed)
    assert "Keine Bescheinigung mit diesem Code" in unknown.get_data(as_text=True)


def test_verify_is_rate_limited(make_app):
    limited = make_app(RATELIMIT_ENABLED=True, VERIFY_RATE_LIMIT="3 per minute")
    client = limited.test_client()
    answers = [client.get("/verify/AAAABBBBCCCC").status_code for _ in range(4)]
    assert answers == [404, 404, 404, 429]


def test_revoke_keeps_the_record_and_reissue_makes_a_new_code(app, actor, client, sample):
    _issue(actor, sample, [sample.participant])
    old = _certificate(app, sample.participant.id)
    mona = actor(sample.facilitator)
    assert mona.post(_path(sample, f"/{old.id}/revoke")).status_code == 303
    page = client.get(f"/verify/{old.code}", headers={"Accept-Language": "de"})
    assert page.status_code == 200 and "Widerrufen am" in page.get_data(as_text=True)
    assert actor(sample.participant).get(_path(sample, f"/{old.id}.pdf")).status_code == 410
    # Revoking twice changes nothing.
    assert mona.post(_path(sample, f"/{old.id}/revoke")).status_code == 303
    assert _issue(actor, sample, [sample.participant]).status_code == 303
    new = _certificate(app, sample.participant.id)
    assert new.id != old.id and new.code != old.code
    with app.app_context():
        rows = db.session.scalars(
            select(Certificate).where(Certificate.user_id == sample.participant.id)
        ).all()
    assert len(rows) == 2 and sum(r.revoked_at is None for r in rows) == 1


def test_issuing_again_leaves_a_valid_certificate_alone(app, actor, sample):
    _issue(actor, sample, [sample.participant])
    first = _certificate(app, sample.participant.id)
    _issue(actor, sample, [sample.participant], hours="3")
    assert _certificate(app, sample.participant.id).code == first.code


def test_two_facilitators_issuing_at_once_make_one_certificate(app, actor, world, sample):
    """Two facilitators press "issue" at the same moment: one certificate, no error."""
    second = world.user("Theo Tandem")
    with app.app_context():
        db.session.add(
            Membership(
                expedition_id=sample.expedition_id,
                user_id=second.id,
                is_facilitator=True,
                is_participant=False,
            )
        )
        db.session.commit()
    people = [actor(sample.facilitator), actor(second)]
    tokens = [who.token() for who in people]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def press(who, token):
        barrier.wait()
        response = who.client.post(
            _path(sample),
            data={"csrf_token": token, **HOURS, "participants": [sample.participant.id]},
        )
        statuses.append(response.status_code)

    threads = [
        threading.Thread(target=press, args=(who, token))
        for who, token in zip(people, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert statuses == [303, 303]
    with app.app_context():
        count = db.session.scalar(
            select(func.count())
            .select_from(Certificate)
            .where(Certificate.user_id == sample.participant.id, Certificate.revoked_at.is_(None))
        )
    assert count == 1


def test_codes_are_random_and_typable():
    codes = {service.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(re.fullmatch(r"[A-Z2-7]{12}", c) for c in codes)
    assert service.normalise_code("abcd-efgh-ijkl") == "ABCDEFGHIJKL"
    assert service.normalise_code("ABCD EFGH IJK0") == "ABCDEFGHIJKO"  # a zero read as O
    assert service.normalise_code("ABCD") is None


def test_someone_outside_the_expedition_cannot_be_chosen(actor, world, sample):
    olga = world.user("Olga Außen")
    response = _issue(actor, sample, [olga])
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)


def test_the_expedition_page_links_the_certificates(actor, sample):
    home = f"/expeditions/{sample.expedition_id}"
    assert f"{home}/certificates" in actor(sample.facilitator).get(home).get_data(as_text=True)
    assert f"{home}/certificate" in actor(sample.participant).get(home).get_data(as_text=True)
