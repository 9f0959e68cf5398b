"""The consumer's memory while it sends a batch: peak RSS of `flask alex consumer` (goal < 150 MB).

python -m bench.consumer_rss [--mails 500]

A fresh SQLite database with one account per mail, an aiosmtpd server on loopback that accepts
everything, one commit that enqueues every mail, then the real consumer process; its RSS is read
from /proc every 50 ms until the last mail is sent.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import func, insert, select

ROOT = Path(__file__).resolve().parent.parent


class _Count:
    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server, session, envelope):
        self.received += 1
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mails", type=int, default=500)
    mails = parser.parse_args().mails

    from alex import create_app, outbox
    from alex.auth.models import User
    from alex.auth.service import hash_password
    from alex.extensions import db
    from alex.migrate import upgrade
    from alex.outbox import OutboxMessage

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite3"
        upgrade(url)
        handler = _Count()
        port = _free_port()
        smtp = Controller(handler, hostname="127.0.0.1", port=port)
        smtp.start()
        settings = {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench",
            "SMTP_URL": f"smtp://127.0.0.1:{port}",
            "BASE_URL": "https://alex.example.org",
            "MAIL_FROM": "ALEx <alex@example.org>",
            "QUEUE_PATH": f"{tmp}/queue.sqlite3",
        }
        app = create_app(settings)
        with app.app_context():
            password = hash_password("bench password for everyone")
            db.session.execute(
                insert(User),
                [
                    {"email": f"p{n}@example.org", "name": f"Person {n}", "password_hash": password}
                    for n in range(mails)
                ],
            )
            for user_id in db.session.scalars(select(User.id)):
                outbox.enqueue(
                    db.session,
                    channel="email",
                    kind="password_reset",
                    template="password_reset",
                    context={"link": f"/password/reset/token-{user_id}"},
                    user_id=user_id,
                )
            db.session.commit()
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALEX_")}
        env.update({f"ALEX_{k}": v for k, v in settings.items()})
        started = time.perf_counter()
        consumer = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "alex", "consumer"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        peak = idle = 0
        try:
            while handler.received < mails and time.perf_counter() - started < 300:
                rss = _rss_kib(consumer.pid)
                peak = max(peak, rss)
                if handler.received == 0:
                    idle = rss
                time.sleep(0.05)
            elapsed = time.perf_counter() - started
        finally:
            consumer.terminate()
            consumer.wait(10)
            smtp.stop()
        with app.app_context():
            sent = db.session.scalar(select(func.count()).where(OutboxMessage.state == "sent"))
            db.engine.dispose()
    print(
        f"consumer: {handler.received}/{mails} mails received, {sent} marked sent, "
        f"{elapsed:.1f} s from start (incl. start-up); RSS before the first mail "
        f"{idle / 1024:.0f} MB, peak {peak / 1024:.0f} MB (goal < 150 MB)"
    )


if __name__ == "__main__":
    main()
