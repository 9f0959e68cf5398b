"""deploy/gunicorn.conf.py's memory hooks: the master collects nothing while the app loads, freezes
what it built before each fork, and each worker collects again (see the file's comment)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "gunicorn.conf.py"

# Run in a child interpreter: loading the config switches the collector off in its process.
PROBE = f"""
import gc, runpy
config = runpy.run_path({str(CONFIG)!r})
print("master collects:", gc.isenabled())
frozen_before = gc.get_freeze_count()
config["pre_fork"](None, None)
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
