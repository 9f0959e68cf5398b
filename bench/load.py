"""make soak: a bounded load test — many participants in many Zirkel, on loopback only.

python -m bench.load [--postgres [URL]] [--users 1000] [--zirkel 250] [--seconds 60] [--pace week|stress]

Each simulated participant keeps one connection and, after a think time, does what people do in
a week of ALEx: open the expedition, its members, their home page, their board and the Zirkel
page, move a card, write a Logbuch check-in, now and then edit their profile; a quarter of them
sit in a running Zirkeltreffen and poll its live view every 2 s. Sessions are minted in-process (signing cookies with the app's
secret) because a thousand argon2 logins would measure the password hash, not the app.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from flask import session as flask_session

from alex import create_app
from alex.extensions import db
from bench.client import Connection, csrf_token
from bench.server import Gunicorn, app_environment, seeded_database
from bench.site import ENDPOINTS

RESULTS = Path(__file__).resolve().parent / "load-results.json"
SECRET = "load-secret"


def seed_zirkel(url: str, users: int, zirkel: int) -> list[dict]:
    """Users in Zirkel of users/zirkel members each, one facilitator per Zirkel; returns them."""
    from alex.auth.models import LoginSession, User
    from alex.auth.service import hash_password
    from alex.boards.service import create_card
    from alex.db import utcnow
    from alex.expeditions.models import Membership
    from alex.expeditions.service import ExpeditionSettings, create_expedition
    from alex.meetings.models import Meeting

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "TESTING": True})
    people = []
    with app.app_context():
        password_hash = hash_password("load-test-password")  # once: argon2 is slow on purpose
        per_zirkel = max(1, users // zirkel)
        start = date.today() - timedelta(weeks=5)
        for z in range(zirkel):
            members = [
                User(email=f"p{z}-{i}@load.example", name=f"P {z}-{i}", password_hash=password_hash)
                for i in range(per_zirkel)
            ]
            db.session.add_all(members)
            db.session.flush()
            expedition = create_expedition(
                db.session,
                members[0],
                ExpeditionSettings(title=f"Zirkel {z}", description="", start_date=start),
                creator_participates=True,
            )
            for user in members[1:]:
                db.session.add(Membership(expedition=expedition, user_id=user.id))
            # The Zirkeltreffen that the pollers follow, running now.
            meeting = Meeting(
                expedition_id=expedition.id,
                kind="zirkeltreffen",
                sprint_number=1,
                starts_at=utcnow(),
                status="running",
            )
            db.session.add(meeting)
            db.session.flush()
            for user in members:
                token = secrets.token_urlsafe(32)
                db.session.add(LoginSession(token=token, user_id=user.id, user_agent="load"))
                # Cards to move: a dozen on each board, as people have after a few weeks.
                cards = [
                    create_card(db.session, expedition.id, user.id, f"Karte {n}", column=column)
                    for n, column in enumerate(["ideas", "sprint", "doing", "done"] * 3)
                ]
                people.append(
                    {
                        "token": token,
                        "expedition_id": expedition.id,
                        "user_id": user.id,
                        "meeting_id": meeting.id,
                        "meeting_version": meeting.version,
                        "card_id": cards[1].id,
                    }
                )
            db.session.commit()
        # Cookies as the browser would hold them after logging in: signed with the app's secret.
        serializer = app.session_interface.get_signing_serializer(app)
        for person in people:
            with app.test_request_context():
                flask_session["_user_id"] = person["token"]
                flask_session["_fresh"] = True
                person["cookie"] = serializer.dumps(dict(flask_session))
        db.engine.dispose()
    return people


class Stats:
    """Latencies and answers of the whole run."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.errors = 0
        self.by_action: dict[str, list[float]] = {}

    def add(self, action: str, status: int | None, ms: float) -> None:
        if status is None:
            self.errors += 1
            return
        self.statuses[status] = self.statuses.get(status, 0) + 1
        # Nobody else touches a participant's card here: a 409 or 422 would be a bug too.
        if status >= 500 or status in (401, 403, 404, 409, 422, 429):
            self.errors += 1
        self.latencies.append(ms)
        self.by_action.setdefault(action, []).append(ms)


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else 0.0


# Seconds between two actions of one person. "week": someone at work in ALEx reads a page
# before the next click; "stress": everyone clicks every few seconds, to find the ceiling.
PACES = {"week": (10.0, 30.0), "stress": (2.0, 8.0)}


async def participant(
    port: int,
    person: dict,
    paths: dict,
    stats: Stats,
    until: float,
    poller: bool,
    pace: tuple[float, float],
):
    """One person's week, compressed: an action every few seconds (a poll every 2 s in meetings)."""
    conn = Connection("127.0.0.1", port, {"session": person["cookie"]})
    e = person["expedition_id"]
    actions = [
        ("overview", 30, "GET", f"/expeditions/{e}", None),
        ("members", 10, "GET", f"/expeditions/{e}/members", None),
        ("home", 10, "GET", "/", None),
        (
            "profile",
            4,
            "POST",
            "/account/profile",
            {"name": f"P {person['user_id']}", "locale": "de"},
        ),
    ]
    for name, weight in (("board", 30), ("zirkel", 15)):
        if paths.get(name):
            actions.append((name, weight, "GET", paths[name].replace("{e}", str(e)), None))
    actions += [
        ("move", 20, "POST", f"/expeditions/{e}/cards/{person['card_id']}/move", "move"),
        (
            "check_in",
            5,
            "POST",
            f"/expeditions/{e}/logbook",
            {"done": "Mit dem Team gesprochen", "learned": "Kleine Schritte helfen", "next": ""},
        ),
    ]
    poll = f"/expeditions/{e}/meetings/{person['meeting_id']}/live?v={person['meeting_version']}"
    card = {"version": 1, "turn": 0}  # the card starts in "Diesen Sprint" at version 1
    weights = [a[1] for a in actions]
    # People arrive over one think time, as on a working morning, not all in the same second.
    await asyncio.sleep(random.uniform(0, pace[1]))
    # Like a browser: the first page gives the CSRF token (and the session cookie keeps it).
    try:
        first = await asyncio.wait_for(conn.request("GET", "/"), 30)
        token = csrf_token(first.text)
    except (OSError, asyncio.IncompleteReadError, TimeoutError, RuntimeError):
        stats.add("home", None, 0)
        await conn.close()
        return
    while time.monotonic() < until:
        headers = None
        if poller:
            # In a meeting: the live view asks every 2 s whether anything changed.
            name, method, path, form = "poll", "GET", poll, None
            headers = {"HX-Request": "true"}
        else:
            name, _, method, path, form = random.choices(actions, weights)[0]
        if form == "move":
            card["turn"] += 1
            column = ("doing", "sprint")[card["turn"] % 2]
            form = {"column": column, "position": "0", "version": str(card["version"])}
            headers = {"HX-Request": "true"}
        if form is not None:
            form = {**form, "csrf_token": token}
        began = time.perf_counter()
        try:
            answer = await asyncio.wait_for(
                conn.request(method, path, form=form, headers=headers), 30
            )
            stats.add(name, answer.status, (time.perf_counter() - began) * 1000)
            if name == "move" and answer.status == 200:
                card["version"] += 1
        except (OSError, asyncio.IncompleteReadError, TimeoutError):
            stats.add(name, None, 0)
            await conn.close()
        await asyncio.sleep(2 if poller else random.uniform(*pace))
    await conn.close()


async def run_load(
    port: int, people: list[dict], seconds: float, paths: dict, pace: tuple[float, float]
) -> Stats:
    stats = Stats()
    until = time.monotonic() + seconds
    await asyncio.gather(
        *(
            participant(port, p, paths, stats, until, poller=(i % 4 == 0), pace=pace)
            for i, p in enumerate(people)
        )
    )
    return stats


def main(argv: list[str] | None = None) -> int:
    """Seed, serve under gunicorn, load, report."""
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument(
        "--postgres", nargs="?", const="postgresql://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--zirkel", type=int, default=25)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--pace", choices=sorted(PACES), default="week")
    args = parser.parse_args(argv)
    kind = "postgres" if args.postgres else "sqlite"
    with tempfile.TemporaryDirectory(prefix="alex-load-") as tmp:
        workdir = Path(tmp)
        with seeded_database(kind, 0, workdir, args.postgres, seed=False) as url:
            print(f"[load] seeding {args.users} participants in {args.zirkel} Zirkel ({kind})")
            people = seed_zirkel(url, args.users, args.zirkel)
            env = app_environment(url, workdir)
            with Gunicorn(url, workdir, workers=args.workers, ALEX_SECRET_KEY=SECRET) as server:
                paths = _paths(url)
                print(
                    f"[load] {len(people)} participants for {args.seconds:.0f} s on :{server.port}"
                )
                stats = asyncio.run(
                    run_load(server.port, people, args.seconds, paths, PACES[args.pace])
                )
            log = "".join(p.read_text(errors="replace") for p in workdir.glob("gunicorn-*.log"))
            del env
    locked = log.count("database is locked")
    restarts = log.count("Booting worker")
    timeouts = log.count("WORKER TIMEOUT")
    summary = {
        "backend": kind,
        "participants": len(people),
        "zirkel": args.zirkel,
        "seconds": args.seconds,
        "pace": f"{args.pace}: an action every {PACES[args.pace][0]:g}–{PACES[args.pace][1]:g} s, "
        "a quarter in a meeting polling every 2 s",
        "requests": len(stats.latencies),
        "requests_per_s": round(len(stats.latencies) / args.seconds, 1),
        "errors": stats.errors,
        "database_is_locked": locked,
        "workers_booted": restarts,
        "worker_timeouts": timeouts,
        "p50_ms": round(_p(stats.latencies, 0.5), 1),
        "p95_ms": round(_p(stats.latencies, 0.95), 1),
        "p99_ms": round(_p(stats.latencies, 0.99), 1),
        "statuses": {str(k): v for k, v in sorted(stats.statuses.items())},
        "p95_by_action_ms": {k: round(_p(v, 0.95), 1) for k, v in sorted(stats.by_action.items())},
    }
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results[f"{kind}-{args.pace}"] = summary
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    ok = stats.errors == 0 and locked == 0 and summary["p95_ms"] < 200
    print(f"[load] {'PASS' if ok else 'FAIL'}: zero errors, no 'database is locked', p95 < 200 ms")
    return 0 if ok else 1


def _paths(url: str) -> dict:
    """Paths of the area pages that exist ({e} stands for the expedition id)."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "TESTING": True})
    found = {}
    with app.test_request_context():
        from flask import url_for

        for name in ("board", "zirkel"):
            endpoint = ENDPOINTS[name]
            if isinstance(endpoint, str) and endpoint in app.view_functions:
                found[name] = url_for(endpoint, expedition_id=0).replace("/0/", "/{e}/")
    with app.app_context():
        db.engine.dispose()
    return found


if __name__ == "__main__":
    sys.exit(main())
