"""Ticket data: the records other code sees, the vocabularies, and the small pure helpers
(codes, PINs, user hashes, respondent keys) that the service builds tickets with.

Nothing here touches the database; grievance/service.py does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import secrets
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from knowledge_base.text import fold

logger = logging.getLogger(__name__)

CHANNELS = ("telegram", "zalo", "web", "phone", "api")
LANGUAGES = ("vi", "en")
CATEGORIES = (
    "fee_overcharge",
    "contract_violation",
    "unpaid_wages",
    "documents_confiscated",
    "abuse_violence",
    "trafficking_forced_labour",
    "recruitment_fraud",
    "accident_illness_death",
    "deposit_not_returned",
    "other",
)
LEGAL_TYPES = ("complaint", "denunciation", "petition", "help_request")
RESPONDENT_KINDS = ("recruiter", "employer_abroad", "broker", "unknown")
CONSENT_KEYS = ("ministry", "recruiter", "employer", "embassy")
PRIORITIES = ("urgent", "high", "normal")
STATUSES = (
    "received",
    "accepted",
    "refused",
    "transferred",
    "in_progress",
    "paused",
    "extended",
    "resolved",
    "closed",
)
OPEN_STATUSES = ("received", "accepted", "transferred", "in_progress", "paused", "extended")
FINAL_STATUSES = ("refused", "resolved", "closed")

# Which statuses each action may start from: the service refuses anything else.
ALLOWED_FROM: dict[str, tuple[str, ...]] = {
    "accept": ("received", "transferred"),
    "refuse": ("received", "transferred"),
    "transfer": ("received", "accepted", "transferred", "in_progress", "extended"),
    "extend": ("accepted", "in_progress", "extended"),
    "pause": ("received", "accepted", "transferred", "in_progress", "extended"),
    "resume": ("paused",),
    "resolve": ("accepted", "in_progress", "extended", "transferred", "received"),
    "close": ("refused", "resolved"),
}

CODE_PREFIX = "HT"
CODE_RE = re.compile(r"^HT-(\d{4})-(\d{6})$")
PIN_DIGITS = 6
DEV_SECRET = "hanhtrang-dev-secret-do-not-use-in-production"
SECRET_ENV = "HANHTRANG_SECRET"


@dataclass
class Ticket:
    """One grievance as stored. `to_public_json` is what leaves the service."""

    id: int
    code: str
    channel: str
    language: str
    category: str
    legal_type: str
    deadline_kind: str
    destination: str | None
    province: str | None
    respondent_kind: str
    respondent: str | None
    description: str
    incident_date: str | None
    contact: dict[str, Any]
    anonymous: bool
    consent: dict[str, bool]
    priority: str
    status: str
    unit: str
    assignee: str | None
    received_at: str
    accept_by: str | None
    accepted_at: str | None
    resolve_by: str | None
    resolve_by_max: str | None
    remote: bool
    complexity: str
    deadline_start: str
    pauses: list[list[str]]
    paused_since: str | None
    extensions_used: int
    deadline_state: str
    fee_check: dict[str, Any] | None
    source_event_id: str | None
    case_group: str | None
    outcome: str | None
    resolved_at: str | None
    routing_rule: str | None
    deadline_notes: list[str] = field(default_factory=list)
    pin_hash: str = field(default="", repr=False)
    pin_salt: str = field(default="", repr=False)
    channel_user_hash: str = field(default="", repr=False)

    PRIVATE_FIELDS = ("pin_hash", "pin_salt", "channel_user_hash", "id")

    def to_public_json(self) -> dict[str, Any]:
        """Everything staff and the worker may see: never the PIN hash or the user hash."""
        data = asdict(self)
        for name in self.PRIVATE_FIELDS:
            data.pop(name, None)
        return data

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True)
class Event:
    """One line of a ticket's append-only history."""

    id: int
    ticket_code: str
    at: str
    actor: str
    action: str
    details: dict[str, Any]
    reason: str | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Attachment:
    id: int
    ticket_code: str
    stored_name: str
    original_name: str
    mime: str
    size: int
    sha256: str
    created_at: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class NewTicket:
    """What a channel (bot, console, hotline, API) hands over to file a ticket."""

    channel: str
    channel_user_id: str
    language: str
    category: str
    description: str
    destination: str | None = None
    province: str | None = None
    respondent_kind: str = "unknown"
    respondent: str | None = None
    incident_date: str | date | None = None
    contact: dict[str, Any] | None = None
    anonymous: bool = False
    consent: dict[str, bool] | None = None
    legal_type: str | None = None
    fee_check: dict[str, Any] | None = None
    source_event_id: str | None = None
    remote: bool = False


def format_code(year: int, seq: int) -> str:
    return f"{CODE_PREFIX}-{year:04d}-{seq:06d}"


def normalise_code(code: str) -> str:
    """Codes arrive typed by hand or read over the phone: upper-case and trimmed."""
    return code.strip().upper()


def new_pin() -> str:
    return f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}"


# Stored PIN hashes of this scheme start with this tag; untagged hashes are the first scheme's.
PIN_SCHEME = "hmac-sha256$"
# Bad PINs for one ticket code within PIN_LOCK_WINDOW before lookups of that code are refused.
PIN_MAX_FAILURES = 5
PIN_LOCK_WINDOW = timedelta(hours=1)


def hash_pin(pin: str, key: str, salt: str | None = None) -> tuple[str, str]:
    """(hash, salt): HMAC-SHA256 of salt and PIN, keyed with the installation secret.

    A 6-digit PIN cannot be made safe against an offline search by a slow hash at a price the bot
    can pay per ticket (scrypt at 40 ms/ticket still let a stolen table be searched in ~11 hours
    per ticket, and cost the action server most of its CPU under load). The protection comes
    instead from the key, which is not in the database (HANHTRANG_SECRET), and from refusing a
    code after PIN_MAX_FAILURES bad guesses (GrievanceService.lookup).
    """
    salt = salt or secrets.token_hex(16)
    # "pin:" keeps these digests apart from the user hashes made with the same key.
    digest = hmac.new(key.encode(), b"pin:" + bytes.fromhex(salt) + pin.encode(), hashlib.sha256)
    return PIN_SCHEME + digest.hexdigest(), salt


def _legacy_hash(pin: str, salt: str) -> str:
    """The first scheme (tickets filed before 2026-11-24): unkeyed scrypt."""
    return hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt), n=2**14, r=8, p=1,
                          dklen=32).hex()


@dataclass(frozen=True)
class PinSecret:
    """A new ticket's PIN with its hash and salt, made before the ticket is written."""

    pin: str = field(repr=False)
    pin_hash: str = field(repr=False)
    salt: str = field(repr=False)


def new_pin_secret(key: str) -> PinSecret:
    pin = new_pin()
    pin_hash, salt = hash_pin(pin, key)
    return PinSecret(pin=pin, pin_hash=pin_hash, salt=salt)


def check_pin(pin: str, pin_hash: str, salt: str, key: str) -> bool:
    """Constant-time comparison, so response time says nothing about how close a guess was."""
    pin = pin.strip()
    if pin_hash.startswith(PIN_SCHEME):
        candidate, _ = hash_pin(pin, key, salt)
    else:
        candidate = _legacy_hash(pin, salt)
    return hmac.compare_digest(candidate, pin_hash)


def resolve_secret(secret: str | None = None) -> str:
    """The HMAC key for channel user ids: argument, then env, then a dev default (warned)."""
    value = secret or os.environ.get(SECRET_ENV)
    if value:
        return value
    logger.warning("%s is not set: using the development secret for user hashes", SECRET_ENV)
    return DEV_SECRET


def user_hash(secret: str, channel: str, user_id: str) -> str:
    """HMAC-SHA256 of channel and user id: lets a worker find their tickets, hides who they are."""
    message = f"{channel}:{user_id}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


_LICENCE_RE = re.compile(r"(\d{1,4})\s*/\s*(?:[a-z]+\s*-\s*)?gp", re.IGNORECASE)
# Words that every company name carries and that hide a match when spelled differently.
_COMPANY_WORDS = (
    "cong ty",
    "co phan",
    "trach nhiem huu han",
    "tnhh",
    "mtv",
    "mot thanh vien",
    "cp",
    "jsc",
    "co., ltd",
    "co ltd",
    "company",
    "limited",
    "ltd",
    "joint stock",
    "corporation",
    "corp",
)


def respondent_key(respondent: str | None) -> str | None:
    """A key that groups tickets about the same recruiter or employer into one collective case.

    A licence number (e.g. "123/LĐTBXH-GP") wins; else the name without diacritics, company-type
    words and punctuation. Different spellings of the same firm still need staff to merge them.
    """
    if not respondent or not respondent.strip():
        return None
    folded = fold(respondent)
    licence = _LICENCE_RE.search(folded)
    if licence:
        return f"lic:{int(licence.group(1))}"
    name = folded
    for word in sorted(_COMPANY_WORDS, key=len, reverse=True):
        name = re.sub(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", " ", name)
    name = re.sub(r"[^a-z0-9]+", " ", name).strip()
    return f"name:{name}" if name else None


def case_group_for(key: str | None) -> str | None:
    if key is None:
        return None
    return "CG-" + hashlib.sha256(key.encode()).hexdigest()[:10]


def dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def loads(value: str | None, default: Any = None) -> Any:
    return default if value is None else json.loads(value)


def ticket_from_row(row: dict[str, Any]) -> Ticket:
    return Ticket(
        id=row["id"],
        code=row["code"],
        channel=row["channel"],
        language=row["language"],
        category=row["category"],
        legal_type=row["legal_type"],
        deadline_kind=row["deadline_kind"],
        destination=row["destination"],
        province=row["province"],
        respondent_kind=row["respondent_kind"],
        respondent=row["respondent"],
        description=row["description"],
        incident_date=row["incident_date"],
        contact=loads(row["contact"], {}),
        anonymous=bool(row["anonymous"]),
        consent=loads(row["consent"], {}),
        priority=row["priority"],
        status=row["status"],
        unit=row["unit"],
        assignee=row["assignee"],
        received_at=row["received_at"],
        accept_by=row["accept_by"],
        accepted_at=row["accepted_at"],
        resolve_by=row["resolve_by"],
        resolve_by_max=row["resolve_by_max"],
        remote=bool(row["remote"]),
        complexity=row["complexity"],
        deadline_start=row["deadline_start"],
        pauses=loads(row["pauses"], []),
        paused_since=row["paused_since"],
        extensions_used=row["extensions_used"],
        deadline_state=row["deadline_state"] or "ok",
        fee_check=loads(row["fee_check"]),
        source_event_id=row["source_event_id"],
        case_group=row["case_group"],
        outcome=row["outcome"],
        resolved_at=row["resolved_at"],
        routing_rule=row["routing_rule"],
        deadline_notes=loads(row["deadline_notes"], []),
        pin_hash=row["pin_hash"],
        pin_salt=row["pin_salt"],
        channel_user_hash=row["channel_user_hash"],
    )


def iso_now(now: datetime) -> str:
    return now.isoformat(timespec="seconds")
