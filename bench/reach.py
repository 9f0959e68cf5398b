"""The reach figures (issue 16), measured in this process on a fresh migrated database:

- outbox_write: what routing a notification to e-mail adds to a check-in that asks the Zirkel
  for support (three recipients; the outbox rows and their hand-over to the queue after the
  commit), against the same check-in with everyone's choice "in the app". A card move notifies
  nobody, so it writes no outbox row.
- digest_1000: the weekly digest for 1000 participants in 250 Zirkel — selected, rendered in
  each recipient's language and handed to an aiosmtpd server on loopback — wall time.
"""

from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.figures import Row
from bench.server import ROOT, free_port

ZIRKEL_COUNT, MEMBERS = 250, 4
CHECK_INS = 200


def _wait_for_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the SMTP sink did not come up on port {port}")


def _app(database_url: str, **config):
    from alex import create_app

    return create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": False,
            "ALEX_BASE_URL": "https://alex.example.org",
            "ALEX_MAIL_FROM": "ALEx <alex@example.org>",
            **config,
        }
    )


def _people(session, count: int, prefix: str) -> list:
    from alex.auth.models import User

    users = [
        User(email=f"{prefix}{n}@example.org", name=f"Person {prefix}{n}", password_hash="x")
        for n in range(count)
    ]
    session.add_all(users)
    session.flush()
    return users


def _expedition(session, title: str, facilitator, members: list, start: date):
    from alex.expeditions.models import Expedition, Membership

    expedition = Expedition(
        title=title, start_date=start, sprint_weeks=2, sprint_count=6, created_by_id=facilitator.id
    )
    session.add(expedition)
    session.flush()
    session.add(
        Membership(
            expedition_id=expedition.id,
            user_id=facilitator.id,
            is_facilitator=True,
            is_participant=False,
        )
    )
    session.add_all(Membership(expedition_id=expedition.id, user_id=m.id) for m in members)
    session.flush()
    return expedition


def outbox_write_row(database_url: str) -> Row:
    """Median time of a check-in asking for support, routed to e-mail, minus routed to the app.

    Zirkel of four, alike but for their members' choice; the check-ins alternate between them,
    so a busy machine slows every side alike. "Row write" hands nothing to the queue (Huey's
    black-hole storage): the outbox rows in the check-in's transaction, the figure the goal
    names. The hand-over of the ids to the queue after the commit is shown beside it, with the
    SQLite queue (a second database file, committed) and with Redis when one answers at
    127.0.0.1:6379.
    """
    from huey import RedisHuey
    from huey.storage import BlackHoleStorage

    from alex.boards.service import add_check_in
    from alex.extensions import db
    from alex.notifications import set_preference
    from alex.tasks import huey

    row = Row(
        "outbox_write",
        "outbox rows on a check-in asking for support (3 recipients by e-mail), added time",
        "≤ 0.3 ms",
    )
    app = _app(database_url)
    queue_storage = huey.storage
    storages = {"app": BlackHoleStorage("alex"), "row": BlackHoleStorage("alex")}
    storages["sqlite queue"] = queue_storage
    try:
        redis = RedisHuey.storage_class("alex-bench", url="redis://127.0.0.1:6379/15")
        redis.conn.ping()
        storages["redis queue"] = redis
    except Exception:  # no Redis here: that figure is left out
        pass
    with app.app_context():
        session = db.session
        sides = {}
        for name in storages:
            people = _people(session, 4, f"ow-{name.split()[0]}-")
            expedition = _expedition(session, name, people[0], people[1:], date.today())
            for person in people:
                set_preference(
                    session, person.id, "support_requested", "app" if name == "app" else "email"
                )
            sides[name] = (expedition.id, people[1].id)
        session.commit()
        samples: dict[str, list[float]] = {name: [] for name in sides}
        try:
            for n in range(CHECK_INS + 20):
                for name, (expedition_id, author_id) in sides.items():
                    huey.storage = storages[name]
                    started = time.perf_counter()
                    add_check_in(
                        session, expedition_id, author_id, stuck=f"Frage {n}", needs_support=True
                    )
                    session.commit()
                    if n >= 20:  # the first ones warm caches up
                        samples[name].append(time.perf_counter() - started)
        finally:
            huey.storage = queue_storage
            if "redis queue" in storages:
                storages["redis queue"].flush_all()
    medians = {name: statistics.median(values) * 1000 for name, values in samples.items()}
    base = medians["app"]
    added = medians["row"] - base
    extra = ", ".join(
        f"with the {name} hand-over {medians[name] - base:.2f} ms"
        for name in ("sqlite queue", "redis queue")
        if name in medians
    )
    row.value = f"{added:.3f} ms added to {base:.2f} ms ({extra})"
    row.baseline = f"{base:.2f} ms"
    row.ratio = f"{medians['row'] / base:.2f}×"
    row.status = "met" if added <= 0.3 else "missed"
    row.detail = {"median_ms": medians, "check_ins": CHECK_INS}
    return row


def digest_row(database_url: str) -> Row:
    """1000 participants in 250 Zirkel: digests selected, rendered, sent to loopback SMTP."""
    from alex import outbox
    from alex.boards.models import CheckIn
    from alex.extensions import db
    from alex.meetings.models import Meeting
    from alex.reach.digest import send_digests

    row = Row(
        "digest_1000",
        "weekly digest, 1000 participants in 250 Zirkel, to loopback SMTP",
        "< 60 s",
    )

    port = free_port()
    count_file = Path(tempfile.mkdtemp()) / "received"
    sink = subprocess.Popen(
        [sys.executable, "-m", "bench.smtp_sink", str(port), str(count_file)], cwd=ROOT
    )
    _wait_for_port(port)
    try:
        app = _app(database_url, ALEX_SMTP_URL=f"smtp://127.0.0.1:{port}")
        berlin = ZoneInfo("Europe/Berlin")
        today = date.today()
        monday = today + timedelta(days=(7 - today.weekday()) % 7)
        now = datetime(monday.year, monday.month, monday.day, 9, tzinfo=berlin)
        with app.app_context():
            session = db.session
            facilitators = _people(session, ZIRKEL_COUNT, "f")
            participants = _people(session, ZIRKEL_COUNT * MEMBERS, "p")
            for n, facilitator in enumerate(facilitators):
                members = participants[n * MEMBERS : (n + 1) * MEMBERS]
                expedition = _expedition(
                    session, f"Zirkel {n}", facilitator, members, today - timedelta(days=20)
                )
                session.add(
                    Meeting(
                        expedition_id=expedition.id,
                        kind="zirkeltreffen",
                        sprint_number=2,
                        starts_at=now + timedelta(days=3),
                        location="Raum 2",
                    )
                )
                for m, member in enumerate(members):
                    session.add(
                        CheckIn(
                            expedition_id=expedition.id,
                            user_id=member.id,
                            learned=f"Gelernt {m}",
                            stuck="Brauche Rat" if m == 0 else "",
                            needs_support=m == 0,
                            created_at=now - timedelta(days=2),
                        )
                    )
            session.commit()
            started = time.perf_counter()
            sent = send_digests(session, now)
            session.commit()
            while outbox.deliver_due().sent:
                pass
            elapsed = time.perf_counter() - started
        received = int(count_file.read_text() or 0)
    finally:
        sink.terminate()
        sink.wait(10)
    row.value = f"{elapsed:.1f} s ({sent} digests selected, {received} received)"
    row.status = "met" if elapsed < 60 and received >= ZIRKEL_COUNT * MEMBERS else "missed"
    row.detail = {"seconds": elapsed, "selected": sent, "received": received}
    return row


def reach_rows(kind: str, workdir: Path, postgres: str | None) -> list[Row]:
    """Both figures, each on its own fresh database."""
    from bench.server import seeded_database

    rows = []
    for measure in (outbox_write_row, digest_row):
        with (
            tempfile.TemporaryDirectory(dir=workdir) as folder,
            seeded_database(kind, 0, Path(folder), postgres, seed=False) as url,
        ):
            rows.append(measure(url))
    return rows
