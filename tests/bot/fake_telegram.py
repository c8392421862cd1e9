"""A local stand-in for the Telegram Bot API subset the adapter uses (loopback only).

Speaks getMe, getUpdates, sendMessage, sendChatAction, answerCallbackQuery, getFile (and the
file download), setWebhook and deleteWebhook, records every call, and can be told to answer a
method with an error first (e.g. 429 with retry_after).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote

TOKEN = "123456:TEST-fake-token"


class FakeTelegram:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.updates: list[dict[str, Any]] = []
        self.calls: list[tuple[float, str, dict[str, Any]]] = []
        self.files: dict[str, tuple[str, bytes]] = {}
        self.errors: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self.webhook: dict[str, Any] | None = None
        self._cond = threading.Condition()
        self._message_id = 1000
        self.server = QuietServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeTelegram:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- test helpers ---
    def add_update(self, update: dict[str, Any]) -> None:
        with self._cond:
            self.updates.append(update)
            self._cond.notify_all()

    def add_file(self, file_id: str, path: str, data: bytes) -> None:
        self.files[file_id] = (path, data)

    def fail(self, method: str, status: int, body: dict[str, Any]) -> None:
        self.errors.setdefault(method, []).append((status, body))

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [params for _, m, params in list(self.calls) if m == method]

    def times(self, method: str = "sendMessage") -> list[tuple[float, dict[str, Any]]]:
        return [(t, params) for t, m, params in list(self.calls) if m == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.sent(method)
            if len(found) >= count:
                return found
            await asyncio.sleep(0.02)
        raise AssertionError(f"{method} seen {len(self.sent(method))} times, wanted {count}")

    # --- the API ---
    def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        queued = self.errors.get(method)
        if queued:
            return queued.pop(0)
        if method == "getMe":
            return 200, ok(
                {
                    "id": 999,
                    "is_bot": True,
                    "first_name": "Hanh Trang",
                    "username": "hanhtrang_test_bot",
                    "can_join_groups": False,
                    "can_read_all_group_messages": False,
                    "supports_inline_queries": False,
                }
            )
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            wait = min(float(params.get("timeout") or 0), 0.3)
            with self._cond:
                found = [u for u in self.updates if u["update_id"] >= offset]
                if not found and wait:
                    self._cond.wait(wait)
                    found = [u for u in self.updates if u["update_id"] >= offset]
            return 200, ok(found)
        if method == "sendMessage":
            self._message_id += 1
            return 200, ok(
                {
                    "message_id": self._message_id,
                    "date": int(time.time()),
                    "chat": {"id": int(params["chat_id"]), "type": "private"},
                    "text": params.get("text", ""),
                }
            )
        if method in ("sendChatAction", "answerCallbackQuery", "deleteWebhook"):
            return 200, ok(True)
        if method == "setWebhook":
            self.webhook = params
            return 200, ok(True)
        if method == "getFile":
            path, data = self.files[params["file_id"]]
            return 200, ok(
                {
                    "file_id": params["file_id"],
                    "file_unique_id": "u" + path,
                    "file_size": len(data),
                    "file_path": path,
                }
            )
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # file downloads
                prefix = f"/file/bot{fake.token}/"
                path = unquote(self.path)  # PTB quotes the token's colon in file URLs
                if path.startswith(prefix):
                    wanted = path[len(prefix) :]
                    for path, data in fake.files.values():
                        if path == wanted:
                            self._send(200, data, "application/octet-stream")
                            return
                self._send(404, b"{}")

            def do_POST(self) -> None:
                prefix = f"/bot{fake.token}/"
                if not self.path.startswith(prefix):
                    self._send(404, b'{"ok": false, "error_code": 404, "description": "no"}')
                    return
                method = self.path[len(prefix) :]
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                params = parse_params(raw, self.headers.get("Content-Type") or "")
                fake.calls.append((time.monotonic(), method, params))
                status, body = fake._answer(method, params)
                self._send(status, json.dumps(body).encode())

        return Handler


class QuietServer(ThreadingHTTPServer):
    """Clients that hang up mid-long-poll (at shutdown) are normal, not errors to print."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        return None


def ok(result: Any) -> dict[str, Any]:
    return {"ok": True, "result": result}


def parse_params(raw: bytes, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    if "json" in content_type:
        return json.loads(raw)
    params: dict[str, Any] = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
    for key in ("reply_markup", "allowed_updates"):
        if key in params:
            params[key] = json.loads(params[key])
    return params


def text_update(
    update_id: int, text: str, chat_id: int = 42, language: str = "vi", **message: Any
) -> dict[str, Any]:
    msg = {
        "message_id": update_id,
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "W", "language_code": language},
        "text": text,
        **message,
    }
    if text.startswith("/"):
        msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"update_id": update_id, "message": msg}


def callback_update(update_id: int, data: str, chat_id: int = 42) -> dict[str, Any]:
    user = {"id": chat_id, "is_bot": False, "first_name": "W", "language_code": "vi"}
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cb{update_id}",
            "from": user,
            "chat_instance": "ci",
            "data": data,
            "message": {
                "message_id": 7,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "text": "x",
            },
        },
    }
