"""Delivery to units through real local servers (HTTP and SMTP on 127.0.0.1), with failures
recorded per recipient and retried with backoff."""

import json
import socket
import socketserver
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from grievance.delivery import (
    ConsoleSender,
    EmailSender,
    backoff,
    next_safe_time,
    outbox_for,
)
from grievance.routing import RULES_DIR, Router
from grievance.service import GrievanceService
from grievance.store import memory_db

# -- local stand-ins -------------------------------------------------------------------------


class Inbox(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[dict] = []
        self.status = 200


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server API)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        server: Inbox = self.server  # type: ignore[assignment]
        if server.status == 200:
            server.received.append(json.loads(body))
        self.send_response(server.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


class SmtpSink(socketserver.ThreadingTCPServer):
    """Just enough SMTP (RFC 5321) to accept one message at a time."""

    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.messages: list[str] = []


class _SmtpHandler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self) -> None:
        self.reply("220 sink ready")
        while line := self.rfile.readline().decode():
            verb = line.strip().split(" ")[0].upper()
            if verb == "DATA":
                self.reply("354 go on")
                lines = []
                while (data := self.rfile.readline().decode()) not in (".\r\n", ""):
                    lines.append(data)
                self.server.messages.append("".join(lines))  # type: ignore[attr-defined]
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


def _serve(server: socketserver.BaseServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    server = Inbox()
    _serve(server)
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    server = SmtpSink()
    _serve(server)
    yield server
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _router_with(tmp_path: Path, unit_id: str, deliveries: list[dict]) -> Router:
    """The shipped rules, with extra delivery targets for one unit."""
    units = yaml.safe_load((RULES_DIR / "units.yml").read_text(encoding="utf-8"))
    for unit in units["units"]:
        if unit["id"] == unit_id:
            unit["delivery"] = [{"type": "console", "address": None}, *deliveries]
    (tmp_path / "units.yml").write_text(yaml.safe_dump(units, allow_unicode=True), "utf-8")
    return Router(units_path=tmp_path / "units.yml")


@pytest.fixture
def make_service(tmp_path, clock, calendar):
    def make(deliveries: list[dict], unit_id: str = "dolab") -> GrievanceService:
        return GrievanceService(
            memory_db(),
            now=clock,
            secret="s",
            calendar=calendar,
            router=_router_with(tmp_path, unit_id, deliveries),
            attachments_dir=tmp_path / "att",
        )

    return make


def _fraud(new_ticket, **extra):
    # fraud by a licensed recruiter goes to DOLAB (routing rule fraud-licensed-recruiter)
    values = {"category": "recruitment_fraud", "consent": {"ministry": True}}
    values.update(extra)
    return new_ticket(**values)


# -- tests -----------------------------------------------------------------------------------


def test_http_delivery_posts_the_ticket_to_the_unit(make_service, new_ticket, inbox):
    url = f"http://127.0.0.1:{inbox.server_port}/tickets"
    service = make_service([{"type": "http", "address": url}])
    ticket, _ = service.file_ticket(_fraud(new_ticket))
    report = service.deliver()
    statuses = {r["delivery_type"]: r["status"] for r in outbox_for(service.db, ticket.id)}
    assert (report.sent, report.failed) == (2, 0)
    assert statuses == {"console": "sent", "http": "sent"}
    assert [p["ticket"]["code"] for p in inbox.received] == [ticket.code]
    assert inbox.received[0]["message"] == "new_ticket"


def test_http_failure_is_recorded_and_retried_with_backoff(make_service, new_ticket, inbox, clock):
    url = f"http://127.0.0.1:{inbox.server_port}/tickets"
    service = make_service([{"type": "http", "address": url}])
    ticket, _ = service.file_ticket(_fraud(new_ticket))
    inbox.status = 503
    first = service.deliver()
    [http] = [r for r in outbox_for(service.db, ticket.id) if r["delivery_type"] == "http"]
    assert (first.failed, http["status"], http["attempts"], http["last_error"]) == (
        1,
        "pending",
        1,
        "http status 503",
    )
    assert service.deliver().failed == 0  # not due yet: no hammering
    inbox.status = 200
    clock.advance(seconds=61)
    second = service.deliver()
    [http] = [r for r in outbox_for(service.db, ticket.id) if r["delivery_type"] == "http"]
    assert (second.sent, http["status"], http["attempts"]) == (1, "sent", 2)
    assert len(inbox.received) == 1


def test_delivery_gives_up_visibly_after_max_attempts(make_service, new_ticket, clock):
    service = make_service([{"type": "http", "address": f"http://127.0.0.1:{_closed_port()}/"}])
    ticket, _ = service.file_ticket(_fraud(new_ticket))
    for _ in range(8):
        service.deliver()
        clock.advance(hours=7)
    [http] = [r for r in outbox_for(service.db, ticket.id) if r["delivery_type"] == "http"]
    assert (http["status"], http["attempts"]) == ("failed", 8)
    assert http["last_error"].startswith("http: ")


def test_email_delivery_through_a_local_smtp_server(make_service, new_ticket, smtp_sink):
    service = make_service([{"type": "email", "address": "desk@dolab.example"}])
    ticket, _ = service.file_ticket(_fraud(new_ticket))
    sender = EmailSender(host="127.0.0.1", port=smtp_sink.server_address[1], timeout_s=5)
    report = service.deliver(senders={"console": ConsoleSender(), "email": sender})
    assert report.sent == 2
    assert len(smtp_sink.messages) == 1
    assert "To: desk@dolab.example" in smtp_sink.messages[0]
    assert ticket.code in smtp_sink.messages[0]


def test_email_failure_against_a_closed_port_is_recorded(make_service, new_ticket):
    service = make_service([{"type": "email", "address": "desk@dolab.example"}])
    ticket, _ = service.file_ticket(_fraud(new_ticket))
    sender = EmailSender(host="127.0.0.1", port=_closed_port(), timeout_s=2)
    report = service.deliver(senders={"console": ConsoleSender(), "email": sender})
    [email] = [r for r in outbox_for(service.db, ticket.id) if r["delivery_type"] == "email"]
    assert (report.sent, report.failed) == (1, 1)
    assert (email["status"], email["attempts"], email["last_error"]) == (
        "pending",
        1,
        "smtp: ConnectionRefusedError",
    )


def test_unconfigured_smtp_is_a_recorded_failure(make_service, new_ticket, monkeypatch):
    monkeypatch.delenv("HANHTRANG_SMTP_HOST", raising=False)
    service = make_service([{"type": "email", "address": "desk@dolab.example"}])
    ticket, _ = service.file_ticket(_fraud(new_ticket))
    service.deliver()
    [email] = [r for r in outbox_for(service.db, ticket.id) if r["delivery_type"] == "email"]
    assert (email["status"], email["last_error"]) == ("pending", "smtp_not_configured")


def test_without_consent_details_stay_home(make_service, new_ticket, inbox):
    url = f"http://127.0.0.1:{inbox.server_port}/tickets"
    service = make_service([{"type": "http", "address": url}])
    ticket, _ = service.file_ticket(_fraud(new_ticket, consent={}))
    service.deliver()
    statuses = {r["delivery_type"]: r["status"] for r in outbox_for(service.db, ticket.id)}
    assert statuses == {"console": "sent", "http": "withheld"}
    assert inbox.received == []


def test_anonymous_worker_contact_is_not_sent(make_service, new_ticket, inbox):
    url = f"http://127.0.0.1:{inbox.server_port}/tickets"
    service = make_service([{"type": "http", "address": url}])
    contact = {"safe_hours": "18:00-21:00", "timezone": "Asia/Tokyo"}
    service.file_ticket(_fraud(new_ticket, anonymous=True, contact=contact))
    service.deliver()
    sent = inbox.received[0]["ticket"]
    assert ("contact" in sent, "channel" in sent, sent["anonymous"]) == (False, False, True)


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert backoff(30) == timedelta(hours=6)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 11, 2, 10, 0, tzinfo=UTC), datetime(2026, 11, 2, 10, 0, tzinfo=UTC)),
        (datetime(2026, 11, 2, 3, 0, tzinfo=UTC), datetime(2026, 11, 2, 9, 0, tzinfo=UTC)),
        (datetime(2026, 11, 2, 13, 0, tzinfo=UTC), datetime(2026, 11, 3, 9, 0, tzinfo=UTC)),
    ],
)
def test_next_safe_time_in_tokyo(now: datetime, expected: datetime) -> None:
    contact = {"safe_hours": "18:00-21:00", "timezone": "Asia/Tokyo"}  # 09:00-12:00 UTC
    assert next_safe_time(now, contact) == expected


def test_safe_hours_across_midnight() -> None:
    contact = {"safe_hours": "22:00-06:00", "timezone": "UTC"}
    late = datetime(2026, 11, 2, 23, 30, tzinfo=UTC)
    noon = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
    assert next_safe_time(late, contact) == late
    assert next_safe_time(noon, contact) == datetime(2026, 11, 2, 22, 0, tzinfo=UTC)
