"""flask alex backup / restore: a consistent copy while the app runs, and a restore that works."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import select

from alex.auth.models import User
from alex.extensions import db


def _is_sqlite(app) -> bool:
    return app.config["SQLALCHEMY_ENGINES"]["default"]["url"].startswith("sqlite")


def _emails(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(User.email)))


def test_backup_then_restore_brings_back_exactly_the_saved_data(app, world, tmp_path):
    if not _is_sqlite(app):
        pytest.skip("SQLite backup; PostgreSQL uses pg_dump (see the refusal test)")
    world.user("Ada Lorenz", "ada@example.org")
    target = tmp_path / "backups" / "alex.sqlite3"
    runner = app.test_cli_runner()

    result = runner.invoke(args=["alex", "backup", str(target)])
    assert result.exit_code == 0, result.output
    assert "integrity ok" in result.output
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT email FROM user").fetchall() == [("ada@example.org",)]

    world.user("Ben Okafor", "ben@example.org")  # written after the backup
    assert _emails(app) == {"ada@example.org", "ben@example.org"}

    result = runner.invoke(args=["alex", "restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    assert _emails(app) == {"ada@example.org"}
    # The restored database is fully usable: the app writes to it again.
    world.user("Cem Yıldız", "cem@example.org")
    assert _emails(app) == {"ada@example.org", "cem@example.org"}


def test_backup_refuses_to_overwrite_an_existing_file(app, tmp_path):
    if not _is_sqlite(app):
        pytest.skip("SQLite only")
    target = tmp_path / "exists.sqlite3"
    target.write_bytes(b"keep me")
    result = app.test_cli_runner().invoke(args=["alex", "backup", str(target)])
    assert result.exit_code != 0
    assert "exists already" in result.output
    assert target.read_bytes() == b"keep me"


def test_restore_refuses_a_damaged_file_and_keeps_the_database(app, world, tmp_path):
    if not _is_sqlite(app):
        pytest.skip("SQLite only")
    world.user("Ada Lorenz", "ada@example.org")
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"this is not a database" * 100)
    result = app.test_cli_runner().invoke(args=["alex", "restore", str(broken), "--yes"])
    assert result.exit_code != 0
    assert _emails(app) == {"ada@example.org"}


def test_restore_asks_before_replacing_everything(app, tmp_path):
    if not _is_sqlite(app):
        pytest.skip("SQLite only")
    target = tmp_path / "b.sqlite3"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["alex", "backup", str(target)]).exit_code == 0
    result = runner.invoke(args=["alex", "restore", str(target)], input="n\n")
    assert result.exit_code != 0
    assert "Aborted" in result.output


def test_postgresql_backup_points_to_pg_dump(tmp_path):
    from alex.backup import BackupError, backup

    with pytest.raises(BackupError, match="pg_dump"):
        backup("postgresql+psycopg://postgres@127.0.0.1/alex", tmp_path / "x")


def test_restore_while_the_app_runs_never_serves_a_board_from_before(app, world, actor, tmp_path):
    """A restore takes board revisions back; a worker's warm cache must not meet them again.

    The board is cached at revision 2 with a card written after the backup; the restore takes
    the board back to revision 1, and the next new card raises it to 2 again.
    """
    if not _is_sqlite(app):
        pytest.skip("live restore is SQLite's (PostgreSQL: pg_restore with the app stopped)")
    ada = world.user("Ada Lorenz")
    expedition = world.expedition(ada)
    me = actor(ada)
    board = f"/expeditions/{expedition.id}/board"

    def add(title: str) -> None:
        data = {"title": title, "column": "ideas", "kind": "task", "visibility": "zirkel"}
        assert me.post(f"/expeditions/{expedition.id}/cards", data).status_code == 302

    add("Vor dem Backup")
    target = tmp_path / "alex.sqlite3"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["alex", "backup", str(target)]).exit_code == 0
    add("Nach dem Backup")
    assert "Nach dem Backup" in me.get(board).get_data(as_text=True)  # the cache is warm

    result = runner.invoke(args=["alex", "restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    add("Nach der Wiederherstellung")

    page = me.get(board).get_data(as_text=True)
    assert "Nach der Wiederherstellung" in page
    assert "Nach dem Backup" not in page
    assert "Vor dem Backup" in page
