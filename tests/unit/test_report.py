"""The Lernbericht as data, its Markdown escaping, notes sanitising and the PDF's URL fetcher."""

from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from sqlalchemy import event, select

from alex.auth.models import User
from alex.boards.models import Card
from alex.boards.service import create_card
from alex.expeditions.models import Expedition
from alex.exports.pdf import BASE_URL, RefusedURL, StaticOnlyFetcher, render_pdf
from alex.exports.report import compose_report
from alex.exports.text import escape_inline, escape_markdown, notes_html
from alex.extensions import db

STATIC = Path(__file__).resolve().parents[2] / "static"
TRICKY_TEXTS = [
    "*fett* _kursiv_ `code` ~~durch~~",
    "<script>alert('x')</script> & &amp; &lt;",
    '<img src="https://evil.example/x.png" onerror="alert(1)">',
    "![Bild](https://evil.example/y.png) [Link](javascript:alert(1))",
    "# Überschrift\n## noch eine\n> Zitat\n- Liste\n+ Liste\n* Liste\n1. eins\n2) zwei",
    "Text\n===\nText\n---\n***",
    "    eingerückt wie Code\n\tmit Tab",
    "Absatz eins\n\nAbsatz zwei\nmit Umbruch",
    "Backslash \\ am Ende \\",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "E-Mail: a_b@example.org, 3.5 Std., Dr. med. Müller-Lüdenscheidt",
    "<!-- Kommentar --> <?php echo 1 ?> <![CDATA[x]]>",
    "Auto-Link https://example.org und <https://example.org>",
]
_render = MarkdownIt("commonmark", {"html": True})  # a wiki that renders raw HTML


def _visible_text(markdown: str) -> str:
    rendered = _render.render(markdown)
    return html.unescape(re.sub(r"<[^>]+>", "", rendered))


def _normalise(text: str) -> str:
    return "\n".join(line.strip() for line in text.strip().splitlines() if line.strip())


@pytest.mark.parametrize("text", TRICKY_TEXTS)
def test_markdown_escape_round_trips_the_text(text):
    escaped = escape_markdown(text)
    assert _normalise(_visible_text(escaped)) == _normalise(text)
    rendered = _render.render(escaped)
    # Nothing becomes markup: only paragraphs and line breaks.
    assert set(re.findall(r"<(\w+)", rendered)) <= {"p", "br"}


@pytest.mark.parametrize("text", TRICKY_TEXTS)
def test_inline_escape_stays_on_one_line(text):
    escaped = escape_inline(text)
    assert "\n" not in escaped
    rendered = _render.render(f"#### {escaped}")
    assert set(re.findall(r"<(\w+)", rendered)) == {"h4"}


def test_notes_are_sanitised_and_never_embed_images():
    out = str(
        notes_html(
            '**ok** <script>alert(1)</script> <img src="https://evil.example/x.png">'
            " ![Foto](https://evil.example/y.png) [Link](javascript:alert(1))"
        )
    )
    assert "<strong>ok</strong>" in out
    assert "<script" not in out and "<img" not in out and 'href="javascript' not in out
    assert "[Foto]" in out


def test_fetcher_serves_static_files_only():
    fetcher = StaticOnlyFetcher(STATIC)
    css = fetcher.fetch(f"{BASE_URL}static/css/report.css?v=123")
    assert b"@page" in css.read()
    for url in (
        "https://evil.example/x.png",
        "http://127.0.0.1:5000/static/css/app.css",
        f"{BASE_URL}static/../alex/config.py",
        f"{BASE_URL}static/%2e%2e/pyproject.toml",
        f"{BASE_URL}account/export.json",
        "file:///etc/passwd",
        "data:text/plain,hello",
    ):
        with pytest.raises((RefusedURL, ValueError)):
            fetcher.fetch(url)
    assert "https://evil.example/x.png" in fetcher.refused


def test_pdf_loads_nothing_from_outside_even_if_the_html_asks():
    fetcher = StaticOnlyFetcher(STATIC)
    pdf = render_pdf(
        '<html lang="de"><head><title>T</title>'
        '<link rel="stylesheet" href="http://evil.example/x.css">'
        '<link rel="stylesheet" href="/static/css/report.css"></head>'
        '<body><h1>Lernbericht</h1><img src="https://evil.example/track.png" alt="x">'
        '<img src="file:///etc/hostname" alt="y"></body></html>',
        STATIC,
        fetcher,
    )
    assert pdf.startswith(b"%PDF")
    assert fetcher.refused == [
        "http://evil.example/x.css",
        "https://evil.example/track.png",
        "file:///etc/hostname",
    ]


def _count_queries(app, action) -> int:
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(statements)


def test_report_takes_a_constant_number_of_queries(app, sample):
    with app.app_context():
        expedition = db.session.get(Expedition, sample.expedition_id)
        user = db.session.get(User, sample.participant.id)
        few = _count_queries(
            app, lambda: compose_report(db.session, expedition, user, date.today())
        )
        for n in range(40):
            card = create_card(
                db.session, expedition.id, user.id, f"Mehr {n}", column="done", sprint_number=2
            )
            card.learning = "noch mehr"
        db.session.commit()
        db.session.expire_all()
        expedition = db.session.get(Expedition, sample.expedition_id)
        user = db.session.get(User, sample.participant.id)
        many = _count_queries(
            app, lambda: compose_report(db.session, expedition, user, date.today())
        )
        assert many == few <= 12


def test_report_composition(app, sample):
    with app.app_context():
        expedition = db.session.get(Expedition, sample.expedition_id)
        user = db.session.get(User, sample.participant.id)
        create_card(db.session, expedition.id, user.id, "Nur eine Idee")  # nothing to report
        db.session.flush()
        report = compose_report(db.session, expedition, user, date.today())
        assert report.vorhaben_start.what == "Ich möchte die Online-Antragsstrecke verbessern."
        assert report.vorhaben_now.what.startswith("Ich möchte das Antragsformular 7b")
        assert [v.reason[:14] for v in report.vorhaben_history] == [
            "Die Auswertung",
            "Ich will es ge",
        ]
        assert [s.number for s in report.sprints] == [1, 2, 3, 4, 5, 6]
        assert report.confidence == [(1, 4), (2, 5), (3, 6), (4, 6), (5, 7), (6, 8)]
        first = report.sprints[0]
        assert len(first.done) == 2 and len(first.experiments) == 1
        assert first.experiments[0].hypothesis.startswith("Wenn ich eine Woche")
        assert "Nur eine Idee" not in [c.title for c in report.candidate_cards]
        assert report.zirkel_names == ["Aylin Demir", "Jonas Weber"]  # who agreed, not Mona
        assert len(report.checkins) == 6
        assert report.retro_actions == [] and report.kudos == []  # pluggable, areas not built


def test_card_done_in_a_later_sprint_counts_there(app, sample):
    from alex.boards.models import CardMove

    with app.app_context():
        expedition = db.session.get(Expedition, sample.expedition_id)
        user = db.session.get(User, sample.participant.id)
        card = create_card(db.session, expedition.id, user.id, "Verschleppt", sprint_number=2)
        card.column = "done"
        db.session.add(
            CardMove(card_id=card.id, from_column="doing", to_column="done", sprint_number=4)
        )
        db.session.flush()
        report = compose_report(db.session, expedition, user, date.today())
        assert "Verschleppt" in [c.title for c in report.sprints[3].done]
        assert "Verschleppt" not in [c.title for c in report.sprints[1].done]
        assert db.session.scalar(select(Card.id).where(Card.title == "Verschleppt"))
