"""Zalo OA webhook: checks Zalo's signature, de-duplicates, and relays events to Rasa.

Zalo signs each event with header `X-ZEvent-Signature: mac=<hex>`, where hex is
SHA-256(app_id + raw body + timestamp + OA secret key) and the timestamp (milliseconds) is the
event's own `timestamp` field (docs/deploy.md cites the sources). Unsigned, mis-signed and stale
requests are refused. Zalo wants a 200 within about two seconds, so the work runs after the
response (a Starlette background task); the inbox keeps the event until it is answered.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot import attachments
from bot.formatting import language_hint, text
from bot.identities import Identities
from bot.inbox import Inbox, sender_hash
from bot.rasa_client import RasaClient, RasaUnavailable
from bot.settings import Settings
from bot.zalo import CHANNEL, ZaloClient

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-ZEvent-Signature"
TIMESTAMP_HEADER = "X-ZEvent-Timestamp"  # some Zalo products send it; the body's field wins
MAX_AGE_MS = 5 * 60 * 1000
WEBHOOK_PATH = "/webhooks/zalo"
TEXT_EVENTS = {"user_send_text"}
FILE_EVENTS = {"user_send_image", "user_send_file"}
FOLLOW_EVENTS = {"follow", "unfollow"}
EXTENSION_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
}


class SignatureRejected(Exception):
    """`reason`: unsigned, forged or stale. Mapped to 401/403 at the HTTP edge."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def signature(app_id: str, raw_body: bytes, timestamp: str, oa_secret_key: str) -> str:
    digest = hashlib.sha256(
        app_id.encode() + raw_body + timestamp.encode() + oa_secret_key.encode()
    ).hexdigest()
    return "mac=" + digest


def verify(
    settings: Settings, raw_body: bytes, headers: Any, now_ms: int | None = None
) -> dict[str, Any]:
    """The event, if Zalo signed it recently; SignatureRejected otherwise."""
    supplied = (headers.get(SIGNATURE_HEADER) or "").strip()
    if not supplied:
        raise SignatureRejected("unsigned")
    try:
        event = json.loads(raw_body)
    except ValueError as exc:
        raise SignatureRejected("forged") from exc
    if not isinstance(event, dict):
        raise SignatureRejected("forged")
    timestamp = str(event.get("timestamp") or headers.get(TIMESTAMP_HEADER) or "")
    expected = signature(
        settings.zalo_app_id or "", raw_body, timestamp, settings.zalo_oa_secret_key or ""
    )
    if not supplied.lower().startswith("mac="):
        supplied = "mac=" + supplied
    if not timestamp or not hmac.compare_digest(supplied.lower().encode(), expected.encode()):
        raise SignatureRejected("forged")
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    try:
        age = now_ms - int(timestamp)
    except ValueError as exc:
        raise SignatureRejected("forged") from exc
    if abs(age) > MAX_AGE_MS:
        raise SignatureRejected("stale")
    return event


def _target_language(payload: str) -> str | None:
    """The language a /change_language{"target_language": ..} button payload asks for."""
    if not payload.startswith("/change_language"):
        return None
    try:
        value = json.loads(payload[len("/change_language") :] or "{}").get("target_language")
    except (ValueError, AttributeError):
        return None
    return value if value in ("vi", "en") else None


def event_id(event: dict[str, Any]) -> str | None:
    name = str(event.get("event_name") or "")
    msg_id = (event.get("message") or {}).get("msg_id")
    if msg_id:
        return str(msg_id)
    user = user_of(event)
    if name in FOLLOW_EVENTS and user:  # no msg_id: the id must not show who (it is logged)
        return f"{name}:{sender_hash(CHANNEL, user)[:16]}:{event.get('timestamp')}"
    return None


def user_of(event: dict[str, Any]) -> str | None:
    who = event.get("sender") or event.get("follower") or {}
    return str(who["id"]) if who.get("id") else None


class ZaloAdapter:
    """Handles verified events: text to Rasa, files to attachments, follow to a greeting."""

    def __init__(
        self,
        settings: Settings,
        rasa: RasaClient,
        db_path: str | Path,
        client: ZaloClient | None = None,
        tickets: attachments.TicketStore | None = None,
    ) -> None:
        self.settings = settings
        self.rasa = rasa
        self.db_path = str(db_path)
        self.inbox = Inbox(db_path)
        self.identities = Identities(db_path)
        self.client = client or ZaloClient(settings, db_path)
        self.tickets = tickets
        self._last_retry = 0.0
        self._retrying = False
        self._user_locks: dict[str, asyncio.Lock] = {}

    def language(self, user_id: str) -> str | None:
        ident = self.identities.get(CHANNEL, user_id)
        return ident.language if ident else None

    async def handle(self, event: dict[str, Any]) -> None:
        """Process one claimed event; the outermost handler for background work."""
        eid = event_id(event) or ""
        user = user_of(event) or ""
        lock = self._user_locks.setdefault(user, asyncio.Lock())
        try:
            async with lock:  # one worker's messages are answered in the order they came
                await self._handle(event, eid)
        except Exception:
            logger.error("zalo event %s failed", eid, exc_info=True)

    async def _handle(self, event: dict[str, Any], eid: str) -> None:
        name = str(event.get("event_name") or "")
        user = user_of(event)
        if user is None:
            self.inbox.done(CHANNEL, eid)
            return
        self.identities.touch(CHANNEL, user)
        if name in TEXT_EVENTS:
            raw = str((event.get("message") or {}).get("text") or "")
            message = self.client.option_payload(user, raw) or raw
            target = _target_language(message)
            if target:
                self.identities.set_language(CHANNEL, user, target)
            await self.relay(eid, user, message, raw)
        elif name in FILE_EVENTS:
            await self.on_file(eid, user, event)
        elif name == "follow":
            await self.relay(eid, user, "/greet", None)
        elif name.startswith("user_send_"):  # stickers, voice, location...: say what we read
            await self.client.send_text(user, text("unsupported_message", self.language(user)))
            self.inbox.done(CHANNEL, eid)
        else:
            logger.info("zalo %s event %s", name, eid)
            self.inbox.done(CHANNEL, eid)

    async def relay(
        self, eid: str, user: str, message: str, raw: str | None, late: bool = False
    ) -> bool:
        """Send to Rasa and deliver the answer; park and apologise when Rasa is down."""
        lang = self.language(user)
        metadata = {
            "channel": CHANNEL,
            "user_id": user,
            "language_hint": language_hint(raw, lang, None),
            "message_id": eid,
        }
        try:
            reply = await self.rasa.send(f"{CHANNEL}:{user}", message, metadata)
        except RasaUnavailable:
            self.inbox.park(CHANNEL, eid)
            logger.warning("rasa down, zalo event %s parked", eid)
            if not late:
                await self.client.send_text(
                    user, text("rasa_down", lang or language_hint(raw, None, None))
                )
            return False
        parts: list[dict[str, Any]] = []
        if late:
            parts.append({"text": text("late_reply_intro", lang)})
        for bot_message in reply.visible():
            parts.extend(self.client.render(bot_message, lang, user))
        result = await self.client.send_parts(user, parts) if parts else None
        self.inbox.done(CHANNEL, eid)
        if result is not None and not result.delivered:
            logger.warning("zalo reply to event %s undelivered: %s", eid, result.error)
        return True

    async def on_file(self, eid: str, user: str, event: dict[str, Any]) -> None:
        lang = self.language(user)
        replies = []
        for item in (event.get("message") or {}).get("attachments") or []:
            payload = item.get("payload") or {}
            url = payload.get("url")
            if not url:
                continue
            name = str(
                payload.get("name") or ("photo.jpg" if item.get("type") == "image" else "file")
            )
            declared = (
                None
                if item.get("type") == "image"
                else EXTENSION_TYPES.get(
                    name.rsplit(".", 1)[-1].lower() if "." in name else str(payload.get("type")),
                    "application/octet-stream",
                )
            )
            size = int(payload["size"]) if str(payload.get("size") or "").isdigit() else None
            try:
                attachments.check_declared(declared, size)
                data = await download(url, attachments.MAX_BYTES)
                accepted = attachments.accept(self.db_path, CHANNEL, user, data, name, self.tickets)
            except attachments.AttachmentRejected as exc:
                logger.info("zalo attachment rejected: %s", exc.reason)
                replies.append(
                    text(
                        "attachment_" + exc.reason,
                        lang,
                        limit_mb=attachments.MAX_BYTES // (1024 * 1024),
                    )
                )
            except httpx.HTTPError as exc:
                logger.warning("zalo file download failed: %s", type(exc).__name__)
                replies.append(text("attachment_failed", lang))
            else:
                replies.append(
                    text("attachment_added", lang, code=accepted.ticket_code)
                    if accepted.ticket_code
                    else text("attachment_pending", lang)
                )
        if replies:
            await self.client.send_text(user, "\n".join(dict.fromkeys(replies)))
        self.inbox.done(CHANNEL, eid)

    async def retry_pending(self) -> int:
        """Send parked events to Rasa again; stops at the first failure (Rasa still down)."""
        sent = 0
        for parked in self.inbox.to_retry(CHANNEL):
            user = parked.payload.get("user_id")
            message = parked.payload.get("text")
            if not user or not message:
                self.inbox.done(CHANNEL, parked.event_id)
                continue
            if not await self.relay(
                parked.event_id, str(user), str(message), parked.payload.get("raw"), late=True
            ):
                break
            sent += 1
        if sent:
            logger.info("zalo delivered %s parked messages", sent)
        return sent

    async def maybe_retry(self) -> None:
        """Retry parked events now and then, driven by incoming traffic (no scheduler needed)."""
        if (
            self._retrying
            or time.monotonic() - self._last_retry < self.settings.retry_pending_seconds
        ):
            return
        self._retrying, self._last_retry = True, time.monotonic()
        try:
            await self.retry_pending()
        except Exception:
            logger.error("zalo retry_pending failed", exc_info=True)
        finally:
            self._retrying = False

    async def run_retry_loop(self) -> None:
        """For a web app lifespan: every retry_pending_seconds, retry parked events and send
        Zalo's due grievance milestones (received, accepted, ...) to workers."""
        while True:
            await asyncio.sleep(self.settings.retry_pending_seconds)
            await self.maybe_retry()
            try:
                await self.deliver_milestones()
            except Exception:  # keep the loop alive; notifications stay queued
                logger.error("zalo milestone delivery failed", exc_info=True)

    async def deliver_milestones(self) -> dict[str, int]:
        if self.tickets is None or not hasattr(self.tickets, "pending_notifications"):
            return {"delivered": 0, "failed": 0}
        from bot.outbound import ChannelNotifications, deliver_notifications

        return await deliver_notifications(
            ChannelNotifications(self.tickets, CHANNEL), {CHANNEL: self.client},
            datetime.now(UTC),
        )

    def claim(self, event: dict[str, Any]) -> bool:
        eid, user = event_id(event), user_of(event)
        if eid is None or user is None:
            return False
        name = str(event.get("event_name") or "")
        raw = str((event.get("message") or {}).get("text") or "") if name in TEXT_EVENTS else None
        stored = {
            "user_id": user,
            "event_name": name,
            "raw": raw,
            "text": (self.client.option_payload(user, raw) or raw)
            if raw
            else "/greet"
            if name == "follow"
            else None,
        }
        return self.inbox.claim(CHANNEL, eid, user, stored)

    async def endpoint(self, request: Request) -> Response:
        raw = await request.body()
        try:
            event = verify(self.settings, raw, request.headers)
        except SignatureRejected as exc:
            logger.warning("zalo webhook rejected: %s", exc.reason)
            return Response(status_code=401 if exc.reason == "unsigned" else 403)
        name = str(event.get("event_name") or "")
        if name not in TEXT_EVENTS | FILE_EVENTS | FOLLOW_EVENTS and not name.startswith(
            "user_send_"
        ):
            logger.info("zalo event %s ignored", name)
            return JSONResponse({"ok": True})
        if not self.claim(event):
            return JSONResponse({"ok": True, "duplicate": True})

        async def work() -> None:
            await self.handle(event)
            await self.maybe_retry()

        return JSONResponse({"ok": True}, background=BackgroundTask(work))

    def routes(self, prefix: str = "") -> list[Route]:
        return [Route(prefix or "/", self.endpoint, methods=["POST"])]


async def download(url: str, limit: int) -> bytes:
    """Fetch a file Zalo points to, refusing to read past `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    async with httpx.AsyncClient(timeout=30, follow_redirects=True) as client:
        async with client.stream("GET", url) as resp:
            resp.raise_for_status()
            async for chunk in resp.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    raise attachments.AttachmentRejected("too_big")
                chunks.append(chunk)
    return b"".join(chunks)


def zalo_routes(
    settings: Settings,
    rasa: RasaClient,
    db_path: str | Path,
    tickets: attachments.TicketStore | None = None,
    client: ZaloClient | None = None,
    prefix: str = "",
) -> list[Route]:
    """Routes for the web app. Mount them at WEBHOOK_PATH, or pass prefix=WEBHOOK_PATH."""
    adapter = ZaloAdapter(settings, rasa, db_path, client=client, tickets=tickets)
    return adapter.routes(prefix)
