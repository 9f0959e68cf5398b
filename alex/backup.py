"""Online backup and restore of a SQLite database (PostgreSQL: pg_dump, see README "Betrieb")."""

from __future__ import annotations

import sqlite3
import tempfile
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


def _copy(source: Path, target: Path, pages: int = 1024) -> int:
    """Copy page by page while writers may go on; returns the pages written."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        # The backup API copies a consistent snapshot even while the app writes (WAL).
        src.backup(dst, pages=pages)
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
        with tempfile.TemporaryDirectory(dir=target.parent) as folder:
            staged = Path(folder) / "restore.sqlite3"
            _copy(source, staged)
            _raise_cache_epoch(staged, live=target)
            # One step: the running app sees the old content or the new, never a mix.
            return _copy(staged, target, pages=-1)
    except sqlite3.Error as error:
        raise BackupError(f"Restore failed: {error}") from error


def _cache_epoch(path: Path) -> int | None:
    """The highest cache epoch in a database (None before the column existed)."""
    with sqlite3.connect(path) as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(expedition)")}
        if "cache_epoch" not in columns:
            return None
        return db.execute("SELECT coalesce(max(cache_epoch), 0) FROM expedition").fetchone()[0]


def _raise_cache_epoch(staged: Path, live: Path) -> None:
    """Give the restored data an epoch no running app has seen.

    A restore takes board revisions back, and the app's per-process caches key on the
    revision: with the epoch in their keys (alex.caching) they never meet an entry from
    before the restore. Written into the staged copy, so it arrives with the data.
    """
    restored = _cache_epoch(staged)
    if restored is None:  # a backup from before the column: the migration adds it later
        return
    epoch = max(_cache_epoch(live) or 0, restored) + 1
    with sqlite3.connect(staged) as db:
        db.execute("UPDATE expedition SET cache_epoch = ?", (epoch,))
