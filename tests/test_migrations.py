"""Alembic owns the schema: a full round trip works and the models agree with the migrations."""

import os
import re

from sqlalchemy import inspect
from sqlalchemy.engine import create_engine

from alex.migrate import check, downgrade, upgrade
from tests.conftest import _create_postgres_database, _drop_postgres_database


def _round_trip(url: str) -> None:
    upgrade(url)
    check(url)  # raises when models and migrations disagree
    downgrade(url, "base")
    engine = create_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    upgrade(url)
    check(url)


def test_migrations_round_trip(tmp_path):
    server = os.environ.get("ALEX_TEST_DATABASE_URL")
    if server:
        server = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", server)
        url, name = _create_postgres_database(server)
        try:
            _round_trip(url)
        finally:
            _drop_postgres_database(server, name)
    else:
        _round_trip(f"sqlite:///{tmp_path / 'roundtrip.sqlite3'}")
