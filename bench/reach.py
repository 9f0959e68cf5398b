"""The reach figures (issue 16), measured in this process on a fresh migrated database:

- outbox_write: what routing a notification to e-mail adds to a check-in that asks the Zirkel
  for support (three recipients; the outbox rows and their hand-over to the queue after the
  commit), against the same check-in with everyone's choice "in the app". A card move notifies
  nobody, so it writes no outbox row.
- digest_1000: the weekly digest for 1000 participants in 250 Zirkel — selected, rendered in
  each recipient's language and handed to an aiosmtpd server on loopback — wall time.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.figures import Row
from bench.server import free_port

ZIRKEL_COUNT, MEMBERS = 250, 4
CHECK_INS = 200


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
    """Median time of a check-in asking for support: routed to e-mail minus routed to the app."""
    from alex.boards.service import add_check_in
    from alex.extensions import db
    from alex.notifications import set_preference

    row = Row(
        "outbox_write",
        "outbox write on a check-in asking for support (3 recipients), added time",
        "≤ 0.3 ms",
    )
    app = _app(database_url)
    with app.app_context():
        session = db.session
        people = _people(session, 4, "ow")
        expedition = _expedition(session, "Bench", people[0], people[1:], date.today())
        session.commit()
        ids = [p.id for p in people]

        def timed(channel: str) -> float:
            for uid in ids:
                set_preference(session, uid, "support_requested", channel)
            session.commit()
            samples = []
            for n in range(CHECK_INS):
                started = time.perf_counter()
                add_check_in(session, expedition.id, ids[1], stuck=f"Frage {n}", needs_support=True)
                session.commit()
                samples.append(time.perf_counter() - started)
            return statistics.median(samples) * 1000

        timed("app")  # warm up
        app_ms = timed("app")
        email_ms = timed("email")
        app_ms = min(app_ms, timed("app"))
    added = email_ms - app_ms
    row.value = f"{added:.3f} ms added ({app_ms:.2f} → {email_ms:.2f} ms per check-in)"
    row.baseline = f"{app_ms:.2f} ms"
    row.ratio = f"{email_ms / app_ms:.2f}×"
    row.status = "met" if added <= 0.3 else "missed"
    row.detail = {"in_app_ms": app_ms, "email_ms": email_ms, "check_ins": CHECK_INS}
    return row


def digest_row(database_url: str) -> Row:
    """1000 participants in 250 Zirkel: digests selected, rendered, sent to loopback SMTP."""
    from aiosmtpd.controller import Controller

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

    class Count:
        received = 0

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
            Count.received += 1
            return "250 OK"

    port = free_port()
    controller = Controller(Count(), hostname="127.0.0.1", port=port)
    controller.start()
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
    finally:
        controller.stop()
    row.value = f"{elapsed:.1f} s ({sent} digests selected, {Count.received} received)"
    row.status = "met" if elapsed < 60 and Count.received >= ZIRKEL_COUNT * MEMBERS else "missed"
    row.detail = {"seconds": elapsed, "selected": sent, "received": Count.received}
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
