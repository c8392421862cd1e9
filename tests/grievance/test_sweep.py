"""The deadline sweep: due-soon and overdue marks, escalation, each alert once."""

import threading
from datetime import UTC, datetime

from grievance.delivery import outbox_for
from grievance.sweep import current_deadline, run_forever, sweep

# labour_complaint filed Mon 2 Nov 2026: accept_by = 7 working days = Wed 11 Nov 2026.
MON_9 = datetime(2026, 11, 9, 3, 0, tzinfo=UTC)  # 2 working days before 11 Nov
FRI_6 = datetime(2026, 11, 6, 3, 0, tzinfo=UTC)  # 3 working days before
THU_12 = datetime(2026, 11, 12, 3, 0, tzinfo=UTC)  # the day after


def _alerts(service, ticket, message=None):
    return [
        (r["unit"], r["message"], r["delivery_type"])
        for r in outbox_for(service.db, ticket.id)
        if message is None or r["message"] == message
    ]


def test_nothing_is_marked_three_working_days_ahead(service, new_ticket, clock):
    ticket, _ = service.file_ticket(new_ticket())
    clock.set(FRI_6)
    report = sweep(service, FRI_6)
    assert (report.due_soon, report.overdue, report.checked) == ([], [], 1)
    assert ticket.accept_by == "2026-11-11"


def test_due_soon_is_marked_once(service, new_ticket, clock):
    ticket, _ = service.file_ticket(new_ticket())
    clock.set(MON_9)
    first = sweep(service, MON_9)
    second = sweep(service, MON_9)
    marks = [e for e in service.events(ticket.code) if e.action == "marked_due_soon"]
    assert (first.due_soon, first.new_alerts, second.new_alerts) == ([ticket.code], 1, 0)
    assert _alerts(service, ticket, "due_soon") == [("recruiter", "due_soon", "console")]
    assert len(marks) == 1
    assert service.get(ticket.code).deadline_state == "due_soon"


def test_overdue_is_escalated_to_the_supervisor_once(service, new_ticket, clock):
    ticket, _ = service.file_ticket(new_ticket())
    clock.set(THU_12)
    first = sweep(service, THU_12)
    second = sweep(service, THU_12)
    assert (first.overdue, first.escalated) == ([ticket.code], [ticket.code])
    assert (second.overdue, second.escalated, second.new_alerts) == ([ticket.code], [], 0)
    assert _alerts(service, ticket, "escalated") == [("dolab_complaints", "escalated", "console")]
    assert [e.action for e in service.events(ticket.code)][-2:] == ["marked_overdue", "escalated"]


def test_a_new_deadline_gets_new_alerts(service, new_ticket, clock):
    ticket, _ = service.file_ticket(new_ticket())
    clock.set(MON_9)
    sweep(service, MON_9)
    service.accept(ticket.code, "recruiter")
    accepted = service.get(ticket.code)
    assert current_deadline(accepted)[0] == "resolve_by"
    assert sweep(service, MON_9).due_soon == []  # resolve_by is weeks away


def test_paused_tickets_are_left_alone(service, new_ticket, clock):
    ticket, _ = service.file_ticket(new_ticket())
    service.pause(ticket.code, "staff", "worker in hospital")
    clock.set(THU_12)
    report = sweep(service, THU_12)
    assert (report.overdue, report.due_soon) == ([], [])


def test_run_forever_sweeps_and_delivers_until_stopped(service, new_ticket, clock):
    ticket, _ = service.file_ticket(new_ticket())
    clock.set(THU_12)
    stop = threading.Event()
    worker = threading.Thread(
        target=run_forever, kwargs={"interval_s": 0.05, "service": service, "stop": stop}
    )
    worker.start()
    stop.wait(0.5)
    stop.set()
    worker.join(timeout=5)
    statuses = {r["message"]: r["status"] for r in outbox_for(service.db, ticket.id)}
    assert worker.is_alive() is False
    assert statuses == {"new_ticket": "sent", "overdue": "sent", "escalated": "sent"}
