"""The Zalo webhook: signatures, de-duplication, relaying to a fake Rasa, replies to fake Zalo."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from fake_zalo import APP_ID, OA_SECRET
from starlette.applications import Starlette
from starlette.routing import Mount

from bot.attachments import claim_pending
from bot.inbox import DONE, PENDING, Inbox
from bot.rasa_client import RasaClient
from bot.zalo_webhook import WEBHOOK_PATH, ZaloAdapter, signature, zalo_routes

PDF = b"%PDF-1.7\n" + b"2" * 500


def text_event(msg_id: str, text: str, user: str = "u1", ts_ms: int | None = None) -> dict:
    return {
        "app_id": APP_ID,
        "event_name": "user_send_text",
        "timestamp": str(ts_ms or int(time.time() * 1000)),
        "sender": {"id": user},
        "recipient": {"id": "oa1"},
        "message": {"text": text, "msg_id": msg_id},
    }


def signed(event: dict, secret: str = OA_SECRET) -> tuple[bytes, dict]:
    raw = json.dumps(event, ensure_ascii=False).encode()
    return raw, {
        "X-ZEvent-Signature": signature(APP_ID, raw, event["timestamp"], secret),
        "Content-Type": "application/json",
    }


@pytest.fixture
def adapter(zalo_settings, db_path):
    return ZaloAdapter(zalo_settings, RasaClient(zalo_settings.rasa_url), db_path)


@pytest.fixture
def client(adapter):
    app = Starlette(routes=[Mount(WEBHOOK_PATH, routes=adapter.routes())])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://web")


async def post(client, event, secret=OA_SECRET, headers=None):
    raw, signed_headers = signed(event, secret)
    return await client.post(
        WEBHOOK_PATH + "/", content=raw, headers=signed_headers if headers is None else headers
    )


async def test_signed_text_goes_to_rasa_and_reply_to_zalo(client, fake_rasa, fake_zalo):
    resp = await post(client, text_event("msg-1", "phí môi giới là gì"))
    assert resp.status_code == 200
    assert fake_rasa.received == [
        {
            "sender": "zalo:u1",
            "message": "phí môi giới là gì",
            "metadata": {
                "channel": "zalo",
                "user_id": "u1",
                "language_hint": "vi",
                "message_id": "msg-1",
            },
        }
    ]
    assert fake_zalo.sent == [
        {"recipient": {"user_id": "u1"}, "message": {"text": "echo: phí môi giới là gì"}}
    ]


async def test_forged_unsigned_and_stale_requests_are_refused(client, fake_rasa, fake_zalo):
    forged = await post(client, text_event("m1", "a"), secret="guessed")
    unsigned = await post(client, text_event("m2", "b"), headers={})
    old = int(time.time() * 1000) - 6 * 60 * 1000
    stale = await post(client, text_event("m3", "c", ts_ms=old))
    raw, headers = signed(text_event("m4", "d"))
    tampered = await client.post(
        WEBHOOK_PATH + "/", content=raw.replace(b'"d"', b'"e"'), headers=headers
    )
    assert [r.status_code for r in (forged, unsigned, stale, tampered)] == [403, 401, 403, 403]
    assert fake_rasa.received == []
    assert fake_zalo.sent == []


async def test_signature_formula_matches_zalo_docs():
    raw = b'{"event_name":"user_send_text","timestamp":"1700000000000"}'
    import hashlib

    expected = hashlib.sha256(b"app" + raw + b"1700000000000" + b"key").hexdigest()
    assert signature("app", raw, "1700000000000", "key") == "mac=" + expected


async def test_duplicate_msg_id_handled_once(client, fake_rasa, fake_zalo, db_path):
    event = text_event("dup-1", "xin chào")
    first = await post(client, event)
    second = await post(client, event)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json() == {"ok": True, "duplicate": True}
    assert len(fake_rasa.received) == 1
    assert len(fake_zalo.sent) == 1
    assert Inbox(db_path).status("zalo", "dup-1") == DONE


async def test_long_reply_split_at_2000(client, fake_rasa, fake_zalo):
    sentence = "Bạn nên giữ bản sao hợp đồng và biên lai. "  # 42 characters
    long_text = (sentence * 60).strip()
    fake_rasa.reply = lambda body: [{"text": long_text}]
    await post(client, text_event("m-long", "hợp đồng"))
    texts = fake_zalo.texts()
    assert [len(t) <= 2000 for t in texts] == [True, True]
    assert " ".join(texts) == long_text


async def test_buttons_become_a_template_and_many_become_numbered_options(
    client, fake_rasa, fake_zalo
):
    fake_rasa.reply = lambda body: [
        {
            "text": "Chọn một",
            "buttons": [
                {"title": "Nhật Bản", "payload": "/dest_japan"},
                {"title": "Hàn Quốc", "payload": "/dest_korea"},
            ],
        }
    ]
    await post(client, text_event("b1", "nước nào"))
    message = fake_zalo.sent[-1]["message"]
    assert message["text"] == "Chọn một"
    assert message["attachment"]["payload"]["buttons"] == [
        {"title": "Nhật Bản", "type": "oa.query.hide", "payload": "/dest_japan"},
        {"title": "Hàn Quốc", "type": "oa.query.hide", "payload": "/dest_korea"},
    ]

    fake_rasa.reply = lambda body: [
        {
            "text": "Chọn",
            "buttons": [{"title": f"Lựa chọn {n}", "payload": f"/opt_{n}"} for n in range(1, 8)],
        }
    ]
    await post(client, text_event("b2", "thêm"))
    numbered = fake_zalo.sent[-1]["message"]
    assert "attachment" not in numbered
    assert "2. Lựa chọn 2" in numbered["text"]
    fake_rasa.reply = lambda body: [{"text": "ok"}]
    await post(client, text_event("b3", "2"))
    assert fake_rasa.received[-1]["message"] == "/opt_2"


async def test_minus_216_refreshes_token_and_stores_the_new_pair(
    client, fake_rasa, fake_zalo, adapter
):
    fake_zalo.expire_access_token()
    await post(client, text_event("t1", "xin chào"))
    assert fake_zalo.texts() == ["echo: xin chào"]
    assert fake_zalo.refreshes == [
        {"refresh_token": "refresh-1", "app_id": APP_ID, "grant_type": "refresh_token"}
    ]
    stored = adapter.client.tokens.get()
    assert (stored.access_token, stored.refresh_token) == ("access-2", "refresh-2")
    # A second process reading the same database uses the new pair without refreshing again.
    from bot.zalo import ZaloClient

    other = ZaloClient(adapter.settings, adapter.db_path)
    result = await other.send_text("u1", "chào lại")
    assert result.delivered
    assert len(fake_zalo.refreshes) == 1


async def test_token_refreshed_before_it_expires(zalo_settings, db_path, fake_zalo):
    from bot.zalo import ZaloClient

    client = ZaloClient(zalo_settings, db_path)
    client.tokens.db.execute("UPDATE zalo_tokens SET expires_at = '2000-01-01T00:00:00+00:00'")
    result = await client.send_text("u9", "hello")
    assert result.delivered
    assert client.tokens.get().refresh_token == "refresh-2"
    assert fake_zalo.sent[0]["recipient"] == {"user_id": "u9"}


async def test_minus_213_recorded_as_undelivered(client, fake_rasa, fake_zalo, db_path):
    from bot.outbound import undelivered

    fake_zalo.unreachable["u-away"] = -213
    await post(client, text_event("w1", "tôi cần giúp", user="u-away"))
    kept = undelivered(db_path)
    assert [(k.channel, k.chat_id, k.error, k.text) for k in kept] == [
        ("zalo", "u-away", "zalo:-213", "echo: tôi cần giúp")
    ]
    assert Inbox(db_path).status("zalo", "w1") == DONE


async def test_rasa_down_apology_then_delivered_later(
    client, fake_rasa, fake_zalo, adapter, db_path
):
    fake_rasa.down = True
    await post(client, text_event("d1", "chủ giữ hộ chiếu của tôi"))
    assert "+84 981 84 84 84" in fake_zalo.texts()[0]
    assert Inbox(db_path).status("zalo", "d1") == PENDING
    fake_rasa.down = False
    assert await adapter.retry_pending() == 1
    assert fake_zalo.texts()[-1] == "echo: chủ giữ hộ chiếu của tôi"
    assert Inbox(db_path).status("zalo", "d1") == DONE


async def test_image_kept_pending_and_wrong_file_refused(client, fake_zalo, db_path):
    fake_zalo.files["hopdong.pdf"] = PDF
    event = {
        "app_id": APP_ID,
        "event_name": "user_send_file",
        "timestamp": str(int(time.time() * 1000)),
        "sender": {"id": "u5"},
        "message": {
            "msg_id": "f1",
            "attachments": [
                {
                    "type": "file",
                    "payload": {
                        "url": fake_zalo.base + "/files/hopdong.pdf",
                        "name": "hopdong.pdf",
                        "size": str(len(PDF)),
                        "type": "pdf",
                    },
                }
            ],
        },
    }
    await post(client, event)
    zip_event = json.loads(json.dumps(event))
    zip_event["message"]["msg_id"] = "f2"
    zip_event["message"]["attachments"][0]["payload"]["name"] = "x.zip"
    await post(client, zip_event)
    assert [p.original_name for p in claim_pending(db_path, "zalo", "u5")] == ["hopdong.pdf"]
    assert fake_zalo.texts()[0].startswith("Mình đã nhận tệp")
    assert fake_zalo.texts()[1].startswith("Xin lỗi, mình chỉ nhận được ảnh")


async def test_follow_greets_through_rasa(client, fake_rasa):
    event = {
        "app_id": APP_ID,
        "event_name": "follow",
        "timestamp": str(int(time.time() * 1000)),
        "follower": {"id": "u7"},
        "oa_id": "oa1",
        "source": "oa_profile",
    }
    await post(client, event)
    assert [r["message"] for r in fake_rasa.received] == ["/greet"]


def test_zalo_routes_with_prefix(zalo_settings, db_path):
    routes = zalo_routes(
        zalo_settings, RasaClient(zalo_settings.rasa_url), db_path, prefix=WEBHOOK_PATH
    )
    assert [r.path for r in routes] == [WEBHOOK_PATH]


async def test_sticker_gets_a_polite_unsupported_reply(client, fake_rasa, fake_zalo):
    event = text_event("s1", "")
    event["event_name"] = "user_send_sticker"
    await post(client, event)
    assert fake_rasa.received == []
    assert fake_zalo.texts() == [
        "Xin lỗi, mình chưa đọc được loại tin nhắn này. Bạn hãy gõ chữ, gửi ảnh hoặc tệp PDF nhé."
    ]


async def test_language_button_payload_sets_the_preferred_language(client, fake_rasa, db_path):
    from bot.identities import Identities

    await post(client, text_event("l1", '/change_language{"target_language":"en"}'))
    assert Identities(db_path).get("zalo", "u1").language == "en"
    assert fake_rasa.received[0]["metadata"]["language_hint"] == "en"


async def test_logs_carry_no_text_and_no_user_id(client, fake_rasa, fake_zalo, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    fake_zalo.unreachable["u-private-77"] = -213
    await post(client, text_event("p1", "chủ nhà tên Lan giữ hộ chiếu", user="u-private-77"))
    follow = {
        "app_id": APP_ID,
        "event_name": "follow",
        "timestamp": str(int(time.time() * 1000)),
        "follower": {"id": "u-private-77"},
    }
    await post(client, follow)
    await post(client, text_event("p2", "giả mạo", user="u-private-77"), secret="wrong")
    assert caplog.records, "the flow logs something"
    assert "u-private-77" not in caplog.text
    assert "hộ chiếu" not in caplog.text
    assert "giả mạo" not in caplog.text
