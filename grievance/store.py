"""The SQLite file behind the grievance service: opening it durably and writing atomically.

A worker is told a ticket code only after the ticket is on disk, so the file runs in WAL mode with
`synchronous=FULL` (every commit is fsync'd) and each write is one `BEGIN IMMEDIATE` transaction
(the write lock is taken up front, so two writers never both read the same next code).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from grievance.migrations import apply_migrations

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_S = 10.0
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = REPO_ROOT / "var" / "hanhtrang.db"


def open_db(path: str | Path) -> sqlite_utils.Database:
    """A file database, configured for durability and migrated to the latest schema."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    configure(db)
    apply_migrations(db)
    logger.info("grievance store opened (tables=%s)", len(db.table_names()))
    return db


def memory_db() -> sqlite_utils.Database:
    """An in-memory database with the full schema, for unit tests and dry runs."""
    db = sqlite_utils.Database(sqlite3.connect(":memory:", check_same_thread=False))
    configure(db, wal=False)
    apply_migrations(db)
    return db


def configure(db: sqlite_utils.Database, *, wal: bool = True) -> None:
    with db.ensure_autocommit_on():
        if wal:
            db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")


def pragma(db: sqlite_utils.Database, name: str) -> Any:
    return db.execute(f"PRAGMA {name}").fetchone()[0]


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One durable write: BEGIN IMMEDIATE … COMMIT, rolled back on any error.

    Nested use becomes a savepoint, so service methods can call each other.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    db.execute("COMMIT")


def row(db: sqlite_utils.Database, sql: str, params: Any = ()) -> dict[str, Any] | None:
    cursor = db.execute(sql, params)
    found = cursor.fetchone()
    if found is None:
        return None
    names = [d[0] for d in cursor.description]
    return dict(zip(names, found, strict=True))


def rows(db: sqlite_utils.Database, sql: str, params: Any = ()) -> list[dict[str, Any]]:
    cursor = db.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, found, strict=True)) for found in cursor.fetchall()]
