"""Sending to workers: pacing, retries, and case updates on the worker's safe channel.

Why: Telegram limits a bot to about 30 messages a second and one a second per chat; going past
it earns 429 errors. Case milestone notifications (grievance) must reach the worker on the
channel the worker chose, and a failure is recorded against the notification, never dropped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.identities import Identities
from bot.inbox import connect, sender_hash, utcnow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryResult:
    delivered: bool
    error: str | None = None  # a code such as "zalo:-213" or "telegram:Forbidden", never text
    message_ids: tuple[str, ...] = ()


class Sender(Protocol):
    """One channel's way to put text in front of a worker."""

    async def send_text(self, chat_id: str, text: str) -> DeliveryResult: ...


class RateLimiter:
    """At most `overall_per_second` sends overall and one per `per_chat_interval` per chat.

    Sends for one chat go through a FIFO lock, held across retries, so a chat's messages arrive
    in the order they were produced.
    """

    def __init__(
        self,
        overall_per_second: float = 30.0,
        per_chat_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.spacing = 1.0 / overall_per_second
        self.per_chat_interval = per_chat_interval
        self.clock = clock
        self._next_any = 0.0
        self._next_chat: dict[str, float] = {}
        self._chat_locks: dict[str, asyncio.Lock] = {}
        self._reserve = asyncio.Lock()

    def _lock(self, chat_id: str) -> asyncio.Lock:
        lock = self._chat_locks.get(chat_id)
        if lock is None:
            lock = self._chat_locks[chat_id] = asyncio.Lock()
        return lock

    async def _wait_turn(self, chat_id: str | None) -> None:
        async with self._reserve:
            now = self.clock()
            at = max(now, self._next_any)
            if chat_id is not None:
                at = max(at, self._next_chat.get(chat_id, 0.0))
                self._next_chat[chat_id] = at + self.per_chat_interval
            self._next_any = at + self.spacing
        if at > now:
            await asyncio.sleep(at - now)

    @asynccontextmanager
    async def slot(self, chat_id: str | int | None) -> AsyncIterator[Callable[[], Awaitable[None]]]:
        """Hold the chat's turn; the yielded function waits for the next free send time."""
        if chat_id is None:
            await self._wait_turn(None)
            yield lambda: self._wait_turn(None)
            return
        key = str(chat_id)
        async with self._lock(key):
            await self._wait_turn(key)
            yield lambda: self._wait_turn(key)


def _field(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


class NotificationSource(Protocol):
    """What we need from grievance.service.GrievanceService."""

    def pending_notifications(self, now: datetime) -> list[Any]: ...

    def mark_notification(self, id: int, delivered: bool, error: str | None = None) -> Any: ...


class ChannelNotifications:
    """A NotificationSource showing only one channel's notifications.

    Each adapter process delivers its own channel's milestones; without the filter a Telegram-only
    deployment would mark every Zalo notification as failed for want of a sender.
    """

    def __init__(self, source: NotificationSource, channel: str) -> None:
        self.source = source
        self.channel = channel

    def pending_notifications(self, now: datetime) -> list[Any]:
        return [n for n in self.source.pending_notifications(now)
                if str(_field(n, "channel")) == self.channel]

    def mark_notification(self, id: int, delivered: bool, error: str | None = None) -> Any:
        return self.source.mark_notification(id, delivered, error)


async def deliver_notifications(
    grievance_service: NotificationSource,
    senders: dict[str, Sender],
    now: datetime,
    routes: Callable[[Any], tuple[str, str] | None] | None = None,
) -> dict[str, int]:
    """Send every due milestone notification and record the outcome of each.

    A grievance Notification names the worker's safe channel and, when that is the channel the
    ticket came from, the raw chat `address`. `routes(notification) -> (channel, chat_id)` finds
    the chat otherwise (see `identity_routes`). A notification without a route or sender is
    marked undelivered with a reason; the service retries it with backoff and shows failures to
    staff, who can use another contact route. Returns counts by outcome.
    """
    counts = {"delivered": 0, "failed": 0}
    for note in grievance_service.pending_notifications(now):
        note_id = _field(note, "id")
        route = routes(note) if routes else None
        if route is None:
            channel = _field(note, "channel")
            chat_id = _field(note, "address") or _field(note, "chat_id")
        else:
            channel, chat_id = route
        text = _field(note, "text")
        sender = senders.get(str(channel))
        if sender is None or not chat_id or not text:
            reason = "no_sender" if sender is None else "no_chat" if not chat_id else "no_text"
            grievance_service.mark_notification(note_id, False, reason)
            counts["failed"] += 1
            logger.warning("notification %s not sent: %s", note_id, reason)
            continue
        try:
            result = await sender.send_text(str(chat_id), str(text))
        except Exception as exc:  # the outer edge of one delivery: record, go on with the next
            logger.error("notification %s failed", note_id, exc_info=True)
            result = DeliveryResult(False, f"{channel}:{type(exc).__name__}")
        grievance_service.mark_notification(note_id, result.delivered, result.error)
        counts["delivered" if result.delivered else "failed"] += 1
        logger.info(
            "notification %s channel=%s delivered=%s error=%s",
            note_id,
            channel,
            result.delivered,
            result.error,
        )
    return counts


class TicketLookup(Protocol):
    def get(self, code: str) -> Any: ...


def identity_routes(
    identities: Identities, tickets: TicketLookup
) -> Callable[[Any], tuple[str, str] | None]:
    """Find the chat on the notification's (safe) channel through the worker's identity.

    The ticket carries the hashed id of the chat it was filed from; bot.identities links that
    chat to the worker's other channels (and their raw chat ids, needed to write).
    """

    def route(note: Any) -> tuple[str, str] | None:
        channel, address = str(_field(note, "channel")), _field(note, "address")
        if address:
            return channel, str(address)
        ticket = tickets.get(str(_field(note, "ticket_code")))
        origin = identities.by_hash(
            str(_field(ticket, "channel")), str(_field(ticket, "channel_user_hash"))
        )
        if origin is None:
            return None
        for ident in identities.channels(origin.identity_id):
            if ident.channel == channel:
                return channel, ident.chat_id
        return None

    return route


# --- messages a channel refused: kept so staff can use another contact route ----------------
migrations = Migrations("bot.outbound")


@migrations()
def m001_undelivered(db: Database) -> None:
    db.execute(
        """CREATE TABLE IF NOT EXISTS undelivered_messages (
            id INTEGER PRIMARY KEY,
            channel TEXT NOT NULL,
            chat_id TEXT NOT NULL,
            user_hash TEXT NOT NULL,
            text TEXT NOT NULL,
            error TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open',
            created_at TEXT NOT NULL
        )"""
    )


@dataclass(frozen=True)
class Undelivered:
    id: int
    channel: str
    chat_id: str
    user_hash: str
    text: str
    error: str
    status: str
    created_at: str


def record_undelivered(db_path: str, channel: str, chat_id: str, text: str, error: str) -> int:
    """Keep a message the channel would not deliver (e.g. Zalo -213: outside the reply window).

    The text is kept (unlike in the inbox) because staff need it to reach the worker another way.
    """
    db = connect(db_path)
    try:
        migrations.apply(db)
        cur = db.execute(
            "INSERT INTO undelivered_messages (channel, chat_id, user_hash, text, error, status,"
            " created_at) VALUES (?, ?, ?, ?, ?, 'open', ?)",
            [
                channel,
                str(chat_id),
                sender_hash(channel, chat_id),
                text,
                error,
                utcnow().isoformat(),
            ],
        )
        logger.warning(
            "undelivered message kept id=%s channel=%s error=%s", cur.lastrowid, channel, error
        )
        return int(cur.lastrowid or 0)
    finally:
        db.close()


def undelivered(db_path: str, status: str = "open") -> list[Undelivered]:
    """Messages waiting for another contact route (for the hotline console)."""
    db = connect(db_path)
    try:
        migrations.apply(db)
        rows = db.execute(
            "SELECT id, channel, chat_id, user_hash, text, error, status, created_at"
            " FROM undelivered_messages WHERE status = ? ORDER BY id",
            [status],
        ).fetchall()
        return [Undelivered(*r) for r in rows]
    finally:
        db.close()
