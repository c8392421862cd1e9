"""Slot extraction shared by the forms: when a message fills the requested slot and when not."""

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.company_check import ValidateCompanyForm
from actions.grievance_intake import ValidateGrievanceForm

STORY = "Chủ nợ lương em 3 tháng, em đòi thì chủ dọa đuổi về nước, không ai giúp"


def tracker(text: str, requested: str, intent: dict) -> Tracker:
    return Tracker(
        sender_id="api:form-user",
        slots={"language": "vi", "requested_slot": requested},
        latest_message={"text": text, "intent": intent, "entities": []},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={"name": "company_form"},
        latest_action_name="action_listen",
    )


def extract(method, text: str, requested: str, intent: dict) -> tuple[dict, list[str]]:
    dispatcher = CollectingDispatcher()
    slots = asyncio.run(method(dispatcher, tracker(text, requested, intent), {}))
    return slots, [m.get("response") for m in dispatcher.messages]


WEAK = {"name": "emergency", "confidence": 0.95, "emergency_signal": "emergency_probability"}


def test_a_weak_emergency_that_is_an_answer_fills_the_slot_after_a_hotline_reminder():
    slots, sent = extract(ValidateCompanyForm().extract_company_query,
                          "Công ty TNHH Cứu Hộ Việt", "company_query", WEAK)
    assert slots == {"company_query": "Công ty TNHH Cứu Hộ Việt"}
    assert sent == ["utter_emergency_reminder"]


@pytest.mark.parametrize(
    "intent",
    [
        {"name": "emergency", "confidence": 0.95, "emergency_signal": "danger_phrase"},
        {"name": "emergency", "confidence": 0.95, "emergency_signal": "classifier_top"},
        {"name": "emergency", "confidence": 0.99},
        {"name": "cancel", "confidence": 0.9},
    ],
)
def test_a_strong_emergency_or_another_interruption_fills_nothing(intent):
    slots, sent = extract(ValidateCompanyForm().extract_company_query,
                          "Công ty TNHH Cứu Hộ Việt", "company_query", intent)
    assert (slots, sent) == ({}, [])


def test_a_weak_emergency_that_is_no_answer_is_left_to_the_emergency_rules():
    slots, sent = extract(ValidateCompanyForm().extract_company_query, "/", "company_query", WEAK)
    assert (slots, sent) == ({}, [])


def test_a_weak_emergency_story_is_left_to_the_emergency_action_which_keeps_the_complaint():
    slots, sent = extract(ValidateGrievanceForm().extract_g_description, STORY,
                          "g_description", WEAK)
    assert (slots, sent) == ({}, [])


def test_an_ordinary_answer_fills_the_slot_without_a_reminder():
    slots, sent = extract(ValidateCompanyForm().extract_company_query, "Công ty Sao Mai",
                          "company_query", {"name": "inform", "confidence": 0.98})
    assert (slots, sent) == ({"company_query": "Công ty Sao Mai"}, [])


@pytest.mark.parametrize(
    ("text", "slots", "sent"),
    [
        ("170", {"fee_rate": "170"}, []),
        ("172,5", {"fee_rate": "172.5"}, []),
        ("1 yên = 172,5 đồng", {"fee_rate": "172.5"}, []),
        ("1 yen khoang 170 dong", {"fee_rate": "170"}, []),
        ("170 đồng", {"fee_rate": "170"}, []),
        # an amount typed at the rate question is no rate: asked again
        ("150 triệu", {"fee_rate": None}, ["utter_invalid_rate"]),
        ("3 man", {"fee_rate": None}, ["utter_invalid_rate"]),
    ],
)
def test_the_rate_question_takes_a_rate_and_refuses_an_amount(text, slots, sent):
    from actions.fee_check import ValidateFeeForm

    got, responses = extract(ValidateFeeForm().extract_fee_rate, text, "fee_rate",
                             {"name": "inform", "confidence": 0.9})
    assert (got, responses) == (slots, sent)
