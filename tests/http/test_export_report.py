"""Lernbericht routes: preview, choice of content, print view, PDF, Markdown — and who gets what."""

from __future__ import annotations

import re
import subprocess

import pytest
from sqlalchemy import select

from alex.boards.models import Card
from alex.exports.models import ReportSelection
from alex.extensions import db
from tests.support.htmx import swapped_targets

REPORT_ROUTES = ["/report", "/report/print", "/report.md", "/report.pdf", "/reflection"]


def _path(sample, suffix: str) -> str:
    return f"/expeditions/{sample.expedition_id}{suffix}"


def pdf_text(data: bytes) -> str:
    """The text of a PDF, as poppler's pdftotext reads it."""
    assert data.startswith(b"%PDF-")
    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return result.stdout.decode()


@pytest.mark.parametrize("suffix", REPORT_ROUTES)
def test_anonymous_is_sent_to_login(client, sample, suffix):
    response = client.get(_path(sample, suffix))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("suffix", REPORT_ROUTES + ["/summary", "/summary.pdf"])
def test_outsider_gets_404(actor, sample, suffix):
    outsider = actor()
    assert outsider.get(_path(sample, suffix)).status_code == 404


@pytest.mark.parametrize("suffix", ["/report", "/report/print", "/report.md", "/report.pdf"])
def test_peer_gets_only_their_own_report(actor, sample, suffix):
    peer = actor(sample.peers[0])
    response = peer.get(_path(sample, suffix), headers={"Accept-Language": "de"})
    assert response.status_code == 200
    body = pdf_text(response.data) if suffix.endswith(".pdf") else response.get_data(as_text=True)
    assert sample.peers[0].name in body
    assert "Formular 7b" not in body  # the participant's Vorhaben and cards
    assert "Telefonnotizen" not in body


def test_report_preview_shows_the_whole_record(actor, sample):
    me = actor(sample.participant)
    page = me.get(_path(sample, "/report"), headers={"Accept-Language": "de"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "HX-Request" in page.headers["Vary"]
    for expected in (
        "Mein Lernbericht",
        "Sabine Hoffmann",
        "Zu Beginn",
        "Sprint für Sprint",
        "Telefonnotizen als Datenquelle",
        "Kleine, disziplinierte Datensammlung",  # an experiment's learning
        "Verlauf der Zuversicht",
        "Abschlussreflexion",
        "Aylin Demir, Jonas Weber",  # members who agreed to be named
    ):
        assert expected in html, expected
    assert "Mona Moderation" not in html.split('id="lernbericht"')[1]  # did not agree


def test_report_fragment_for_htmx(actor, sample):
    me = actor(sample.participant)
    response = me.get(_path(sample, "/report"), htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert swapped_targets(html) == {"report-workspace"}
    assert "<html" not in html


def _selection_payload(client_html: str) -> dict:
    sections = re.findall(r'name="sections" value="([a-z_]+)"', client_html)
    cards = re.findall(r'name="cards" value="(\d+)"', client_html)
    version = re.search(r'name="version" value="(\d+)"', client_html).group(1)
    return {"sections": sections, "cards": cards, "version": version}


@pytest.mark.parametrize("htmx", [False, True])
def test_choice_of_sections_and_cards_is_kept(actor, sample, app, htmx):
    me = actor(sample.participant)
    html = me.get(_path(sample, "/report")).get_data(as_text=True)
    payload = _selection_payload(html)
    with app.app_context():
        card_id = db.session.scalar(select(Card.id).where(Card.title == "Lunch & Learn"))
    payload["sections"].remove("checkins")
    payload["cards"].remove(str(card_id))
    response = me.post(_path(sample, "/report/selection"), payload, htmx=htmx)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    if htmx:
        assert body.lstrip().startswith('<div id="report-workspace"')
        assert "announce" in response.headers["HX-Trigger"]
    preview = body.split('id="lernbericht"')[1]
    assert "Lunch &amp; Learn" not in preview
    assert "Aus dem Logbuch" not in preview
    # Kept for next time, and applied to every format.
    assert "Lunch &amp; Learn" not in me.get(_path(sample, "/report/print")).get_data(as_text=True)
    assert "Lunch & Learn" not in me.get(_path(sample, "/report.md")).get_data(as_text=True)
    with app.app_context():
        saved = db.session.scalar(select(ReportSelection))
        assert saved.excluded_sections == ["checkins"]
        assert saved.excluded_card_ids == [card_id]


def test_stale_choice_gets_409_with_the_fresh_state(actor, sample):
    me = actor(sample.participant)
    payload = _selection_payload(me.get(_path(sample, "/report")).get_data(as_text=True))
    assert me.post(_path(sample, "/report/selection"), payload).status_code == 200
    stale = dict(payload, sections=["vorhaben"])  # still version 0: another tab's form
    response = me.post(_path(sample, "/report/selection"), stale, htmx=True)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert 'name="version" value="1"' in html
    assert 'value="sprints" id="section-sprints"\n          checked' in html or re.search(
        r'value="sprints" id="section-sprints"\s+checked', html
    )


@pytest.mark.parametrize(
    "bad",
    [
        {"sections": ["nonsense"]},
        {"cards": ["999999"]},
        {"cards": ["abc"]},
        {"version": "-1"},
        {"version": "x"},
    ],
)
def test_bad_choice_is_422_never_500(actor, sample, bad):
    me = actor(sample.participant)
    payload = _selection_payload(me.get(_path(sample, "/report")).get_data(as_text=True))
    payload.update(bad)
    response = me.post(_path(sample, "/report/selection"), payload, htmx=True)
    assert response.status_code == 422


def test_cards_of_another_person_cannot_be_chosen(actor, sample, app):
    peer = actor(sample.peers[0])
    with app.app_context():
        foreign = db.session.scalar(select(Card.id).where(Card.owner_id == sample.participant.id))
    payload = {"sections": ["sprints"], "cards": [str(foreign)], "version": "0"}
    assert peer.post(_path(sample, "/report/selection"), payload).status_code == 422


def test_selection_needs_csrf(actor, sample):
    me = actor(sample.participant)
    response = me.client.post(_path(sample, "/report/selection"), data={"version": "0"})
    assert response.status_code == 400


def test_print_view_has_no_navigation(actor, sample):
    me = actor(sample.participant)
    html = me.get(_path(sample, "/report/print")).get_data(as_text=True)
    assert 'class="main-nav"' not in html
    assert re.search(r"/report(\.[0-9a-f]{10})?\.css", html) and "Sabine Hoffmann" in html


def test_pdf_is_tagged_a4_with_german_headings(actor, sample):
    me = actor(sample.participant)
    response = me.get(_path(sample, "/report.pdf"), headers={"Accept-Language": "de"})
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "Lernbericht-Sabine-Hoffmann" in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    for heading in (
        "Mein Vorhaben",
        "Sprint für Sprint",
        "Verlauf der Zuversicht",
        "Abschlussreflexion",
        "Hypothese",
    ):
        assert heading in text, heading
    info = subprocess.run(
        ["pdfinfo", "-"], input=response.data, capture_output=True, check=True
    ).stdout.decode()
    assert re.search(r"Tagged:\s+yes", info)  # structure tags for screen readers
    assert "595.276 x 841.89" in info  # A4
    assert "Title:" in info and "Sabine Hoffmann" in info


def test_pdf_in_english(actor, sample):
    me = actor(sample.participant)
    response = me.get(_path(sample, "/report.pdf"), headers={"Accept-Language": "en"})
    text = pdf_text(response.data)
    assert "Sprint by sprint" in text and "Final reflection" in text


def test_pdf_failure_is_a_message_not_a_500(actor, sample, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("fonts missing")

    monkeypatch.setattr("alex.exports.pdf.render_pdf", broken)
    me = actor(sample.participant)
    response = me.get(_path(sample, "/report.pdf"), headers={"Accept-Language": "de"})
    assert response.status_code == 503
    assert "Das PDF konnte gerade nicht erstellt werden" in response.get_data(as_text=True)


def test_markdown_download(actor, sample):
    me = actor(sample.participant)
    response = me.get(_path(sample, "/report.md"), headers={"Accept-Language": "de"})
    assert response.status_code == 200
    assert response.mimetype == "text/markdown"
    assert response.headers["Content-Disposition"].endswith(".md")
    text = response.get_data(as_text=True)
    assert text.startswith("# Lernbericht: Sabine Hoffmann")
    assert "## Sprint für Sprint" in text
    assert "#### Telefonnotizen als Datenquelle" in text


XSS_TITLE = "<script>alert('titel')</script>"
XSS_NOTES = (
    '<img src="https://evil.example/track.png" onerror="alert(1)">\n\n'
    "![Foto](https://evil.example/pic.png) **fett**"
)
XSS_LEARNING = '"><svg onload=alert(2)> *nicht fett*'


@pytest.fixture
def xss_card(app, sample):
    """A done card of the participant whose texts try to inject markup and load images."""
    from alex.boards.service import create_card

    with app.app_context():
        card = create_card(
            db.session,
            sample.expedition_id,
            sample.participant.id,
            XSS_TITLE,
            column="done",
            sprint_number=3,
            notes=XSS_NOTES,
        )
        card.learning = XSS_LEARNING
        db.session.commit()
        return card.id


def test_user_text_is_escaped_in_the_html(actor, sample, xss_card):
    me = actor(sample.participant)
    for path in ("/report", "/report/print"):
        html = me.get(_path(sample, path)).get_data(as_text=True)
        assert "&lt;script&gt;alert(&#39;titel&#39;)&lt;/script&gt;" in html
        assert "<script>alert" not in html
        assert not re.search(r"<img[^>]*evil", html)  # shown as text, never as an image
        assert "[Foto]" in html  # a Markdown image shows as its description
        assert "<svg onload" not in html and "&lt;svg onload=alert(2)&gt;" in html
        assert "<strong>fett</strong>" in html  # notes stay Markdown, sanitised


def test_user_text_is_escaped_in_the_markdown(actor, sample, xss_card):
    from markdown_it import MarkdownIt

    me = actor(sample.participant)
    text = me.get(_path(sample, "/report.md")).get_data(as_text=True)
    rendered = MarkdownIt("commonmark", {"html": True}).render(text)
    assert "<script" not in rendered and "<img" not in rendered and "<svg" not in rendered
    assert "&lt;script&gt;alert('titel')&lt;/script&gt;" in rendered
    assert "![Foto]" not in text  # escaped to \!\[Foto\]
    assert "\\!\\[Foto\\](https://evil.example/pic.png)" in text


def test_pdf_shows_user_text_literally_and_loads_nothing_from_outside(
    actor, sample, xss_card, monkeypatch
):
    from alex.exports import pdf as pdf_module

    fetchers = []
    original_render = pdf_module.render_pdf

    def spying_render(html, static_folder, fetcher=None):
        fetcher = pdf_module.StaticOnlyFetcher(static_folder)
        fetchers.append(fetcher)
        original_fetch = fetcher.fetch
        fetcher.fetched = []

        def fetch(url, headers=None):
            fetcher.fetched.append(url)
            return original_fetch(url, headers)

        fetcher.fetch = fetch
        return original_render(html, static_folder, fetcher)

    monkeypatch.setattr("alex.exports.pdf.render_pdf", spying_render)
    me = actor(sample.participant)
    response = me.get(_path(sample, "/report.pdf"))
    assert response.status_code == 200
    text = pdf_text(response.data)
    assert "<script>alert('titel')</script>" in text
    assert "onload=alert(2)" in text
    [fetcher] = fetchers
    assert fetcher.fetched, "the stylesheet is fetched through our fetcher"
    assert all(url.startswith("https://alex.invalid/static/") for url in fetcher.fetched)
    assert fetcher.refused == []
