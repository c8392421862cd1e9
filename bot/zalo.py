"""Zalo Official Account client: consultation messages out, access token kept fresh.

Why a client of our own: Zalo's OA API is small (one send endpoint, one token endpoint) and its
rules matter more than its size — an access token lives about a day, a refresh token works
exactly once (so the new pair is stored in one SQLite transaction before it is used), and a
message outside the reply window fails with -213/-230 and must be kept, not dropped.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.formatting import split_text, text
from bot.inbox import connect, sender_hash, utcnow
from bot.outbound import DeliveryResult, record_undelivered
from bot.settings import Settings

logger = logging.getLogger(__name__)

CHANNEL = "zalo"
MAX_TEXT = 2000
MAX_BUTTONS = 5  # more than this, or payloads too long, become numbered text options
MAX_BUTTON_PAYLOAD = 1000
MAX_BUTTON_TITLE = 100
SEND_PATH = "/v3.0/oa/message/cs"
TOKEN_PATH = "/v4/oa/access_token"
REFRESH_MARGIN = timedelta(minutes=10)
ERR_TOKEN_INVALID = -216
UNREACHABLE_ERRORS = {-213, -230}  # outside the reply window / user inactive

migrations = Migrations("bot.zalo")


@migrations()
def m001_zalo_tokens(db: Database) -> None:
    db.execute(
        """CREATE TABLE IF NOT EXISTS zalo_tokens (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            access_token TEXT NOT NULL,
            refresh_token TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS zalo_options (
            user_hash TEXT PRIMARY KEY,
            options TEXT NOT NULL,
            created_at TEXT NOT NULL
        )"""
    )


class ZaloError(Exception):
    """Zalo answered with an error code we cannot handle here."""

    def __init__(self, code: int, where: str) -> None:
        super().__init__(f"zalo error {code} at {where}")
        self.code = code


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_at: str


class TokenStore:
    """The one current access/refresh pair, in SQLite so every process shares it."""

    def __init__(self, db_path: str | Path) -> None:
        self.db = connect(db_path)
        migrations.apply(self.db)

    def get(self) -> TokenPair | None:
        row = self.db.execute(
            "SELECT access_token, refresh_token, expires_at FROM zalo_tokens WHERE id = 1"
        ).fetchone()
        return TokenPair(*row) if row else None

    def seed(self, access_token: str | None, refresh_token: str | None) -> None:
        """First start: take the pair from the environment, once (later pairs come from Zalo)."""
        if not refresh_token or self.get() is not None:
            return
        expires = utcnow() if not access_token else utcnow() + timedelta(hours=1)
        self.db.execute(
            "INSERT OR IGNORE INTO zalo_tokens VALUES (1, ?, ?, ?, ?)",
            [access_token or "", refresh_token, expires.isoformat(), utcnow().isoformat()],
        )

    def replace(self, used_refresh: str, pair: TokenPair) -> bool:
        """Store the new pair if the stored refresh token is still the one we used."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            current = self.get()
            if current is not None and current.refresh_token != used_refresh:
                self.db.execute("ROLLBACK")
                return False
            self.db.execute(
                "INSERT INTO zalo_tokens VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                " access_token = excluded.access_token, refresh_token = excluded.refresh_token,"
                " expires_at = excluded.expires_at, updated_at = excluded.updated_at",
                [pair.access_token, pair.refresh_token, pair.expires_at, utcnow().isoformat()],
            )
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return True


class ZaloClient:
    """Sends consultation messages; implements bot.outbound.Sender."""

    def __init__(self, settings: Settings, db_path: str | Path, timeout: float = 15.0) -> None:
        self.settings = settings
        self.db_path = str(db_path)
        self.tokens = TokenStore(db_path)
        self.tokens.seed(settings.zalo_access_token, settings.zalo_refresh_token)
        self.timeout = timeout
        self._refresh_lock = asyncio.Lock()

    # --- tokens ---
    async def access_token(self) -> str:
        pair = self.tokens.get()
        if pair is None:
            raise ZaloError(ERR_TOKEN_INVALID, "no token stored (set ZALO_REFRESH_TOKEN)")
        if pair.expires_at <= (utcnow() + REFRESH_MARGIN).isoformat():
            pair = await self.refresh(pair.refresh_token)
        return pair.access_token

    async def refresh(self, used_refresh: str | None = None) -> TokenPair:
        """Trade the refresh token for a new pair (once: a refresh token works only once)."""
        async with self._refresh_lock:
            current = self.tokens.get()
            if current is None:
                raise ZaloError(ERR_TOKEN_INVALID, "no refresh token stored")
            if used_refresh is not None and current.refresh_token != used_refresh:
                return current  # refreshed meanwhile (another task or process)
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                resp = await client.post(
                    self.settings.zalo_oauth_base.rstrip("/") + TOKEN_PATH,
                    headers={"secret_key": self.settings.zalo_app_secret or ""},
                    data={
                        "refresh_token": current.refresh_token,
                        "app_id": self.settings.zalo_app_id or "",
                        "grant_type": "refresh_token",
                    },
                )
            body = resp.json() if resp.content else {}
            if resp.status_code != 200 or "access_token" not in body:
                code = int(body.get("error") or body.get("error_code") or -1)
                logger.error("zalo token refresh failed code=%s status=%s", code, resp.status_code)
                raise ZaloError(code, "token refresh")
            expires_in = int(body.get("expires_in") or 3600)
            pair = TokenPair(
                body["access_token"],
                body["refresh_token"],
                (utcnow() + timedelta(seconds=expires_in)).isoformat(),
            )
            if not self.tokens.replace(current.refresh_token, pair):
                stored = self.tokens.get()
                assert stored is not None
                return stored
            logger.info("zalo access token refreshed, valid %ss", expires_in)
            return pair

    # --- sending ---
    async def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        """One send, with one refresh-and-retry on an invalid token (-216)."""
        for attempt in (1, 2):
            token = await self.access_token()
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                resp = await client.post(
                    self.settings.zalo_api_base.rstrip("/") + SEND_PATH,
                    headers={"access_token": token},
                    json=body,
                )
            data: dict[str, Any] = resp.json() if resp.content else {"error": -1}
            code = int(data.get("error") or 0)
            if code == ERR_TOKEN_INVALID and attempt == 1:
                logger.warning("zalo -216: refreshing the access token")
                pair = self.tokens.get()
                await self.refresh(pair.refresh_token if pair else None)
                continue
            if code != 0:
                raise ZaloError(code, "send")
            return data
        raise ZaloError(ERR_TOKEN_INVALID, "send")

    async def send_message(self, user_id: str, message: dict[str, Any]) -> str:
        data = await self._post({"recipient": {"user_id": str(user_id)}, "message": message})
        return str((data.get("data") or {}).get("message_id") or "")

    async def send_text(self, chat_id: str, message: str) -> DeliveryResult:
        """Send text in 2,000-character parts; a refused part and the rest are kept."""
        return await self.send_parts(chat_id, [{"text": c} for c in split_text(message, MAX_TEXT)])

    async def send_parts(self, chat_id: str, parts: list[dict[str, Any]]) -> DeliveryResult:
        ids: list[str] = []
        for i, part in enumerate(parts):
            try:
                ids.append(await self.send_message(chat_id, part))
            except (ZaloError, httpx.HTTPError) as exc:
                code = (
                    f"zalo:{exc.code}"
                    if isinstance(exc, ZaloError)
                    else (f"zalo:{type(exc).__name__}")
                )
                rest = "\n\n".join(_part_text(p) for p in parts[i:])
                record_undelivered(self.db_path, CHANNEL, chat_id, rest, code)
                return DeliveryResult(False, code, tuple(ids))
        return DeliveryResult(True, None, tuple(ids))

    def render(
        self, bot_message: dict[str, Any], language: str | None, user_id: str
    ) -> list[dict[str, Any]]:
        """One Rasa message as Zalo message parts: text (split), buttons, image link."""
        body = str(bot_message.get("text") or "")
        if bot_message.get("image"):
            body = (body + "\n" + str(bot_message["image"])).strip()
        buttons = [
            b for b in bot_message.get("buttons") or [] if b.get("payload") or b.get("title")
        ]
        if not buttons:
            return [{"text": c} for c in split_text(body, MAX_TEXT)]
        if _template_fits(buttons):
            chunks = split_text(body, MAX_TEXT) or [text("options_intro", language)]
            parts: list[dict[str, Any]] = [{"text": c} for c in chunks[:-1]]
            parts.append(
                {
                    "text": chunks[-1],
                    "attachment": {
                        "type": "template",
                        "payload": {
                            "buttons": [
                                {
                                    "title": str(b.get("title") or b.get("payload"))[
                                        :MAX_BUTTON_TITLE
                                    ],
                                    "type": "oa.query.hide",
                                    "payload": str(b.get("payload") or b.get("title")),
                                }
                                for b in buttons
                            ]
                        },
                    },
                }
            )
            return parts
        options = [str(b.get("payload") or b.get("title")) for b in buttons]
        self.remember_options(user_id, options)
        lines = [text("options_intro", language)] + [
            f"{n}. {b.get('title') or b.get('payload')}" for n, b in enumerate(buttons, 1)
        ]
        return [
            {"text": c} for c in split_text((body + "\n\n" + "\n".join(lines)).strip(), MAX_TEXT)
        ]

    # numbered options: "2" from the worker means the second button's payload
    def remember_options(self, user_id: str, options: list[str]) -> None:
        self.tokens.db.execute(
            "INSERT INTO zalo_options VALUES (?, ?, ?) ON CONFLICT (user_hash) DO UPDATE SET"
            " options = excluded.options, created_at = excluded.created_at",
            [sender_hash(CHANNEL, user_id), json.dumps(options), utcnow().isoformat()],
        )

    def option_payload(self, user_id: str, reply: str) -> str | None:
        if not reply.strip().isdigit():
            return None
        row = self.tokens.db.execute(
            "SELECT options FROM zalo_options WHERE user_hash = ?", [sender_hash(CHANNEL, user_id)]
        ).fetchone()
        if not row:
            return None
        options = json.loads(row[0])
        n = int(reply.strip())
        return options[n - 1] if 1 <= n <= len(options) else None


def _template_fits(buttons: list[dict[str, Any]]) -> bool:
    return len(buttons) <= MAX_BUTTONS and all(
        len(str(b.get("payload") or b.get("title"))) <= MAX_BUTTON_PAYLOAD for b in buttons
    )


def _part_text(part: dict[str, Any]) -> str:
    body = str(part.get("text") or "")
    buttons = ((part.get("attachment") or {}).get("payload") or {}).get("buttons") or []
    if buttons:
        body += "\n" + "\n".join(f"- {b['title']}" for b in buttons)
    return body
