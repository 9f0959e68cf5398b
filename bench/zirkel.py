"""Zirkel page render time with 4 members × 6 sprints × 50 cards (SQLite, or ALEX_BENCH_DATABASE_URL).

python -m bench.zirkel [--runs 50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import event

from alex import create_app
from alex.auth.service import hash_password
from alex.extensions import db
from alex.migrate import upgrade
from tests.zirkel_data import build_zirkel

PASSWORD = "bench-password-zirkel"


def run(runs: int = 50) -> dict:
    """Render the Zirkel page `runs` times as a participant; return timing and size figures."""
    url = os.environ.get("ALEX_BENCH_DATABASE_URL")
    tmp = None
    if not url:
        tmp = tempfile.TemporaryDirectory()
        url = f"sqlite:///{Path(tmp.name) / 'bench.sqlite3'}"
    upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})
    with app.app_context():
        data = build_zirkel(
            db.session,
            members=4,
            sprints_elapsed=6,
            sprint_count=6,
            cards_per_member=50,
            password_hash=hash_password(PASSWORD),
            today=date.today(),
        )
        db.session.commit()
        expedition_id, email = data.expedition.id, data.members[0].email
        engine = db.engine
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    path = f"/expeditions/{expedition_id}/zirkel"
    client.get(path)  # warm-up: templates compiled, statement cache filled
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    timings, cpu, size = [], [], 0
    for _ in range(runs):
        statements.clear()
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        timings.append((time.perf_counter() - start) * 1000)
        # CPU time of this process: what the page costs, even on a busy machine.
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert response.status_code == 200
        size = len(response.data)
    if tmp:
        tmp.cleanup()
    timings.sort()
    return {
        "backend": engine.dialect.name,
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 1),
        "cpu_ms": round(statistics.median(cpu), 1),
        "load": round(os.getloadavg()[0], 1),
        "statements": len(statements),
        "html_kb": round(size / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50)
    figures = run(parser.parse_args().runs)
    print(
        "Zirkel page, 4 members × 6 sprints × 50 cards ({backend}): median {median_ms} ms, "
        "p95 {p95_ms} ms, CPU {cpu_ms} ms, {statements} SQL statements, {html_kb} KB HTML "
        "(load average {load})".format(**figures)
    )


if __name__ == "__main__":
    main()
