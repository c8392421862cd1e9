import asyncio
import sqlite3
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import Context, get_context, set_context
from actions.emergency import ActionEmergency, emergency_category, weak_signal_form
from actions.settings import ActionSettings


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("chủ giữ hộ chiếu của em không cho về", "documents_confiscated"),
        ("bi ban sang day lam khong cong, no nan chong chat", "trafficking_forced_labour"),
        ("boss hit me every day", "abuse_violence"),
        ("cứu em với", "abuse_violence"),
    ],
)
def test_emergency_category_from_keywords(text, category):
    assert emergency_category(text) == category


def tracker(text: str, signal: str | None, form: str | None, slots: dict | None = None) -> Tracker:
    intent = {"name": "emergency", "confidence": 0.95}
    if signal:
        intent["emergency_signal"] = signal
    return Tracker(
        sender_id="api:weak-signal-user",
        slots={"language": "vi", **(slots or {})},
        latest_message={"text": text, "intent": intent, "entities": []},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={"name": form} if form else {},
        latest_action_name="action_listen",
    )


@pytest.mark.parametrize(
    ("signal", "form", "expected"),
    [
        ("emergency_probability", "company_form", "company_form"),
        ("emergency_probability", None, None),
        ("danger_phrase", "company_form", None),
        ("classifier_top", "company_form", None),
        (None, "company_form", None),
    ],
)
def test_only_a_low_probability_emergency_lets_an_open_form_go_on(signal, form, expected):
    assert weak_signal_form(tracker("Công ty An Khang", signal, form)) == expected


@pytest.fixture()
def context(tmp_path: Path):
    previous = get_context()
    ctx = Context(ActionSettings(tmp_path / "db.sqlite", tmp_path / "models", "127.0.0.1", 0, None))
    set_context(ctx)
    yield ctx
    set_context(previous)


def test_a_weak_emergency_inside_a_form_alerts_the_hotline_and_the_form_asks_again(context):
    dispatcher = CollectingDispatcher()
    weak = tracker("Công ty An Khang", "emergency_probability", "company_form",
                   {"requested_slot": "company_query"})
    events = asyncio.run(ActionEmergency().run(dispatcher, weak, {}))
    sent = [m.get("response") for m in dispatcher.messages if m.get("response")]
    assert sent == ["utter_emergency", "utter_emergency_ticket", "utter_emergency_form_continues"]
    assert [e["event"] for e in events] == ["slot", "followup"]
    assert events[-1]["name"] == "company_form"
    code = events[0]["value"]
    with sqlite3.connect(context.settings.db_path) as db:
        rows = db.execute("select legal_type from tickets where code = ?", (code,)).fetchall()
    assert rows == [("help_request",)]
