"""Online backup and restore of a SQLite database (PostgreSQL: pg_dump, see README "Betrieb")."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message tells the operator why."""


def sqlite_path(database_url: str) -> Path:
    """The file behind a SQLite URL; other backends are refused with a pointer to their tools."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupError(
            "This database is not SQLite. Back up PostgreSQL with pg_dump -Fc and restore it "
            "with pg_restore (README, section Betrieb)."
        )
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory database cannot be backed up.")
    return Path(url.database)


def _copy(source: Path, target: Path) -> int:
    """Copy page by page while writers may go on; returns the pages written."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        # The backup API copies a consistent snapshot even while the app writes (WAL).
        src.backup(dst, pages=1024)
        pages = dst.execute("PRAGMA page_count").fetchone()[0]
        check = dst.execute("PRAGMA integrity_check").fetchone()[0]
    if check != "ok":
        raise BackupError(f"The copy failed its integrity check: {check}")
    return pages


def backup(database_url: str, target: Path) -> int:
    """Write a consistent copy of the live database to `target` (which must not exist yet)."""
    source = sqlite_path(database_url)
    if not source.exists():
        raise BackupError(f"No database at {source}.")
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new file name.")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        return _copy(source, target)
    except sqlite3.Error as error:
        target.unlink(missing_ok=True)
        raise BackupError(f"Backup failed: {error}") from error


def restore(database_url: str, source: Path) -> int:
    """Replace the live database's content with a backup, in one locked step."""
    target = sqlite_path(database_url)
    if not source.exists():
        raise BackupError(f"No backup at {source}.")
    with sqlite3.connect(source) as check:
        if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(f"{source} is damaged; it was not restored.")
    try:
        return _copy(source, target)
    except sqlite3.Error as error:
        raise BackupError(f"Restore failed: {error}") from error
