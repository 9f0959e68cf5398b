"""The task queue: one Huey instance for the web app and the consumer.

    from alex.tasks import app_task, app_periodic_task, crontab

    @app_task()
    def rebuild_something(expedition_id: int) -> None: ...      # runs in an app context

    @app_periodic_task(crontab(minute="*/5"))
    def every_five_minutes() -> None: ...

Storage: Redis when ``ALEX_REDIS_URL`` is set (several servers share one queue), else SQLite in a
file beside the app's SQLite database (``alex-queue.sqlite3``; in ``instance/`` for PostgreSQL).
Each area declares its tasks in its own ``jobs.py`` and imports that module from its ``init_app``,
so the web app (which only enqueues) and the consumer (``flask --app wsgi alex consumer``, which
builds the app with ``create_app`` and runs the tasks) know the same tasks.

Every task runs inside an app context of the app the consumer built (`bind_app`). Nothing here
is a scheduler of our own: Huey's consumer runs the tasks, its scheduler the periodic ones
(granularity one minute).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.storage import MemoryStorage
from sqlalchemy.engine import make_url

__all__ = ["app_periodic_task", "app_task", "crontab", "huey"]

log = logging.getLogger(__name__)

# The storage is chosen per app in `init_app`; until then tasks stay in this process's memory.
huey = Huey("alex", results=False, utc=True, storage_class=MemoryStorage)

_bound: dict[str, Any] = {"app": None, "storage_key": None}

HEARTBEAT_KEY = "alex:consumer-heartbeat"


def queue_storage(app: Flask) -> tuple[str, dict[str, Any]]:
    """Which storage the configuration asks for: ("redis", {url}) or ("sqlite", {filename})."""
    if redis_url := app.config.get("ALEX_REDIS_URL"):
        return "redis", {"url": redis_url}
    if queue_path := app.config.get("ALEX_QUEUE_PATH"):
        return "sqlite", {"filename": str(queue_path)}
    url = make_url(app.config["SQLALCHEMY_ENGINES"]["default"]["url"])
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        folder = Path(url.database).resolve().parent
    else:
        folder = Path(app.instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    return "sqlite", {"filename": str(folder / "alex-queue.sqlite3")}


def init_app(app: Flask) -> None:
    """Point the queue at this app's storage and run tasks in this app's context."""
    kind, options = queue_storage(app)
    name = app.config.get("ALEX_QUEUE_NAME") or "alex"
    key = (kind, name, tuple(sorted(options.items())))
    if key != _bound["storage_key"]:
        huey.name = name
        if kind == "redis":
            storage = RedisHuey.storage_class(name, url=options["url"])
        else:
            storage = SqliteHuey.storage_class(name, **options)
        huey.storage = storage
        _bound["storage_key"] = key
    _bound["app"] = app


def bound_app() -> Flask:
    """The app whose context tasks run in (the one the consumer or the test built last)."""
    app = _bound["app"]
    if app is None:
        raise RuntimeError("alex.tasks has no app: create_app() was not called in this process.")
    return app


def _in_app_context(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with bound_app().app_context():
            return fn(*args, **kwargs)

    return wrapper


def app_task(**options: Any):
    """Declare a Huey task that runs inside an app context (`huey.task` options allowed)."""

    def decorator(fn: Callable[..., Any]):
        return huey.task(name=f"{fn.__module__}.{fn.__name__}", **options)(_in_app_context(fn))

    return decorator


def app_periodic_task(validate_datetime: Callable[..., bool], **options: Any):
    """Declare a Huey periodic task (e.g. ``crontab(minute="0", hour="7")``) in an app context."""

    def decorator(fn: Callable[..., Any]):
        return huey.periodic_task(
            validate_datetime, name=f"{fn.__module__}.{fn.__name__}", **options
        )(_in_app_context(fn))

    return decorator


def beat() -> None:
    """Record that the consumer is alive (its periodic sweep calls this every minute)."""
    huey.put(HEARTBEAT_KEY, time.time())


def last_beat() -> float | None:
    """When the consumer last said it is alive (Unix time), None when never."""
    try:
        value = huey.get(HEARTBEAT_KEY, peek=True)
    except Exception:  # the queue's storage itself is down: the caller reports that
        log.exception("queue storage unreadable")
        raise
    return float(value) if value is not None else None


def run_consumer(app: Flask, workers: int = 2) -> None:
    """Run Huey's consumer (threads) for this app until SIGTERM/SIGINT."""
    init_app(app)
    consumer = huey.create_consumer(
        workers=workers,
        worker_type="thread",
        periodic=True,
        initial_delay=0.1,
        backoff=1.15,
        max_delay=1.0,  # an idle consumer looks at the queue at least once a second
        check_worker_health=True,
    )
    consumer.run()
