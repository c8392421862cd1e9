"""Reading the worker's answer to "is it safe to message you here?"."""

import pytest
from rasa_sdk import Tracker

from actions.grievance_intake import contact_choice


def tracker(text: str, intent: str, entities: list[dict] | None = None) -> Tracker:
    return Tracker(
        sender_id="api:test", slots={"language": "vi"},
        latest_message={"text": text, "intent": {"name": intent, "confidence": 0.9},
                        "entities": entities or []},
        events=[], paused=False, followup_action=None, active_loop={},
        latest_action_name="action_listen",
    )


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        ("dong y", "affirm", "neutral"),
        ("có", "affirm", "neutral"),
        ("ko", "deny", "none"),
        ("1", "inform", "any"),
        ("3", "inform", "none"),
        ("qua zalo so nay", "inform", None),
    ],
)
def test_plain_yes_no_and_numbers_are_understood(text, intent, expected):
    assert contact_choice(text, tracker(text, intent)) == expected


def test_a_button_wins_over_the_intent():
    button = tracker('/inform{"choice":"any"}', "affirm",
                     [{"entity": "choice", "value": "any"}])
    assert contact_choice("/inform", button) == "any"
