"""Status by code and PIN through the real action, service and database."""

import asyncio
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import Context, get_context, set_context
from actions.settings import ActionSettings
from actions.status_check import ActionStatusResult
from grievance.service import NewTicket


@pytest.fixture()
def context(tmp_path: Path):
    previous = get_context()
    ctx = Context(ActionSettings(tmp_path / "db.sqlite", tmp_path / "models", "127.0.0.1", 0,
                                 None))
    set_context(ctx)
    yield ctx
    set_context(previous)


def ask_status(code: str, pin: str) -> list[str]:
    tracker = Tracker(
        sender_id="api:status-user", slots={"language": "en", "status_code": code,
                                            "status_pin": pin},
        latest_message={"text": pin, "intent": {"name": "inform"}, "entities": []},
        events=[], paused=False, followup_action=None, active_loop={},
        latest_action_name="status_form",
    )
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionStatusResult().run(dispatcher, tracker, {}))
    return [m["response"] for m in dispatcher.messages if m.get("response")]


def test_right_pin_shows_the_status_and_repeated_wrong_pins_lock_the_code(context):
    ticket, pin = context.grievance.file_ticket(NewTicket(
        channel="telegram", channel_user_id="7", language="en", category="unpaid_wages",
        description="no wages for three months", destination="JP"))
    wrong = f"{(int(pin) + 1) % 1_000_000:06d}"
    assert ask_status(ticket.code, pin)[0] == "utter_status"
    seen = [ask_status(ticket.code, wrong)[0] for _ in range(6)]
    assert seen == ["utter_status_not_found"] * 5 + ["utter_status_locked"]
    assert ask_status(ticket.code, pin) == ["utter_status_locked"]


@pytest.mark.parametrize(
    ("text", "pin"),
    [("HT-2026-000015 645928", "645928"), ("ma ho so HT 2026 000015, pin 645928", "645928"),
     ("HT-2026-000015", None), ("pin 645928", None)],
)
def test_a_pin_typed_with_the_code_is_not_asked_for_again(text, pin):
    from actions.status_check import find_pin_beside_code

    assert find_pin_beside_code(text) == pin
