"""The Telegram adapter against a local fake Telegram Bot API and a fake Rasa REST channel."""

from __future__ import annotations

import asyncio
import contextlib
import json

import httpx
import pytest
import uvicorn
from fake_telegram import callback_update, text_update
from telegram import Update
from telegram.ext import ExtBot

from bot.identities import Identities
from bot.inbox import DONE, PENDING, Inbox
from bot.outbound import RateLimiter
from bot.rasa_client import RasaClient
from bot.telegram import (
    CALLBACK_LIMIT,
    DELETE_YES,
    TelegramRateLimiter,
    build_application,
    language_payload,
    main,
    run_webhook,
    webhook_app,
)


def build(settings, db_path, **kwargs):
    """The adapter as main() builds it, with a faster per-chat pace so tests stay quick."""
    kwargs.setdefault("rate_limiter", TelegramRateLimiter(RateLimiter(per_chat_interval=0.05)))
    inbox = Inbox(db_path)
    app = build_application(settings, RasaClient(settings.rasa_url), inbox, **kwargs)
    return app, inbox


def buttons_reply(body):
    return [
        {
            "recipient_id": body["sender"],
            "text": "Bạn muốn hỏi về gì?",
            "buttons": [
                {"title": "Phí dịch vụ", "payload": "/ask_fees"},
                {"title": "Rất dài", "payload": '/choose{"article_id":"' + "x" * 80 + '"}'},
            ],
        }
    ]


async def test_polling_text_goes_to_rasa_and_answer_comes_back_with_keyboard(
    fake_telegram, fake_rasa, settings, db_path, run_app
):
    fake_rasa.reply = buttons_reply
    fake_telegram.add_update(text_update(1, "phí dịch vụ bao nhiêu", chat_id=42))
    app, inbox = build(settings, db_path)
    async with run_app(app):
        sent = await fake_telegram.wait_for("sendMessage")
    assert fake_rasa.received[0]["sender"] == "telegram:42"
    assert fake_rasa.received[0]["message"] == "phí dịch vụ bao nhiêu"
    assert fake_rasa.received[0]["metadata"] == {
        "channel": "telegram",
        "user_id": "42",
        "language_hint": "vi",
        "message_id": "1",
    }
    assert sent[0]["chat_id"] == "42"
    assert sent[0]["text"] == "Bạn muốn hỏi về gì?"
    keyboard = sent[0]["reply_markup"]["inline_keyboard"]
    assert [row[0]["text"] for row in keyboard] == ["Phí dịch vụ", "Rất dài"]
    assert keyboard[0][0]["callback_data"] == "/ask_fees"
    long_key = keyboard[1][0]["callback_data"]
    assert len(long_key.encode()) <= CALLBACK_LIMIT
    assert inbox.button_payload(long_key) == '/choose{"article_id":"' + "x" * 80 + '"}'
    assert inbox.status("telegram", 1) == DONE


async def test_callback_with_short_key_sends_the_full_payload(
    fake_telegram, fake_rasa, settings, db_path, run_app
):
    long_payload = '/choose{"article_id":"' + "y" * 80 + '"}'
    app, inbox = build(settings, db_path)
    key = inbox.button_key(long_payload)
    fake_telegram.add_update(callback_update(5, key))
    async with run_app(app):
        await fake_telegram.wait_for("sendMessage")
    assert [r["message"] for r in fake_rasa.received] == [long_payload]
    assert fake_telegram.sent("answerCallbackQuery")[0]["callback_query_id"] == "cb5"


async def test_commands_map_to_intent_payloads_and_language_choice(
    fake_telegram, fake_rasa, settings, db_path, run_app
):
    fake_telegram.add_update(text_update(1, "/start"))
    fake_telegram.add_update(text_update(2, "/status"))
    fake_telegram.add_update(text_update(3, "/language"))
    fake_telegram.add_update(callback_update(4, language_payload("en")))
    app, _ = build(settings, db_path)
    async with run_app(app):
        sent = await fake_telegram.wait_for("sendMessage", 4)
    assert [r["message"] for r in fake_rasa.received] == [
        "/greet",
        "/check_status",
        '/change_language{"target_language":"en"}',
    ]
    keyboard = sent[2]["reply_markup"]["inline_keyboard"]
    assert [row[0]["text"] for row in keyboard] == ["Tiếng Việt", "English"]
    assert Identities(db_path).get("telegram", 42).language == "en"


async def test_long_reply_split_at_4096_on_sentences(
    fake_telegram, fake_rasa, settings, db_path, run_app
):
    sentence = "Người lao động có quyền được biết rõ hợp đồng. "  # 47 characters
    long_text = (sentence * 120).strip()  # ~5,600 characters
    fake_rasa.reply = lambda body: [{"text": long_text}]
    fake_telegram.add_update(text_update(1, "hợp đồng"))
    app, _ = build(settings, db_path)
    async with run_app(app):
        sent = await fake_telegram.wait_for("sendMessage", 2)
        await asyncio.sleep(0.2)
    texts = [s["text"] for s in fake_telegram.sent()]
    assert len(texts) == 2
    assert all(len(t) <= 4096 for t in texts)
    assert texts[0].endswith("hợp đồng.")
    assert " ".join(texts) == long_text
    assert sent[0]["chat_id"] == "42"


async def test_duplicate_update_ignored_also_after_restart(
    fake_telegram, fake_rasa, settings, db_path, run_app
):
    fake_telegram.add_update(text_update(7, "xin chào"))
    app, _ = build(settings, db_path)
    async with run_app(app):
        await fake_telegram.wait_for("sendMessage")
        # Telegram delivers the same update again (e.g. we crashed before confirming it).
        await app.update_queue.put(Update.de_json(text_update(7, "xin chào"), app.bot))
        await asyncio.sleep(0.3)
    assert len(fake_rasa.received) == 1
    # A new process, same database: the old update is still known.
    fake_telegram.updates.clear()
    fake_telegram.add_update(text_update(7, "xin chào"))
    fake_telegram.add_update(text_update(8, "cảm ơn"))
    app2, _ = build(settings, db_path)
    async with run_app(app2):
        await fake_telegram.wait_for("sendMessage", 2)
        await asyncio.sleep(0.2)
    assert [r["message"] for r in fake_rasa.received] == ["xin chào", "cảm ơn"]


async def test_rasa_down_apology_kept_and_delivered_later(
    fake_telegram, fake_rasa, settings, db_path, run_app
):
    fake_rasa.down = True
    fake_telegram.add_update(text_update(1, "tôi bị giữ hộ chiếu", language="vi"))
    app, inbox = build(settings, db_path)
    async with run_app(app):
        sent = await fake_telegram.wait_for("sendMessage")
        assert "+84 981 84 84 84" in sent[0]["text"]
        assert sent[0]["text"].startswith("Xin lỗi")
        assert inbox.status("telegram", 1) == PENDING
        adapter = app.bot_data["adapter"]
        assert await adapter.retry_pending(app.bot) == 0  # still down: stays parked
        assert inbox.status("telegram", 1) == PENDING
        fake_rasa.down = False
        assert await adapter.retry_pending(app.bot) == 1
    texts = [s["text"] for s in fake_telegram.sent()]
    assert texts[-1] == "echo: tôi bị giữ hộ chiếu"
    assert inbox.status("telegram", 1) == DONE
    assert inbox.to_retry("telegram") == []


async def test_webhook_accepts_only_the_secret(fake_telegram, fake_rasa, settings, db_path):
    app, _ = build(settings, db_path)
    web = webhook_app(app, "s3cret-webhook", "/telegram")
    async with app:
        await app.start()
        transport = httpx.ASGITransport(app=web)
        async with httpx.AsyncClient(transport=transport, base_url="http://bot") as client:
            no_secret = await client.post("/telegram", json=text_update(1, "a"))
            wrong = await client.post(
                "/telegram",
                json=text_update(2, "b"),
                headers={"X-Telegram-Bot-Api-Secret-Token": "nope"},
            )
            good = await client.post(
                "/telegram",
                json=text_update(3, "c"),
                headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-webhook"},
            )
        await fake_telegram.wait_for("sendMessage")
        await app.stop()
    assert (no_secret.status_code, wrong.status_code, good.status_code) == (403, 403, 200)
    assert [r["message"] for r in fake_rasa.received] == ["c"]


async def test_webhook_over_real_http(fake_telegram, fake_rasa, settings, db_path, unused_port):
    app, _ = build(settings, db_path)
    server = uvicorn.Server(
        uvicorn.Config(
            webhook_app(app, "s3cret-webhook"),
            host="127.0.0.1",
            port=unused_port,
            log_level="warning",
        )
    )
    async with app:
        await app.start()
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.02)
        async with httpx.AsyncClient() as client:
            url = f"http://127.0.0.1:{unused_port}/telegram"
            rejected = await client.post(url, json=text_update(1, "a"))
            accepted = await client.post(
                url,
                json=text_update(2, "b"),
                headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-webhook"},
            )
        await fake_telegram.wait_for("sendMessage")
        server.should_exit = True
        await task
        await app.stop()
    assert (rejected.status_code, accepted.status_code) == (403, 200)


PDF = b"%PDF-1.4\n" + b"0" * 2000
JPEG = b"\xff\xd8\xff\xe0" + b"1" * 1000


async def test_attachment_accepted_and_kept_pending(
    fake_telegram, fake_rasa, settings, db_path, run_app
):
    from bot.attachments import claim_pending

    fake_telegram.add_file("doc1", "documents/hopdong.pdf", PDF)
    fake_telegram.add_update(
        text_update(
            1,
            "",
            document={
                "file_id": "doc1",
                "file_unique_id": "d1",
                "file_name": "hopdong.pdf",
                "mime_type": "application/pdf",
                "file_size": len(PDF),
            },
        )
    )
    app, _ = build(settings, db_path)
    async with run_app(app):
        sent = await fake_telegram.wait_for("sendMessage")
    assert sent[0]["text"].startswith("Mình đã nhận tệp")
    pending = claim_pending(db_path, "telegram", 42)
    assert [(p.original_name, p.mime, p.data) for p in pending] == [
        ("hopdong.pdf", "application/pdf", PDF)
    ]
    assert claim_pending(db_path, "telegram", 42) == []
    assert fake_rasa.received == []


async def test_attachment_rejected_wrong_type_and_too_big(
    fake_telegram, fake_rasa, settings, db_path, run_app
):
    fake_telegram.add_update(
        text_update(
            1,
            "",
            document={
                "file_id": "z",
                "file_unique_id": "z",
                "file_name": "a.zip",
                "mime_type": "application/zip",
                "file_size": 10,
            },
        )
    )
    fake_telegram.add_update(
        text_update(
            2,
            "",
            language="en",
            document={
                "file_id": "big",
                "file_unique_id": "b",
                "file_name": "scan.pdf",
                "mime_type": "application/pdf",
                "file_size": 11 * 1024 * 1024,
            },
        )
    )
    fake_telegram.add_file("fake", "documents/x.pdf", b"MZ not a pdf")
    fake_telegram.add_update(
        text_update(
            3,
            "",
            document={
                "file_id": "fake",
                "file_unique_id": "f",
                "file_name": "x.pdf",
                "mime_type": "application/pdf",
                "file_size": 12,
            },
        )
    )
    app, _ = build(settings, db_path)
    async with run_app(app):
        sent = await fake_telegram.wait_for("sendMessage", 3)
    assert sent[0]["text"].startswith("Xin lỗi, mình chỉ nhận được ảnh")
    assert sent[1]["text"] == (
        "Sorry, this file is larger than 10 MB. Please send a smaller "
        "photo or split it into several files."
    )
    assert sent[2]["text"].startswith("Xin lỗi, mình chỉ nhận được ảnh")
    assert fake_telegram.sent("getFile") == [{"file_id": "fake"}]


@pytest.fixture
def grievance(tmp_path):
    from grievance.service import GrievanceService

    svc = GrievanceService.open(tmp_path / "grievance.db")
    yield svc
    svc.db.close()


def file_ticket(service, user="42", resolve=False) -> str:
    from grievance.tickets import NewTicket

    ticket, _ = service.file_ticket(
        NewTicket(
            channel="telegram",
            channel_user_id=user,
            language="vi",
            category="fee_overcharge",
            description="Công ty thu phí cao hơn mức trần",
            destination="JP",
        )
    )
    if resolve:
        service.accept(ticket.code, actor="staff:test")
        service.resolve(ticket.code, actor="staff:test", outcome="refunded")
    return ticket.code


async def test_attachment_goes_to_newest_open_ticket(
    fake_telegram, fake_rasa, settings, db_path, run_app, grievance
):
    file_ticket(grievance, resolve=True)
    open_code = file_ticket(grievance)
    fake_telegram.add_file("p1", "photos/p.jpg", JPEG)
    fake_telegram.add_update(
        text_update(
            1,
            "",
            photo=[
                {
                    "file_id": "p1",
                    "file_unique_id": "p1",
                    "width": 90,
                    "height": 90,
                    "file_size": len(JPEG),
                }
            ],
        )
    )
    app, _ = build(settings, db_path, tickets=grievance)
    async with run_app(app):
        sent = await fake_telegram.wait_for("sendMessage")
    assert [(a.original_name, a.mime) for a in grievance.attachments(open_code)] == [
        ("photo.jpg", "image/jpeg")
    ]
    assert sent[0]["text"] == f"Mình đã đính kèm tệp của bạn vào hồ sơ {open_code}."


async def test_delete_erases_chat_data_and_keeps_open_cases(
    fake_telegram, fake_rasa, settings, db_path, run_app, grievance
):
    from bot.attachments import claim_pending, store_pending

    code = file_ticket(grievance)
    store_pending(db_path, "telegram", 42, PDF, "a.pdf", "application/pdf")
    fake_telegram.add_update(text_update(1, "xin chào"))
    fake_telegram.add_update(text_update(2, "/delete"))
    fake_telegram.add_update(callback_update(3, DELETE_YES))
    app, inbox = build(settings, db_path, tickets=grievance)
    async with run_app(app):
        sent = await fake_telegram.wait_for("sendMessage", 3)
    assert sent[1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == DELETE_YES
    assert code in sent[2]["text"]
    assert Identities(db_path).get("telegram", 42) is None
    assert claim_pending(db_path, "telegram", 42) == []
    assert inbox.status("telegram", 1) is None
    assert fake_rasa.tracker_resets == ["telegram:42"]
    assert [t.code for t in grievance.tickets_for_user("telegram", "42")] == [code]


async def test_429_retry_after_then_success(fake_telegram, fake_rasa, settings, db_path, run_app):
    fake_telegram.fail(
        "sendMessage",
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},
        },
    )
    fake_telegram.add_update(text_update(1, "xin chào"))
    app, _ = build(settings, db_path)
    async with run_app(app):
        await fake_telegram.wait_for("sendMessage", 2)
    (first, _), (second, params) = fake_telegram.times()
    assert second - first >= 0.95
    assert params["text"] == "echo: xin chào"


async def test_rate_limiter_keeps_per_chat_order_and_spacing(fake_telegram, settings):
    limiter = TelegramRateLimiter(RateLimiter(overall_per_second=30, per_chat_interval=0.2))
    bot = ExtBot(
        settings.telegram_bot_token, base_url=settings.telegram_base_url, rate_limiter=limiter
    )
    async with bot:
        await asyncio.gather(*[bot.send_message(c, f"{c}-{i}") for i in range(4) for c in (1, 2)])
    by_chat: dict[str, list] = {}
    for t, params in fake_telegram.times():
        by_chat.setdefault(params["chat_id"], []).append((t, params["text"]))
    for chat, sends in by_chat.items():
        assert [text for _, text in sends] == [f"{chat}-{i}" for i in range(4)]
        gaps = [b[0] - a[0] for a, b in zip(sends, sends[1:], strict=False)]
        assert min(gaps) >= 0.18


async def test_rate_limiter_overall_rate(fake_telegram, settings):
    limiter = TelegramRateLimiter(RateLimiter(overall_per_second=10, per_chat_interval=1.0))
    bot = ExtBot(
        settings.telegram_bot_token, base_url=settings.telegram_base_url, rate_limiter=limiter
    )
    async with bot:
        await asyncio.gather(*[bot.send_message(chat, "x") for chat in range(1, 12)])
    times = sorted(t for t, _ in fake_telegram.times())
    assert len(times) == 11
    assert times[-1] - times[0] >= 0.95  # 11 sends at 10/s need a full second


def test_main_without_token_says_disabled_and_exits_0(monkeypatch, capsys):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert main() == 0
    assert "Telegram is disabled" in capsys.readouterr().out


def test_main_refuses_webhook_mode_without_secret(monkeypatch, capsys):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:x")
    monkeypatch.setenv("TELEGRAM_MODE", "webhook")
    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET", raising=False)
    assert main() == 2
    assert "TELEGRAM_WEBHOOK_SECRET" in capsys.readouterr().err


def test_language_payload_is_rasa_intent_syntax():
    assert json.loads(language_payload("vi")[len("/change_language") :]) == {
        "target_language": "vi"
    }


async def test_run_webhook_registers_secret_and_serves(
    fake_telegram, fake_rasa, settings, db_path, unused_port
):
    from dataclasses import replace

    url = f"http://127.0.0.1:{unused_port}/tg-hook"
    hook_settings = replace(
        settings,
        telegram_mode="webhook",
        telegram_webhook_url=url,
        telegram_webhook_listen="127.0.0.1",
        telegram_webhook_port=unused_port,
    )
    app, _ = build(hook_settings, db_path)
    task = asyncio.create_task(run_webhook(hook_settings, app))
    try:
        for _ in range(200):
            if fake_telegram.webhook:
                break
            await asyncio.sleep(0.02)
        assert fake_telegram.webhook["url"] == url
        assert fake_telegram.webhook["secret_token"] == "s3cret-webhook"
        async with httpx.AsyncClient() as client:
            for _ in range(100):
                try:
                    resp = await client.post(
                        url,
                        json=text_update(1, "chào"),
                        headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-webhook"},
                    )
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.05)
        assert resp.status_code == 200
        sent = await fake_telegram.wait_for("sendMessage")
        assert sent[0]["text"] == "echo: chào"
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_network_error_retried_with_backoff(fake_telegram, settings):
    fake_telegram.fail(
        "sendMessage", 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}
    )
    limiter = TelegramRateLimiter(RateLimiter(per_chat_interval=0.01), backoff=0.2)
    bot = ExtBot(
        settings.telegram_bot_token, base_url=settings.telegram_base_url, rate_limiter=limiter
    )
    async with bot:
        message = await bot.send_message(5, "lại")
    (first, _), (second, _) = fake_telegram.times()
    assert second - first >= 0.19
    assert message.text == "lại"


async def test_reply_telegram_refuses_is_kept_and_not_sent_to_rasa_again(
    fake_telegram, fake_rasa, settings, db_path, run_app
):
    from datetime import timedelta

    from bot.outbound import undelivered

    fake_telegram.fail(
        "sendMessage",
        403,
        {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"},
    )
    fake_telegram.add_update(text_update(1, "xin chào"))
    app, inbox = build(settings, db_path)
    async with run_app(app):
        await fake_telegram.wait_for("sendMessage")
        for _ in range(100):
            if inbox.status("telegram", 1) == DONE:
                break
            await asyncio.sleep(0.02)
    kept = undelivered(db_path)
    assert [(k.chat_id, k.error, k.text) for k in kept] == [
        ("42", "telegram:Forbidden", "echo: xin chào")
    ]
    assert inbox.to_retry("telegram", stale_after=timedelta(0)) == []
    assert len(fake_rasa.received) == 1
