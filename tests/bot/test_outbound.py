"""Case updates to the worker's safe channel, with the real grievance service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from telegram import Bot

from bot.identities import Identities
from bot.outbound import DeliveryResult, deliver_notifications, identity_routes
from bot.telegram import TelegramSender
from bot.zalo import ZaloClient
from grievance.service import GrievanceService
from grievance.tickets import NewTicket


@pytest.fixture
def service(tmp_path):
    svc = GrievanceService.open(tmp_path / "grievance.db")
    yield svc
    svc.db.close()


def file_and_accept(service, channel="telegram", user="42", contact=None) -> str:
    ticket, _pin = service.file_ticket(
        NewTicket(
            channel=channel,
            channel_user_id=user,
            language="vi",
            category="unpaid_wages",
            description="Công ty không trả lương ba tháng",
            destination="JP",
            contact=contact,
        )
    )
    service.accept(ticket.code, actor="staff:test")
    return ticket.code


def later() -> datetime:
    return datetime.now(UTC) + timedelta(days=2)


async def test_notification_sent_on_the_filing_channel_and_marked(service, fake_telegram, settings):
    code = file_and_accept(service)
    due = service.pending_notifications(later())
    assert due, "accepting a ticket queues a worker notification"
    async with Bot(settings.telegram_bot_token, base_url=settings.telegram_base_url) as bot:
        counts = await deliver_notifications(service, {"telegram": TelegramSender(bot)}, later())
    assert counts == {"delivered": len(due), "failed": 0}
    sent = fake_telegram.sent()
    assert [s["chat_id"] for s in sent] == ["42"] * len(due)
    assert any(code in s["text"] for s in sent)
    assert service.pending_notifications(later()) == []


async def test_safe_channel_found_through_the_identity(service, zalo_settings, fake_zalo, db_path):
    file_and_accept(service, contact={"safe_channel": "zalo"})
    identities = Identities(db_path)
    worker = identities.touch("telegram", 42)
    identities.link(worker.identity_id, "zalo", "zalo-user-7")
    identities.set_safe_channel(worker.identity_id, "zalo")
    due = service.pending_notifications(later())
    assert {n.channel for n in due} == {"zalo"}
    counts = await deliver_notifications(
        service,
        {"zalo": ZaloClient(zalo_settings, db_path)},
        later(),
        routes=identity_routes(identities, service),
    )
    assert counts["delivered"] == len(due)
    assert {m["recipient"]["user_id"] for m in fake_zalo.sent} == {"zalo-user-7"}


async def test_unroutable_notification_recorded_not_dropped(service, db_path):
    file_and_accept(service, contact={"safe_channel": "zalo"})

    class NeverCalled:
        async def send_text(self, chat_id: str, text: str) -> DeliveryResult:
            raise AssertionError("no route: must not send")

    counts = await deliver_notifications(
        service,
        {"zalo": NeverCalled()},
        later(),
        routes=identity_routes(Identities(db_path), service),
    )
    assert counts["delivered"] == 0 and counts["failed"] >= 1
    row = service.db.execute(
        "SELECT status, attempts, last_error FROM notifications ORDER BY id DESC LIMIT 1"
    ).fetchone()
    assert tuple(row) == ("pending", 1, "no_chat")


def test_channel_filter_shows_only_that_channels_notifications():
    from bot.outbound import ChannelNotifications

    class Source:
        marked: list = []

        def pending_notifications(self, now):
            return [{"id": 1, "channel": "telegram"}, {"id": 2, "channel": "zalo"}]

        def mark_notification(self, id, delivered, error=None):
            self.marked.append((id, delivered, error))

    source = Source()
    only = ChannelNotifications(source, "telegram")
    assert [n["id"] for n in only.pending_notifications(None)] == [1]
    only.mark_notification(1, True)
    assert source.marked == [(1, True, None)]
