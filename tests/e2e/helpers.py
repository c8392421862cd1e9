"""A conversation with the running test stack, through the same path as `hanhtrang ask`."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from bot.rasa_client import RasaClient
from cli.ask import ask_stack
from cli.stack import StackSettings


class Conversation:
    def __init__(self, stack: StackSettings) -> None:
        self.client = RasaClient(stack.rasa_url, stack.rasa_token)
        self.sender = f"api:{uuid.uuid4().hex}"

    def say(self, text: str) -> dict[str, Any]:
        return asyncio.run(ask_stack(self.client, text, self.sender))

    @staticmethod
    def joined(result: dict[str, Any]) -> str:
        return "\n".join(result["messages"])
