"""The web app: worker web chat, health check, and the channel webhooks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from bot.rasa_client import RasaClient
from web.chat import chat_api, chat_page, chat_replies
from web.held import HeldMessages
from web.settings import WebSettings

logger = logging.getLogger(__name__)
HERE = Path(__file__).parent


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def home(request: Request) -> Response:
    return RedirectResponse("/chat")


def zalo_adapter(settings: WebSettings, rasa: RasaClient) -> Any:
    """The Zalo OA adapter, when its credentials are set (see docs/deploy.md), else None."""
    from bot.settings import Settings as ChannelSettings
    from bot.telegram import open_tickets
    from bot.zalo_webhook import ZaloAdapter

    channel = ChannelSettings.from_env()
    if not channel.zalo_enabled:
        return None
    return ZaloAdapter(channel, rasa, settings.db_path, tickets=open_tickets(str(settings.db_path)))


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """Background work of the web app: web chat messages held while Rasa was down, and Zalo's
    retries and milestone messages when Zalo is enabled."""
    tasks = [asyncio.create_task(retry_held_loop(app))]
    if app.state.zalo:
        tasks.append(asyncio.create_task(app.state.zalo.run_retry_loop()))
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def retry_held_loop(app: Starlette) -> None:
    while True:
        await asyncio.sleep(app.state.settings.retry_seconds)
        try:
            await app.state.held.retry(app.state.rasa)
        except Exception:  # the outer edge of a background loop: log, keep the messages, go on
            logger.error("retrying held web chat messages failed", exc_info=True)


def create_app(settings: WebSettings) -> Starlette:
    routes = [
        Route("/", home),
        Route("/healthz", healthz),
        Route("/chat", chat_page),
        Route("/api/chat", chat_api, methods=["POST"]),
        Route("/api/chat/replies", chat_replies),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    rasa = RasaClient(settings.rasa_url, settings.rasa_token)
    zalo = zalo_adapter(settings, rasa)
    if zalo is not None:
        from bot.zalo_webhook import WEBHOOK_PATH

        routes += zalo.routes(WEBHOOK_PATH)
        logger.info("zalo webhook enabled at %s", WEBHOOK_PATH)
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.settings = settings
    app.state.rasa = rasa
    app.state.zalo = zalo
    app.state.held = HeldMessages(settings.db_path)
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    return app
