"""The four conversations of the walking skeleton, through the real Rasa and action servers."""

from __future__ import annotations

import re
import sqlite3

import pytest

from tests.e2e.helpers import Conversation

pytestmark = pytest.mark.e2e

CODE_RE = re.compile(r"^HT-\d{4}-\d{6}$")


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Xin chào", "vi", "Xin chào"),
        ("xin chao ban", "vi", "Xin chào"),
        ("hello there", "en", "Hello"),
    ],
)
def test_greeting_in_the_users_language(stack, text, language, expected):
    result = Conversation(stack).say(text)
    assert result["intent"] == "greet"
    assert result["language"] == language
    assert expected in Conversation.joined(result)


@pytest.mark.parametrize(
    ("text", "kb_id", "source_word"),
    [
        ("Công ty có được thu tiền môi giới của người lao động không?", "fees.brokerage", "Nguồn"),
        ("cty co duoc thu tien moi gioi cua nguoi lao dong ko", "fees.brokerage", "Nguồn"),
        ("Can my employer keep my passport?", "rights.documents", "Source"),
    ],
)
def test_knowledge_base_answer_with_citation(stack, text, kb_id, source_word):
    result = Conversation(stack).say(text)
    assert result["kb_id"] == kb_id
    assert result["kb_score"] is not None and result["kb_score"] > 0
    joined = Conversation.joined(result)
    assert source_word in joined
    assert re.search(r"\d{4}-\d{2}-\d{2}", joined), "the review date is shown"


def test_out_of_scope_gets_an_honest_fallback(stack):
    result = Conversation(stack).say("cách nấu phở bò ngon nhất là gì")
    assert result["kb_id"] is None
    assert result["ticket_code"] is None
    assert result["messages"], "the bot says something"
    # a danger message read as out of scope by mistake still shows the hotline
    assert "+84 981 84 84 84" in Conversation.joined(result)


def test_complaint_form_writes_a_ticket_and_status_reads_it(stack):
    chat = Conversation(stack)
    first = chat.say("tôi muốn khiếu nại công ty")
    assert first["active_form"] == "grievance_form"
    chat.say('/inform{"category":"unpaid_wages"}')
    chat.say("Đài Loan")
    chat.say("Nghệ An")
    chat.say("Công ty Mẫu Thử Sao Mai")
    chat.say("Chủ không trả lương 3 tháng nay, em đã báo công ty môi giới nhưng không ai giúp")
    chat.say('/inform{"choice":"neutral"}')
    confirm = chat.say('/inform{"choice":"authorities"}')
    assert confirm["active_form"] == "grievance_form"
    done = chat.say("/affirm")
    code = done["ticket_code"]
    assert code and CODE_RE.match(code)
    assert done["active_form"] is None
    assert code in Conversation.joined(done)

    with sqlite3.connect(stack.db_path) as db:
        row = db.execute(
            "select category, language from tickets where code = ?", (code,)
        ).fetchone()
    assert row == ("unpaid_wages", "vi")

    status = chat.say(f"hồ sơ {code} đến đâu rồi")
    assert status["intent"] == "check_status"
    assert code in Conversation.joined(status)

    # From another phone, code and PIN in one message: the status at once, no question.
    pin = re.search(r"PIN:? (\d{6})", Conversation.joined(done)).group(1)
    other = Conversation(stack).say(f"{code} {pin}")
    assert other["active_form"] is None
    assert code in Conversation.joined(other)


def test_cancel_stops_the_form(stack):
    chat = Conversation(stack)
    assert chat.say("I want to make a complaint")["active_form"] == "grievance_form"
    result = chat.say("cancel")
    assert result["active_form"] is None
    assert result["ticket_code"] is None


def test_emergency_gets_contacts_first_and_an_urgent_ticket(stack):
    result = Conversation(stack).say("cuu em voi, chu nhot em trong nha khong cho ra ngoai")
    assert result["intent"] == "emergency"
    assert "84 981 84 84 84" in result["messages"][0]
    assert result["ticket_code"] and CODE_RE.match(result["ticket_code"])


def test_a_danger_question_gets_help_first_then_the_rule(stack):
    result = Conversation(stack).say("chủ có được giữ hộ chiếu của em không")
    assert result["intent"] == "emergency"
    assert "84 981 84 84 84" in result["messages"][0]
    assert result["ticket_code"] and CODE_RE.match(result["ticket_code"])
    assert result["kb_id"] == "rights.documents"
    joined = Conversation.joined(result)
    assert joined.index("84 981 84 84 84") < joined.index("Nguồn")


def test_english_denunciation_is_routed_with_its_legal_deadlines(stack):
    import datetime as dt
    from zoneinfo import ZoneInfo

    from grievance.deadlines import compute_deadlines

    chat = Conversation(stack)
    assert chat.say("I want to report a fake recruitment agency")["active_form"] == "grievance_form"
    chat.say('/inform{"category":"recruitment_fraud"}')
    chat.say("Japan")
    chat.say("skip")
    chat.say("Totally Fake Manpower")
    chat.say("They took 80 million dong for a Japan job that never existed and now ignore me")
    chat.say("2")  # typed number of the second option: neutral wording
    summary = chat.say("3")  # anonymous
    assert "Please check" in Conversation.joined(summary)
    done = chat.say("yes")
    code = done["ticket_code"]
    assert code and done["language"] == "en"
    assert "Your complaint has been saved" in Conversation.joined(done)
    with sqlite3.connect(stack.db_path) as db:
        legal_type, kind, received, accept_by, unit, anonymous = db.execute(
            "select legal_type, deadline_kind, received_at, accept_by, unit, anonymous "
            "from tickets where code = ?", (code,)
        ).fetchone()
    assert (legal_type, kind, anonymous) == ("denunciation", "denunciation", 1)
    # Legal days are Vietnamese days: receipt at 18:30 UTC is the next day in Hà Nội.
    local = dt.datetime.fromisoformat(received).astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    expected = compute_deadlines("denunciation", local)
    assert accept_by == expected.accept_by.isoformat()
    assert unit
