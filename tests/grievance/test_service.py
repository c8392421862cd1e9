"""GrievanceService: filing, reading, handling, deadlines and attachments, on real SQLite."""

import hashlib
import sqlite3
import threading
from datetime import UTC, date, datetime, timedelta

import pytest

from grievance.deadlines import compute_deadlines
from grievance.service import MAX_ATTACHMENT_BYTES, GrievanceError, GrievanceService
from grievance.store import row
from grievance.tickets import PIN_SCHEME, check_pin

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"x" * 64


def test_ticket_is_committed_before_the_code_is_returned(file_service, new_ticket, tmp_path):
    ticket, pin = file_service.file_ticket(new_ticket())
    other = sqlite3.connect(tmp_path / "hanhtrang.db")
    found = other.execute(
        "SELECT code, status, unit FROM tickets WHERE code = ?", (ticket.code,)
    ).fetchone()
    assert found == (ticket.code, "received", "recruiter")
    assert pin is not None and len(pin) == 6


def test_a_repeated_channel_event_returns_the_same_ticket(service, new_ticket):
    first, pin = service.file_ticket(new_ticket(source_event_id="telegram:555"))
    again, again_pin = service.file_ticket(new_ticket(source_event_id="telegram:555"))
    assert (again.code, again_pin) == (first.code, None)
    assert service.db["tickets"].count == 1
    assert pin is not None


def test_codes_are_sequential_per_year_across_new_year(service, new_ticket, clock):
    clock.set(datetime(2026, 12, 31, 10, 0, tzinfo=UTC))  # 17:00 in Hà Nội
    codes = [service.file_ticket(new_ticket())[0].code for _ in range(2)]
    clock.set(datetime(2026, 12, 31, 17, 30, tzinfo=UTC))  # 00:30 on 1 Jan 2027 in Hà Nội
    codes.append(service.file_ticket(new_ticket())[0].code)
    codes.append(service.file_ticket(new_ticket())[0].code)
    assert codes == ["HT-2026-000001", "HT-2026-000002", "HT-2027-000001", "HT-2027-000002"]


def test_lookup_needs_the_right_pin(service, new_ticket):
    ticket, pin = service.file_ticket(new_ticket())
    assert service.lookup(ticket.code.lower(), pin).code == ticket.code
    wrong = f"{(int(pin) + 1) % 1_000_000:06d}"
    with pytest.raises(GrievanceError) as bad:
        service.lookup(ticket.code, wrong)
    with pytest.raises(GrievanceError) as missing:
        service.lookup("HT-2026-999999", pin)
    assert (bad.value.code, missing.value.code) == ("bad_pin", "not_found")


def test_stored_pin_is_keyed_and_not_in_plain_text(service, new_ticket):
    ticket, pin = service.file_ticket(new_ticket())
    stored = row(service.db, "SELECT pin_hash, pin_salt FROM tickets WHERE code = ?",
                 (ticket.code,))
    assert stored["pin_hash"].startswith(PIN_SCHEME)
    assert pin not in stored["pin_hash"] + stored["pin_salt"]
    assert check_pin(pin, stored["pin_hash"], stored["pin_salt"], "another-key") is False


def test_a_ticket_filed_with_the_first_pin_scheme_still_opens(service, new_ticket):
    ticket, _ = service.file_ticket(new_ticket())
    salt = "00" * 16
    legacy = hashlib.scrypt(b"246810", salt=bytes(16), n=2**14, r=8, p=1, dklen=32).hex()
    service.db.execute("UPDATE tickets SET pin_hash = ?, pin_salt = ? WHERE code = ?",
                       (legacy, salt, ticket.code))
    assert service.lookup(ticket.code, "246810").code == ticket.code


def test_lookups_stop_after_five_bad_pins_for_an_hour(service, new_ticket, clock):
    ticket, pin = service.file_ticket(new_ticket())
    other, other_pin = service.file_ticket(new_ticket())
    wrong = f"{(int(pin) + 1) % 1_000_000:06d}"
    codes = []
    for _ in range(6):
        with pytest.raises(GrievanceError) as refused:
            service.lookup(ticket.code, wrong)
        codes.append(refused.value.code)
    assert codes == ["bad_pin"] * 5 + ["locked"]
    with pytest.raises(GrievanceError) as still:
        service.lookup(ticket.code, pin)
    assert still.value.code == "locked"
    assert service.lookup(other.code, other_pin).code == other.code  # other codes unaffected
    clock.advance(hours=1, minutes=1)
    assert service.lookup(ticket.code, pin).code == ticket.code


def test_public_json_hides_pin_and_user_hash(service, new_ticket):
    ticket, _ = service.file_ticket(new_ticket())
    public = ticket.to_public_json()
    assert {"pin_hash", "pin_salt", "channel_user_hash"} & set(public) == set()
    assert public["code"] == ticket.code


def test_tickets_for_user_finds_only_theirs(service, new_ticket):
    mine = [service.file_ticket(new_ticket())[0].code for _ in range(2)]
    service.file_ticket(new_ticket(channel_user_id="2002"))
    service.file_ticket(new_ticket(channel="zalo"))
    assert [t.code for t in service.tickets_for_user("telegram", "1001")] == mine


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("category", "noise", "invalid_category"),
        ("channel", "sms", "invalid_channel"),
        ("language", "fr", "invalid_language"),
        ("destination", "Japan", "invalid_destination"),
        ("province", "Atlantis", "invalid_province"),
        ("description", "  ", "description_required"),
        ("consent", {"neighbours": True}, "invalid_consent"),
        ("contact", {"safe_hours": "late", "timezone": "Asia/Tokyo"}, "invalid_contact"),
    ],
)
def test_bad_input_is_refused_with_a_code(service, new_ticket, field, value, code):
    with pytest.raises(GrievanceError) as error:
        service.file_ticket(new_ticket(**{field: value}))
    assert error.value.code == code
    assert service.db["tickets"].count == 0


def test_filing_proposes_type_priority_and_deadlines(service, new_ticket):
    ticket, _ = service.file_ticket(new_ticket())
    expected = compute_deadlines("labour_complaint", date(2026, 11, 2), calendar=service.calendar)
    assert (ticket.legal_type, ticket.deadline_kind, ticket.priority) == (
        "complaint",
        "labour_complaint",
        "high",
    )
    assert (ticket.accept_by, ticket.resolve_by) == (
        expected.accept_by.isoformat(),
        expected.resolve_by.isoformat(),
    )


def test_help_request_runs_on_the_petition_clock_with_urgent_priority(service, new_ticket):
    ticket, _ = service.file_ticket(
        new_ticket(category="abuse_violence", respondent_kind="employer_abroad")
    )
    assert (ticket.legal_type, ticket.deadline_kind, ticket.priority, ticket.unit) == (
        "help_request",
        "petition",
        "urgent",
        "labour_section_jp",
    )


def test_routing_is_recorded_with_the_rule_id(service, new_ticket):
    ticket, _ = service.file_ticket(
        new_ticket(category="other", respondent_kind="unknown", destination=None, respondent=None)
    )
    routed = [e for e in service.events(ticket.code) if e.action == "routed"]
    assert [(e.details["rule"], e.details["unit"]) for e in routed] == [
        ("fallback-hotline", "hotline")
    ]
    assert ticket.routing_rule == "fallback-hotline"


def test_accept_recomputes_resolve_by_from_acceptance(service, new_ticket, clock):
    ticket, _ = service.file_ticket(new_ticket())
    clock.advance(days=2)
    accepted = service.accept(ticket.code, "staff:lan")
    expected = compute_deadlines(
        "labour_complaint",
        date(2026, 11, 2),
        accepted_on=date(2026, 11, 4),
        calendar=service.calendar,
    )
    assert (accepted.status, accepted.accepted_at, accepted.resolve_by) == (
        "accepted",
        "2026-11-04",
        expected.resolve_by.isoformat(),
    )


def test_acceptance_in_the_future_is_refused(service, new_ticket):
    ticket, _ = service.file_ticket(new_ticket())
    with pytest.raises(GrievanceError) as error:
        service.accept(ticket.code, "staff:lan", date(2026, 11, 9))
    assert error.value.code == "invalid_date"


def test_transfer_keeps_history_and_carries_deadlines_over(service, new_ticket):
    ticket, _ = service.file_ticket(
        new_ticket(category="other", respondent_kind="unknown", destination=None)
    )
    moved = service.transfer(ticket.code, "staff:lan", "sonv_nghe_an", "worker lives in Nghệ An")
    actions = [e.action for e in service.events(ticket.code)]
    transfer = service.events(ticket.code)[-1]
    assert actions[:3] == ["filed", "routed", "deadlines_set"]
    assert (moved.unit, moved.status, moved.accept_by) == (
        "sonv_nghe_an",
        "transferred",
        ticket.accept_by,
    )
    assert (transfer.details["from_unit"], transfer.details["deadlines"]) == (
        "hotline",
        "carry_over",
    )
    assert transfer.reason == "worker lives in Nghệ An"


def test_transfer_to_the_ministry_after_the_recruiter_restarts_the_clock(
    service, new_ticket, clock
):
    ticket, _ = service.file_ticket(new_ticket())
    clock.advance(days=1)
    service.accept(ticket.code, "recruiter")
    clock.advance(days=30)
    moved = service.transfer(ticket.code, "staff:lan", "dolab_complaints", "second complaint")
    expected = compute_deadlines("complaint_second", date(2026, 12, 3), calendar=service.calendar)
    transfer = service.events(ticket.code)[-1]
    assert (moved.deadline_kind, moved.status, moved.accepted_at, moved.accept_by) == (
        "complaint_second",
        "transferred",
        None,
        expected.accept_by.isoformat(),
    )
    assert (transfer.details["deadlines"], transfer.details["transfer_rule"]) == (
        "restart",
        "second-complaint-after-recruiter",
    )
    assert transfer.details["before"]["deadline_kind"] == "labour_complaint"


def test_transfer_to_an_unknown_unit_is_refused(service, new_ticket):
    ticket, _ = service.file_ticket(new_ticket())
    with pytest.raises(GrievanceError) as error:
        service.transfer(ticket.code, "staff", "nowhere", "x")
    assert error.value.code == "unknown_unit"


def test_pause_and_resume_move_the_deadline_by_the_paused_days(service, new_ticket, clock):
    ticket, _ = service.file_ticket(new_ticket())
    service.accept(ticket.code, "staff")
    before = service.get(ticket.code).resolve_by
    clock.advance(days=3)
    paused = service.pause(ticket.code, "staff", "waiting for the employer's records")
    clock.advance(days=7)
    resumed = service.resume(ticket.code, "staff")
    expected = compute_deadlines(
        "labour_complaint",
        date(2026, 11, 2),
        accepted_on=date(2026, 11, 2),
        pauses=[(date(2026, 11, 5), date(2026, 11, 11))],
        calendar=service.calendar,
    )
    assert paused.status == "paused"
    assert (resumed.status, resumed.pauses) == ("accepted", [["2026-11-05", "2026-11-11"]])
    assert resumed.resolve_by == expected.resolve_by.isoformat()
    assert resumed.resolve_by > before


def test_denunciation_extension_uses_the_legal_extension(service, new_ticket):
    ticket, _ = service.file_ticket(new_ticket(category="recruitment_fraud"))
    service.accept(ticket.code, "staff")
    extended = service.extend(ticket.code, "staff", "many victims", complexity="complex")
    expected = compute_deadlines(
        "denunciation",
        date(2026, 11, 2),
        accepted_on=date(2026, 11, 2),
        complexity="complex",
        extensions_used=1,
        calendar=service.calendar,
    )
    assert (extended.status, extended.extensions_used, extended.resolve_by) == (
        "extended",
        1,
        expected.resolve_by.isoformat(),
    )
    with pytest.raises(GrievanceError) as error:
        service.extend(ticket.code, "staff", "more time")
    assert error.value.code == "extension_not_allowed"


def test_complaint_extension_needs_a_complex_case(service, new_ticket):
    ticket, _ = service.file_ticket(new_ticket())
    service.accept(ticket.code, "staff")
    with pytest.raises(GrievanceError) as error:
        service.extend(ticket.code, "staff", "busy")
    extended = service.extend(ticket.code, "staff", "needs inspection abroad", complexity="complex")
    expected = compute_deadlines(
        "labour_complaint",
        date(2026, 11, 2),
        accepted_on=date(2026, 11, 2),
        complexity="complex",
        calendar=service.calendar,
    )
    assert error.value.code == "extension_not_allowed"
    assert (extended.complexity, extended.resolve_by) == (
        "complex",
        expected.resolve_by.isoformat(),
    )


def test_set_legal_type_changes_the_clock(service, new_ticket):
    ticket, _ = service.file_ticket(new_ticket())
    changed = service.set_legal_type(ticket.code, "staff", "denunciation", "licence lent out")
    expected = compute_deadlines("denunciation", date(2026, 11, 2), calendar=service.calendar)
    assert (changed.legal_type, changed.deadline_kind, changed.accept_by) == (
        "denunciation",
        "denunciation",
        expected.accept_by.isoformat(),
    )
    assert service.events(ticket.code)[-1].details["from"] == "complaint"


def test_status_rules_are_enforced(service, new_ticket):
    ticket, _ = service.file_ticket(new_ticket())
    service.accept(ticket.code, "staff")
    service.resolve(ticket.code, "staff", "wages paid")
    with pytest.raises(GrievanceError) as error:
        service.accept(ticket.code, "staff")
    closed = service.close(ticket.code, "staff")
    assert error.value.code == "bad_status"
    assert closed.status == "closed"
    assert (
        row(service.db, "SELECT * FROM reply_addresses WHERE ticket_id = ?", (ticket.id,)) is None
    )


def test_assign_puts_an_accepted_ticket_in_progress(service, new_ticket):
    ticket, _ = service.file_ticket(new_ticket())
    service.accept(ticket.code, "staff")
    assigned = service.assign(ticket.code, "lead", "staff:minh")
    assert (assigned.assignee, assigned.status) == ("staff:minh", "in_progress")


def test_refuse_needs_a_reason(service, new_ticket):
    ticket, _ = service.file_ticket(new_ticket())
    with pytest.raises(GrievanceError) as error:
        service.refuse(ticket.code, "staff", " ")
    assert error.value.code == "reason_required"
    assert service.refuse(ticket.code, "staff", "outside our remit").status == "refused"


def test_attachment_is_stored_under_a_random_name(service, new_ticket):
    ticket, _ = service.file_ticket(new_ticket())
    attachment = service.add_attachment(ticket.code, PNG, "hộ chiếu.png", "image/png")
    stored = service.attachment_path(attachment)
    assert stored.read_bytes() == PNG
    assert "hộ chiếu" not in attachment.stored_name and stored.suffix == ".png"
    assert (attachment.size, attachment.original_name) == (len(PNG), "hộ chiếu.png")
    assert [a.id for a in service.attachments(ticket.code)] == [attachment.id]
    assert service.events(ticket.code)[-1].action == "attachment_added"


@pytest.mark.parametrize(
    ("data", "mime", "code"),
    [
        (b"MZ\x90\x00", "application/x-msdownload", "attachment_type_not_allowed"),
        (b"MZ\x90\x00", "image/png", "attachment_type_mismatch"),
        (PDF, "image/jpeg", "attachment_type_mismatch"),
        (b"", "application/pdf", "attachment_empty"),
        (b"%PDF-" + b"x" * MAX_ATTACHMENT_BYTES, "application/pdf", "attachment_too_large"),
    ],
)
def test_attachment_checks(service, new_ticket, data, mime, code):
    ticket, _ = service.file_ticket(new_ticket())
    with pytest.raises(GrievanceError) as error:
        service.add_attachment(ticket.code, data, "f", mime)
    assert error.value.code == code
    assert service.attachments(ticket.code) == []


def test_pdf_of_exactly_ten_megabytes_is_accepted(service, new_ticket):
    ticket, _ = service.file_ticket(new_ticket())
    data = b"%PDF-" + b"x" * (MAX_ATTACHMENT_BYTES - 5)
    assert service.add_attachment(ticket.code, data, "c.pdf", "application/pdf").size == len(data)


def test_tickets_about_the_same_recruiter_form_one_case_group(service, new_ticket):
    codes = [
        service.file_ticket(new_ticket(respondent=name, channel_user_id=str(i)))[0].code
        for i, name in enumerate(
            ["Công ty TNHH Nhân lực Sao Mai", "cong ty nhan luc sao mai", "Sao Khuê JSC"]
        )
    ]
    group = [t.code for t in service.case_group(codes[0])]
    assert group == codes[:2]
    assert [t.code for t in service.case_group(codes[2])] == [codes[2]]
    assert service.events(codes[1])[-1].details["size"] == 2


def test_queue_orders_urgent_first(service, new_ticket):
    normal, _ = service.file_ticket(
        new_ticket(category="other", respondent_kind="unknown", destination=None)
    )
    urgent, _ = service.file_ticket(
        new_ticket(category="documents_confiscated", respondent_kind="unknown", destination=None)
    )
    assert [t.code for t in service.queue("hotline")] == [urgent.code, normal.code]
    assert service.queue("hotline", status="resolved") == []


def test_notifications_follow_milestones_and_safe_hours(service, new_ticket, clock):
    contact = {"safe_hours": "20:00-22:00", "timezone": "Asia/Tokyo", "neutral": True}
    ticket, _ = service.file_ticket(new_ticket(contact=contact))
    assert service.pending_notifications(clock()) == []  # 12:00 in Tokyo: not safe
    evening = datetime(2026, 11, 2, 11, 0, tzinfo=UTC)  # 20:00 in Tokyo
    pending = service.pending_notifications(evening)
    assert [(n.milestone, n.template_key, n.address) for n in pending] == [
        ("received", "worker.neutral.received", "1001")
    ]
    assert "lương" not in pending[0].text and ticket.code in pending[0].text


def test_failed_notification_is_retried_later(service, new_ticket, clock):
    service.file_ticket(new_ticket(language="en"))
    [first] = service.pending_notifications()
    service.mark_notification(first.id, delivered=False, error="telegram 502")
    assert service.pending_notifications() == []
    clock.advance(minutes=2)
    [again] = service.pending_notifications()
    service.mark_notification(again.id, delivered=True)
    assert (again.id, again.attempts) == (first.id, 1)
    assert service.pending_notifications(clock() + timedelta(days=1)) == []


def test_open_creates_a_file_database_with_attachments_beside_it(tmp_path, new_ticket):
    service = GrievanceService.open(tmp_path / "db" / "g.db", secret="s")
    assert service.attachments_dir == tmp_path / "db" / "attachments"
    assert service.file_ticket(new_ticket())[0].code.startswith("HT-")


def test_two_writers_on_one_file_never_share_a_code(tmp_path, new_ticket, clock, calendar):
    path = tmp_path / "shared.db"
    services = [
        GrievanceService.open(path, now=clock, secret="s", calendar=calendar) for _ in range(2)
    ]
    codes: list[str] = []

    def file_five(service: GrievanceService) -> None:
        for _ in range(5):
            codes.append(service.file_ticket(new_ticket())[0].code)

    threads = [threading.Thread(target=file_five, args=(s,)) for s in services]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [f"HT-2026-{n:06d}" for n in range(1, 11)]
