"""The store: migrations, durability settings and the append-only audit log."""

import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from grievance.migrations import MIGRATIONS, applied, apply_migrations, known
from grievance.store import memory_db, open_db, pragma, write_transaction


def test_migrations_are_recorded_in_the_migrations_table(tmp_path: Path) -> None:
    db = open_db(tmp_path / "g.db")
    names = [r["name"] for r in db["_migrations"].rows]
    assert names == known()
    assert applied(db) == names


def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    open_db(tmp_path / "g.db").close()
    db = open_db(tmp_path / "g.db")
    apply_migrations(db)
    assert db["_migrations"].count == len(known())


def test_file_database_is_wal_with_full_sync(tmp_path: Path) -> None:
    db = open_db(tmp_path / "g.db")
    assert (pragma(db, "journal_mode"), pragma(db, "synchronous")) == ("wal", 2)


def test_write_transaction_rolls_back_on_error() -> None:
    db = memory_db()
    with pytest.raises(RuntimeError):
        with write_transaction(db):
            db.execute("INSERT INTO code_counters (year, last) VALUES (2026, 5)")
            raise RuntimeError("boom")
    assert db["code_counters"].count == 0


def test_events_cannot_be_updated_or_deleted(service, new_ticket) -> None:
    ticket, _ = service.file_ticket(new_ticket())
    db = service.db
    before = [r["action"] for r in db["events"].rows]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE events SET actor = 'someone else'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM events")
    db.conn.rollback()
    assert [r["action"] for r in db["events"].rows] == before
    assert [e.action for e in service.events(ticket.code)][:3] == [
        "filed",
        "routed",
        "deadlines_set",
    ]


def test_a_database_from_an_older_version_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = open_db_without_latest(path)
    db.execute("INSERT INTO code_counters (year, last) VALUES (2026, 7)")
    db.conn.commit()
    db.close()
    upgraded = open_db(path)
    assert applied(upgraded) == known()
    assert upgraded["tickets"].columns_dict["deadline_state"] is str
    assert upgraded.execute("SELECT last FROM code_counters").fetchone() == (7,)


def open_db_without_latest(path: Path) -> sqlite_utils.Database:
    db = sqlite_utils.Database(path)
    MIGRATIONS.apply(db, stop_before=known()[-1])
    assert applied(db) == known()[:-1]
    return db
