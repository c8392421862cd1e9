"""`hanhtrang ask TEXT`: send a message through the running stack, as a chat message goes."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from typing import Any

import typer

from bot.rasa_client import BotReply, RasaClient, RasaUnavailable


def rasa_client() -> RasaClient:
    return RasaClient(
        os.environ.get("RASA_URL", f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}"),
        token=os.environ.get("RASA_TOKEN") or local_token_if_any(),
    )


def local_token_if_any() -> str | None:
    """The token `make run` keeps in var/rasa.token, so `ask` works with no configuration."""
    from cli.stack import VAR

    path = VAR / "rasa.token"
    return path.read_text().strip() if path.exists() else None


def summarise(reply: BotReply, tracker: dict[str, Any]) -> dict[str, Any]:
    """The `ask --json` contract (design.md section 5), from what the bot did for this message."""
    latest = tracker.get("latest_message") or {}
    intent = latest.get("intent") or {}
    slots = tracker.get("slots") or {}
    meta = reply.meta
    active = (tracker.get("active_loop") or {}).get("name")
    score = meta.get("kb_score")
    return {
        "language": slots.get("language") if slots.get("language") in ("vi", "en") else "vi",
        "intent": intent.get("name") or "",
        "intent_confidence": float(intent.get("confidence") or 0.0),
        "kb_id": meta.get("kb_id"),
        "kb_score": float(score) if score is not None else None,
        "active_form": active or None,
        "ticket_code": meta.get("ticket_code"),
        "messages": reply.texts,
    }


async def ask_stack(client: RasaClient, text: str, sender: str) -> dict[str, Any]:
    """Send one message as channel "api" and summarise what the bot did."""
    metadata = {"channel": "api", "user_id": sender.partition(":")[2] or sender,
                "message_id": uuid.uuid4().hex}
    reply = await client.send(sender, text, metadata)
    tracker = await client.tracker(sender)
    return summarise(reply, tracker)


def ask(
    text: str = typer.Argument(..., help="The message, as a worker would write it."),
    sender: str | None = typer.Option(None, "--sender", help="Conversation id; new if omitted."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Send TEXT to the running stack and print what the bot answered."""
    if not text.strip():
        typer.echo("error: the message is empty.", err=True)
        raise typer.Exit(2)
    conversation = sender or f"api:{uuid.uuid4().hex}"
    if ":" not in conversation:
        conversation = f"api:{conversation}"
    try:
        result = asyncio.run(ask_stack(rasa_client(), text, conversation))
    except RasaUnavailable:
        typer.echo(
            "error: the Hành Trang stack is not running (Rasa did not answer at "
            f"{rasa_client().base_url}). Start it with `make run`, then try again.",
            err=True,
        )
        raise typer.Exit(3) from None
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
    else:
        for message in result["messages"]:
            typer.echo(message)
            typer.echo("")
