"""One small client for the Rasa server: the REST channel and the tracker API.

Every channel adapter (web chat, Telegram, Zalo) and `hanhtrang ask` talk to Rasa through this
module and nothing else.
"""

from __future__ import annotations

import logging
import ssl
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import httpx

logger = logging.getLogger(__name__)

# Custom payload key our actions attach to a bot message so that adapters and `ask` can learn
# what the bot did (article id, ticket code, ...). Adapters strip it before showing the reply.
META_KEY = "hanhtrang"


class RasaUnavailable(Exception):
    """The Rasa server could not be reached or answered with an error."""


@dataclass
class BotReply:
    """What the bot answered to one user message."""

    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def texts(self) -> list[str]:
        return [m["text"] for m in self.messages if m.get("text")]

    @property
    def meta(self) -> dict[str, Any]:
        """Merged metadata our actions attached to this turn (later messages win)."""
        merged: dict[str, Any] = {}
        for m in self.messages:
            custom = m.get("custom")
            if isinstance(custom, dict) and isinstance(custom.get(META_KEY), dict):
                merged.update(custom[META_KEY])
        return merged

    def visible(self) -> list[dict[str, Any]]:
        """Messages to show to a person: our metadata-only payloads removed."""
        out = []
        for m in self.messages:
            custom = m.get("custom")
            if isinstance(custom, dict) and set(custom) == {META_KEY} and not m.get("text"):
                continue
            out.append(m)
        return out


@lru_cache(maxsize=1)
def tls_context() -> ssl.SSLContext:
    """The TLS context every client shares. httpx builds one per client unless given one, even
    for http:// URLs, and loading the CA bundle costs ~20 ms of CPU: under load that was a third
    of the CPU a message cost on the whole machine (docs/benchmarks.md, "Time per message")."""
    return ssl.create_default_context()


class RasaClient:
    """Talks to one Rasa server, or to several that share the load.

    `base_url` may list several Rasa servers separated by commas (RASA_URL, set by `hanhtrang
    run` when RASA_PROCESSES > 1). A conversation lives in the memory of one Rasa process
    (in-memory tracker and lock stores), so every message and tracker request of a sender goes to
    the same server, chosen by a stable hash of the sender id.
    """

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 30.0) -> None:
        self.base_urls = [u.strip().rstrip("/") for u in base_url.split(",") if u.strip()]
        if not self.base_urls:
            raise ValueError("no Rasa server URL given")
        self.base_url = self.base_urls[0]
        self.token = token
        self.timeout = timeout

    def _http(self, timeout: float | None = None) -> httpx.AsyncClient:
        """A client for one request: cheap, since the TLS context is shared. (A client kept open
        across requests would need closing in every caller's event loop, and `hanhtrang ask` and
        the e2e tests run each message in a new loop.)"""
        return httpx.AsyncClient(timeout=timeout or self.timeout, verify=tls_context())

    def url_for(self, sender: str) -> str:
        """The Rasa server that holds this sender's conversation (same answer in every process:
        crc32, not Python's salted hash())."""
        return self.base_urls[zlib.crc32(sender.encode("utf-8")) % len(self.base_urls)]

    def _params(self) -> dict[str, str]:
        return {"token": self.token} if self.token else {}

    async def send(
        self, sender: str, text: str, metadata: dict[str, Any] | None = None
    ) -> BotReply:
        """Send one user message through the REST channel and return the bot's messages."""
        body = {"sender": sender, "message": text, "metadata": metadata or {}}
        try:
            async with self._http() as client:
                resp = await client.post(f"{self.url_for(sender)}/webhooks/rest/webhook",
                                         json=body)
        except httpx.HTTPError as exc:
            logger.warning("rasa unreachable: %s", type(exc).__name__)
            raise RasaUnavailable(str(exc)) from exc
        if resp.status_code != 200:
            logger.warning("rasa answered status %s", resp.status_code)
            raise RasaUnavailable(f"status {resp.status_code}")
        data = resp.json()
        return BotReply(messages=data if isinstance(data, list) else [])

    async def tracker(self, sender: str) -> dict[str, Any]:
        """The conversation tracker (needs the Rasa server started with --enable-api)."""
        try:
            async with self._http() as client:
                resp = await client.get(
                    f"{self.url_for(sender)}/conversations/{sender}/tracker",
                    params=self._params(),
                )
        except httpx.HTTPError as exc:
            raise RasaUnavailable(str(exc)) from exc
        if resp.status_code != 200:
            raise RasaUnavailable(f"status {resp.status_code}")
        return resp.json()

    async def healthy(self) -> bool:
        """Every Rasa server answers (a sender routed to a dead one would get no reply)."""
        try:
            async with self._http(timeout=5.0) as client:
                for url in self.base_urls:
                    resp = await client.get(f"{url}/status", params=self._params())
                    if resp.status_code != 200:
                        return False
            return True
        except httpx.HTTPError:
            return False

    async def forget(self, sender: str) -> bool:
        """Drop a conversation in the Rasa process that holds it (replace its events with none).

        Needs Rasa's HTTP API (--enable-api).
        """
        try:
            async with self._http(timeout=10.0) as client:
                resp = await client.put(
                    f"{self.url_for(sender)}/conversations/{sender}/tracker/events", json=[],
                    params=self._params(),
                )
        except httpx.HTTPError:
            return False
        return resp.status_code == 200
