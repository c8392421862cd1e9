"""Web chat messages that arrived while Rasa was down, and the late answers waiting for the page.

Telegram and Zalo keep such messages in the adapters' inbox; the web chat uses the same inbox
(channel "web"), and since a browser cannot be pushed to, the late answers wait in `web_replies`
until the page asks for them (it polls /api/chat/replies). Nothing is lost silently.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from bot.inbox import Inbox
from bot.rasa_client import RasaClient, RasaUnavailable

logger = logging.getLogger(__name__)

CHANNEL = "web"


class HeldMessages:
    def __init__(self, db_path: str | Path) -> None:
        Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        self.inbox = Inbox(db_path)
        # One connection, used from the web app's event loop (and its test client's thread).
        self.db = Database(sqlite3.connect(str(db_path), check_same_thread=False))
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS web_replies (id INTEGER PRIMARY KEY, sender TEXT NOT NULL,"
            " created_at TEXT NOT NULL, messages TEXT NOT NULL)"
        )
        self.db.execute("CREATE INDEX IF NOT EXISTS web_replies_sender ON web_replies (sender)")

    def claim(self, sender: str, message_id: str, payload: dict[str, Any]) -> bool:
        return self.inbox.claim(CHANNEL, message_id, sender, payload)

    def answered(self, message_id: str) -> None:
        self.inbox.done(CHANNEL, message_id)

    def hold(self, message_id: str) -> None:
        self.inbox.park(CHANNEL, message_id)

    async def retry(self, rasa: RasaClient) -> int:
        """Send held messages to Rasa again; keep the answers for the page. Stops at the first
        failure (Rasa still down)."""
        answered = 0
        for event in self.inbox.to_retry(CHANNEL):
            payload = event.payload
            try:
                reply = await rasa.send(f"web:{payload['sender']}", payload["message"],
                                        payload.get("metadata") or {})
            except RasaUnavailable:
                self.inbox.park(CHANNEL, event.event_id)
                break
            messages = [{k: m[k] for k in ("text", "buttons", "image") if m.get(k)}
                        for m in reply.visible()]
            with self.db.conn:
                self.db.execute(
                    "INSERT INTO web_replies (sender, created_at, messages) VALUES (?, ?, ?)",
                    [payload["sender"], datetime.now(UTC).isoformat(),
                     json.dumps([m for m in messages if m], ensure_ascii=False)],
                )
            self.inbox.done(CHANNEL, event.event_id)
            answered += 1
        if answered:
            logger.info("web chat: %s held messages answered", answered)
        return answered

    def take_replies(self, sender: str) -> list[dict[str, Any]]:
        """The late answers for this sender, oldest first; they are handed out once."""
        with self.db.conn:
            rows = self.db.execute(
                "SELECT id, messages FROM web_replies WHERE sender = ? ORDER BY id", [sender]
            ).fetchall()
            self.db.execute("DELETE FROM web_replies WHERE sender = ?", [sender])
        return [m for _, messages in rows for m in json.loads(messages)]
