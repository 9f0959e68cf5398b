"""Two gunicorn instances on different ports share PostgreSQL and Redis: nothing lives in a process.

Log in on one, act on the other; the wait after failed logins and the login rate limit hold across both.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from bench.client import Connection, csrf_token
from bench.server import Gunicorn
from tests.ops.servers import add_user, fresh_postgres, need_postgres_and_redis
from tests.support.accounts import TEST_PASSWORD

pytestmark = pytest.mark.ops


async def _login_attempt(conn: Connection, email: str, password: str):
    page = await conn.request("GET", "/login")
    return await conn.request(
        "POST",
        "/login",
        form={"email": email, "password": password, "csrf_token": csrf_token(page.text)},
    )


async def _scenario(a: Gunicorn, b: Gunicorn, email: str) -> None:
    # 1. Log in on A, then use the same cookie on B: the session is valid everywhere.
    on_a = Connection("127.0.0.1", a.port)
    assert (await _login_attempt(on_a, email, TEST_PASSWORD)).status == 302
    on_b = Connection("127.0.0.1", b.port, dict(on_a.cookies))
    account = await on_b.request("GET", "/account")
    assert account.status == 200
    changed = await on_b.request(
        "POST",
        "/account/profile",
        form={"name": "Ada auf Server B", "locale": "de", "csrf_token": csrf_token(account.text)},
    )
    assert changed.status == 302
    assert "Ada auf Server B" in (await on_a.request("GET", "/account")).text
    # Logging out on B ends the session on A too.
    await on_b.request(
        "POST",
        "/logout",
        form={"csrf_token": csrf_token((await on_b.request("GET", "/account")).text)},
    )
    assert (await on_a.request("GET", "/account")).status == 302

    # 2. The wait (threshold 3): wrong passwords alternately on A and B make the account wait on
    # both; a browser that never logged in to it is refused even with the right password.
    fresh_a, fresh_b = Connection("127.0.0.1", a.port), Connection("127.0.0.1", b.port)
    for conn in (fresh_a, fresh_b, fresh_a):
        assert (await _login_attempt(conn, email, "wrong password")).status == 422
    waiting = await _login_attempt(fresh_b, email, TEST_PASSWORD)
    assert waiting.status == 422 and "zu viele Versuche" in waiting.text

    # 3. Rate limit (8 per minute per address, counted in Redis): 5 attempts so far (the login
    # in step 1 and 4 above); 3 more pass, alternating servers, the 9th is refused on either.
    statuses = []
    for conn in (fresh_a, fresh_b, fresh_a, fresh_b):
        statuses.append((await _login_attempt(conn, "nobody@example.org", "x")).status)
    assert statuses == [422, 422, 422, 429]
    assert (await _login_attempt(fresh_b, "nobody@example.org", "x")).status == 429
    for conn in (on_a, on_b, fresh_a, fresh_b):
        await conn.close()


@pytest.mark.backend_independent  # always on its own PostgreSQL database, whatever the pass
def test_two_app_servers_share_sessions_the_login_wait_and_rate_limit(tmp_path):
    need_postgres_and_redis()
    email = f"ada-{uuid.uuid4().hex[:6]}@example.org"
    shared = {
        "ALEX_RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
        # Each run its own counters, so parallel runs and earlier runs cannot interfere.
        "ALEX_RATELIMIT_KEY_PREFIX": f"alex-test-{uuid.uuid4().hex[:8]}",
        "ALEX_LOGIN_RATE_LIMIT": "8 per minute",
        "ALEX_LOCKOUT_THRESHOLD": "3",
        "ALEX_LOGIN_DELAY_FIRST_SECONDS": "60",  # long enough to see it, whatever the timing
        "ALEX_SECRET_KEY": "the-same-on-every-server",
    }
    with fresh_postgres() as url:
        add_user(url, email, TEST_PASSWORD)
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        with (
            Gunicorn(url, tmp_path / "a", workers=2, **shared) as a,
            Gunicorn(url, tmp_path / "b", workers=2, **shared) as b,
        ):
            asyncio.run(_scenario(a, b, email))
