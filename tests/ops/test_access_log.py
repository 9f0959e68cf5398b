"""The access log of the deployed server (gunicorn with deploy/gunicorn.conf.py) holds no token.

Calendar-feed and invite links are keys; whoever reads a log (or its backup) must not be able to
open a feed or join an expedition with what is written there.
"""

from __future__ import annotations

import secrets
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from alex.access_log import REDACTED, redact
from bench.server import Gunicorn, seeded_database

pytestmark = [pytest.mark.ops, pytest.mark.backend_independent]


def _get(url: str, referer: str | None = None) -> None:
    request = urllib.request.Request(url, headers={"Referer": referer} if referer else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()
    except urllib.error.HTTPError as error:
        error.read()


def _requests(log: str) -> list[str]:
    return [line for line in log.splitlines() if "/healthz" not in line]


def test_tokens_in_urls_never_reach_the_access_log(tmp_path: Path):
    feed, invite, reset = (secrets.token_urlsafe(32) for _ in range(3))
    with seeded_database("sqlite", 1, tmp_path, seed=False) as url:
        with Gunicorn(url, tmp_path, workers=1) as server:
            _get(f"{server.url}/calendar/{feed}.ics")
            _get(f"{server.url}/invite/{invite}")
            _get(
                f"{server.url}/login?token={reset}&next=/", referer=f"{server.url}/invite/{invite}"
            )
            log = tmp_path / "access.log"
            deadline = time.monotonic() + 10
            while len(_requests(log.read_text())) < 3 and time.monotonic() < deadline:
                time.sleep(0.1)  # the worker writes after it answered
            text = log.read_text()
    lines = _requests(text)
    assert len(lines) == 3, text
    for token in (feed, invite, reset):
        assert token not in text, f"a token is in the access log:\n{text}"
    assert f"/calendar/{REDACTED}.ics" in lines[0]
    assert f"/invite/{REDACTED}" in lines[1]
    assert f"/login?token={REDACTED}&next=/" in lines[2]
    assert '" 404 ' in lines[0]  # the rest of the line is still useful


def test_redaction_leaves_other_urls_alone():
    assert redact("GET /expeditions/3/board?column=doing HTTP/1.1") == (
        "GET /expeditions/3/board?column=doing HTTP/1.1"
    )
    assert redact("/calendar/abc.ics") == f"/calendar/{REDACTED}.ics"
    assert redact("/invite/abc/join?x=1") == f"/invite/{REDACTED}/join?x=1"
