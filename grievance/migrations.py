"""Versioned schema migrations for the grievance store (sqlite-utils `Migrations`).

Applied migrations are recorded in the `_migrations` table; each runs in its own transaction.
Never edit a migration that has shipped: add a new one.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.migrations import Migrations


class GrievanceMigrations(Migrations):
    migrations_table = "_migrations"


MIGRATIONS = GrievanceMigrations("grievance")


def _run(db: sqlite_utils.Database, statements: list[str]) -> None:
    # One execute per statement: executescript() would commit the migration's transaction.
    for statement in statements:
        db.execute(statement)


@MIGRATIONS(name="0001_tickets_events_attachments")
def m0001(db: sqlite_utils.Database) -> None:
    _run(
        db,
        [
            """CREATE TABLE tickets (
                id INTEGER PRIMARY KEY,
                code TEXT NOT NULL UNIQUE,
                year INTEGER NOT NULL,
                seq INTEGER NOT NULL,
                pin_hash TEXT NOT NULL,
                pin_salt TEXT NOT NULL,
                channel TEXT NOT NULL,
                channel_user_hash TEXT NOT NULL,
                language TEXT NOT NULL,
                category TEXT NOT NULL,
                legal_type TEXT NOT NULL,
                deadline_kind TEXT NOT NULL,
                destination TEXT,
                province TEXT,
                respondent_kind TEXT NOT NULL,
                respondent TEXT,
                description TEXT NOT NULL,
                incident_date TEXT,
                contact TEXT,
                anonymous INTEGER NOT NULL DEFAULT 0,
                consent TEXT,
                priority TEXT NOT NULL,
                status TEXT NOT NULL,
                unit TEXT NOT NULL,
                assignee TEXT,
                received_at TEXT NOT NULL,
                accept_by TEXT,
                accepted_at TEXT,
                resolve_by TEXT,
                resolve_by_max TEXT,
                remote INTEGER NOT NULL DEFAULT 0,
                complexity TEXT NOT NULL DEFAULT 'normal',
                deadline_start TEXT NOT NULL,
                pauses TEXT NOT NULL DEFAULT '[]',
                paused_since TEXT,
                status_before_pause TEXT,
                extensions_used INTEGER NOT NULL DEFAULT 0,
                deadline_notes TEXT,
                fee_check TEXT,
                source_event_id TEXT UNIQUE,
                case_group TEXT,
                outcome TEXT,
                resolved_at TEXT,
                routing_rule TEXT,
                updated_at TEXT NOT NULL,
                UNIQUE (year, seq)
            )""",
            "CREATE INDEX idx_tickets_unit_status ON tickets (unit, status)",
            "CREATE INDEX idx_tickets_user ON tickets (channel_user_hash)",
            "CREATE INDEX idx_tickets_case_group ON tickets (case_group)",
            """CREATE TABLE code_counters (
                year INTEGER PRIMARY KEY,
                last INTEGER NOT NULL
            )""",
            """CREATE TABLE events (
                id INTEGER PRIMARY KEY,
                ticket_id INTEGER NOT NULL REFERENCES tickets(id),
                at TEXT NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                details TEXT NOT NULL DEFAULT '{}',
                reason TEXT
            )""",
            "CREATE INDEX idx_events_ticket ON events (ticket_id)",
            # The audit log is append-only: the database itself refuses edits and deletions.
            """CREATE TRIGGER events_no_update BEFORE UPDATE ON events
               BEGIN SELECT RAISE(ABORT, 'events are append-only'); END""",
            """CREATE TRIGGER events_no_delete BEFORE DELETE ON events
               BEGIN SELECT RAISE(ABORT, 'events are append-only'); END""",
            """CREATE TABLE attachments (
                id INTEGER PRIMARY KEY,
                ticket_id INTEGER NOT NULL REFERENCES tickets(id),
                stored_name TEXT NOT NULL UNIQUE,
                original_name TEXT NOT NULL,
                mime TEXT NOT NULL,
                size INTEGER NOT NULL,
                sha256 TEXT NOT NULL,
                created_at TEXT NOT NULL
            )""",
            "CREATE INDEX idx_attachments_ticket ON attachments (ticket_id)",
            # The one place a raw channel user id is kept: needed to send status updates back;
            # deleted when the ticket is closed.
            """CREATE TABLE reply_addresses (
                ticket_id INTEGER PRIMARY KEY REFERENCES tickets(id),
                channel TEXT NOT NULL,
                address TEXT NOT NULL
            )""",
        ],
    )


@MIGRATIONS(name="0002_outbox_notifications")
def m0002(db: sqlite_utils.Database) -> None:
    _run(
        db,
        [
            """CREATE TABLE outbox (
                id INTEGER PRIMARY KEY,
                ticket_id INTEGER NOT NULL REFERENCES tickets(id),
                unit TEXT NOT NULL,
                message TEXT NOT NULL,
                params TEXT NOT NULL DEFAULT '{}',
                dedupe_key TEXT NOT NULL,
                delivery_type TEXT NOT NULL,
                address TEXT NOT NULL DEFAULT '',
                status TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at TEXT NOT NULL,
                last_error TEXT,
                created_at TEXT NOT NULL,
                sent_at TEXT,
                UNIQUE (dedupe_key, delivery_type, address)
            )""",
            "CREATE INDEX idx_outbox_due ON outbox (status, next_attempt_at)",
            """CREATE TABLE notifications (
                id INTEGER PRIMARY KEY,
                ticket_id INTEGER NOT NULL REFERENCES tickets(id),
                milestone TEXT NOT NULL,
                channel TEXT NOT NULL,
                language TEXT NOT NULL,
                template_key TEXT NOT NULL,
                params TEXT NOT NULL DEFAULT '{}',
                neutral INTEGER NOT NULL DEFAULT 0,
                status TEXT NOT NULL,
                not_before TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                last_error TEXT,
                created_at TEXT NOT NULL,
                sent_at TEXT
            )""",
            "CREATE INDEX idx_notifications_due ON notifications (status, not_before)",
        ],
    )


@MIGRATIONS(name="0003_deadline_state")
def m0003(db: sqlite_utils.Database) -> None:
    # What the sweep last found (ok | due_soon | overdue), so each mark is made once.
    db["tickets"].add_column("deadline_state", str, not_null_default="ok")


@MIGRATIONS(name="0004_pin_failures")
def m0004(db: sqlite_utils.Database) -> None:
    # Bad PINs per ticket, so that lookups of a code stop after a few wrong guesses.
    _run(
        db,
        [
            """CREATE TABLE pin_failures (
                id INTEGER PRIMARY KEY,
                ticket_id INTEGER NOT NULL REFERENCES tickets(id),
                at TEXT NOT NULL
            )""",
            "CREATE INDEX idx_pin_failures ON pin_failures (ticket_id, at)",
        ],
    )


def apply_migrations(db: sqlite_utils.Database) -> None:
    MIGRATIONS.apply(db)


def known() -> list[str]:
    """Every migration this code knows, in order."""
    return [m.name for m in MIGRATIONS._migrations]


def applied(db: sqlite_utils.Database) -> list[str]:
    return [m.name for m in MIGRATIONS.applied(db)]
