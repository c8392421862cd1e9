"""The deadline sweep: finds tickets due soon or overdue, tells their unit, escalates overdue
ones to the unit's supervisor, and delivers the outbox.

Each alert is keyed by ticket, deadline and date, so repeated sweeps never alert twice about the
same deadline; a new deadline (after acceptance, a pause or an extension) gets its own alerts.
Paused tickets are skipped: their clock is stopped.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from grievance.delivery import DispatchReport
from grievance.service import LEGAL_TZ, GrievanceService
from grievance.store import DEFAULT_DB_PATH
from grievance.tickets import Ticket

logger = logging.getLogger(__name__)

DUE_SOON_WORKING_DAYS = 2
DB_ENV = "HANHTRANG_DB"
SWEEP_ACTOR = "system:sweep"


@dataclass
class SweepReport:
    checked: int = 0
    due_soon: list[str] = field(default_factory=list)
    overdue: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)
    new_alerts: int = 0

    def to_json(self) -> dict[str, object]:
        return {
            "checked": self.checked,
            "due_soon": self.due_soon,
            "overdue": self.overdue,
            "escalated": self.escalated,
            "new_alerts": self.new_alerts,
        }


def current_deadline(ticket: Ticket) -> tuple[str, date] | None:
    """("accept_by" | "resolve_by", date) that runs now, or None when no clock runs."""
    if ticket.status == "paused" or not ticket.is_open:
        return None
    if ticket.accepted_at is None and ticket.accept_by:
        return "accept_by", date.fromisoformat(ticket.accept_by)
    if ticket.accepted_at is not None and ticket.resolve_by:
        return "resolve_by", date.fromisoformat(ticket.resolve_by)
    return None


def working_days_left(service: GrievanceService, today: date, due: date) -> int:
    """Working days after today up to and including the due day (0 = due today)."""
    calendar = service.work_calendar()
    count, day = 0, today
    while day < due:
        day = date.fromordinal(day.toordinal() + 1)
        if calendar.is_working_day(day):
            count += 1
    return count


def sweep(service: GrievanceService, now: datetime) -> SweepReport:
    report = SweepReport()
    today = now.astimezone(LEGAL_TZ).date()
    for ticket in service.queue():
        report.checked += 1
        running = current_deadline(ticket)
        if running is None:
            continue
        which, due = running
        if today > due:
            state = "overdue"
        elif working_days_left(service, today, due) <= DUE_SOON_WORKING_DAYS:
            state = "due_soon"
        else:
            continue
        params = {"date": due.isoformat(), "deadline": which}
        key = f"{state}:{ticket.id}:{which}:{due.isoformat()}"
        added = service.unit_message(ticket.code, ticket.unit, state, key, params)
        getattr(report, state).append(ticket.code)
        if added:
            report.new_alerts += 1
            service.record_event(
                ticket.code,
                SWEEP_ACTOR,
                f"marked_{state}",
                {"deadline": which, "due": due.isoformat(), "unit": ticket.unit},
                deadline_state=state,
            )
        if state == "overdue":
            _escalate(service, ticket, which, due, report)
    logger.info(
        "sweep checked=%s due_soon=%s overdue=%s escalated=%s new_alerts=%s",
        report.checked,
        len(report.due_soon),
        len(report.overdue),
        len(report.escalated),
        report.new_alerts,
    )
    return report


def _escalate(
    service: GrievanceService, ticket: Ticket, which: str, due: date, report: SweepReport
) -> None:
    supervisor = service.router.supervisor(ticket.unit)
    if supervisor is None:
        return
    key = f"escalated:{ticket.id}:{which}:{due.isoformat()}"
    params = {"date": due.isoformat(), "deadline": which, "from_unit": ticket.unit}
    added = service.unit_message(ticket.code, supervisor.id, "escalated", key, params)
    if added:
        report.escalated.append(ticket.code)
        report.new_alerts += 1
        service.record_event(
            ticket.code,
            SWEEP_ACTOR,
            "escalated",
            {
                "deadline": which,
                "due": due.isoformat(),
                "from_unit": ticket.unit,
                "to_unit": supervisor.id,
            },
        )


def db_path() -> Path:
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB_PATH)


def run_once(service: GrievanceService) -> tuple[SweepReport, DispatchReport]:
    report = sweep(service, service.now())
    return report, service.deliver()


def run_forever(
    interval_s: float = 300.0,
    *,
    service: GrievanceService | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Entry point for the process manager: sweep and deliver every `interval_s` seconds.

    One failed round is logged and the loop goes on; `stop` ends it (tests, clean shutdown).
    """
    service = service or GrievanceService.open(db_path())
    stop = stop or threading.Event()
    while not stop.is_set():
        started = time.monotonic()
        try:
            run_once(service)
        except Exception:
            logger.exception("sweep round failed")
        stop.wait(max(0.0, interval_s - (time.monotonic() - started)))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    run_forever(float(os.environ.get("HANHTRANG_SWEEP_INTERVAL_S", "300")))
