"""Entry point of the web app process."""

from __future__ import annotations

import logging
import os

import uvicorn

from web.app import create_app
from web.settings import WebSettings


def main() -> None:
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    settings = WebSettings.from_env()
    uvicorn.run(
        create_app(settings), host=settings.host, port=settings.port,
        access_log=False, log_level="info",
    )


if __name__ == "__main__":
    main()
