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


def create_app(settings: WebSettings) -> Starlette:
    routes = [
        Route("/", home),
        Route("/healthz", healthz),
        Route("/chat", chat_page),
        Route("/api/chat", chat_api, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.settings = settings
    app.state.rasa = RasaClient(settings.rasa_url, settings.rasa_token)
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    return app
