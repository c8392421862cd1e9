"""The adapters' durable inbox: every channel event is handled once and none is lost.

Why: Telegram re-sends updates after a restart and Zalo retries webhooks it thinks failed; a
worker's message must neither be answered twice nor vanish when Rasa is down. Each event is
claimed by its channel id (Telegram update_id, Zalo msg_id) in `channel_inbox`; its payload is
kept only until the bot has answered, then erased.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from grievance.tickets import DEV_SECRET, SECRET_ENV, user_hash

logger = logging.getLogger(__name__)

RECEIVED = "received"  # claimed, being answered
PENDING = "pending"  # Rasa was down: to be sent again by retry_pending()
DONE = "done"
FAILED = "failed"  # given up after too many attempts (kept, never deleted silently)

MAX_ATTEMPTS = 50

migrations = Migrations("bot.inbox")


@migrations()
def m001_channel_inbox(db: Database) -> None:
    db.execute(
        """CREATE TABLE IF NOT EXISTS channel_inbox (
            channel TEXT NOT NULL,
            event_id TEXT NOT NULL,
            sender_hash TEXT NOT NULL,
            received_at TEXT NOT NULL,
            status TEXT NOT NULL,
            payload TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL,
            UNIQUE (channel, event_id)
        )"""
    )
    db.execute("CREATE INDEX IF NOT EXISTS channel_inbox_status ON channel_inbox (status)")
    db.execute(
        """CREATE TABLE IF NOT EXISTS button_payloads (
            key TEXT PRIMARY KEY,
            payload TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        )"""
    )


def connect(db_path: str | Path) -> Database:
    """One connection to the shared SQLite file, safe for several processes (WAL, busy wait)."""
    path = str(db_path)
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
    if path != ":memory:":
        conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA busy_timeout=30000")
    return Database(conn)


def sender_hash(channel: str, user_id: str | int) -> str:
    """The keyed hash of a channel user id, the same one tickets carry (grievance.tickets).

    Keyed (HMAC with HANHTRANG_SECRET) because Telegram and Zalo ids are short enough to guess.
    """
    secret = os.environ.get(SECRET_ENV) or DEV_SECRET
    return user_hash(secret, channel, str(user_id))


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class InboxEvent:
    channel: str
    event_id: str
    sender_hash: str
    status: str
    payload: dict[str, Any]
    attempts: int
    received_at: str


class Inbox:
    """Claims, parks and releases channel events in `channel_inbox`."""

    def __init__(self, db_path: str | Path) -> None:
        self.db_path = str(db_path)
        self.db = connect(self.db_path)
        migrations.apply(self.db)

    def close(self) -> None:
        self.db.close()

    def claim(
        self, channel: str, event_id: str | int, user_id: str | int, payload: dict[str, Any]
    ) -> bool:
        """Record a new event; False when it was seen before (a duplicate to ignore)."""
        now = utcnow().isoformat()
        cur = self.db.execute(
            "INSERT OR IGNORE INTO channel_inbox (channel, event_id, sender_hash, received_at,"
            " status, payload, attempts, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
            [
                channel,
                str(event_id),
                sender_hash(channel, user_id),
                now,
                RECEIVED,
                json.dumps(payload, ensure_ascii=False),
                now,
            ],
        )
        fresh = cur.rowcount == 1
        if not fresh:
            logger.info("duplicate event ignored channel=%s event=%s", channel, event_id)
        return fresh

    def done(self, channel: str, event_id: str | int) -> None:
        """The bot answered: keep the id (for de-duplication), drop the message text."""
        self._set(channel, event_id, DONE, clear_payload=True)

    def park(self, channel: str, event_id: str | int) -> None:
        """Rasa was down: keep the event for retry_pending()."""
        self.db.execute(
            "UPDATE channel_inbox SET status = ?, attempts = attempts + 1, updated_at = ?"
            " WHERE channel = ? AND event_id = ?",
            [PENDING, utcnow().isoformat(), channel, str(event_id)],
        )
        row = self.db.execute(
            "SELECT attempts FROM channel_inbox WHERE channel = ? AND event_id = ?",
            [channel, str(event_id)],
        ).fetchone()
        if row and row[0] >= MAX_ATTEMPTS:
            self._set(channel, event_id, FAILED, clear_payload=False)
            logger.error(
                "event gave up after %s attempts channel=%s event=%s", row[0], channel, event_id
            )

    def _set(self, channel: str, event_id: str | int, status: str, clear_payload: bool) -> None:
        payload_sql = ", payload = NULL" if clear_payload else ""
        self.db.execute(
            f"UPDATE channel_inbox SET status = ?, updated_at = ?{payload_sql}"
            " WHERE channel = ? AND event_id = ?",
            [status, utcnow().isoformat(), channel, str(event_id)],
        )

    def status(self, channel: str, event_id: str | int) -> str | None:
        row = self.db.execute(
            "SELECT status FROM channel_inbox WHERE channel = ? AND event_id = ?",
            [channel, str(event_id)],
        ).fetchone()
        return row[0] if row else None

    def to_retry(
        self, channel: str, stale_after: timedelta = timedelta(minutes=5)
    ) -> list[InboxEvent]:
        """Parked events, and claimed ones left unanswered (a crash mid-way), oldest first."""
        stale = (utcnow() - stale_after).isoformat()
        rows = self.db.execute(
            "SELECT channel, event_id, sender_hash, status, payload, attempts, received_at"
            " FROM channel_inbox WHERE channel = ? AND payload IS NOT NULL AND"
            " (status = ? OR (status = ? AND updated_at < ?)) ORDER BY received_at, rowid",
            [channel, PENDING, RECEIVED, stale],
        ).fetchall()
        return [InboxEvent(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6]) for r in rows]

    def forget(self, channel: str, user_id: str | int) -> int:
        """Erase this chat's rows (the /delete command)."""
        cur = self.db.execute(
            "DELETE FROM channel_inbox WHERE channel = ? AND sender_hash = ?",
            [channel, sender_hash(channel, user_id)],
        )
        return cur.rowcount

    # Telegram's callback_data holds at most 64 bytes; longer Rasa payloads get a short key.
    def button_key(self, payload: str) -> str:
        row = self.db.execute(
            "SELECT key FROM button_payloads WHERE payload = ?", [payload]
        ).fetchone()
        if row:
            return row[0]
        key = "k:" + secrets.token_urlsafe(12)
        self.db.execute(
            "INSERT OR IGNORE INTO button_payloads (key, payload, created_at) VALUES (?, ?, ?)",
            [key, payload, utcnow().isoformat()],
        )
        row = self.db.execute(
            "SELECT key FROM button_payloads WHERE payload = ?", [payload]
        ).fetchone()
        return row[0]

    def button_payload(self, key: str) -> str | None:
        row = self.db.execute("SELECT payload FROM button_payloads WHERE key = ?", [key]).fetchone()
        return row[0] if row else None
