"""One worker, several chat channels: which raw chat id to answer on, in which language.

Why: a worker may write on Zalo at home and on Telegram abroad (or the reverse, when Zalo is
watched by an employer). Case updates must go to the channel the worker marked safe, so we keep
the raw chat id (needed to reply) next to the hashed id that tickets carry.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.inbox import connect, sender_hash, utcnow

migrations = Migrations("bot.identities")


@migrations()
def m001_worker_identities(db: Database) -> None:
    db.execute(
        """CREATE TABLE IF NOT EXISTS worker_identities (
            identity_id TEXT NOT NULL,
            channel TEXT NOT NULL,
            chat_id TEXT NOT NULL,
            user_hash TEXT NOT NULL,
            language TEXT,
            safe_channel INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (channel, chat_id)
        )"""
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS worker_identities_hash"
        " ON worker_identities (channel, user_hash)"
    )
    db.execute("CREATE INDEX IF NOT EXISTS worker_identities_id ON worker_identities (identity_id)")


@dataclass(frozen=True)
class ChannelIdentity:
    identity_id: str
    channel: str
    chat_id: str
    user_hash: str
    language: str | None
    safe_channel: bool


_COLUMNS = "identity_id, channel, chat_id, user_hash, language, safe_channel"


class Identities:
    def __init__(self, db_path: str | Path) -> None:
        self.db = connect(db_path)
        migrations.apply(self.db)

    def close(self) -> None:
        self.db.close()

    def _row(self, where: str, args: list[object]) -> ChannelIdentity | None:
        row = self.db.execute(
            f"SELECT {_COLUMNS} FROM worker_identities WHERE {where}", args
        ).fetchone()
        return _identity(row) if row else None

    def get(self, channel: str, chat_id: str | int) -> ChannelIdentity | None:
        return self._row("channel = ? AND chat_id = ?", [channel, str(chat_id)])

    def by_hash(self, channel: str, user_hash: str) -> ChannelIdentity | None:
        return self._row("channel = ? AND user_hash = ?", [channel, user_hash])

    def touch(
        self, channel: str, chat_id: str | int, identity_id: str | None = None
    ) -> ChannelIdentity:
        """The identity of this chat, created on first contact (a new worker unless linked)."""
        found = self.get(channel, chat_id)
        if found:
            return found
        now = utcnow().isoformat()
        self.db.execute(
            "INSERT OR IGNORE INTO worker_identities (identity_id, channel, chat_id, user_hash,"
            " language, safe_channel, created_at, updated_at) VALUES (?, ?, ?, ?, NULL, 0, ?, ?)",
            [
                identity_id or "w-" + secrets.token_hex(8),
                channel,
                str(chat_id),
                sender_hash(channel, chat_id),
                now,
                now,
            ],
        )
        found = self.get(channel, chat_id)
        assert found is not None
        return found

    def link(self, identity_id: str, channel: str, chat_id: str | int) -> ChannelIdentity:
        """Attach another channel's chat to an existing worker identity."""
        self.touch(channel, chat_id)
        self.db.execute(
            "UPDATE worker_identities SET identity_id = ?, updated_at = ?"
            " WHERE channel = ? AND chat_id = ?",
            [identity_id, utcnow().isoformat(), channel, str(chat_id)],
        )
        found = self.get(channel, chat_id)
        assert found is not None
        return found

    def set_language(self, channel: str, chat_id: str | int, language: str) -> None:
        """The worker's chosen language, shared by all of the worker's channels."""
        ident = self.touch(channel, chat_id)
        self.db.execute(
            "UPDATE worker_identities SET language = ?, updated_at = ? WHERE identity_id = ?",
            [language, utcnow().isoformat(), ident.identity_id],
        )

    def set_safe_channel(self, identity_id: str, channel: str) -> None:
        """Mark the one channel case updates may be sent to."""
        now = utcnow().isoformat()
        self.db.execute(
            "UPDATE worker_identities SET safe_channel = (channel = ?), updated_at = ?"
            " WHERE identity_id = ?",
            [channel, now, identity_id],
        )

    def channels(self, identity_id: str) -> list[ChannelIdentity]:
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM worker_identities WHERE identity_id = ?"
            " ORDER BY safe_channel DESC, updated_at DESC",
            [identity_id],
        ).fetchall()
        return [_identity(r) for r in rows]

    def safe_route(self, identity_id: str) -> ChannelIdentity | None:
        """The channel marked safe; None when the worker marked none (we then do not guess)."""
        for ident in self.channels(identity_id):
            if ident.safe_channel:
                return ident
        return None

    def forget(self, channel: str, chat_id: str | int) -> int:
        cur = self.db.execute(
            "DELETE FROM worker_identities WHERE channel = ? AND chat_id = ?",
            [channel, str(chat_id)],
        )
        return cur.rowcount


def _identity(row: tuple) -> ChannelIdentity:
    return ChannelIdentity(row[0], row[1], row[2], row[3], row[4], bool(row[5]))
