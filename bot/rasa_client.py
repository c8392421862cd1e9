"""One small client for the Rasa server: the REST channel and the tracker API.

Every channel adapter (web chat, Telegram, Zalo) and `hanhtrang ask` talk to Rasa through this
module and nothing else.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
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


class RasaClient:
    def __init__(self, base_url: str, token: str | None = None, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def _params(self) -> dict[str, str]:
        return {"token": self.token} if self.token else {}

    async def send(
        self, sender: str, text: str, metadata: dict[str, Any] | None = None
    ) -> BotReply:
        """Send one user message through the REST channel and return the bot's messages."""
        body = {"sender": sender, "message": text, "metadata": metadata or {}}
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                resp = await client.post(f"{self.base_url}/webhooks/rest/webhook", json=body)
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
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                resp = await client.get(
                    f"{self.base_url}/conversations/{sender}/tracker", params=self._params()
                )
        except httpx.HTTPError as exc:
            raise RasaUnavailable(str(exc)) from exc
        if resp.status_code != 200:
            raise RasaUnavailable(f"status {resp.status_code}")
        return resp.json()

    async def healthy(self) -> bool:
        try:
            async with httpx.AsyncClient(timeout=5.0) as client:
                resp = await client.get(f"{self.base_url}/status", params=self._params())
            return resp.status_code == 200
        except httpx.HTTPError:
            return False
