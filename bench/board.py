"""Board page and card move timings on a seeded demo (SQLite file, Flask test client).

python -m bench.board [--cards 200 1000] [--rounds 30]
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import event, select

from alex import create_app
from alex.boards.models import Card
from alex.demo import DEMO_PASSWORD, seed_demo
from alex.extensions import db
from alex.migrate import upgrade


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def run(cards: int, rounds: int) -> dict:
    """Seed the demo with `cards` cards per board, then time the board page and moves."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        upgrade(url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})
        with app.app_context():
            started = time.perf_counter()
            demo = seed_demo(db.session, date.today(), cards_per_board=cards)
            db.session.commit()
            seed_s = time.perf_counter() - started
            expedition_id = demo.expedition.id
            ada_id = demo.participants[0].id
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        client.post(
            "/login",
            data={"email": "ada@example.org", "password": DEMO_PASSWORD, "csrf_token": token},
        )
        board_url = f"/expeditions/{expedition_id}/board"
        page = client.get(board_url).get_data(as_text=True)
        token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)

        statements: list[str] = []
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

        # CPU time as well as wall time: on a busy machine the CPU time is the fairer figure.
        page_times, page_cpu, size = [], [], 0
        for _ in range(rounds):
            started, cpu = time.perf_counter(), time.process_time()
            response = client.get(board_url)
            page_times.append(time.perf_counter() - started)
            page_cpu.append(time.process_time() - cpu)
            size = len(response.get_data())
        statements.clear()
        client.get(board_url)
        page_queries = len(statements)

        with app.app_context():
            card_id = db.session.scalar(
                select(Card.id).where(Card.owner_id == ada_id, Card.column == "ideas").limit(1)
            )
        move_times, move_cpu, move_queries = [], [], 0
        for n in range(rounds):
            with app.app_context():
                version = db.session.scalar(select(Card.version).where(Card.id == card_id))
            data = {
                "column": "sprint" if n % 2 == 0 else "ideas",
                "position": 0,
                "version": version,
                "csrf_token": token,
            }
            statements.clear()
            started, cpu = time.perf_counter(), time.process_time()
            response = client.post(
                f"/expeditions/{expedition_id}/cards/{card_id}/move",
                data=data,
                headers={"HX-Request": "true"},
            )
            move_times.append(time.perf_counter() - started)
            move_cpu.append(time.process_time() - cpu)
            move_queries = len(statements)
            assert response.status_code == 200, response.status_code
        return {
            "cards_per_board": cards,
            "seed_s": round(seed_s, 2),
            "board_ms": _median_ms(page_times),
            "board_cpu_ms": _median_ms(page_cpu),
            "board_queries": page_queries,
            "board_kb": round(size / 1024, 1),
            "move_ms": _median_ms(move_times),
            "move_cpu_ms": _median_ms(move_cpu),
            "move_queries": move_queries,
        }


def main() -> None:
    """Print one line per board size."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    for cards in args.cards:
        print(run(cards, args.rounds))


if __name__ == "__main__":
    main()
