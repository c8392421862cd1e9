"""The web app: worker web chat, health check, and the channel webhooks."""

from __future__ import annotations

import logging
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from bot.rasa_client import RasaClient
from web.chat import chat_api, chat_page
from web.settings import WebSettings

logger = logging.getLogger(__name__)
HERE = Path(__file__).parent


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def home(request: Request) -> Response:
    return RedirectResponse("/chat")


def channel_routes(settings: WebSettings, rasa: RasaClient) -> list[Route]:
    """The Zalo OA webhook, when its credentials are set (see docs/deploy.md)."""
    from bot.settings import Settings as ChannelSettings
    from bot.zalo_webhook import WEBHOOK_PATH, zalo_routes

    channel = ChannelSettings.from_env()
    if not channel.zalo_enabled:
        return []
    logger.info("zalo webhook enabled at %s", WEBHOOK_PATH)
    return zalo_routes(channel, rasa, settings.db_path, prefix=WEBHOOK_PATH)


def create_app(settings: WebSettings) -> Starlette:
    routes = [
        Route("/", home),
        Route("/healthz", healthz),
        Route("/chat", chat_page),
        Route("/api/chat", chat_api, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    rasa = RasaClient(settings.rasa_url, settings.rasa_token)
    routes += channel_routes(settings, rasa)
    app = Starlette(routes=routes)
    app.state.settings = settings
    app.state.rasa = rasa
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    return app
