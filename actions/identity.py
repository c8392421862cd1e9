"""Who is writing, as the grievance service needs it: channel, channel user id, event id."""

from __future__ import annotations

from dataclasses import dataclass

from rasa_sdk import Tracker

CHANNELS = ("telegram", "zalo", "web", "phone", "api")


@dataclass(frozen=True)
class Sender:
    channel: str
    user_id: str
    event_id: str | None


def sender_of(tracker: Tracker) -> Sender:
    """Channel adapters use sender ids "<channel>:<user id>" and send a message_id in metadata."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    channel, _, user = (tracker.sender_id or "").partition(":")
    if not user:
        channel, user = "api", tracker.sender_id or "unknown"
    channel = str(metadata.get("channel") or channel)
    if channel not in CHANNELS:
        channel = "api"
    user = str(metadata.get("user_id") or user)
    message_id = metadata.get("message_id")
    event_id = f"{channel}:{user}:{message_id}" if message_id else None
    return Sender(channel=channel, user_id=user, event_id=event_id)
