"""Getting tickets to units and news to workers, without ever dropping a message silently.

Units: every message is a row in `outbox`, one per delivery target of the unit (console, email,
http). `Dispatcher.run_once` sends what is due through one sender class per delivery type;
failures are recorded per recipient with the attempt count and the next retry (exponential
backoff); after `max_attempts` a row stays visible as `failed`. A ticket's details leave our
system (email, http) only for a unit whose consent key the worker agreed to; otherwise the row is
kept as `withheld` and the console queue still shows the ticket.

Workers: milestones are rows in `notifications`, timed for the worker's safe hours. The Telegram
and Zalo adapters read them with `pending_notifications` and report back with `mark_notification`.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import threading
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
import sqlite_utils
import yaml

from grievance.routing import Router, Unit
from grievance.store import row, rows, write_transaction
from grievance.tickets import dumps, iso_now, loads

logger = logging.getLogger(__name__)

MESSAGES_PATH = Path(__file__).parent / "messages.yml"
SMTP_HOST_ENV = "HANHTRANG_SMTP_HOST"
SMTP_PORT_ENV = "HANHTRANG_SMTP_PORT"
SMTP_FROM_ENV = "HANHTRANG_SMTP_FROM"
# Tunables: retry 8 times, first after 1 minute, doubling, never more than 6 hours apart.
MAX_ATTEMPTS = 8
BASE_DELAY_S = 60
MAX_DELAY_S = 6 * 3600
MILESTONES = ("received", "accepted", "refused", "transferred", "extended", "resolved")


class SendError(Exception):
    """A delivery attempt failed; the message says why (no personal data)."""


class DeliveryConfigError(ValueError):
    """A contact's safe hours or time zone cannot be read."""


class Messages:
    """The texts of grievance/messages.yml, looked up by dotted key and language."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    @classmethod
    def load(cls, path: Path | None = None) -> Messages:
        with (path or MESSAGES_PATH).open(encoding="utf-8") as handle:
            return cls(yaml.safe_load(handle))

    def render(self, key: str, language: str, **params: Any) -> str:
        node: Any = self._data
        for part in key.split("."):
            node = node[part]
        return str(node[language]).format_map(_Blank(params))


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


# -- senders ---------------------------------------------------------------------------------


class Sender(Protocol):
    def send(self, address: str, subject: str, payload: dict[str, Any]) -> None: ...


class ConsoleSender:
    """The unit's queue in the staff console is the ticket itself (tickets.unit): always works."""

    def send(self, address: str, subject: str, payload: dict[str, Any]) -> None:
        return None


class EmailSender:
    def __init__(
        self,
        host: str | None = None,
        port: int | None = None,
        sender: str | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self.host = host or os.environ.get(SMTP_HOST_ENV)
        self.port = port or int(os.environ.get(SMTP_PORT_ENV, "25"))
        self.sender = sender or os.environ.get(SMTP_FROM_ENV, "hanhtrang@localhost")
        self.timeout_s = timeout_s

    def send(self, address: str, subject: str, payload: dict[str, Any]) -> None:
        if not self.host:
            raise SendError("smtp_not_configured")
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = address
        message["Subject"] = subject
        message.set_content(json.dumps(payload, ensure_ascii=False, indent=2))
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(f"smtp: {type(exc).__name__}") from exc


class HttpSender:
    def __init__(self, timeout_s: float = 10.0, client: httpx.Client | None = None) -> None:
        self.timeout_s = timeout_s
        self._client = client

    def send(self, address: str, subject: str, payload: dict[str, Any]) -> None:
        try:
            if self._client is not None:
                response = self._client.post(address, json=payload, timeout=self.timeout_s)
            else:
                response = httpx.post(address, json=payload, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            raise SendError(f"http: {type(exc).__name__}") from exc
        if response.status_code >= 300:
            raise SendError(f"http status {response.status_code}")


def default_senders() -> dict[str, Sender]:
    return {"console": ConsoleSender(), "email": EmailSender(), "http": HttpSender()}


# -- unit outbox -----------------------------------------------------------------------------


def enqueue_unit_message(
    db: sqlite_utils.Database,
    *,
    ticket_id: int,
    unit: Unit,
    message: str,
    params: dict[str, Any],
    dedupe_key: str,
    consent: dict[str, bool],
    now: datetime,
) -> int:
    """One outbox row per delivery target of the unit; a repeated dedupe_key adds nothing.

    Returns the number of rows added (0 when this message was already queued).
    """
    allowed = unit.consent_key is None or bool(consent.get(unit.consent_key))
    added = 0
    for target in unit.delivery:
        external = target.type != "console"
        status = "withheld" if external and not allowed else "pending"
        cursor = db.execute(
            """INSERT OR IGNORE INTO outbox (ticket_id, unit, message, params, dedupe_key,
                   delivery_type, address, status, attempts, next_attempt_at, last_error,
                   created_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)""",
            (
                ticket_id,
                unit.id,
                message,
                dumps(params),
                dedupe_key,
                target.type,
                target.address or "",
                status,
                iso_now(now),
                "no_consent" if status == "withheld" else None,
                iso_now(now),
            ),
        )
        added += cursor.rowcount
    return added


@dataclass
class DispatchReport:
    sent: int = 0
    failed: int = 0
    gave_up: int = 0
    errors: list[str] = field(default_factory=list)


def backoff(attempts: int, base_s: int = BASE_DELAY_S, max_s: int = MAX_DELAY_S) -> timedelta:
    return timedelta(seconds=min(base_s * 2 ** max(attempts - 1, 0), max_s))


class Dispatcher:
    """Sends due outbox rows; one failure never stops the others."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        router: Router,
        *,
        senders: dict[str, Sender] | None = None,
        messages: Messages | None = None,
        max_attempts: int = MAX_ATTEMPTS,
        base_delay_s: int = BASE_DELAY_S,
        lock: threading.RLock | None = None,
    ) -> None:
        self.db = db
        # Held for database work only, never while waiting on the network.
        self._lock = lock or threading.RLock()
        self.router = router
        self.senders = senders if senders is not None else default_senders()
        self.messages = messages or Messages.load()
        self.max_attempts = max_attempts
        self.base_delay_s = base_delay_s

    def run_once(self, now: datetime) -> DispatchReport:
        report = DispatchReport()
        with self._lock:
            due = rows(
                self.db,
                """SELECT o.*, t.code FROM outbox o JOIN tickets t ON t.id = o.ticket_id
               WHERE o.status = 'pending' AND o.next_attempt_at <= ? ORDER BY o.id""",
                (iso_now(now),),
            )
        for item in due:
            self._attempt(item, now, report)
        return report

    def _attempt(self, item: dict[str, Any], now: datetime, report: DispatchReport) -> None:
        sender = self.senders.get(item["delivery_type"])
        with self._lock:
            ticket = row(self.db, "SELECT * FROM tickets WHERE id = ?", (item["ticket_id"],))
        assert ticket is not None
        params = loads(item["params"], {})
        try:
            if sender is None:
                raise SendError(f"no sender for {item['delivery_type']}")
            payload = unit_payload(ticket, item["message"], params, self.messages)
            subject = self.messages.render(f"unit.{item['message']}", "vi", **payload["params"])
            sender.send(item["address"], subject, payload)
        except SendError as exc:
            self._record_failure(item, str(exc), now, report)
            return
        with self._lock, write_transaction(self.db):
            self.db.execute(
                "UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = ?,"
                " last_error = NULL WHERE id = ?",
                (iso_now(now), item["id"]),
            )
        report.sent += 1

    def _record_failure(
        self, item: dict[str, Any], error: str, now: datetime, report: DispatchReport
    ) -> None:
        attempts = item["attempts"] + 1
        final = attempts >= self.max_attempts
        next_at = now + backoff(attempts, self.base_delay_s)
        with self._lock, write_transaction(self.db):
            self.db.execute(
                "UPDATE outbox SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?"
                " WHERE id = ?",
                ("failed" if final else "pending", attempts, iso_now(next_at), error, item["id"]),
            )
        logger.warning(
            "delivery failed outbox=%s ticket=%s type=%s attempt=%s final=%s error=%s",
            item["id"],
            item["code"],
            item["delivery_type"],
            attempts,
            final,
            error,
        )
        report.failed += 1
        report.gave_up += int(final)
        report.errors.append(f"{item['code']}:{item['delivery_type']}:{error}")


def unit_payload(
    ticket: dict[str, Any], message: str, params: dict[str, Any], messages: Messages
) -> dict[str, Any]:
    """What a unit receives. An anonymous worker's contact and channel never leave the system."""
    fields = {**params, "code": ticket["code"]}
    payload: dict[str, Any] = {
        "message": message,
        "text": {lang: messages.render(f"unit.{message}", lang, **fields) for lang in ("vi", "en")},
        "params": fields,
        "ticket": {
            "code": ticket["code"],
            "category": ticket["category"],
            "legal_type": ticket["legal_type"],
            "priority": ticket["priority"],
            "status": ticket["status"],
            "received_at": ticket["received_at"],
            "accept_by": ticket["accept_by"],
            "resolve_by": ticket["resolve_by"],
            "destination": ticket["destination"],
            "province": ticket["province"],
            "respondent_kind": ticket["respondent_kind"],
            "respondent": ticket["respondent"],
            "incident_date": ticket["incident_date"],
            "description": ticket["description"],
            "language": ticket["language"],
            "anonymous": bool(ticket["anonymous"]),
        },
    }
    if not ticket["anonymous"]:
        payload["ticket"]["contact"] = loads(ticket["contact"], {})
        payload["ticket"]["channel"] = ticket["channel"]
    return payload


def outbox_for(db: sqlite_utils.Database, ticket_id: int) -> list[dict[str, Any]]:
    return rows(db, "SELECT * FROM outbox WHERE ticket_id = ? ORDER BY id", (ticket_id,))


# -- worker notifications -------------------------------------------------------------------


@dataclass(frozen=True)
class Notification:
    """A status update for a worker, ready for a channel adapter to send."""

    id: int
    ticket_code: str
    milestone: str
    channel: str
    address: str | None
    language: str
    template_key: str
    text: str
    neutral: bool
    not_before: str
    attempts: int


def parse_safe_hours(contact: dict[str, Any]) -> tuple[time, time, ZoneInfo] | None:
    """(start, end, zone) from contact {"safe_hours": "18:00-21:00", "timezone": "Asia/Tokyo"}."""
    hours = contact.get("safe_hours")
    if not hours:
        return None
    try:
        first, last = str(hours).split("-")
        start, end = time.fromisoformat(first.strip()), time.fromisoformat(last.strip())
        zone = ZoneInfo(str(contact.get("timezone") or "Asia/Ho_Chi_Minh"))
    except (ValueError, ZoneInfoNotFoundError) as exc:
        raise DeliveryConfigError("safe_hours must be HH:MM-HH:MM with a valid timezone") from exc
    return start, end, zone


def next_safe_time(now: datetime, contact: dict[str, Any]) -> datetime:
    """The earliest moment at or after `now` inside the worker's safe hours (UTC-aware)."""
    window = parse_safe_hours(contact)
    if window is None:
        return now
    start, end, zone = window
    local = now.astimezone(zone)
    if _inside(local.timetz().replace(tzinfo=None), start, end):
        return now
    candidate = local.replace(hour=start.hour, minute=start.minute, second=0, microsecond=0)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate.astimezone(now.tzinfo)


def _inside(moment: time, start: time, end: time) -> bool:
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end  # a window across midnight


def queue_notification(
    db: sqlite_utils.Database,
    *,
    ticket: dict[str, Any],
    milestone: str,
    params: dict[str, Any],
    now: datetime,
    template: str | None = None,
) -> int:
    """Queue a milestone message in the worker's language, wording and safe hours."""
    contact = loads(ticket["contact"], {})
    neutral = bool(contact.get("neutral"))
    name = template or milestone
    key = f"worker.neutral.{milestone}" if neutral else f"worker.{name}"
    address = row(db, "SELECT channel FROM reply_addresses WHERE ticket_id = ?", (ticket["id"],))
    channel = contact.get("safe_channel") or (address or {}).get("channel") or ticket["channel"]
    cursor = db.execute(
        """INSERT INTO notifications (ticket_id, milestone, channel, language, template_key,
               params, neutral, status, not_before, attempts, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, 0, ?)""",
        (
            ticket["id"],
            milestone,
            channel,
            ticket["language"],
            key,
            dumps(params),
            int(neutral),
            iso_now(next_safe_time(now, contact)),
            iso_now(now),
        ),
    )
    return int(cursor.lastrowid or 0)


def pending_notifications(
    db: sqlite_utils.Database, now: datetime, messages: Messages | None = None
) -> list[Notification]:
    messages = messages or Messages.load()
    found = rows(
        db,
        """SELECT n.*, t.code, r.address AS reply_address, r.channel AS reply_channel
           FROM notifications n JOIN tickets t ON t.id = n.ticket_id
           LEFT JOIN reply_addresses r ON r.ticket_id = n.ticket_id
           WHERE n.status = 'pending' AND n.not_before <= ? ORDER BY n.not_before, n.id""",
        (iso_now(now),),
    )
    out = []
    for item in found:
        params = {**loads(item["params"], {}), "code": item["code"]}
        same_channel = item["reply_channel"] == item["channel"]
        out.append(
            Notification(
                id=item["id"],
                ticket_code=item["code"],
                milestone=item["milestone"],
                channel=item["channel"],
                address=item["reply_address"] if same_channel else None,
                language=item["language"],
                template_key=item["template_key"],
                text=messages.render(item["template_key"], item["language"], **params),
                neutral=bool(item["neutral"]),
                not_before=item["not_before"],
                attempts=item["attempts"],
            )
        )
    return out


def mark_notification(
    db: sqlite_utils.Database,
    notification_id: int,
    delivered: bool,
    error: str | None = None,
    *,
    now: datetime,
    max_attempts: int = MAX_ATTEMPTS,
) -> None:
    """Record a send attempt: sent, or retried later with backoff, or `failed` for good."""
    found = row(db, "SELECT * FROM notifications WHERE id = ?", (notification_id,))
    if found is None:
        raise KeyError(notification_id)
    attempts = found["attempts"] + 1
    with write_transaction(db):
        if delivered:
            db.execute(
                "UPDATE notifications SET status = 'sent', attempts = ?, sent_at = ?,"
                " last_error = NULL WHERE id = ?",
                (attempts, iso_now(now), notification_id),
            )
            return
        final = attempts >= max_attempts
        db.execute(
            "UPDATE notifications SET status = ?, attempts = ?, not_before = ?, last_error = ?"
            " WHERE id = ?",
            (
                "failed" if final else "pending",
                attempts,
                iso_now(now + backoff(attempts)),
                error or "unknown",
                notification_id,
            ),
        )
