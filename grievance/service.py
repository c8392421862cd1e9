"""The grievance service: the one API the bot, the staff console, the JSON API and the hotline CLI
use to file and handle tickets.

Every change is one durable transaction that also appends to the ticket's audit log (`events`),
queues the unit's delivery (`outbox`) and the worker's status update (`notifications`), so the
three never disagree. Errors are `GrievanceError` with a stable `code`; the edges translate them.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import re
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

import sqlite_utils

from grievance import delivery
from grievance.calendar import WorkCalendar
from grievance.categories import Categories, CategoryError
from grievance.deadlines import DeadlineError, Deadlines, compute_deadlines
from grievance.routing import Case, Router
from grievance.store import REPO_ROOT, open_db, row, rows, write_transaction
from grievance.tickets import (
    ALLOWED_FROM,
    CHANNELS,
    CONSENT_KEYS,
    LANGUAGES,
    LEGAL_TYPES,
    OPEN_STATUSES,
    PIN_LOCK_WINDOW,
    PIN_MAX_FAILURES,
    PRIORITIES,
    RESPONDENT_KINDS,
    Attachment,
    Event,
    NewTicket,
    PinSecret,
    Ticket,
    case_group_for,
    check_pin,
    dumps,
    format_code,
    iso_now,
    loads,
    new_pin_secret,
    normalise_code,
    resolve_secret,
    respondent_key,
    ticket_from_row,
    user_hash,
)

logger = logging.getLogger(__name__)

LEGAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")  # legal days are Vietnamese days
DEFAULT_ATTACHMENTS_DIR = REPO_ROOT / "var" / "attachments"
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# Allowed attachment types and the first bytes each must start with (a renamed .exe is refused).
ATTACHMENT_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "image/jpeg": (".jpg", (b"\xff\xd8\xff",)),
    "image/png": (".png", (b"\x89PNG\r\n\x1a\n",)),
    "image/webp": (".webp", (b"RIFF",)),
    "application/pdf": (".pdf", (b"%PDF-",)),
}
_ISO2 = re.compile(r"^[A-Z]{2}$")


P = ParamSpec("P")
R = TypeVar("R")


def _locked(
    method: Callable[Concatenate[GrievanceService, P], R],
) -> Callable[Concatenate[GrievanceService, P], R]:
    """One connection is shared by the threads of a process: reads wait for a write to finish,
    so they never see half of a transaction."""

    @functools.wraps(method)
    def wrapper(self: GrievanceService, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._lock:
            return method(self, *args, **kwargs)

    return wrapper


class GrievanceError(Exception):
    """A request the service refuses; `code` is stable (not_found, bad_pin, invalid_category …)."""

    def __init__(self, code: str, detail: str | None = None) -> None:
        super().__init__(detail or code)
        self.code = code
        self.detail = detail


class GrievanceService:
    def __init__(
        self,
        db: sqlite_utils.Database,
        *,
        now: Callable[[], datetime] | None = None,
        secret: str | None = None,
        calendar: WorkCalendar | None = None,
        router: Router | None = None,
        categories: Categories | None = None,
        messages: delivery.Messages | None = None,
        attachments_dir: Path | None = None,
    ) -> None:
        self.db = db
        self._now = now or (lambda: datetime.now(UTC))
        self._secret = resolve_secret(secret)
        self.calendar = calendar
        self.router = router or Router()
        self.categories = categories or Categories.load()
        self.messages = messages or delivery.Messages.load()
        self.attachments_dir = attachments_dir or DEFAULT_ATTACHMENTS_DIR
        self._lock = threading.RLock()

    @classmethod
    def open(cls, path: str | Path, **kwargs: Any) -> GrievanceService:
        """A service on a file database (WAL, synchronous=FULL, migrated)."""
        kwargs.setdefault("attachments_dir", Path(path).parent / "attachments")
        return cls(open_db(path), **kwargs)

    # -- time ------------------------------------------------------------------------------

    def now(self) -> datetime:
        moment = self._now()
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def today(self) -> date:
        return self.now().astimezone(LEGAL_TZ).date()

    def work_calendar(self) -> WorkCalendar:
        if self.calendar is None:
            self.calendar = WorkCalendar()
        return self.calendar

    # -- filing ----------------------------------------------------------------------------

    def file_ticket(self, new: NewTicket) -> tuple[Ticket, str | None]:
        """File a ticket and return it with its plain PIN, after the commit.

        Idempotent on `source_event_id`: a repeated channel event returns the existing ticket and
        PIN None (the PIN is shown once only; it is not stored in plain text).
        """
        with self._lock:
            if new.source_event_id:
                existing = row(
                    self.db,
                    "SELECT * FROM tickets WHERE source_event_id = ?",
                    (new.source_event_id,),
                )
                if existing is not None:
                    logger.info("duplicate channel event for ticket %s", existing["code"])
                    return ticket_from_row(existing), None
            clean = self._validated(new)
            try:
                return self._insert(new, clean, new_pin_secret(self._secret))
            except sqlite3.IntegrityError:
                if new.source_event_id:  # another writer filed the same event first
                    existing = row(
                        self.db,
                        "SELECT * FROM tickets WHERE source_event_id = ?",
                        (new.source_event_id,),
                    )
                    if existing is not None:
                        return ticket_from_row(existing), None
                raise

    def _validated(self, new: NewTicket) -> dict[str, Any]:
        if new.channel not in CHANNELS:
            raise GrievanceError("invalid_channel", new.channel)
        if new.language not in LANGUAGES:
            raise GrievanceError("invalid_language", new.language)
        if new.respondent_kind not in RESPONDENT_KINDS:
            raise GrievanceError("invalid_respondent_kind", new.respondent_kind)
        if new.legal_type is not None and new.legal_type not in LEGAL_TYPES:
            raise GrievanceError("invalid_legal_type", new.legal_type)
        if not new.description or not new.description.strip():
            raise GrievanceError("description_required")
        if not str(new.channel_user_id or "").strip():
            raise GrievanceError("channel_user_required")
        try:
            proposal = self.categories.propose(new.category, new.respondent_kind, new.legal_type)
        except CategoryError as exc:
            raise GrievanceError("invalid_category", new.category) from exc
        destination = (new.destination or "").strip().upper() or None
        if destination is not None and not _ISO2.match(destination):
            raise GrievanceError("invalid_destination", new.destination)
        province = None
        if new.province and new.province.strip():
            province = self.router.resolve_province(new.province)
            if province is None:
                raise GrievanceError("invalid_province", new.province)
        consent = dict(new.consent or {})
        if set(consent) - set(CONSENT_KEYS):
            raise GrievanceError("invalid_consent", ",".join(sorted(set(consent))))
        contact = dict(new.contact or {})
        try:
            delivery.parse_safe_hours(contact)
        except delivery.DeliveryConfigError as exc:
            raise GrievanceError("invalid_contact", str(exc)) from exc
        incident = new.incident_date
        if isinstance(incident, date):
            incident = incident.isoformat()
        elif incident:
            try:
                incident = date.fromisoformat(str(incident)).isoformat()
            except ValueError as exc:
                raise GrievanceError("invalid_date", str(incident)) from exc
        return {
            "proposal": proposal,
            "destination": destination,
            "province": province,
            "consent": {key: bool(consent.get(key, False)) for key in CONSENT_KEYS},
            "contact": contact,
            "incident_date": incident or None,
        }

    def _insert(
        self, new: NewTicket, clean: dict[str, Any], secret: PinSecret
    ) -> tuple[Ticket, str]:
        now = self.now()
        received = now.astimezone(LEGAL_TZ).date()
        proposal = clean["proposal"]
        case = Case(
            category=new.category,
            legal_type=proposal.legal_type,
            deadline_kind=proposal.deadline_kind,
            respondent_kind=new.respondent_kind,
            destination=clean["destination"],
            province=clean["province"],
        )
        decision = self.router.route(case, received)
        deadlines = self._compute(proposal.deadline_kind, received, remote=new.remote)
        pin, pin_hash, pin_salt = secret.pin, secret.pin_hash, secret.salt
        group = case_group_for(respondent_key(new.respondent))
        with write_transaction(self.db):
            seq = self._next_seq(received.year)
            code = format_code(received.year, seq)
            values = {
                "code": code,
                "year": received.year,
                "seq": seq,
                "pin_hash": pin_hash,
                "pin_salt": pin_salt,
                "channel": new.channel,
                "channel_user_hash": user_hash(self._secret, new.channel, new.channel_user_id),
                "language": new.language,
                "category": new.category,
                "legal_type": proposal.legal_type,
                "deadline_kind": proposal.deadline_kind,
                "destination": clean["destination"],
                "province": clean["province"],
                "respondent_kind": new.respondent_kind,
                "respondent": (new.respondent or "").strip() or None,
                "description": new.description.strip(),
                "incident_date": clean["incident_date"],
                "contact": dumps(clean["contact"]),
                "anonymous": int(bool(new.anonymous)),
                "consent": dumps(clean["consent"]),
                "priority": proposal.priority,
                "status": "received",
                "unit": decision.unit_id,
                "received_at": iso_now(now),
                "accept_by": _iso(deadlines.accept_by),
                "resolve_by": _iso(deadlines.resolve_by),
                "resolve_by_max": _iso(deadlines.resolve_by_max),
                "remote": int(bool(new.remote)),
                "complexity": "normal",
                "deadline_start": received.isoformat(),
                "pauses": "[]",
                "extensions_used": 0,
                "deadline_notes": dumps(list(deadlines.warnings)),
                "fee_check": dumps(new.fee_check),
                "source_event_id": new.source_event_id,
                "case_group": group,
                "routing_rule": decision.rule_id,
                "updated_at": iso_now(now),
            }
            names = ", ".join(values)
            marks = ", ".join("?" for _ in values)
            cursor = self.db.execute(
                f"INSERT INTO tickets ({names}) VALUES ({marks})", list(values.values())
            )
            ticket_id = int(cursor.lastrowid or 0)
            self.db.execute(
                "INSERT INTO reply_addresses (ticket_id, channel, address) VALUES (?, ?, ?)",
                (ticket_id, new.channel, str(new.channel_user_id)),
            )
            actor = f"channel:{new.channel}"
            self._event(
                ticket_id,
                actor,
                "filed",
                {
                    "category": new.category,
                    "legal_type": proposal.legal_type,
                    "deadline_kind": proposal.deadline_kind,
                    "priority": proposal.priority,
                    "anonymous": bool(new.anonymous),
                },
            )
            self._event(
                ticket_id,
                "system",
                "routed",
                {
                    "rule": decision.rule_id,
                    "unit": decision.unit_id,
                    "fallback": decision.fallback,
                    "citation": decision.citation,
                    "rules_as_of": received.isoformat(),
                },
            )
            self._event(ticket_id, "system", "deadlines_set", deadlines.to_json())
            if group:
                size = self.db.execute(
                    "SELECT count(*) FROM tickets WHERE case_group = ?", (group,)
                ).fetchone()[0]
                if size > 1:
                    self._event(ticket_id, "system", "grouped", {"case_group": group, "size": size})
            self._to_unit(ticket_id, decision.unit_id, "new_ticket", f"new:{ticket_id}", now)
            ticket_row = self._row_by_id(ticket_id)
            delivery.queue_notification(
                self.db,
                ticket=ticket_row,
                milestone="received",
                params={"date": _iso(deadlines.accept_by) or ""},
                now=now,
            )
        logger.info(
            "ticket filed code=%s category=%s unit=%s rule=%s",
            code,
            new.category,
            decision.unit_id,
            decision.rule_id,
        )
        return ticket_from_row(ticket_row), pin

    def _next_seq(self, year: int) -> int:
        self.db.execute(
            "INSERT INTO code_counters (year, last) VALUES (?, 1)"
            " ON CONFLICT(year) DO UPDATE SET last = last + 1",
            (year,),
        )
        return int(
            self.db.execute("SELECT last FROM code_counters WHERE year = ?", (year,)).fetchone()[0]
        )

    # -- reading ---------------------------------------------------------------------------

    @_locked
    def get(self, code: str) -> Ticket:
        return ticket_from_row(self._row(code))

    @_locked
    def lookup(self, code: str, pin: str) -> Ticket:
        """A worker's own view: the code and the PIN must both match.

        After PIN_MAX_FAILURES bad PINs for a code within PIN_LOCK_WINDOW, that code is refused
        ("locked", even with the right PIN) until the window has passed: a 6-digit PIN is only
        as strong as the number of guesses allowed.
        """
        found = row(self.db, "SELECT * FROM tickets WHERE code = ?", (normalise_code(code),))
        if found is None:
            raise GrievanceError("not_found")
        now = self.now()
        since = iso_now(now - PIN_LOCK_WINDOW)
        failures = self.db.execute(
            "SELECT COUNT(*) FROM pin_failures WHERE ticket_id = ? AND at > ?",
            (found["id"], since),
        ).fetchone()[0]
        if failures >= PIN_MAX_FAILURES:
            logger.info("PIN lookups locked for ticket %s", found["code"])
            raise GrievanceError("locked")
        if not check_pin(str(pin), found["pin_hash"], found["pin_salt"], self._secret):
            with write_transaction(self.db):
                self.db.execute("INSERT INTO pin_failures (ticket_id, at) VALUES (?, ?)",
                                (found["id"], iso_now(now)))
            logger.info("bad PIN for ticket %s", found["code"])
            raise GrievanceError("bad_pin")
        return ticket_from_row(found)

    @_locked
    def tickets_for_user(self, channel: str, channel_user_id: str) -> list[Ticket]:
        digest = user_hash(self._secret, channel, channel_user_id)
        found = rows(
            self.db, "SELECT * FROM tickets WHERE channel_user_hash = ? ORDER BY id", (digest,)
        )
        return [ticket_from_row(r) for r in found]

    @_locked
    def events(self, code: str) -> list[Event]:
        ticket = self._row(code)
        found = rows(
            self.db, "SELECT * FROM events WHERE ticket_id = ? ORDER BY id", (ticket["id"],)
        )
        return [
            Event(
                id=e["id"],
                ticket_code=ticket["code"],
                at=e["at"],
                actor=e["actor"],
                action=e["action"],
                details=loads(e["details"], {}),
                reason=e["reason"],
            )
            for e in found
        ]

    @_locked
    def queue(self, unit_id: str | None = None, status: str | None = None) -> list[Ticket]:
        """Open tickets (or those in `status`), most urgent and earliest due first."""
        clauses, params = [], []
        if unit_id is not None:
            clauses.append("unit = ?")
            params.append(unit_id)
        if status is not None:
            clauses.append("status = ?")
            params.append(status)
        else:
            clauses.append(f"status IN ({', '.join('?' for _ in OPEN_STATUSES)})")
            params.extend(OPEN_STATUSES)
        found = rows(self.db, f"SELECT * FROM tickets WHERE {' AND '.join(clauses)}", params)
        tickets = [ticket_from_row(r) for r in found]
        return sorted(
            tickets, key=lambda t: (PRIORITIES.index(t.priority), _due(t) or "9999", t.id)
        )

    @_locked
    def case_group(self, code: str) -> list[Ticket]:
        ticket = self._row(code)
        if not ticket["case_group"]:
            return [ticket_from_row(ticket)]
        found = rows(
            self.db,
            "SELECT * FROM tickets WHERE case_group = ? ORDER BY id",
            (ticket["case_group"],),
        )
        return [ticket_from_row(r) for r in found]

    @_locked
    def attachments(self, code: str) -> list[Attachment]:
        ticket = self._row(code)
        found = rows(
            self.db, "SELECT * FROM attachments WHERE ticket_id = ? ORDER BY id", (ticket["id"],)
        )
        return [_attachment(ticket["code"], a) for a in found]

    def attachment_path(self, attachment: Attachment) -> Path:
        return self.attachments_dir / attachment.stored_name

    # -- handling --------------------------------------------------------------------------

    def accept(self, code: str, actor: str, on: date | None = None) -> Ticket:
        with self._changing(code, "accept") as t:
            on = on or self.today()
            if on < date.fromisoformat(t["deadline_start"]) or on > self.today():
                raise GrievanceError("invalid_date", "acceptance date outside receipt … today")
            d = self._recompute(t, accepted_on=on)
            late = t["accept_by"] is not None and on.isoformat() > t["accept_by"]
            self._update(t, status="accepted", accepted_at=on.isoformat(), **_dl(d))
            self._event(
                t["id"],
                actor,
                "accepted",
                {"accepted_on": on.isoformat(), "late": late, "deadlines": d.to_json()},
            )
            template = "accepted" if d.resolve_by else "accepted_open"
            self._notify(t, "accepted", {"date": _iso(d.resolve_by) or ""}, template=template)
        return self.get(code)

    def refuse(self, code: str, actor: str, reason: str) -> Ticket:
        reason = _required(reason)
        with self._changing(code, "refuse") as t:
            self._update(t, status="refused")
            self._event(t["id"], actor, "refused", {}, reason)
            self._notify(t, "refused", {"reason": reason})
        return self.get(code)

    def transfer(self, code: str, actor: str, unit_id: str, reason: str) -> Ticket:
        """Move a ticket to another unit. History stays; the legal clock carries over unless the
        transfer rule (routing.yml `transfers`) says it restarts, and the event records which."""
        reason = _required(reason)
        if unit_id not in self.router.units:
            raise GrievanceError("unknown_unit", unit_id)
        with self._changing(code, "transfer") as t:
            if unit_id == t["unit"]:
                raise GrievanceError("same_unit", unit_id)
            rule = self.router.transfer_rule(t["unit"], unit_id)
            before = _deadline_fields(t)
            changes: dict[str, Any] = {"unit": unit_id}
            if rule.deadlines == "restart":
                kind = rule.deadline_kind or t["deadline_kind"]
                start = self.today()
                d = self._compute(kind, start, remote=bool(t["remote"]), complexity="normal")
                changes.update(
                    status="transferred",
                    deadline_kind=kind,
                    deadline_start=start.isoformat(),
                    accepted_at=None,
                    pauses="[]",
                    extensions_used=0,
                    complexity="normal",
                    deadline_state="ok",
                    **_dl(d),
                )
            elif t["accepted_at"] is None:
                changes["status"] = "transferred"
            self._update(t, **changes)
            after = _deadline_fields(self._row_by_id(t["id"]))
            event_id = self._event(
                t["id"],
                actor,
                "transferred",
                {
                    "from_unit": t["unit"],
                    "to_unit": unit_id,
                    "transfer_rule": rule.rule_id,
                    "deadlines": rule.deadlines,
                    "citation": rule.citation,
                    "before": before,
                    "after": after,
                },
                reason,
            )
            self._to_unit(t["id"], unit_id, "transferred_in", f"transfer:{event_id}", self.now())
            unit_name = self.router.unit(unit_id).name[t["language"]]
            self._notify(t, "transferred", {"unit": unit_name})
        return self.get(code)

    def extend(
        self, code: str, actor: str, reason: str, *, complexity: str | None = None
    ) -> Ticket:
        """Use one legal extension (denunciations: Art. 30) or, for complaints, the longer period
        of a complex case (`complexity`). Refused when the law allows no more time."""
        reason = _required(reason)
        with self._changing(code, "extend") as t:
            level = complexity or t["complexity"]
            tries = [(level, t["extensions_used"] + 1)]
            if level != t["complexity"]:
                tries.append((level, t["extensions_used"]))
            d = None
            for level_try, used in tries:
                try:
                    d = self._recompute(t, complexity=level_try, extensions_used=used, strict=True)
                except DeadlineError:
                    continue
                level, new_used = level_try, used
                break
            if d is None or (d.resolve_by is not None and _iso(d.resolve_by) == t["resolve_by"]):
                raise GrievanceError("extension_not_allowed", t["deadline_kind"])
            before = _deadline_fields(t)
            self._update(t, status="extended", complexity=level, extensions_used=new_used, **_dl(d))
            self._event(
                t["id"],
                actor,
                "extended",
                {"before": before, "complexity": level, "deadlines": d.to_json()},
                reason,
            )
            self._notify(t, "extended", {"date": _iso(d.resolve_by) or "", "reason": reason})
        return self.get(code)

    def pause(self, code: str, actor: str, reason: str, start: date | None = None) -> Ticket:
        """Stop the legal clock from `start`. The new deadlines are computed on resume, when the
        length of the pause is known; while paused the sweep leaves the ticket alone."""
        reason = _required(reason)
        with self._changing(code, "pause") as t:
            start = start or self.today()
            if start < date.fromisoformat(t["deadline_start"]) or start > self.today():
                raise GrievanceError("invalid_date", "pause start outside receipt … today")
            self._update(
                t, status="paused", paused_since=start.isoformat(), status_before_pause=t["status"]
            )
            self._event(t["id"], actor, "paused", {"start": start.isoformat()}, reason)
        return self.get(code)

    def resume(self, code: str, actor: str, on: date | None = None) -> Ticket:
        with self._changing(code, "resume") as t:
            on = on or self.today()
            since = date.fromisoformat(t["paused_since"])
            if on < since or on > self.today():
                raise GrievanceError("invalid_date", "resume date outside pause start … today")
            pauses = loads(t["pauses"], [])
            if on > since:  # the pause covers since … the day before resuming
                pauses.append([since.isoformat(), (on - timedelta(days=1)).isoformat()])
            d = self._recompute(t, pauses=pauses)
            before = _deadline_fields(t)
            self._update(
                t,
                status=t["status_before_pause"] or "received",
                paused_since=None,
                status_before_pause=None,
                pauses=dumps(pauses),
                deadline_state="ok",
                **_dl(d),
            )
            self._event(
                t["id"],
                actor,
                "resumed",
                {
                    "on": on.isoformat(),
                    "pauses": pauses,
                    "before": before,
                    "deadlines": d.to_json(),
                },
            )
        return self.get(code)

    def resolve(self, code: str, actor: str, outcome: str) -> Ticket:
        outcome = _required(outcome, "outcome_required")
        with self._changing(code, "resolve") as t:
            self._update(t, status="resolved", outcome=outcome, resolved_at=iso_now(self.now()))
            self._event(t["id"], actor, "resolved", {}, outcome)
            self._notify(t, "resolved", {"outcome": outcome})
        return self.get(code)

    def close(self, code: str, actor: str) -> Ticket:
        """Close a finished ticket and forget the worker's raw channel address."""
        with self._changing(code, "close") as t:
            self._update(t, status="closed")
            self.db.execute("DELETE FROM reply_addresses WHERE ticket_id = ?", (t["id"],))
            self._event(t["id"], actor, "closed", {})
        return self.get(code)

    def set_legal_type(self, code: str, actor: str, legal_type: str, reason: str) -> Ticket:
        reason = _required(reason)
        if legal_type not in LEGAL_TYPES:
            raise GrievanceError("invalid_legal_type", legal_type)
        with self._changing(code, None) as t:
            proposal = self.categories.propose(t["category"], t["respondent_kind"], legal_type)
            kind = proposal.deadline_kind
            same_kind = kind == t["deadline_kind"]
            d = self._recompute(
                t,
                kind=kind,
                extensions_used=t["extensions_used"] if same_kind else 0,
                complexity=t["complexity"] if same_kind else "normal",
            )
            priority = t["priority"] if proposal.priority != "urgent" else "urgent"
            self._update(
                t,
                legal_type=legal_type,
                deadline_kind=kind,
                priority=priority,
                extensions_used=t["extensions_used"] if same_kind else 0,
                complexity=t["complexity"] if same_kind else "normal",
                **_dl(d),
            )
            self._event(
                t["id"],
                actor,
                "legal_type_changed",
                {
                    "from": t["legal_type"],
                    "to": legal_type,
                    "deadline_kind": kind,
                    "deadlines": d.to_json(),
                },
                reason,
            )
        return self.get(code)

    def assign(self, code: str, actor: str, assignee: str) -> Ticket:
        assignee = _required(assignee, "assignee_required")
        with self._changing(code, None) as t:
            if t["status"] not in OPEN_STATUSES:
                raise GrievanceError("bad_status", t["status"])
            status = "in_progress" if t["status"] == "accepted" else t["status"]
            self._update(t, assignee=assignee, status=status)
            self._event(t["id"], actor, "assigned", {"assignee": assignee})
        return self.get(code)

    def add_attachment(self, code: str, data: bytes, original_name: str, mime: str) -> Attachment:
        """Store evidence outside any web root under a random name, after type and size checks."""
        mime = (mime or "").lower().strip()
        if mime not in ATTACHMENT_TYPES:
            raise GrievanceError("attachment_type_not_allowed", mime)
        if len(data) == 0:
            raise GrievanceError("attachment_empty")
        if len(data) > MAX_ATTACHMENT_BYTES:
            raise GrievanceError("attachment_too_large", str(len(data)))
        suffix, magics = ATTACHMENT_TYPES[mime]
        if not any(data.startswith(m) for m in magics) or (
            mime == "image/webp" and data[8:12] != b"WEBP"
        ):
            raise GrievanceError("attachment_type_mismatch", mime)
        with self._lock:
            ticket = self._row(code)
            stored = secrets.token_hex(16) + suffix
            self.attachments_dir.mkdir(parents=True, exist_ok=True)
            target = self.attachments_dir / stored
            with open(target, "xb") as handle:
                handle.write(data)
                handle.flush()
                _fsync(handle)
            digest = hashlib.sha256(data).hexdigest()
            now = iso_now(self.now())
            try:
                with write_transaction(self.db):
                    cursor = self.db.execute(
                        """INSERT INTO attachments (ticket_id, stored_name, original_name, mime,
                               size, sha256, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)""",
                        (ticket["id"], stored, original_name[:255], mime, len(data), digest, now),
                    )
                    attachment_id = int(cursor.lastrowid or 0)
                    self._event(
                        ticket["id"],
                        "system",
                        "attachment_added",
                        {
                            "attachment": attachment_id,
                            "mime": mime,
                            "size": len(data),
                            "sha256": digest,
                        },
                    )
            except BaseException:
                target.unlink(missing_ok=True)
                raise
        found = row(self.db, "SELECT * FROM attachments WHERE id = ?", (attachment_id,))
        assert found is not None
        return _attachment(ticket["code"], found)

    # -- delivery --------------------------------------------------------------------------

    def deliver(self, senders: dict[str, delivery.Sender] | None = None) -> delivery.DispatchReport:
        """Send what is due in the outbox to the units."""
        dispatcher = delivery.Dispatcher(
            self.db, self.router, senders=senders, messages=self.messages, lock=self._lock
        )
        return dispatcher.run_once(self.now())

    @_locked
    def pending_notifications(self, now: datetime | None = None) -> list[delivery.Notification]:
        return delivery.pending_notifications(self.db, now or self.now(), self.messages)

    def mark_notification(
        self, notification_id: int, delivered: bool, error: str | None = None
    ) -> None:
        with self._lock:
            delivery.mark_notification(self.db, notification_id, delivered, error, now=self.now())

    def unit_message(
        self, code: str, unit_id: str, message: str, dedupe_key: str, params: dict[str, Any]
    ) -> int:
        """Queue a message to a unit once per dedupe_key (the sweep's alerts); rows added."""
        ticket = self._row(code)
        with self._lock, write_transaction(self.db):
            return self._to_unit(ticket["id"], unit_id, message, dedupe_key, self.now(), params)

    def record_event(
        self, code: str, actor: str, action: str, details: dict[str, Any], **fields: Any
    ) -> None:
        """Append an event, optionally updating plain columns (used by the sweep)."""
        ticket = self._row(code)
        with self._lock, write_transaction(self.db):
            if fields:
                self._update(ticket, **fields)
            self._event(ticket["id"], actor, action, details)

    # -- internals -------------------------------------------------------------------------

    def _row(self, code: str) -> dict[str, Any]:
        found = row(self.db, "SELECT * FROM tickets WHERE code = ?", (normalise_code(code),))
        if found is None:
            raise GrievanceError("not_found", code)
        return found

    def _row_by_id(self, ticket_id: int) -> dict[str, Any]:
        found = row(self.db, "SELECT * FROM tickets WHERE id = ?", (ticket_id,))
        assert found is not None
        return found

    @contextmanager
    def _changing(self, code: str, action: str | None) -> Iterator[dict[str, Any]]:
        with self._lock:
            ticket = self._row(code)
            if action is not None and ticket["status"] not in ALLOWED_FROM[action]:
                raise GrievanceError("bad_status", f"cannot {action} a {ticket['status']} ticket")
            with write_transaction(self.db):
                yield ticket
            logger.info("ticket %s: %s", ticket["code"], action or "updated")

    def _update(self, ticket: dict[str, Any], **fields: Any) -> None:
        fields["updated_at"] = iso_now(self.now())
        assignments = ", ".join(f"{name} = ?" for name in fields)
        self.db.execute(
            f"UPDATE tickets SET {assignments} WHERE id = ?", [*fields.values(), ticket["id"]]
        )

    def _event(
        self,
        ticket_id: int,
        actor: str,
        action: str,
        details: dict[str, Any],
        reason: str | None = None,
    ) -> int:
        cursor = self.db.execute(
            "INSERT INTO events (ticket_id, at, actor, action, details, reason)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (ticket_id, iso_now(self.now()), actor, action, dumps(details) or "{}", reason),
        )
        return int(cursor.lastrowid or 0)

    def _to_unit(
        self,
        ticket_id: int,
        unit_id: str,
        message: str,
        dedupe_key: str,
        now: datetime,
        params: dict[str, Any] | None = None,
    ) -> int:
        ticket = self._row_by_id(ticket_id)
        return delivery.enqueue_unit_message(
            self.db,
            ticket_id=ticket_id,
            unit=self.router.unit(unit_id),
            message=message,
            params=params or {},
            dedupe_key=dedupe_key,
            consent=loads(ticket["consent"], {}),
            now=now,
        )

    def _notify(
        self,
        ticket: dict[str, Any],
        milestone: str,
        params: dict[str, Any],
        template: str | None = None,
    ) -> None:
        delivery.queue_notification(
            self.db,
            ticket=ticket,
            milestone=milestone,
            params=params,
            now=self.now(),
            template=template,
        )

    def _compute(
        self,
        kind: str,
        start: date,
        *,
        remote: bool = False,
        complexity: str = "normal",
        accepted_on: date | None = None,
        pauses: list[list[str]] | None = None,
        extensions_used: int = 0,
        strict: bool = False,
    ) -> Deadlines:
        try:
            return compute_deadlines(
                kind,
                start,
                remote=remote,
                complexity=complexity,
                accepted_on=accepted_on,
                pauses=[(date.fromisoformat(a), date.fromisoformat(b)) for a, b in pauses or []],
                extensions_used=extensions_used,
                calendar=self.work_calendar(),
            )
        except DeadlineError as exc:
            if strict:
                raise
            raise GrievanceError("deadline_error", str(exc)) from exc

    def _recompute(
        self, ticket: dict[str, Any], *, kind: str | None = None, strict: bool = False, **over: Any
    ) -> Deadlines:
        accepted = ticket["accepted_at"]
        args: dict[str, Any] = {
            "remote": bool(ticket["remote"]),
            "complexity": ticket["complexity"],
            "accepted_on": date.fromisoformat(accepted) if accepted else None,
            "pauses": loads(ticket["pauses"], []),
            "extensions_used": ticket["extensions_used"],
        }
        args.update(over)
        start = date.fromisoformat(ticket["deadline_start"])
        return self._compute(kind or ticket["deadline_kind"], start, strict=strict, **args)


def _required(text: str | None, code: str = "reason_required") -> str:
    if text is None or not str(text).strip():
        raise GrievanceError(code)
    return str(text).strip()


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _dl(d: Deadlines) -> dict[str, Any]:
    return {
        "accept_by": _iso(d.accept_by),
        "resolve_by": _iso(d.resolve_by),
        "resolve_by_max": _iso(d.resolve_by_max),
        "deadline_notes": dumps(list(d.warnings)),
    }


def _deadline_fields(ticket: dict[str, Any]) -> dict[str, Any]:
    names = ("deadline_kind", "deadline_start", "accept_by", "resolve_by", "resolve_by_max")
    return {name: ticket[name] for name in names}


def _due(ticket: Ticket) -> str | None:
    return ticket.accept_by if ticket.accepted_at is None else ticket.resolve_by


def _attachment(code: str, found: dict[str, Any]) -> Attachment:
    return Attachment(
        id=found["id"],
        ticket_code=code,
        stored_name=found["stored_name"],
        original_name=found["original_name"],
        mime=found["mime"],
        size=found["size"],
        sha256=found["sha256"],
        created_at=found["created_at"],
    )


def _fsync(handle: Any) -> None:
    os.fsync(handle.fileno())
