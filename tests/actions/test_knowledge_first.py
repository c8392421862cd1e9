"""Knowledge first: a sure article wins over an unsure or misfiled intent; emergencies add it.

Real components throughout: a retriever over the sample articles with a tiny model trained here,
the grievance service on a temporary database, rasa-sdk's Tracker and CollectingDispatcher.
"""

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import Context, get_context, set_context
from actions.emergency import ActionEmergency
from actions.knowledge import (
    ActionAnswerQuestion,
    ActionDefaultFallback,
    ActionHelp,
    ActionOutOfScope,
)
from actions.settings import ActionSettings
from knowledge_base.retrieval import Retriever
from knowledge_base.retrieval.settings import load_config
from knowledge_base.retrieval.training import train_default_model
from tests.knowledge_base.retrieval_samples import sample_articles

pytestmark = pytest.mark.slow

CONFIG = replace(load_config(), training=replace(load_config().training, epochs=4))
QUESTION = "bao giờ lấy lại được tiền ký quỹ"


@pytest.fixture(scope="module")
def retriever(tmp_path_factory) -> Retriever:
    model_dir = train_default_model(sample_articles(), tmp_path_factory.mktemp("m"), CONFIG)
    return Retriever.build(sample_articles(), model_dir, CONFIG, use_cache=False)


@pytest.fixture()
def context(retriever, tmp_path: Path):
    previous = get_context()
    settings = ActionSettings(tmp_path / "db.sqlite", tmp_path / "models", "127.0.0.1", 0, None)
    ctx = Context(settings)
    ctx._cache["articles"] = {a.id: a for a in sample_articles()}
    ctx._cache["retriever"] = retriever
    set_context(ctx)
    yield ctx
    set_context(previous)


def with_thresholds(ctx: Context, answer: float, over_intent: float) -> None:
    retriever = ctx.retriever
    retriever.config = replace(
        retriever.config, answer_threshold=answer, answer_over_intent_threshold=over_intent
    )


def run(action, text: str, intent: str, entities: list[dict] | None = None,
        active_loop: dict | None = None) -> tuple[list[dict], list[dict]]:
    tracker = Tracker(
        sender_id="api:test-user",
        slots={"language": "vi"},
        latest_message={"text": text, "intent": {"name": intent, "confidence": 0.9},
                        "entities": entities or []},
        events=[],
        paused=False,
        followup_action=None,
        active_loop=active_loop or {},
        latest_action_name="action_listen",
    )
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages, events


def responses(messages: list[dict]) -> list[str]:
    return [m.get("response") for m in messages if m.get("response")]


def meta(messages: list[dict]) -> dict:
    merged: dict = {}
    for m in messages:
        merged.update((m.get("custom") or {}).get("hanhtrang") or {})
    return merged


def score_of(ctx: Context, text: str) -> float:
    return ctx.retriever.search(text, k=1)[0].score


def test_out_of_scope_intent_answers_when_the_retriever_is_very_sure(context):
    score = score_of(context, QUESTION)
    with_thresholds(context, answer=score / 2, over_intent=score - 1e-6)
    messages, events = run(ActionOutOfScope(), QUESTION, "out_of_scope")
    assert responses(messages)[0] == "utter_kb_answer"
    assert meta(messages)["kb_id"] == "fees.deposit"
    assert {"event": "slot", "name": "kb_id", "value": "fees.deposit",
            "timestamp": None} in events


def test_out_of_scope_intent_keeps_its_reply_below_the_threshold(context):
    score = score_of(context, QUESTION)
    with_thresholds(context, answer=score / 2, over_intent=min(1.0, score + 1e-6))
    messages, events = run(ActionOutOfScope(), QUESTION, "out_of_scope")
    assert responses(messages) == ["utter_out_of_scope"]
    assert events == []


def test_help_intent_has_the_same_rule(context):
    score = score_of(context, QUESTION)
    with_thresholds(context, answer=score / 2, over_intent=min(1.0, score + 1e-6))
    assert responses(run(ActionHelp(), QUESTION, "help")[0]) == ["utter_help"]
    with_thresholds(context, answer=score / 2, over_intent=score - 1e-6)
    assert responses(run(ActionHelp(), QUESTION, "help")[0])[0] == "utter_kb_answer"


def test_fallback_answers_at_the_normal_threshold_and_suggests_below(context):
    score = score_of(context, QUESTION)
    with_thresholds(context, answer=score - 1e-6, over_intent=1.0)
    messages, _ = run(ActionDefaultFallback(), QUESTION, "nlu_fallback")
    assert responses(messages)[0] == "utter_kb_answer"
    with_thresholds(context, answer=min(1.0, score + 1e-6), over_intent=1.0)
    messages, _ = run(ActionDefaultFallback(), QUESTION, "nlu_fallback")
    assert "utter_kb_answer" not in responses(messages)
    assert meta(messages)["kb_id"] is None


@pytest.mark.parametrize("action", [ActionAnswerQuestion(), ActionDefaultFallback()])
def test_a_question_like_none_of_the_articles_gets_the_out_of_scope_reply(context, action):
    # Even when lexical and embedding similarity would answer with an article.
    with_thresholds(context, answer=0.0, over_intent=1.0)
    text = "đổi bằng lái xe máy ở Osaka như thế nào"
    assert context.retriever.classifier.none_probability(text) >= 0.5
    messages, events = run(action, text, "ask_question")
    assert responses(messages) == ["utter_out_of_scope"]
    assert (meta(messages)["handled"], meta(messages)["kb_id"]) == ("out_of_scope", None)
    # A real question is still answered.
    messages, _ = run(action, QUESTION, "ask_question")
    assert responses(messages)[0] == "utter_kb_answer"


def test_a_bare_form_answer_outside_a_form_is_not_called_out_of_scope(context):
    with_thresholds(context, answer=1.0, over_intent=1.0)
    text = "đổi bằng lái xe máy ở Osaka như thế nào"
    messages, _ = run(ActionDefaultFallback(), text, "inform")
    assert "utter_out_of_scope" not in responses(messages)
    assert "handled" not in meta(messages)


def test_a_question_read_as_a_fee_check_with_no_fee_gets_the_sure_article(context):
    from actions.fee_check import ActionFeePrefill

    score = score_of(context, QUESTION)
    with_thresholds(context, answer=score / 2, over_intent=score - 1e-6)
    messages, events = run(ActionFeePrefill(), QUESTION, "check_fee")
    assert responses(messages)[0] == "utter_kb_answer"
    assert meta(messages)["kb_id"] == "fees.deposit"
    assert events[-1] == {"event": "followup", "timestamp": None, "name": "action_listen"}
    # not below the bar, and never for an explicit request to check a fee
    with_thresholds(context, answer=score / 2, over_intent=min(1.0, score + 1e-6))
    assert "utter_kb_answer" not in responses(run(ActionFeePrefill(), QUESTION, "check_fee")[0])
    with_thresholds(context, answer=0.0, over_intent=0.0)  # any article would do
    request = "kiểm tra giúp em " + QUESTION
    assert "utter_kb_answer" not in responses(run(ActionFeePrefill(), request, "check_fee")[0])


def test_emergency_sends_contacts_and_ticket_first_then_the_related_article(context):
    text = "chủ có được giữ tiền ký quỹ của em không, em bị đánh"
    score = score_of(context, text)
    with_thresholds(context, answer=score - 1e-6, over_intent=1.0)
    messages, events = run(ActionEmergency(), text, "emergency")
    said = responses(messages)
    assert said[:2] == ["utter_emergency", "utter_emergency_ticket"]
    assert said[2:4] == ["utter_emergency_related", "utter_kb_answer"]
    assert meta(messages)["emergency"] is True
    assert meta(messages)["kb_id"] == context.retriever.search(text, k=1)[0].kb_id
    ticket = context.grievance.get(meta(messages)["ticket_code"])
    assert ticket.code == meta(messages)["ticket_code"]


def test_emergency_without_a_clear_article_sends_no_article(context):
    text = "cứu em với"
    with_thresholds(context, answer=1.0, over_intent=1.0)
    messages, _ = run(ActionEmergency(), text, "emergency")
    said = responses(messages)
    assert said == ["utter_emergency", "utter_emergency_ticket"]
    assert "kb_id" not in meta(messages)


def test_the_licence_check_button_carries_the_company_the_message_named():
    from actions.knowledge import next_step_buttons

    plain = next_step_buttons("legal.licensed_company", "vi", None)
    named = next_step_buttons("legal.licensed_company", "vi", "Sen Vàng")
    assert [b["payload"] for b in plain] == ["/check_company"]
    assert [b["payload"] for b in named] == ['/check_company{"company":"Sen Vàng"}']
    assert [b["title"] for b in named] == [b["title"] for b in plain]
    # other next steps are left as they are
    assert next_step_buttons("fees.brokerage", "vi", "Sen Vàng") == next_step_buttons(
        "fees.brokerage", "vi", None)


@pytest.fixture()
def deposit_as_licence_article(monkeypatch):
    """The sample articles have no licence article: let fees.deposit stand for one."""
    import actions.licence_check as licence_check

    words = {**licence_check.keywords(), "licence_articles": ["fees.deposit"]}
    monkeypatch.setattr(licence_check, "keywords", lambda: words)


COMPANY = [{"entity": "company", "value": "Sen Vàng Nhân Lực"}]
NAMED = "công ty Sen Vàng Nhân Lực giữ tiền ký quỹ có phải cty thật không"


@pytest.mark.parametrize("action", [ActionAnswerQuestion(), ActionDefaultFallback()])
def test_a_question_naming_a_company_under_a_licence_article_checks_that_company(
        context, deposit_as_licence_article, action):
    with_thresholds(context, answer=0.0, over_intent=1.0)
    assert context.retriever.search(NAMED, k=1)[0].kb_id == "fees.deposit"
    messages, events = run(action, NAMED, "ask_question", COMPANY)
    assert responses(messages)[0] in ("utter_company_not_found", "utter_company_active",
                                      "utter_company_not_active")
    assert meta(messages)["handled"] == "check_company"
    assert "kb_id" not in meta(messages)
    assert {"event": "slot", "name": "company_query", "value": "Sen Vàng Nhân Lực",
            "timestamp": None} in events


def test_a_named_company_is_not_checked_inside_a_form_nor_without_a_licence_article(
        context, deposit_as_licence_article):
    with_thresholds(context, answer=0.0, over_intent=1.0)
    inside = run(ActionAnswerQuestion(), NAMED, "ask_question", COMPANY,
                      active_loop={"name": "fee_form"})[0]
    assert responses(inside)[0] == "utter_kb_answer"
    assert "handled" not in meta(inside)
    # no company named: the article answers
    plain = run(ActionAnswerQuestion(), NAMED, "ask_question", [])[0]
    assert responses(plain)[0] == "utter_kb_answer"
    # a company named, but the question is about another article
    other = "công ty Sen Vàng Nhân Lực thu tiền dịch vụ tối đa bao nhiêu"
    assert context.retriever.search(other, k=1)[0].kb_id == "fees.service_fee"
    answered = run(ActionAnswerQuestion(), other, "ask_question", COMPANY)[0]
    assert responses(answered)[0] == "utter_kb_answer"
    assert meta(answered)["kb_id"] == "fees.service_fee"


def test_asking_how_to_check_licences_gets_the_article_not_the_form(context):
    from actions.company_check import ActionCompanyPrefill

    how = "làm sao biết " + QUESTION
    score = score_of(context, how)
    with_thresholds(context, answer=score / 2, over_intent=score - 1e-6)
    messages, events = run(ActionCompanyPrefill(), how, "check_company", [])
    assert responses(messages)[0] == "utter_kb_answer"
    assert events[-1] == {"event": "followup", "timestamp": None, "name": "action_listen"}
    # a company named, or no "how": the form asks for (or takes) the name as before
    messages, events = run(ActionCompanyPrefill(), how, "check_company", COMPANY)
    assert messages == []
    assert events == [{"event": "slot", "name": "company_query", "value": "Sen Vàng Nhân Lực",
                       "timestamp": None}]
    with_thresholds(context, answer=0.0, over_intent=0.0)  # any article would do
    messages, events = run(ActionCompanyPrefill(), "kiểm tra giúp em " + QUESTION,
                                "check_company", [])
    assert messages == []
    assert events == [{"event": "slot", "name": "company_query", "value": None,
                       "timestamp": None}]
