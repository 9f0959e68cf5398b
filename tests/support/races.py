"""Two transactions at once, in a fixed order: real threads, each with its own session and
connection, on SQLite and on PostgreSQL (ALEX_TEST_DATABASE_URL)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask
from sqlalchemy.orm import Session

from alex.extensions import db


def at_once(
    app: Flask, first: Callable[[Session], object], second: Callable[[Session], object]
) -> list[BaseException]:
    """`first` writes and holds its transaction open while `second` runs; then `first` commits.

    `second` thus starts from the state before `first`'s change: unless the code under test
    locks, it decides on stale data (on SQLite it waits for the write lock; on PostgreSQL for a
    row lock, if the code takes one). Returns what either raised, in the order it happened.
    """
    errors: list[BaseException] = []
    first_wrote, second_started = threading.Event(), threading.Event()

    def run_first() -> None:
        try:
            with app.app_context():
                first(db.session)
                db.session.flush()
                first_wrote.set()
                second_started.wait(10)
                threading.Event().wait(0.5)  # `second` is now blocked, or has decided already
                db.session.commit()
        except BaseException as error:  # noqa: BLE001 - reported to the test
            errors.append(error)
        finally:
            first_wrote.set()

    def run_second() -> None:
        first_wrote.wait(10)
        second_started.set()
        try:
            with app.app_context():
                second(db.session)
                db.session.commit()
        except BaseException as error:  # noqa: BLE001 - reported to the test
            errors.append(error)

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return errors
