"""deploy/gunicorn.conf.py's hooks: the master collects nothing while the app loads, freezes what it
built before each fork, and each worker collects again (see the file's comment); each worker keeps
to one core."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from bench.server import Gunicorn, seeded_database

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "gunicorn.conf.py"

# Run in a child interpreter: loading the config switches the collector off in its process.
PROBE = f"""
import gc, runpy
config = runpy.run_path({str(CONFIG)!r})
print("master collects:", gc.isenabled())
frozen_before = gc.get_freeze_count()
from types import SimpleNamespace
config["pre_fork"](SimpleNamespace(WORKERS=dict()), SimpleNamespace())
print("frozen at the fork:", gc.get_freeze_count() > frozen_before)
"""


def test_the_master_freezes_before_the_fork_and_the_worker_collects():
    answer = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert "master collects: False" in answer
    assert "frozen at the fork: True" in answer
    source = CONFIG.read_text()
    post_fork = source.split("def post_fork(", 1)[1].split("\ndef ", 1)[0]
    assert "gc.enable()" in post_fork  # the worker's own objects are collected again


def _cores_of_workers(server) -> list[set[frozenset[int]]]:
    """Per worker: the core sets its threads may run on."""
    return [
        {frozenset(os.sched_getaffinity(int(tid))) for tid in os.listdir(f"/proc/{pid}/task")}
        for pid in server.worker_pids()
    ]


def _core(threads: set[frozenset[int]]) -> int | None:
    """The one core all threads of a worker keep to, else None."""
    (cores,) = threads if len(threads) == 1 else (frozenset(),)
    return next(iter(cores)) if len(cores) == 1 else None


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one core: nothing to pin")
def test_each_worker_keeps_to_one_core_and_the_cores_share_them(tmp_path: Path):
    cores = sorted(os.sched_getaffinity(0))
    workers = len(cores) + 1
    with seeded_database("sqlite", 1, tmp_path, seed=False) as url:
        with Gunicorn(url, tmp_path, workers=workers) as server:
            _wait_for_workers(server, workers)
            first = server.worker_pids()
            pinned = _cores_of_workers(server)  # every thread of every worker
            # A recycled worker's successor takes the core that is short of one.
            os.kill(first[0], signal.SIGKILL)
            _wait_for_workers(server, workers, without=first[0])
            after = _cores_of_workers(server)
    per_core = Counter(map(_core, pinned))
    assert None not in per_core, pinned
    assert set(per_core) <= set(cores)
    assert max(per_core.values()) - min(per_core[c] for c in cores) <= 1, per_core  # shared out
    per_core_after = Counter(map(_core, after))
    assert None not in per_core_after, after
    assert max(per_core_after.values()) - min(per_core_after[c] for c in cores) <= 1, after


def test_pinning_can_be_switched_off(tmp_path: Path):
    with seeded_database("sqlite", 1, tmp_path, seed=False) as url:
        with Gunicorn(url, tmp_path, workers=2, ALEX_PIN_WORKERS="0") as server:
            _wait_for_workers(server, 2)
            everywhere = {frozenset(os.sched_getaffinity(0))}
            assert all(threads == everywhere for threads in _cores_of_workers(server))


def _wait_for_workers(server, count: int, without: int | None = None) -> None:
    """Until `count` workers (none of them `without`) have booted and answered."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pids = server.worker_pids()
        if len(pids) == count and without not in pids:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=5) as answer:
                if answer.status == 200:
                    return
        time.sleep(0.2)
    raise AssertionError(f"gunicorn has {server.worker_pids()}, not {count} workers")
