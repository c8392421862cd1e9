"""Telegram adapter: translates between Telegram chats and Rasa's REST channel.

Thin on purpose: text, buttons, files and the channel commands (/start, /help, /language,
/status, /cancel, /delete) are translated here; every answer comes from Rasa. Run it with
`python -m bot.telegram` (polling, or webhook when TELEGRAM_MODE=webhook).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import hmac
import json
import logging
import sys
import warnings
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    BaseRateLimiter,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBDeprecationWarning

from bot import attachments
from bot.formatting import language_hint, normalise_language, split_text, text
from bot.identities import Identities
from bot.inbox import Inbox
from bot.outbound import DeliveryResult, RateLimiter, record_undelivered
from bot.rasa_client import BotReply, RasaClient, RasaUnavailable
from bot.settings import Settings, SettingsError

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
MAX_TEXT = 4096
CALLBACK_LIMIT = 64
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Commands that are only a Rasa intent payload.
RELAY_COMMANDS = {
    "start": "/greet",
    "help": "/help",
    "status": "/check_status",
    "cancel": "/cancel",
}
INTERNAL = "hx:"  # callback data the adapter handles itself
KEY = "k:"  # callback data that stands for a long payload kept in the inbox
DELETE_YES, DELETE_NO = INTERNAL + "del:yes", INTERNAL + "del:no"
OVERALL_ONLY_ENDPOINTS = {"sendChatAction", "answerCallbackQuery"}
UNLIMITED_ENDPOINTS = {
    "getUpdates",
    "getMe",
    "getFile",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "close",
    "logOut",
}


def language_payload(code: str) -> str:
    return "/change_language" + json.dumps({"target_language": code}, separators=(",", ":"))


def _retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # int vs timedelta: PTB is changing the type; accept both
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: Any = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


class TelegramRateLimiter(BaseRateLimiter[None]):
    """Paces sends (bot.outbound.RateLimiter) and retries 429s and network errors.

    python-telegram-bot's own AIORateLimiter needs the `aiolimiter` package, which we do not
    install; this one keeps each chat's messages in order and honours `retry_after`.
    """

    def __init__(
        self, limiter: RateLimiter | None = None, max_retries: int = 5, backoff: float = 0.5
    ) -> None:
        self.limiter = limiter or RateLimiter()
        self.max_retries = max_retries
        self.backoff = backoff

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if endpoint in UNLIMITED_ENDPOINTS:
            return await callback(*args, **kwargs)
        # A typing indicator is not a message: it counts overall, not against the chat's pace.
        chat = None if endpoint in OVERALL_ONLY_ENDPOINTS else data.get("chat_id")
        async with self.limiter.slot(chat) as next_turn:
            attempt = 0
            while True:
                try:
                    return await callback(*args, **kwargs)
                except RetryAfter as exc:
                    delay = _retry_seconds(exc)
                    logger.warning("telegram 429 on %s, retry after %ss", endpoint, delay)
                except BadRequest:
                    raise
                except NetworkError as exc:
                    delay = self.backoff * 2**attempt
                    logger.warning(
                        "telegram %s on %s, retry in %ss", type(exc).__name__, endpoint, delay
                    )
                attempt += 1
                if attempt > self.max_retries:
                    raise
                await asyncio.sleep(delay)
                await next_turn()


@dataclass
class TelegramAdapter:
    """The handlers' shared state; one per Application."""

    settings: Settings
    rasa: RasaClient
    inbox: Inbox
    identities: Identities
    tickets: attachments.TicketStore | None = None
    _retry_task: asyncio.Task[None] | None = field(default=None, init=False)

    # --- helpers -----------------------------------------------------------------------------
    def language(self, update: Update) -> str:
        chat = update.effective_chat
        ident = self.identities.get(CHANNEL, chat.id) if chat else None
        if ident and ident.language:
            return ident.language
        user = update.effective_user
        return normalise_language(user.language_code if user else None)

    def keyboard(self, buttons: list[dict[str, Any]]) -> InlineKeyboardMarkup | None:
        rows = []
        for button in buttons:
            payload = str(button.get("payload") or button.get("title") or "")
            title = str(button.get("title") or payload)
            if not payload:
                continue
            rows.append([InlineKeyboardButton(title, callback_data=self.callback_data(payload))])
        return InlineKeyboardMarkup(rows) if rows else None

    def callback_data(self, payload: str) -> str:
        """Telegram carries at most 64 bytes; longer (or ambiguous) payloads get a short key."""
        if len(payload.encode()) <= CALLBACK_LIMIT and not payload.startswith((KEY, INTERNAL)):
            return payload
        return self.inbox.button_key(payload)

    async def send_reply(self, bot: Any, chat_id: int | str, reply: BotReply) -> None:
        for message in reply.visible():
            body = str(message.get("text") or "")
            if message.get("image"):
                body = (body + "\n" + str(message["image"])).strip()
            markup = self.keyboard(message.get("buttons") or [])
            if not body and markup is None:
                continue  # a custom payload the channel cannot show
            chunks = split_text(body, MAX_TEXT) or ["…"]
            for i, chunk in enumerate(chunks):
                last = i == len(chunks) - 1
                await bot.send_message(chat_id, chunk, reply_markup=markup if last else None)

    async def deliver(
        self,
        bot: Any,
        chat_id: int | str,
        reply: BotReply,
        event_id: int | str,
        intro: str | None = None,
    ) -> None:
        """Show Rasa's answer; if Telegram refuses it (blocked bot, retries spent), keep it.

        Either way the event is done: Rasa has answered, and sending it to Rasa again would
        repeat the conversation turn.
        """
        try:
            if intro:
                await bot.send_message(chat_id, intro)
            await self.send_reply(bot, chat_id, reply)
        except TelegramError as exc:
            record_undelivered(
                self.inbox.db_path,
                CHANNEL,
                str(chat_id),
                "\n\n".join(reply.texts),
                f"telegram:{type(exc).__name__}",
            )
        finally:
            self.inbox.done(CHANNEL, event_id)

    async def relay(self, update: Update, context: ContextTypes.DEFAULT_TYPE, message: str) -> None:
        """Send `message` to Rasa as this chat and show the answer; park it when Rasa is down."""
        chat, user = update.effective_chat, update.effective_user
        assert chat is not None and user is not None
        ident = self.identities.touch(CHANNEL, chat.id)
        raw = update.message.text if update.message else None  # not a button's message
        metadata = {
            "channel": CHANNEL,
            "user_id": str(user.id),
            "language_hint": language_hint(raw, ident.language, user.language_code),
            "message_id": str(update.update_id),
        }
        with contextlib.suppress(TelegramError):
            await context.bot.send_chat_action(chat.id, "typing")
        try:
            reply = await self.rasa.send(f"{CHANNEL}:{user.id}", message, metadata)
        except RasaUnavailable:
            self.inbox.park(CHANNEL, update.update_id)
            logger.warning("rasa down, update %s parked", update.update_id)
            await context.bot.send_message(chat.id, text("rasa_down", self.language(update)))
            return
        await self.deliver(context.bot, chat.id, reply, update.update_id)

    # --- handlers ----------------------------------------------------------------------------
    async def claim(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Runs first for every update: a duplicate update_id stops here."""
        chat, user = update.effective_chat, update.effective_user
        payload = {
            "chat_id": chat.id if chat else None,
            "user_id": user.id if user else None,
            "language_code": user.language_code if user else None,
            # Only what retry_pending() may send to Rasa again; edits and the rest are not.
            "text": (
                update.callback_query.data
                if update.callback_query
                else update.message.text
                if update.message
                else None
            ),
        }
        user_id = user.id if user else (chat.id if chat else 0)
        if not self.inbox.claim(CHANNEL, update.update_id, user_id, payload):
            raise ApplicationHandlerStop
        logger.info("telegram update %s", update.update_id)

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        await self.relay(update, context, message.text)

    async def on_relay_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        command = message.text.split()[0].lstrip("/").split("@")[0].lower()
        await self.relay(update, context, RELAY_COMMANDS[command])

    async def on_language(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        lang = self.language(update)
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        text("language_vi", lang), callback_data=language_payload("vi")
                    )
                ],
                [
                    InlineKeyboardButton(
                        text("language_en", lang), callback_data=language_payload("en")
                    )
                ],
            ]
        )
        assert update.effective_chat is not None
        await context.bot.send_message(
            update.effective_chat.id, text("language_prompt", lang), reply_markup=markup
        )
        self.inbox.done(CHANNEL, update.update_id)

    async def on_delete(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        lang = self.language(update)
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(text("delete_yes", lang), callback_data=DELETE_YES),
                    InlineKeyboardButton(text("delete_no", lang), callback_data=DELETE_NO),
                ]
            ]
        )
        assert update.effective_chat is not None
        await context.bot.send_message(
            update.effective_chat.id, text("delete_confirm", lang), reply_markup=markup
        )
        self.inbox.done(CHANNEL, update.update_id)

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and update.effective_chat is not None
        with contextlib.suppress(TelegramError):
            await query.answer()
        data = query.data or ""
        if data in (DELETE_YES, DELETE_NO):
            await self.finish_delete(update, context, confirmed=data == DELETE_YES)
            return
        payload = self.inbox.button_payload(data) if data.startswith(KEY) else data
        if payload is None:
            await context.bot.send_message(
                update.effective_chat.id, text("button_expired", self.language(update))
            )
            self.inbox.done(CHANNEL, update.update_id)
            return
        if payload.startswith("/change_language"):
            target = _target_language(payload)
            if target:
                self.identities.set_language(CHANNEL, update.effective_chat.id, target)
        await self.relay(update, context, payload)

    async def finish_delete(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, confirmed: bool
    ) -> None:
        chat, user = update.effective_chat, update.effective_user
        assert chat is not None and user is not None
        lang = self.language(update)
        if not confirmed:
            await context.bot.send_message(chat.id, text("delete_cancelled", lang))
            self.inbox.done(CHANNEL, update.update_id)
            return
        codes = (
            attachments.open_codes(self.tickets.tickets_for_user(CHANNEL, str(user.id)))
            if self.tickets
            else []
        )
        self.identities.forget(CHANNEL, chat.id)
        attachments.forget_pending(self.inbox.db_path, CHANNEL, user.id)
        self.inbox.forget(CHANNEL, user.id)
        forgotten = await forget_rasa_conversation(self.rasa, f"{CHANNEL}:{user.id}")
        logger.info(
            "telegram chat data erased, open cases kept=%s tracker=%s", len(codes), forgotten
        )
        message = (
            text("delete_done_open_cases", lang, codes=", ".join(codes))
            if codes
            else text("delete_done", lang)
        )
        await context.bot.send_message(chat.id, message)

    async def on_file(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        assert message is not None and user is not None
        lang = self.language(update)
        if message.photo:
            file_ref, declared, name = message.photo[-1], "image/jpeg", "photo.jpg"
        else:
            assert message.document is not None
            file_ref, declared = message.document, message.document.mime_type
            name = message.document.file_name or "document"
        try:
            attachments.check_declared(declared, file_ref.file_size)
            if (file_ref.file_size or 0) > attachments.TELEGRAM_DOWNLOAD_LIMIT:
                raise attachments.AttachmentRejected("too_big")
            tg_file = await context.bot.get_file(file_ref.file_id)
            data = bytes(await tg_file.download_as_bytearray())
            accepted = attachments.accept(
                self.inbox.db_path, CHANNEL, user.id, data, name, self.tickets
            )
        except attachments.AttachmentRejected as exc:
            logger.info("telegram attachment rejected: %s", exc.reason)
            reply = text(
                "attachment_" + exc.reason, lang, limit_mb=attachments.MAX_BYTES // (1024 * 1024)
            )
        except TelegramError as exc:
            logger.warning("telegram file download failed: %s", type(exc).__name__)
            reply = text("attachment_failed", lang)
        else:
            reply = (
                text("attachment_added", lang, code=accepted.ticket_code)
                if accepted.ticket_code
                else text("attachment_pending", lang)
            )
        await context.bot.send_message(message.chat_id, reply)
        self.inbox.done(CHANNEL, update.update_id)

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_chat is not None:
            await context.bot.send_message(
                update.effective_chat.id, text("unsupported_message", self.language(update))
            )
        self.inbox.done(CHANNEL, update.update_id)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The outermost handler: log the error type with the update id, never the content."""
        update_id = update.update_id if isinstance(update, Update) else None
        logger.error("telegram handler failed for update %s", update_id, exc_info=context.error)

    # --- catching up after an outage ----------------------------------------------------------
    async def retry_pending(self, bot: Any) -> int:
        """Send parked messages to Rasa again and deliver the answers; stops while Rasa is down."""
        sent = 0
        for event in self.inbox.to_retry(CHANNEL):
            payload = event.payload
            message = _rasa_text(payload.get("text"), self.inbox)
            if message is None or payload.get("chat_id") is None:
                self.inbox.done(CHANNEL, event.event_id)
                continue
            ident = self.identities.get(CHANNEL, payload["chat_id"])
            lang = ident.language if ident else None
            metadata = {
                "channel": CHANNEL,
                "user_id": str(payload.get("user_id")),
                "language_hint": language_hint(
                    payload.get("text"), lang, payload.get("language_code")
                ),
                "message_id": str(event.event_id),
            }
            try:
                reply = await self.rasa.send(
                    f"{CHANNEL}:{payload.get('user_id')}", message, metadata
                )
            except RasaUnavailable:
                self.inbox.park(CHANNEL, event.event_id)
                break
            chat_lang = lang or normalise_language(payload.get("language_code"))
            intro = text("late_reply_intro", chat_lang)
            await self.deliver(bot, payload["chat_id"], reply, event.event_id, intro)
            sent += 1
        if sent:
            logger.info("telegram delivered %s parked messages", sent)
        return sent

    async def _retry_loop(self, app: Application) -> None:
        while True:
            await asyncio.sleep(self.settings.retry_pending_seconds)
            try:
                await self.retry_pending(app.bot)
            except Exception:  # keep the loop alive; the events stay parked
                logger.error("retry_pending failed", exc_info=True)
            try:
                await self.deliver_milestones(app.bot)
            except Exception:  # keep the loop alive; notifications stay queued
                logger.error("milestone delivery failed", exc_info=True)

    async def deliver_milestones(self, bot: Any) -> dict[str, int]:
        """Send this channel's due grievance milestones (received, accepted, ...) to workers."""
        if self.tickets is None or not hasattr(self.tickets, "pending_notifications"):
            return {"delivered": 0, "failed": 0}
        from bot.outbound import ChannelNotifications, deliver_notifications

        counts = await deliver_notifications(
            ChannelNotifications(self.tickets, CHANNEL), {CHANNEL: TelegramSender(bot)},
            dtm.datetime.now(dtm.UTC),
        )
        if counts["delivered"] or counts["failed"]:
            logger.info("telegram milestones delivered=%s failed=%s",
                        counts["delivered"], counts["failed"])
        return counts

    async def post_init(self, app: Application) -> None:
        self._retry_task = asyncio.create_task(self._retry_loop(app))

    async def post_shutdown(self, app: Application) -> None:
        if self._retry_task:
            self._retry_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retry_task


def _target_language(payload: str) -> str | None:
    try:
        value = json.loads(payload[len("/change_language") :] or "{}").get("target_language")
    except (ValueError, AttributeError):
        return None
    return value if value in ("vi", "en") else None


def _rasa_text(raw: str | None, inbox: Inbox) -> str | None:
    """What a stored update means to Rasa (None: nothing to send again)."""
    if not raw:
        return None
    if raw.startswith("/"):
        command = raw.split()[0].lstrip("/").split("@")[0].lower()
        if command in RELAY_COMMANDS:
            return RELAY_COMMANDS[command]
        if command in ("language", "delete"):
            return None
        return raw  # an intent payload from a button
    if raw.startswith(INTERNAL):
        return None
    if raw.startswith(KEY):
        return inbox.button_payload(raw)
    return raw


async def forget_rasa_conversation(rasa: RasaClient, sender: str) -> bool:
    """Ask Rasa to drop the conversation, in the Rasa process that holds it (RasaClient.forget).

    With a SQL tracker store old rows may remain until the store's own retention removes them
    (documented in docs/deploy.md).
    """
    return await rasa.forget(sender)


class TelegramSender:
    """bot.outbound.Sender for Telegram: used by deliver_notifications."""

    def __init__(self, bot: Any) -> None:
        self.bot = bot

    async def send_text(self, chat_id: str, message: str) -> DeliveryResult:
        ids = []
        try:
            for chunk in split_text(message, MAX_TEXT):
                sent = await self.bot.send_message(chat_id, chunk)
                ids.append(str(sent.message_id))
        except TelegramError as exc:
            return DeliveryResult(False, f"telegram:{type(exc).__name__}", tuple(ids))
        return DeliveryResult(True, None, tuple(ids))


def build_application(
    settings: Settings,
    rasa: RasaClient,
    inbox: Inbox,
    identities: Identities | None = None,
    tickets: attachments.TicketStore | None = None,
    rate_limiter: TelegramRateLimiter | None = None,
) -> Application:
    """Wire the handlers; nothing is started here (main() or the tests do that)."""
    if not settings.telegram_bot_token:
        raise SettingsError("TELEGRAM_BOT_TOKEN is not set")
    adapter = TelegramAdapter(
        settings, rasa, inbox, identities or Identities(inbox.db_path), tickets
    )
    app = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.telegram_base_file_url)
        .rate_limiter(rate_limiter or TelegramRateLimiter())
        .post_init(adapter.post_init)
        .post_shutdown(adapter.post_shutdown)
        .build()
    )
    app.bot_data["adapter"] = adapter
    app.add_handler(TypeHandler(Update, adapter.claim), group=-1)
    new = filters.UpdateType.MESSAGE  # edited messages and channel posts are not answered
    app.add_handler(CommandHandler(list(RELAY_COMMANDS), adapter.on_relay_command, new))
    app.add_handler(CommandHandler("language", adapter.on_language, new))
    app.add_handler(CommandHandler("delete", adapter.on_delete, new))
    app.add_handler(CallbackQueryHandler(adapter.on_callback))
    app.add_handler(MessageHandler(new & filters.TEXT, adapter.on_text))
    app.add_handler(MessageHandler(new & (filters.PHOTO | filters.Document.ALL), adapter.on_file))
    app.add_handler(MessageHandler(new, adapter.on_other))
    app.add_error_handler(adapter.on_error)
    return app


def webhook_app(application: Application, secret: str, path: str = "/telegram") -> Starlette:
    """The HTTP endpoint Telegram posts updates to; requests without our secret get 403."""

    async def receive(request: Request) -> Response:
        supplied = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(supplied.encode(), secret.encode()):
            logger.warning(
                "telegram webhook rejected: %s secret header",
                "missing" if not supplied else "wrong",
            )
            return Response(status_code=403)
        try:
            update = Update.de_json(await request.json(), application.bot)
        except (ValueError, KeyError, TypeError):
            logger.warning("telegram webhook: malformed update")
            return Response(status_code=400)
        await application.update_queue.put(update)
        return Response(status_code=200)

    return Starlette(routes=[Route(path, receive, methods=["POST"])])


async def run_webhook(settings: Settings, application: Application) -> None:
    import uvicorn

    if not settings.telegram_webhook_url or not settings.telegram_webhook_secret:
        raise SettingsError("webhook mode needs TELEGRAM_WEBHOOK_URL and TELEGRAM_WEBHOOK_SECRET")
    path = urlparse(settings.telegram_webhook_url).path or "/telegram"
    server = uvicorn.Server(
        uvicorn.Config(
            webhook_app(application, settings.telegram_webhook_secret, path),
            host=settings.telegram_webhook_listen,
            port=settings.telegram_webhook_port,
            log_level="warning",
            access_log=False,
        )
    )
    async with application:
        await application.bot.set_webhook(
            settings.telegram_webhook_url,
            secret_token=settings.telegram_webhook_secret,
            allowed_updates=Update.ALL_TYPES,
        )
        await application.start()
        if application.post_init:  # run_polling calls it; our own webhook loop must too
            await application.post_init(application)
        try:
            await server.serve()
        finally:
            await application.stop()
            if application.post_shutdown:
                await application.post_shutdown(application)


def open_tickets(db_path: str) -> attachments.TicketStore | None:
    """The grievance service on the shared database, for attachments and /delete."""
    from grievance.service import GrievanceService

    try:
        return GrievanceService.open(db_path)
    except Exception:  # without it files wait as pending and /delete cannot list open cases
        logger.error("grievance service unavailable to the Telegram adapter", exc_info=True)
        return None


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its lines carry the bot token
    try:
        settings = Settings.from_env()
        if not settings.telegram_enabled:
            print("Telegram is disabled: TELEGRAM_BOT_TOKEN is not set.")
            return 0
        if settings.telegram_mode == "webhook" and not (
            settings.telegram_webhook_url and settings.telegram_webhook_secret
        ):
            raise SettingsError(
                "webhook mode needs TELEGRAM_WEBHOOK_URL and TELEGRAM_WEBHOOK_SECRET"
            )
    except SettingsError as exc:
        print(f"Telegram adapter not started: {exc}", file=sys.stderr)
        return 2
    application = build_application(
        settings,
        RasaClient(settings.rasa_url, settings.rasa_token),
        Inbox(settings.db_path),
        tickets=open_tickets(settings.db_path),
    )
    if settings.telegram_mode == "webhook":
        asyncio.run(run_webhook(settings, application))
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
