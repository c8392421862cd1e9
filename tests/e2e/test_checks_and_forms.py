"""Fee check, licence check, language switching and questions inside a form, end to end."""

from __future__ import annotations

import asyncio
import re
import sqlite3

import pytest

from tests.e2e.helpers import Conversation

pytestmark = pytest.mark.e2e


def test_fee_check_over_the_cap_then_a_complaint_with_the_numbers(stack):
    chat = Conversation(stack)
    first = chat.say("đi Nhật 3 năm lương 18 man, cty thu 150 củ có đúng không")
    assert first["intent"] == "check_fee"
    assert first["active_form"] == "fee_form"
    # Wage in yen, fee in đồng: the bot asks for the rate before it compares.
    assert "tỷ giá" in Conversation.joined(first)
    verdict = chat.say("170")
    text = Conversation.joined(verdict)
    assert verdict["active_form"] is None
    assert "vượt" in text and "58.200.000" in text
    assert "Luật 69/2020/QH14" in text

    chat.say('/file_grievance{"category":"fee_overcharge"}')
    chat.say("Nghệ An")
    chat.say("skip")
    chat.say("Công ty thu 150 triệu tiền dịch vụ, không đưa phiếu thu, hợp đồng 3 năm")
    chat.say('/inform{"choice":"any"}')
    chat.say('/inform{"choice":"authorities"}')
    done = chat.say("/affirm")
    code = done["ticket_code"]
    assert code
    with sqlite3.connect(stack.db_path) as db:
        category, destination, fee_check = db.execute(
            "select category, destination, fee_check from tickets where code = ?", (code,)
        ).fetchone()
    assert (category, destination) == ("fee_overcharge", "JP")
    assert '"over_cap"' in fee_check


def test_fee_check_in_english_re_asks_politely(stack):
    chat = Conversation(stack)
    first = chat.say("I want to check if my agency fee is legal")
    assert first["active_form"] == "fee_form"
    assert chat.say("Narnia")["messages"][0].startswith("Sorry")
    chat.say("Taiwan")
    chat.say("36 months")
    chat.say("25000 TWD")
    verdict = chat.say("1000 TWD")
    assert verdict["active_form"] is None
    assert "within the legal cap" in Conversation.joined(verdict)


def test_a_question_about_the_cap_gets_the_cap_without_an_amount(stack):
    chat = Conversation(stack)
    # A request to work the cap out ("tính giúp em"). The same words asked as a plain question
    # ("… thì công ty được thu phí dịch vụ tối đa bao nhiêu") may be read as a knowledge question
    # and get the service-fee article, which states the rule.
    first = chat.say("tính giúp em phí dịch vụ tối đa, hợp đồng 3 năm lương 20 triệu")
    # Contract and wage come from the message and the amount is not needed: only the country.
    assert (first["intent"], first["active_form"]) == ("check_fee", "fee_form")
    cap = chat.say("Nhật")
    assert cap["active_form"] is None
    assert "tối đa 60.000.000 đồng" in Conversation.joined(cap)
    # In English, the "Only show the cap" button at the amount step.
    chat = Conversation(stack)
    assert chat.say("I want to check a fee")["active_form"] == "fee_form"
    chat.say("Japan")
    chat.say("3 years")
    asked = chat.say("180000 yen")
    assert "to see only the cap" in Conversation.joined(asked)
    cap = chat.say("/skip")  # the payload of its "Only show the cap" button
    assert cap["active_form"] is None
    assert "540,000 JPY" in Conversation.joined(cap)


def test_a_fee_stated_in_months_of_wage_is_checked(stack):
    chat = Conversation(stack)
    assert chat.say("/check_fee")["active_form"] == "fee_form"
    chat.say("Nhật")
    chat.say("2 năm")
    chat.say("lương 20 triệu")
    verdict = chat.say("công ty lấy 3 tháng lương")
    text = Conversation.joined(verdict)
    assert verdict["active_form"] is None
    assert "vượt" in text and "60.000.000" in text and "40.000.000" in text


def test_licence_check_found_and_not_found(stack):
    chat = Conversation(stack)
    chat.say("kiểm tra giấy phép công ty")
    found = chat.say("Mẫu Thử Nhân Lực Sao Mai")
    assert "MAU-001/GP-THU" in Conversation.joined(found)
    assert "MẪU" in Conversation.joined(found)

    other = Conversation(stack)
    other.say("is this recruiter licensed?")
    missing = other.say("Totally Unknown Manpower Ltd")
    assert "could not find" in Conversation.joined(missing)


def test_question_inside_a_form_is_answered_and_the_form_resumes(stack):
    chat = Conversation(stack)
    assert chat.say("tôi muốn khiếu nại")["active_form"] == "grievance_form"
    answer = chat.say("Công ty có được thu tiền môi giới của người lao động không?")
    assert answer["kb_id"] == "fees.brokerage"
    assert answer["active_form"] == "grievance_form"
    assert "Chuyện gì đã xảy ra" in Conversation.joined(answer)


def test_language_switch_is_remembered(stack):
    chat = Conversation(stack)
    assert chat.say("xin chào")["language"] == "vi"
    switched = chat.say("nói tiếng Anh đi")
    assert switched["language"] == "en"
    assert "English" in Conversation.joined(switched)
    # A message with no language signal keeps the chosen language.
    assert chat.say("HT-2026-999999")["language"] == "en"


def test_emergency_in_english_inside_a_form(stack):
    chat = Conversation(stack)
    chat.say("I want to check a fee")
    result = chat.say("help me, my boss locked me in and took my passport")
    assert result["intent"] == "emergency"
    assert result["active_form"] is None
    assert "+84 981 84 84 84" in result["messages"][0]
    assert re.match(r"^HT-\d{4}-\d{6}$", result["ticket_code"])


def test_status_with_code_and_pin_from_another_chat(stack):
    owner = Conversation(stack)
    result = owner.say("cuu em voi, chu danh em")
    code = result["ticket_code"]
    pin = re.search(r"PIN (\d{6})", Conversation.joined(result)).group(1)
    stranger = Conversation(stack)
    asked = stranger.say("tra cứu hồ sơ")
    assert asked["active_form"] == "status_form"
    stranger.say(code)
    wrong = stranger.say("000000" if pin != "000000" else "111111")
    assert code not in Conversation.joined(wrong)
    again = Conversation(stack)
    again.say(f"tra cứu hồ sơ {code}")
    right = again.say(pin)
    assert code in Conversation.joined(right)


def test_an_answer_offers_its_next_step_and_the_button_starts_it(stack):
    chat = Conversation(stack)
    reply = asyncio.run(chat.client.send(
        chat.sender, "Danh sách công ty xuất khẩu lao động có giấy phép xem ở đâu?"))
    assert reply.meta.get("kb_id") == "legal.licensed_company"
    buttons = [b for m in reply.messages for b in m.get("buttons") or []]
    assert [b["title"] for b in buttons] == ["Xem chi tiết", "Kiểm tra một công ty"]
    tapped = chat.say(buttons[1]["payload"])
    assert tapped["active_form"] == "company_form"


@pytest.mark.parametrize("payload", ["/skip", "/deny"])
def test_no_or_dont_know_outside_a_form_offers_the_menu_and_a_person(stack, payload):
    person = "Gặp cán bộ tư vấn"
    chat = Conversation(stack)
    chat.say("xin chào")
    reply = asyncio.run(chat.client.send(chat.sender, payload))
    titles = [b["title"] for m in reply.messages for b in m.get("buttons") or []]
    assert titles == ["Kiểm tra phí", "Kiểm tra công ty", "Gửi khiếu nại", person]
    handed = chat.say(next(b["payload"] for m in reply.messages for b in m.get("buttons") or []
                           if b["title"] == person))
    assert handed["ticket_code"] is not None


def test_a_danger_story_inside_a_complaint_alerts_the_hotline_and_keeps_the_complaint(stack):
    chat = Conversation(stack)
    chat.say("tôi muốn khiếu nại công ty")
    chat.say('/inform{"category":"unpaid_wages"}')
    chat.say("Hàn Quốc")
    chat.say("Hà Tĩnh")
    chat.say("Công ty Mẫu Thử Sao Mai")
    story = "Chủ nợ lương em 3 tháng, em đòi thì chủ đánh em và dọa đuổi về nước"
    alert = chat.say(story)
    assert alert["intent"] == "emergency"
    urgent = alert["ticket_code"]
    assert urgent and "+84 981 84 84 84" in Conversation.joined(alert)
    assert alert["active_form"] == "grievance_form"
    chat.say('/inform{"choice":"neutral"}')
    chat.say('/inform{"choice":"authorities"}')
    done = chat.say("/affirm")
    complaint = done["ticket_code"]
    assert complaint and complaint != urgent
    with sqlite3.connect(stack.db_path) as db:
        rows = db.execute(
            "select code, category from tickets where code in (?, ?) order by code",
            (urgent, complaint),
        ).fetchall()
    assert [category for _, category in rows] == ["abuse_violence", "unpaid_wages"]


def test_a_company_name_that_only_sounds_like_danger_is_checked_with_a_hotline_reminder(stack):
    # "Cứu Nạn" (rescue) in a company's name: the classifier reads the name as `inform` and gives
    # `emergency` just enough probability for DangerOverride (no danger phrase). Before, that closed
    # the licence check and opened an urgent ticket; now the check goes on and the hotline and an
    # "I need help now" button are shown, one tap from the full emergency reply.
    chat = Conversation(stack)
    assert chat.say("kiểm tra giấy phép công ty")["active_form"] == "company_form"
    reply = asyncio.run(chat.client.send(chat.sender, "Công ty TNHH Cứu Nạn Việt"))
    tracker = asyncio.run(chat.client.tracker(chat.sender))
    intent = [e for e in tracker["events"] if e["event"] == "user"][-1]["parse_data"]["intent"]
    assert (intent["name"], intent.get("emergency_signal")) == (
        "emergency", "emergency_probability"), "this name is no longer a weak emergency signal"
    joined = "\n".join(reply.texts)
    assert "+84 981 84 84 84" in joined
    assert reply.meta.get("ticket_code") is None
    assert "Cứu Nạn Việt" in joined  # the licence check answered for the name
    assert (tracker.get("active_loop") or {}).get("name") is None
    buttons = [b for m in reply.messages for b in m.get("buttons") or []]
    help_now = next(b["payload"] for b in buttons if b["title"] == "Tôi cần giúp ngay")
    alert = chat.say(help_now)
    assert alert["intent"] == "emergency"
    assert re.match(r"^HT-\d{4}-\d{6}$", alert["ticket_code"])


@pytest.mark.parametrize(
    "text",
    ["Cò đòi em 20 triệu tiền chạy đơn đi Nhật, em có phải trả không",
     "the broker wants 500 dollar introduction fee for Japan, do i have to pay"],
)
def test_a_brokers_fee_is_answered_with_the_rule_not_a_fee_calculation(stack, text):
    result = Conversation(stack).say(text)
    assert result["kb_id"] == "fees.brokerage"
    assert result["active_form"] is None


def test_the_licence_check_button_with_a_company_checks_it_at_once(stack):
    # The payload that the licence article's "check a company" button carries when the question
    # named a company (actions/knowledge.py, next_step_buttons).
    chat = Conversation(stack)
    result = chat.say('/check_company{"company":"Mẫu Thử Nhân Lực Sao Mai"}')
    assert "MAU-001/GP-THU" in Conversation.joined(result)
    assert result["active_form"] is None
