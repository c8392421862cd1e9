"""The worker web chat: the page, and a JSON endpoint relaying messages to Rasa's REST channel."""

from __future__ import annotations

import logging
import re
import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.rasa_client import RasaClient, RasaUnavailable
from web.held import HeldMessages
from web.i18n import pick_language, text, texts

logger = logging.getLogger(__name__)

SENDER_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_MESSAGE = 2000


async def chat_page(request: Request) -> Response:
    language = pick_language(request.query_params.get("lang"))
    return request.app.state.templates.TemplateResponse(
        request, "chat.html", {"t": texts(language), "language": language}
    )


def _error(key: str, language: str, status: int) -> JSONResponse:
    return JSONResponse({"messages": [{"text": text(key, language)}], "error": key}, status)


async def chat_api(request: Request) -> Response:
    """POST {sender, message, message_id?, language?} → {messages: [...]}."""
    try:
        body = await request.json()
    except ValueError:
        return _error("bad_request", "vi", 400)
    if not isinstance(body, dict):
        return _error("bad_request", "vi", 400)
    language = pick_language(body.get("language"))
    sender = str(body.get("sender") or "")
    message = str(body.get("message") or "").strip()
    if not SENDER_RE.match(sender):
        return _error("bad_request", language, 400)
    if not message:
        return _error("empty_message", language, 400)
    if len(message) > MAX_MESSAGE:
        return _error("too_long", language, 400)
    message_id = str(body.get("message_id") or uuid.uuid4().hex)[:64]
    rasa: RasaClient = request.app.state.rasa
    held: HeldMessages = request.app.state.held
    metadata = {"channel": "web", "user_id": sender, "message_id": message_id,
                "language_hint": language}
    if not held.claim(sender, message_id,
                      {"sender": sender, "message": message, "metadata": metadata}):
        return JSONResponse({"messages": [], "duplicate": True})
    try:
        reply = await rasa.send(f"web:{sender}", message, metadata)
    except RasaUnavailable:
        held.hold(message_id)
        logger.warning("web chat: rasa unavailable, message_id=%s held", message_id)
        return _error("rasa_down", language, 503)
    held.answered(message_id)
    visible = [
        {k: m[k] for k in ("text", "buttons", "image") if m.get(k)} for m in reply.visible()
    ]
    logger.info("web chat reply message_id=%s n=%s", message_id, len(visible))
    return JSONResponse({"messages": [m for m in visible if m]})


async def chat_replies(request: Request) -> Response:
    """GET ?sender=… → answers to messages that were held while the service was down."""
    sender = request.query_params.get("sender") or ""
    if not SENDER_RE.match(sender):
        return _error("bad_request", "vi", 400)
    held: HeldMessages = request.app.state.held
    return JSONResponse({"messages": held.take_replies(sender)})
