"""A local stand-in for the Zalo OA API subset we use (loopback only).

POST /v3.0/oa/message/cs (consultation message, `access_token` header), POST
/v4/oa/access_token (refresh_token grant, `secret_key` header; a refresh token works once) and
GET /files/<name> (attachment downloads). Users listed in `unreachable` answer with that error
code (-213: outside the reply window).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

APP_ID = "1234567890"
APP_SECRET = "app-secret"
OA_SECRET = "oa-secret-key"


class FakeZalo:
    def __init__(self) -> None:
        self.access_token = "access-1"
        self.refresh_token = "refresh-1"
        self.expires_in = 90000
        self.issued = 1
        self.sent: list[dict[str, Any]] = []
        self.refreshes: list[dict[str, Any]] = []
        self.unreachable: dict[str, int] = {}
        self.files: dict[str, bytes] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeZalo:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def expire_access_token(self) -> None:
        """Zalo revoked the token early: the next send answers -216."""
        self.access_token = "revoked-" + self.access_token

    def texts(self) -> list[str]:
        return [m["message"].get("text", "") for m in self.sent]

    def _send_cs(self, headers: Any, body: dict[str, Any]) -> dict[str, Any]:
        if headers.get("access_token") != self.access_token:
            return {"error": -216, "message": "Access token is invalid"}
        user = body["recipient"]["user_id"]
        if user in self.unreachable:
            return {"error": self.unreachable[user], "message": "User is not allowed"}
        self.sent.append(body)
        return {
            "error": 0,
            "message": "Success",
            "data": {"message_id": f"m{len(self.sent)}", "user_id": user},
        }

    def _refresh(self, headers: Any, form: dict[str, str]) -> dict[str, Any]:
        self.refreshes.append(form)
        if headers.get("secret_key") != APP_SECRET or form.get("app_id") != APP_ID:
            return {"error": -14002, "error_name": "Invalid app"}
        if (
            form.get("grant_type") != "refresh_token"
            or form.get("refresh_token") != self.refresh_token
        ):
            return {"error": -14014, "error_name": "Invalid refresh token"}
        self.issued += 1
        self.access_token = f"access-{self.issued}"
        self.refresh_token = f"refresh-{self.issued}"
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_in": str(self.expires_in),
        }

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

            def do_GET(self) -> None:
                name = self.path.removeprefix("/files/")
                if name in fake.files:
                    self._send(200, fake.files[name], "application/octet-stream")
                else:
                    self._send(404, b"{}")

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/v3.0/oa/message/cs":
                    answer = fake._send_cs(self.headers, json.loads(raw))
                elif self.path == "/v4/oa/access_token":
                    form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                    answer = fake._refresh(self.headers, form)
                else:
                    self._send(404, b"{}")
                    return
                self._send(200, json.dumps(answer).encode())

        return Handler
