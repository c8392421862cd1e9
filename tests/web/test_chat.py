"""The web chat page and its JSON endpoint without a Rasa server (the real stack: tests/e2e)."""

from starlette.testclient import TestClient

from cli.stack import free_port
from web.app import create_app
from web.settings import WebSettings


def client(tmp_path) -> TestClient:
    # A port nothing listens on: Rasa is "down".
    settings = WebSettings(host="127.0.0.1", port=0, rasa_url=f"http://127.0.0.1:{free_port()}",
                           rasa_token=None, db_path=tmp_path / "db.sqlite")
    return TestClient(create_app(settings))


def test_chat_page_in_both_languages(tmp_path):
    web = client(tmp_path)
    vi = web.get("/chat")
    assert vi.status_code == 200
    assert "Nhập tin nhắn" in vi.text and "+84 981 84 84 84" in vi.text
    en = web.get("/chat?lang=en")
    assert "Type a message" in en.text and 'lang="en"' in en.text


def test_rasa_down_gives_a_polite_message_in_the_users_language(tmp_path):
    web = client(tmp_path)
    resp = web.post("/api/chat", json={"sender": "abcdefgh1234", "message": "xin chào",
                                       "language": "vi"})
    assert resp.status_code == 503
    text = resp.json()["messages"][0]["text"]
    assert "tạm gián đoạn" in text and "+84 981 84 84 84" in text
    resp = web.post("/api/chat", json={"sender": "abcdefgh1234", "message": "hi", "language": "en"})
    assert "briefly unavailable" in resp.json()["messages"][0]["text"]


def test_bad_input_is_refused_politely(tmp_path):
    web = client(tmp_path)
    cases = [
        ({"sender": "abcdefgh1234", "message": "   "}, "empty_message"),
        ({"sender": "abcdefgh1234", "message": "x" * 2001}, "too_long"),
        ({"sender": "bad sender!", "message": "hi"}, "bad_request"),
    ]
    for body, error in cases:
        resp = web.post("/api/chat", json=body)
        assert resp.status_code == 400
        assert resp.json()["error"] == error
        assert resp.json()["messages"][0]["text"]
    assert web.post("/api/chat", content=b"not json").status_code == 400


def test_health_and_home(tmp_path):
    web = client(tmp_path)
    assert web.get("/healthz").text == "ok"
    assert web.get("/", follow_redirects=False).headers["location"] == "/chat"


def test_zalo_webhook_is_mounted_only_with_credentials(tmp_path, monkeypatch):
    for name in ("ZALO_APP_ID", "ZALO_OA_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert client(tmp_path).post("/webhooks/zalo", content=b"{}").status_code == 404
    monkeypatch.setenv("ZALO_APP_ID", "app")
    monkeypatch.setenv("ZALO_OA_SECRET_KEY", "secret")
    monkeypatch.setenv("HANHTRANG_DB", str(tmp_path / "db.sqlite"))
    with client(tmp_path) as web:
        # Mounted, and an unsigned request is refused.
        assert web.post("/webhooks/zalo", content=b"{}").status_code in (401, 403)


def test_a_message_sent_while_rasa_is_down_is_answered_when_it_is_back(tmp_path):
    import asyncio
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bot"))
    from fake_rasa import FakeRasa

    fake = FakeRasa()
    fake.down = True
    fake.start()
    try:
        settings = WebSettings(host="127.0.0.1", port=0, rasa_url=fake.url, rasa_token=None,
                               db_path=tmp_path / "db.sqlite")
        app = create_app(settings)
        web = TestClient(app)
        body = {"sender": "abcdefgh1234", "message": "phi dich vu bao nhieu", "language": "vi",
                "message_id": "m-1"}
        held = web.post("/api/chat", json=body)
        assert held.status_code == 503
        assert "giữ lại" in held.json()["messages"][0]["text"]
        assert web.get("/api/chat/replies?sender=abcdefgh1234").json() == {"messages": []}
        # The same message sent again is not a second message.
        assert web.post("/api/chat", json=body).json()["duplicate"] is True

        fake.down = False
        answered = asyncio.run(app.state.held.retry(app.state.rasa))
        assert answered == 1
        replies = web.get("/api/chat/replies?sender=abcdefgh1234").json()["messages"]
        assert replies == [{"text": "echo: phi dich vu bao nhieu"}]
        assert web.get("/api/chat/replies?sender=abcdefgh1234").json() == {"messages": []}
    finally:
        fake.stop()
