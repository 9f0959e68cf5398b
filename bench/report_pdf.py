"""How long the Lernbericht of a full six-sprint expedition takes, as PDF, HTML and Markdown.

    .venv/bin/python -m bench.report_pdf

(`make bench` times the demo participant's PDF under gunicorn; this one uses a finished expedition.)
"""

from __future__ import annotations

import re
import statistics
import time
from datetime import date

from flask import Flask
from sqlalchemy import event

from alex.extensions import db

RUNS = 5
PASSWORD = "bench-expedition-password"


def run(app: Flask) -> list[str]:
    """Seed the sample expedition, log in as its participant, time each format over a few runs."""
    from alex.exports.sample import build_finished_expedition

    with app.app_context():
        built = build_finished_expedition(db.session, date.today(), password=PASSWORD)
        db.session.commit()
        expedition_id, email = built.expedition.id, built.participant.email
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").text)
    answer = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert answer.status_code == 302, "bench login failed"
    lines = ["Lernbericht of a full 6-sprint expedition (18 cards, 6 check-ins, 2 Vorhaben edits):"]
    for label, path in (
        ("PDF (WeasyPrint)", "/report.pdf"),
        ("preview page", "/report"),
        ("Markdown", "/report.md"),
    ):
        url = f"/expeditions/{expedition_id}{path}"
        client.get(url, headers={"Accept-Language": "de"})  # warm-up: fonts, templates
        timings, queries, size = [], 0, 0
        for _ in range(RUNS):
            with app.app_context():
                counter = _QueryCounter(db.engine)
                started = time.perf_counter()
                response = client.get(url, headers={"Accept-Language": "de"})
                timings.append(time.perf_counter() - started)
                queries = counter.stop()
            assert response.status_code == 200, response.status_code
            size = len(response.data)
        lines.append(
            f"  {label:<18} median {statistics.median(timings) * 1000:7.0f} ms"
            f"  (max {max(timings) * 1000:.0f} ms, {queries} SQL queries, {size / 1024:.0f} KB)"
        )
    return lines


class _QueryCounter:
    """Counts statements on an engine while it listens."""

    def __init__(self, engine):
        self.engine, self.count = engine, 0
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, *_args) -> None:
        self.count += 1

    def stop(self) -> int:
        event.remove(self.engine, "before_cursor_execute", self._record)
        return self.count


def main() -> None:
    """Run on a scratch SQLite database and print the figures."""
    import tempfile
    from pathlib import Path

    from alex import create_app
    from alex.i18n import compile_catalogs
    from alex.migrate import upgrade

    compile_catalogs()
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'report.sqlite3'}"
        upgrade(url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True})
        for line in run(app):
            print(line)


if __name__ == "__main__":
    main()
