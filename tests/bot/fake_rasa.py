"""A stand-in for Rasa's REST channel, for adapter tests only (the real Rasa is tested in e2e).

Answers POST /webhooks/rest/webhook with canned bot messages, records what it was sent, and can
be switched "down" (503) to test the adapters' outage handling.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = Callable[[dict[str, Any]], list[dict[str, Any]]]


def echo(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"recipient_id": body["sender"], "text": f"echo: {body['message']}"}]


class FakeRasa:
    def __init__(self, reply: Reply = echo) -> None:
        self.reply = reply
        self.down = False
        self.received: list[dict[str, Any]] = []
        self.tracker_resets: list[str] = []
        self.tracker_reads: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeRasa:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def _send(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> Any:
                return json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def do_POST(self) -> None:
                body = self._body()
                if fake.down or self.path.split("?")[0] != "/webhooks/rest/webhook":
                    self._send(503, {"error": "down"})
                    return
                fake.received.append(body)
                self._send(200, fake.reply(body))

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                if fake.down:
                    self._send(503, {"error": "down"})
                elif path == "/status":
                    self._send(200, {"model_file": "fake"})
                elif path.startswith("/conversations/") and path.endswith("/tracker"):
                    sender = path.split("/")[2]
                    fake.tracker_reads.append(sender)
                    self._send(200, {"sender_id": sender, "events": []})
                else:
                    self._send(404, {"error": "not found"})

            def do_PUT(self) -> None:
                self._body()
                fake.tracker_resets.append(self.path.split("/")[2])
                self._send(200, {})

        return Handler
