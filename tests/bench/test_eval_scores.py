from __future__ import annotations

from bench.eval_scores import (
    Case,
    Turn,
    article_rank_score,
    confusions,
    handled_as_out_of_scope,
    kb_outcome,
    per_intent,
    right_article_or_action,
    scores,
    suggested_articles,
)


def summary(intent: str, kb_id: str | None = None, ticket: str | None = None,
            form: str | None = None) -> dict:
    return {"language": "vi", "intent": intent, "intent_confidence": 0.9, "kb_id": kb_id,
            "kb_score": None, "active_form": form, "ticket_code": ticket, "messages": []}


def turn(case: Case, result: dict, suggestions: list[str] | None = None,
         emergency_flag: bool = False) -> Turn:
    return Turn(case=case, summary=result, suggestions=suggestions or [],
                emergency_flag=emergency_flag, seconds=0.1)


def test_suggested_articles_reads_ask_article_buttons_only() -> None:
    messages = [
        {"text": "Có phải bạn muốn hỏi?", "buttons": [
            {"title": "Phí dịch vụ", "payload": '/ask_article{"kb_id":"fees.service_fee"}'},
            {"title": "Tiền ký quỹ", "payload": '/ask_article{"kb_id":"fees.deposit"}'},
        ]},
        {"text": "Xem chi tiết", "buttons": [
            {"title": "Chi tiết", "payload": '/ask_details{"kb_id":"fees.refund"}'},
            {"title": "Gặp cán bộ", "payload": "/human_handoff"},
            {"title": "hỏng", "payload": "/ask_article{not json"},
        ]},
        {"custom": {"hanhtrang": {"kb_id": None}}},
    ]
    assert suggested_articles(messages) == ["fees.service_fee", "fees.deposit"]


def test_out_of_scope_means_no_article_ticket_or_form() -> None:
    assert handled_as_out_of_scope(summary("out_of_scope"))
    assert handled_as_out_of_scope(summary("nlu_fallback"))
    assert not handled_as_out_of_scope(summary("nlu_fallback", kb_id="fees.deposit"))
    assert not handled_as_out_of_scope(summary("out_of_scope", ticket="HT-2026-000001"))
    assert not handled_as_out_of_scope(summary("out_of_scope", form="fee_form"))
    assert not handled_as_out_of_scope(summary("greet"))


def test_article_rank_score() -> None:
    case = Case("phi dich vu toi da", "vi_nodiac", kb_id="fees.service_fee")
    assert article_rank_score(turn(case, summary("ask_question", "fees.service_fee"))) == 1.0
    assert article_rank_score(turn(case, summary("ask_question", "fees.deposit"))) == 0.0
    offered = turn(case, summary("nlu_fallback"), ["fees.deposit", "fees.service_fee"])
    assert article_rank_score(offered) == 0.5
    assert article_rank_score(turn(case, summary("nlu_fallback"))) == 0.0


def test_scores_of_a_small_group() -> None:
    turns = [
        turn(Case("chào bạn", "vi", intent="greet"), summary("greet")),
        turn(Case("thời tiết hôm nay", "vi", intent="out_of_scope"), summary("out_of_scope")),
        turn(Case("bóng đá tối nay", "vi", intent="out_of_scope"),
             summary("ask_question", kb_id="dest.japan")),
        turn(Case("cứu em với", "vi", intent="emergency"), summary("help"),
             emergency_flag=True),
        turn(Case("em bị đánh", "vi", intent="emergency"), summary("file_grievance")),
        turn(Case("phí dịch vụ tối đa", "vi", kb_id="fees.service_fee"),
             summary("ask_question", kb_id="fees.service_fee")),
        turn(Case("tiền cọc", "vi", kb_id="fees.deposit"), summary("nlu_fallback"),
             ["fees.refund", "fees.deposit"]),
    ]
    actual = scores(turns)
    assert actual["intent_accuracy"] == 2 / 5
    assert actual["article_hit_at_1"] == 0.5
    assert actual["article_mrr"] == 0.75
    assert actual["article_first_choice"] == 0.5
    assert actual["oos_recall"] == 0.5
    # The KB question that fell back with choices is also "handled as out of scope".
    assert actual["oos_precision"] == 0.5
    assert actual["oos_answered_with_article"] == 0.5
    assert actual["emergency_recall"] == 0.5
    assert actual["emergency_precision"] == 1.0
    assert actual["kb_answered_wrong_article"] == 0.0
    # Right: greet, first out-of-scope, the flagged emergency, the answered article (4 of 7).
    assert actual["cases"] == 7
    assert actual["right_article_or_action"] == 4 / 7
    # Without the two out-of-scope texts: greet, the flagged emergency, the answer (3 of 5).
    assert actual["right_article_or_action_in_scope"] == 3 / 5
    assert actual["kb_outcomes"] == {"right_article": 1, "wrong_article": 0,
                                     "offered_not_answered": 1, "not_offered": 0,
                                     "other_action": 0}


def test_kb_outcome_of_each_kind_of_miss() -> None:
    kb = Case("tiền cọc", "vi", kb_id="fees.deposit")
    outcomes = [
        kb_outcome(turn(kb, summary("ask_question", kb_id="fees.refund"))),
        kb_outcome(turn(kb, summary("ask_question"), ["fees.refund"])),
        kb_outcome(turn(kb, summary("file_grievance", form="grievance_form"))),
        kb_outcome(turn(kb, summary("check_status"))),
    ]
    assert outcomes == ["wrong_article", "not_offered", "other_action", "not_offered"]


def test_right_article_or_action_per_kind_of_case() -> None:
    kb = Case("tiền cọc", "vi", kb_id="fees.deposit")
    assert right_article_or_action(turn(kb, summary("emergency", kb_id="fees.deposit"),
                                        emergency_flag=True))
    assert not right_article_or_action(turn(kb, summary("nlu_fallback"), ["fees.deposit"]))
    assert not right_article_or_action(turn(kb, summary("ask_question", kb_id="fees.refund")))
    danger = Case("họ nhốt em", "vi", intent="emergency")
    assert right_article_or_action(turn(danger, summary("ask_question"), emergency_flag=True))
    assert not right_article_or_action(turn(danger, summary("ask_question")))
    oos = Case("thời tiết", "vi", intent="out_of_scope")
    assert right_article_or_action(turn(oos, summary("nlu_fallback")))
    assert not right_article_or_action(turn(oos, summary("nlu_fallback", kb_id="dest.japan")))
    status = Case("hồ sơ của em đến đâu rồi", "vi", intent="check_status")
    assert right_article_or_action(turn(status, summary("check_status", form="status_form")))
    assert not right_article_or_action(turn(status, summary("file_grievance")))


def test_confusions_list_labels_not_texts() -> None:
    turns = [
        turn(Case("a", "en", intent="thanks"), summary("goodbye")),
        turn(Case("b", "en", intent="thanks"), summary("goodbye")),
        turn(Case("c", "vi", intent="thanks"), summary("thanks")),
    ]
    assert confusions(turns) == [["en", "thanks", "goodbye", 2]]


def test_per_intent_recall() -> None:
    turns = [
        turn(Case("a", "en", intent="thanks"), summary("thanks")),
        turn(Case("b", "vi", intent="thanks"), summary("goodbye")),
        turn(Case("c", "vi", kb_id="fees.deposit"), summary("ask_question")),
    ]
    assert per_intent(turns) == {"thanks": {"cases": 2, "correct": 1, "recall": 0.5}}


def test_the_out_of_scope_reply_to_a_question_counts_as_out_of_scope() -> None:
    assert handled_as_out_of_scope(summary("ask_question"), out_of_scope_reply=True)
    assert not handled_as_out_of_scope(summary("ask_question"))
    case = Case("giờ bên Nhật mấy giờ", "vi", intent="out_of_scope")
    assert right_article_or_action(Turn(case=case, summary=summary("ask_question"),
                                        suggestions=[], emergency_flag=False, seconds=0.1,
                                        out_of_scope_reply=True))


def test_an_intent_s_action_done_from_another_intent_counts_for_that_intent() -> None:
    # A question naming a company, checked like `check_company` (handled=check_company).
    case = Case(text="cty Sao Bắc có phải cty thật ko", variant="vi", intent="check_company")
    checked = Turn(case=case, summary=summary("ask_question"), suggestions=[],
                   emergency_flag=False, seconds=0.1, handled="check_company")
    assert right_article_or_action(checked)
    assert not right_article_or_action(turn(case, summary("ask_question")))
    other = Case(text="tố cáo cty Sao Bắc", variant="vi", intent="file_grievance")
    assert not right_article_or_action(
        Turn(case=other, summary=summary("ask_question"), suggestions=[], emergency_flag=False,
             seconds=0.1, handled="check_company"))
    # a knowledge-base question answered by a licence check is no right article
    kb = Case(text="cty Sao Bắc có giấy phép không", variant="vi", kb_id="legal.licensed_company")
    assert not right_article_or_action(
        Turn(case=kb, summary=summary("ask_question"), suggestions=[], emergency_flag=False,
             seconds=0.1, handled="check_company"))
