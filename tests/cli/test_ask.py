import json

from typer.testing import CliRunner

from bot.rasa_client import BotReply
from cli.ask import summarise
from cli.main import app
from cli.stack import free_port


def test_ask_without_a_running_stack_says_how_to_start_it(monkeypatch):
    monkeypatch.setenv("RASA_URL", f"http://127.0.0.1:{free_port()}")
    result = CliRunner().invoke(app, ["ask", "xin chao", "--json"])
    assert result.exit_code == 3
    assert "make run" in result.output


def test_ask_refuses_an_empty_message():
    result = CliRunner().invoke(app, ["ask", "  ", "--json"])
    assert result.exit_code == 2


def test_summary_follows_the_contract():
    reply = BotReply(messages=[
        {"text": "Không. Luật 69/2020 cấm…"},
        {"custom": {"hanhtrang": {"kb_id": "fees.brokerage", "kb_score": 0.93}}},
    ])
    tracker = {"latest_message": {"intent": {"name": "ask_question", "confidence": 0.98}},
               "slots": {"language": "vi"}, "active_loop": {}}
    summary = summarise(reply, tracker)
    assert summary == {
        "language": "vi", "intent": "ask_question", "intent_confidence": 0.98,
        "kb_id": "fees.brokerage", "kb_score": 0.93, "active_form": None, "ticket_code": None,
        "messages": ["Không. Luật 69/2020 cấm…"],
    }
    json.dumps(summary)
