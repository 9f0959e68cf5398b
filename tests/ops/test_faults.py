"""Faults under load: a worker killed mid-write, the database stopped and started.

- kill -9 of a gunicorn worker while clients create expeditions: the database stays intact and
  every write answered with success is there.
- PostgreSQL (a private cluster on port 5499, never the shared one) stopped under load:
  /healthz and every page answer 503 while it is down (the page is the error page, never a 500),
  nothing hangs, and the app recovers by itself.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from alex.expeditions.models import Expedition
from bench.client import Connection, csrf_token, log_in
from bench.server import Gunicorn
from tests.ops.forms import forms_in
from tests.ops.servers import add_user, fresh_postgres, reachable
from tests.support.accounts import TEST_PASSWORD

pytestmark = pytest.mark.ops
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PRIVATE_PG_PORT = 5499
EMAIL = "ada@example.org"


async def _expedition_form(conn: Connection) -> dict[str, str]:
    page = await conn.request("GET", "/expeditions/new")
    form = next(f for f in forms_in(page.text, "/expeditions/new") if "title" in f.fields)
    return {**form.fields, "csrf_token": csrf_token(page.text), "start_date": "2026-01-05"}


async def _write_load(server: Gunicorn, seconds: float, kill_after: float, clients: int = 4):
    """Clients create expeditions; one worker is killed part-way. Returns acknowledged titles."""
    acknowledged: list[str] = []
    failures = 0
    conns = [await log_in("127.0.0.1", server.port, EMAIL, TEST_PASSWORD) for _ in range(clients)]
    forms = [await _expedition_form(c) for c in conns]
    deadline = time.monotonic() + seconds

    async def writer(conn: Connection, form: dict[str, str]) -> None:
        nonlocal failures
        while time.monotonic() < deadline:
            title = f"load-{uuid.uuid4().hex[:12]}"
            try:
                answer = await asyncio.wait_for(
                    conn.request("POST", "/expeditions/new", form={**form, "title": title}), 20
                )
            except (OSError, asyncio.IncompleteReadError, TimeoutError):
                failures += 1  # in flight on the killed worker: never acknowledged
                await conn.close()
                continue
            if answer.status == 302:
                acknowledged.append(title)
            else:
                failures += 1

    async def killer() -> int:
        await asyncio.sleep(kill_after)
        victim = server.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        return victim

    *_, victim = await asyncio.gather(
        *(writer(c, f) for c, f in zip(conns, forms, strict=True)), killer()
    )
    for conn in conns:
        await conn.close()
    return acknowledged, failures, victim


# These start their own databases (both backends, a private cluster), whatever the pass runs on.
@pytest.mark.backend_independent
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_kill_9_of_a_worker_loses_no_acknowledged_write(tmp_path, backend):
    if backend == "postgresql" and not reachable("127.0.0.1", 5432):
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    if backend == "sqlite":
        from alex.migrate import upgrade

        url = f"sqlite:///{tmp_path / 'alex.sqlite3'}"
        upgrade(url)
        database = None
    else:
        database = fresh_postgres()
        url = database.__enter__()
    try:
        add_user(url, EMAIL, TEST_PASSWORD)
        with Gunicorn(url, tmp_path, workers=2) as server:
            acknowledged, failures, victim = asyncio.run(_write_load(server, 4.0, 1.5))
            assert victim not in server.worker_pids()  # the master replaced the killed worker
            assert len(server.worker_pids()) == 2
        print(f"\nkill -9 ({backend}): {len(acknowledged)} acknowledged, {failures} failed")
        assert len(acknowledged) > 20, f"too little load to prove anything ({failures} failures)"

        engine = create_engine(url)
        with engine.connect() as connection:
            stored = set(connection.scalars(select(Expedition.title)))
            if backend == "sqlite":
                assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        engine.dispose()
        missing = set(acknowledged) - stored
        assert not missing, f"{len(missing)} acknowledged writes are missing"
    finally:
        if database is not None:
            database.__exit__(None, None, None)


class PrivateCluster:
    """A throw-away PostgreSQL cluster owned by the postgres user, on its own port."""

    def __init__(self, port: int = PRIVATE_PG_PORT):
        # Not under pytest's tmp_path: its parents are private to root, postgres cannot enter.
        self.base = Path(tempfile.mkdtemp(prefix="alex-pg-"))
        self.base.chmod(0o777)
        self.dir = self.base / "pgdata"
        self.port = port
        self.log = self.base / "pg.log"

    def _run(self, *args: str) -> None:
        command = [str(PG_BIN / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.dir), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self._run("pg_ctl", "-D", str(self.dir), "-o", options, "-l", str(self.log), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir), "-m", "fast", "-w", "stop")

    @property
    def server_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"


async def _until(conn: Connection, path: str, status: int, within: float) -> float:
    """Poll until the path answers with status; returns the seconds it took."""
    began = time.monotonic()
    while time.monotonic() - began < within:
        try:
            answer = await asyncio.wait_for(conn.request("GET", path), 15)
            if answer.status == status:
                return time.monotonic() - began
        except (OSError, asyncio.IncompleteReadError):
            await conn.close()
        await asyncio.sleep(0.2)
    raise AssertionError(f"{path} did not answer {status} within {within} s")


async def _outage(server: Gunicorn, cluster: PrivateCluster) -> dict:
    """Readers load the app while the database goes away and comes back."""
    conns = [await log_in("127.0.0.1", server.port, EMAIL, TEST_PASSWORD) for _ in range(4)]
    probe = Connection("127.0.0.1", server.port)
    slowest = 0.0
    statuses: dict[tuple[str, int], int] = {}
    stop = False

    async def reader(conn: Connection, path: str) -> None:
        nonlocal slowest
        while not stop:
            began = time.monotonic()
            try:
                answer = await asyncio.wait_for(conn.request("GET", path), 30)
                statuses[path, answer.status] = statuses.get((path, answer.status), 0) + 1
            except (OSError, asyncio.IncompleteReadError):
                await conn.close()
            slowest = max(slowest, time.monotonic() - began)
            await asyncio.sleep(0.05)

    # Half the readers poll the health check, half a page that needs the logged-in user.
    paths = ["/healthz", "/account"] * (len(conns) // 2)
    readers = [asyncio.create_task(reader(c, p)) for c, p in zip(conns, paths, strict=True)]
    await asyncio.sleep(1.0)
    await asyncio.to_thread(cluster.stop)
    down_after = await _until(probe, "/healthz", 503, 10)
    during = Connection("127.0.0.1", server.port, dict(conns[1].cookies))
    outage_page = await asyncio.wait_for(during.request("GET", "/account"), 15)
    await asyncio.sleep(1.5)
    await asyncio.to_thread(cluster.start)
    up_after = await _until(probe, "/healthz", 200, 20)
    # The same login on a new connection: the app reconnected by itself, no restart.
    checker = Connection("127.0.0.1", server.port, dict(conns[0].cookies))
    account = await checker.request("GET", "/account")
    stop = True
    await asyncio.gather(*readers)
    for conn in [probe, during, checker, *conns]:
        await conn.close()
    return {
        "outage_page": (outage_page.status, "Vorübergehend nicht erreichbar" in outage_page.text),
        "down_after": down_after,
        "up_after": up_after,
        "slowest": slowest,
        "statuses": statuses,
        "account_after": account.status,
    }


@pytest.mark.backend_independent
def test_database_outage_gives_503_and_the_app_recovers_by_itself(tmp_path):
    if not (PG_BIN / "initdb").exists() or shutil.which("runuser") is None:
        pytest.skip("PostgreSQL 15 server binaries are not installed")
    if reachable("127.0.0.1", PRIVATE_PG_PORT):
        pytest.skip(f"port {PRIVATE_PG_PORT} is taken (another run of this test?)")
    cluster = PrivateCluster()
    cluster.init()
    cluster.start()
    try:
        with fresh_postgres(cluster.server_url) as url:
            add_user(url, EMAIL, TEST_PASSWORD)
            with Gunicorn(url, tmp_path, workers=2, ALEX_TIMEOUT="20") as server:
                result = asyncio.run(_outage(server, cluster))
    finally:
        try:
            cluster.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(cluster.base, ignore_errors=True)
    print(f"\noutage: {result}")  # figures for the README note (pytest -s)
    assert result["down_after"] < 10
    assert result["up_after"] < 20
    assert result["slowest"] < 15, f"a request hung for {result['slowest']:.1f} s"
    statuses = result["statuses"]
    assert statuses.get(("/healthz", 503)) and statuses.get(("/account", 503)), statuses
    assert not [key for key in statuses if key[1] >= 500 and key[1] != 503], statuses
    assert result["outage_page"] == (503, True)  # the error page, in German
    assert result["account_after"] == 200  # the same login works: no restart was needed
