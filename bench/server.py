"""Fresh, seeded databases and the app under gunicorn with the deployment config."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GUNICORN_CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
DEMO_PASSWORD = "demo-expedition"


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_environment(database_url: str, workdir: Path, **extra: str) -> dict[str, str]:
    """Environment for the CLI and gunicorn: the database, a fixed secret, loose login throttling."""
    env = dict(os.environ)
    env.update(
        ALEX_DATABASE_URL=database_url,
        ALEX_SECRET_KEY="bench-secret-" + workdir.name,
        ALEX_ENV="development",
        # The bench logs in many times from one address; production keeps the default.
        ALEX_LOGIN_RATE_LIMIT="10000 per minute",
        ALEX_ACCESS_LOG=str(workdir / "access.log"),
    )
    env.update(extra)
    return env


def flask(env: dict[str, str], *args: str) -> None:
    """Run an operator command (flask --app wsgi alex …)."""
    subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", "alex", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


@contextmanager
def seeded_database(
    kind: str,
    cards_per_board: int,
    workdir: Path,
    postgres_server: str | None = None,
    seed: bool = True,
) -> Iterator[str]:
    """A migrated database seeded with the demo expedition; removed afterwards."""
    if kind == "sqlite":
        url = f"sqlite:///{workdir / f'bench-{cards_per_board}.sqlite3'}"
        name = None
    else:
        assert postgres_server
        server = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", postgres_server)
        name = f"alex_bench_{uuid.uuid4().hex[:8]}_{cards_per_board}"
        admin = create_engine(make_url(server), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(server).set(database=name).render_as_string(hide_password=False)
    env = app_environment(url, workdir)
    try:
        flask(env, "upgrade-db")
        if seed:
            flask(env, "seed-demo", "--cards-per-board", str(cards_per_board))
        yield url
    finally:
        if name:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


class Gunicorn:
    """gunicorn -c deploy/gunicorn.conf.py wsgi:app on a loopback port."""

    def __init__(self, database_url: str, workdir: Path, workers: int | None = None, **env: str):
        self.port = free_port()
        extra = {"ALEX_BIND": f"127.0.0.1:{self.port}", **env}
        if workers:
            extra["ALEX_WORKERS"] = str(workers)
        self.env = app_environment(database_url, workdir, **extra)
        self.log = workdir / f"gunicorn-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> Gunicorn:
        """Start and wait until /healthz answers."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(BIN / "gunicorn"), "-c", str(GUNICORN_CONFIG), "wsgi:app"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log}:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not come up; see {self.log}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        """The worker processes (children of the master)."""
        assert self.process
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def stop(self) -> None:
        """Graceful stop, then kill what is left."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
