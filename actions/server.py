"""Entry point of the action server: build the shared context, then serve rasa-sdk's app.

One process (Sanic single_process), bound to loopback by default, so Ctrl-C in `make run` leaves
no worker processes behind and the models are loaded once.
"""

from __future__ import annotations

import logging
import os

from rasa_sdk.endpoint import create_app

from actions.context import Context, set_context
from actions.safety import SafeActionExecutor
from actions.settings import ActionSettings

logger = logging.getLogger(__name__)


def main() -> None:
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    settings = ActionSettings.from_env()
    context = Context(settings)
    context.warm_up()
    set_context(context)

    executor = SafeActionExecutor()
    executor.register_package("actions")
    app = create_app(executor)
    logger.info("action server listening on %s:%s", settings.host, settings.port)
    app.run(
        host=settings.host,
        port=settings.port,
        single_process=True,
        access_log=False,
        motd=False,
    )


if __name__ == "__main__":
    main()
