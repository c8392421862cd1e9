"""Photos and PDFs a worker sends in chat: checked, then kept until they join a ticket.

Why: workers photograph contracts, receipts and passports before they file a complaint. A file
that arrives while the worker has an open case joins it at once; otherwise it waits in
`pending_attachments` until the grievance action files the ticket and claims it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.inbox import connect, sender_hash, utcnow

logger = logging.getLogger(__name__)

ALLOWED_TYPES = ("image/jpeg", "image/png", "image/webp", "application/pdf")
MAX_BYTES = 10 * 1024 * 1024  # our limit
TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile cannot fetch larger files
CLOSED_STATUSES = {"refused", "resolved", "closed"}  # grievance.tickets.FINAL_STATUSES

migrations = Migrations("bot.attachments")


@migrations()
def m001_pending_attachments(db: Database) -> None:
    db.execute(
        """CREATE TABLE IF NOT EXISTS pending_attachments (
            id INTEGER PRIMARY KEY,
            channel TEXT NOT NULL,
            user_hash TEXT NOT NULL,
            original_name TEXT NOT NULL,
            mime TEXT NOT NULL,
            size INTEGER NOT NULL,
            data BLOB NOT NULL,
            received_at TEXT NOT NULL
        )"""
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS pending_attachments_user"
        " ON pending_attachments (channel, user_hash)"
    )


class AttachmentRejected(Exception):
    """The file cannot be accepted; `reason` is 'wrong_type' or 'too_big'."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PendingAttachment:
    id: int
    channel: str
    user_hash: str
    original_name: str
    mime: str
    size: int
    data: bytes
    received_at: str


@dataclass(frozen=True)
class Accepted:
    """Where an accepted file went: a ticket code, or None when it waits for filing."""

    ticket_code: str | None


class TicketStore(Protocol):
    """What we need from grievance.service.GrievanceService."""

    def tickets_for_user(self, channel: str, user_id: str) -> list[Any]: ...

    def add_attachment(self, code: str, data: bytes, original_name: str, mime: str) -> Any: ...


def sniff_type(data: bytes) -> str | None:
    """The file's real type from its first bytes; the sender's claimed type is not trusted."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_declared(mime: str | None, size: int | None) -> None:
    """Reject before downloading when the channel already tells type or size."""
    if mime is not None and mime.lower() not in ALLOWED_TYPES:
        raise AttachmentRejected("wrong_type")
    if size is not None and size > MAX_BYTES:
        raise AttachmentRejected("too_big")


def check_content(data: bytes) -> str:
    """The accepted type of `data`, or AttachmentRejected."""
    if len(data) > MAX_BYTES:
        raise AttachmentRejected("too_big")
    mime = sniff_type(data)
    if mime is None:
        raise AttachmentRejected("wrong_type")
    return mime


def store_pending(
    db_path: str | Path,
    channel: str,
    user_id: str | int,
    data: bytes,
    original_name: str,
    mime: str,
) -> int:
    db = connect(db_path)
    try:
        migrations.apply(db)
        cur = db.execute(
            "INSERT INTO pending_attachments (channel, user_hash, original_name, mime, size, data,"
            " received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                channel,
                sender_hash(channel, user_id),
                original_name,
                mime,
                len(data),
                data,
                utcnow().isoformat(),
            ],
        )
        return int(cur.lastrowid or 0)
    finally:
        db.close()


def claim_pending(db_path: str | Path, channel: str, user_id: str | int) -> list[PendingAttachment]:
    """Take (and remove) this chat user's waiting files, oldest first, to attach at filing.

    Call it after the ticket is written; the rows are deleted in the same transaction that reads
    them, so two filings cannot both take the same file.
    """
    db = connect(db_path)
    try:
        migrations.apply(db)
        uh = sender_hash(channel, user_id)
        db.execute("BEGIN IMMEDIATE")
        try:
            rows = db.execute(
                "SELECT id, channel, user_hash, original_name, mime, size, data, received_at"
                " FROM pending_attachments WHERE channel = ? AND user_hash = ? ORDER BY id",
                [channel, uh],
            ).fetchall()
            db.execute(
                "DELETE FROM pending_attachments WHERE channel = ? AND user_hash = ?", [channel, uh]
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return [
            PendingAttachment(r[0], r[1], r[2], r[3], r[4], r[5], bytes(r[6]), r[7]) for r in rows
        ]
    finally:
        db.close()


def forget_pending(db_path: str | Path, channel: str, user_id: str | int) -> int:
    db = connect(db_path)
    try:
        migrations.apply(db)
        cur = db.execute(
            "DELETE FROM pending_attachments WHERE channel = ? AND user_hash = ?",
            [channel, sender_hash(channel, user_id)],
        )
        return cur.rowcount
    finally:
        db.close()


def accept(
    db_path: str | Path,
    channel: str,
    user_id: str | int,
    data: bytes,
    original_name: str,
    tickets: TicketStore | None = None,
) -> Accepted:
    """Check a received file and attach it to the newest open ticket, or keep it pending."""
    mime = check_content(data)
    if tickets is not None:
        code = newest_open_code(tickets.tickets_for_user(channel, str(user_id)))
        if code:
            tickets.add_attachment(code, data, original_name, mime)
            logger.info("attachment added to ticket channel=%s size=%s", channel, len(data))
            return Accepted(code)
    row_id = store_pending(db_path, channel, user_id, data, original_name, mime)
    logger.info("attachment pending id=%s channel=%s size=%s", row_id, channel, len(data))
    return Accepted(None)


def _field(ticket: Any, name: str) -> Any:
    return ticket.get(name) if isinstance(ticket, dict) else getattr(ticket, name, None)


def is_open(ticket: Any) -> bool:
    flag = _field(ticket, "is_open")
    if isinstance(flag, bool):
        return flag
    return str(_field(ticket, "status") or "").lower() not in CLOSED_STATUSES


def open_codes(tickets: list[Any]) -> list[str]:
    return [str(_field(t, "code")) for t in tickets if is_open(t) and _field(t, "code")]


def newest_open_code(tickets: list[Any]) -> str | None:
    """The public code of the most recently received ticket that is still open."""
    open_ones = [t for t in tickets if is_open(t)]
    if not open_ones:
        return None
    newest = max(
        open_ones, key=lambda t: (str(_field(t, "received_at") or ""), str(_field(t, "code") or ""))
    )
    return _field(newest, "code")
