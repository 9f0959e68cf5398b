"""A Lernbericht a manager can take seriously: rendered Markdown, German dates, honest wording."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from alex.boards.service import create_card
from alex.extensions import db
from tests.http.test_export_report import pdf_text

DE = {"Accept-Language": "de"}


def _path(sample, suffix: str) -> str:
    return f"/expeditions/{sample.expedition_id}{suffix}"


@pytest.fixture
def markdown_card(app, sample):
    """A done card whose learning and notes use a little Markdown, as people write it."""
    with app.app_context():
        card = create_card(
            db.session,
            sample.expedition_id,
            sample.participant.id,
            "Sprechstunde testen",
            column="done",
            sprint_number=2,
            notes="Mit **Lea** besprochen.",
        )
        card.learning = "Ich frage jetzt *wie lange* etwas dauert.\n\n- erst zuhören\n- dann fragen"
        db.session.commit()
        return card.id


def test_own_markdown_is_rendered_in_print_view_and_pdf(actor, sample, markdown_card):
    me = actor(sample.participant)
    html = me.get(_path(sample, "/report/print"), headers=DE).get_data(as_text=True)
    assert "<em>wie lange</em>" in html and "<li>erst zuhören</li>" in html
    text = pdf_text(me.get(_path(sample, "/report.pdf"), headers=DE).data)
    assert "wie lange" in text and "*wie lange*" not in text


def test_own_markdown_stays_markdown_in_the_export(actor, sample, markdown_card):
    text = (
        actor(sample.participant)
        .get(_path(sample, "/report.md"), headers=DE)
        .get_data(as_text=True)
    )
    assert "Mit **Lea** besprochen." in text and "\\*\\*Lea" not in text
    assert "*wie lange*" in text and "- erst zuhören" in text


def test_report_dates_and_times_read_as_german_prose(actor, sample):
    facilitator = actor(sample.facilitator)
    summary = facilitator.get(_path(sample, "/summary"), headers=DE).get_data(as_text=True)
    assert not re.search(r"\d\d:\d\d:\d\d", summary)
    me = actor(sample.participant)
    for suffix in ("/report/print", "/report.md"):
        body = me.get(_path(sample, suffix), headers=DE).get_data(as_text=True)
        assert not re.search(r"\d{4}-\d\d-\d\d", body), suffix
        assert not re.search(r"\d\d:\d\d:\d\d", body), suffix


def test_retro_action_card_names_the_date_in_words(app):
    from datetime import UTC, datetime

    from alex.meetings.service import retro_note

    with app.test_request_context(headers=DE):
        note = retro_note(datetime(2026, 10, 22, 17, 0, tzinfo=UTC), "Europe/Berlin")
    assert note == "Vereinbart in der Retro vom 22. Oktober 2026."


def test_confirmation_of_a_running_expedition_says_it_runs_until(app, actor, world):
    mona, ada = world.user("Mona Moderation"), world.user("Ada Lorenz")
    ex = world.expedition(mona, start=date.today() - timedelta(days=20), participates=False)
    world.join(ex, ada)
    html = actor(ada).get(f"/expeditions/{ex.id}/report/print", headers=DE).get_data(as_text=True)
    assert "teilgenommen" not in html
    assert "läuft bis zum" in html


def test_confirmation_of_a_finished_expedition_states_what_happened(actor, sample):
    html = (
        actor(sample.participant)
        .get(_path(sample, "/report/print"), headers=DE)
        .get_data(as_text=True)
    )
    assert "hat vom" in html and "teilgenommen" in html


def test_confidence_chart_has_labels(actor, sample):
    html = (
        actor(sample.participant)
        .get(_path(sample, "/report/print"), headers=DE)
        .get_data(as_text=True)
    )
    chart = re.search(r'<svg id="doc-confidence-chart".*?</svg>', html, re.S).group(0)
    labels = re.findall(r"<text[^>]*>([^<]+)</text>", chart)
    assert "10" in labels and "1" in labels  # the scale
    assert "S1" in labels or "Sprint 1" in labels  # the sprints


def test_untouched_experiment_of_a_later_sprint_is_left_out(app, actor, world):
    mona, ada = world.user("Mona Moderation"), world.user("Ada Lorenz")
    ex = world.expedition(mona, start=date.today() - timedelta(days=20), participates=False)
    world.join(ex, ada)
    with app.app_context():
        create_card(
            db.session, ex.id, ada.id, "Später ausprobieren", kind="experiment", sprint_number=4
        )
        db.session.commit()
    html = actor(ada).get(f"/expeditions/{ex.id}/report/print", headers=DE).get_data(as_text=True)
    assert "Später ausprobieren" not in html
    assert "<dd>–</dd>" not in html
