"""Killing the action server right after the worker is shown a ticket code loses nothing."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
from dataclasses import replace

import httpx
import pytest
import yaml

from cli.stack import ROOT, StackSettings, free_port, wait_ready

pytestmark = pytest.mark.e2e


def action_call(text: str, message_id: str) -> dict:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return {
        "next_action": "action_emergency",
        "sender_id": "telegram:4242",
        "version": "3.6.21",
        "domain": domain,
        "tracker": {
            "sender_id": "telegram:4242",
            "slots": {"language": "vi"},
            "latest_message": {
                "text": text,
                "intent": {"name": "emergency", "confidence": 0.99},
                "entities": [],
                "metadata": {"channel": "telegram", "user_id": "4242", "message_id": message_id},
            },
            "events": [],
            "active_loop": {},
            "paused": False,
            "followup_action": None,
            "latest_event_time": None,
            "latest_input_channel": "telegram",
            "latest_action_name": "action_listen",
        },
    }


@pytest.fixture(scope="module")
def action_server(tmp_path_factory):
    """A real action server on its own database; the last test kills it."""
    tmp = tmp_path_factory.mktemp("durability")
    settings = replace(StackSettings.from_env(), action_port=free_port(),
                       db_path=tmp / "hanhtrang.db")
    proc = subprocess.Popen(settings.commands()["actions"], cwd=ROOT, env=settings.env(),
                            start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_ready(f"{settings.action_url}/health", {}, [proc], timeout_s=180)
    yield settings, proc
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def codes_in(reply: dict) -> list[str]:
    return [r["code"] for r in reply["responses"] if r.get("code")]


def test_a_repeated_channel_event_creates_no_second_ticket(action_server):
    settings, _ = action_server
    call = action_call("cứu em với", "m-7")
    first = httpx.post(f"{settings.action_url}/webhook", json=call, timeout=30).json()
    second = httpx.post(f"{settings.action_url}/webhook", json=call, timeout=30).json()
    assert codes_in(second) == codes_in(first)
    with sqlite3.connect(settings.db_path) as db:
        assert db.execute(
            "select count(*) from tickets where source_event_id = 'telegram:4242:m-7'"
        ).fetchone() == (1,)


def test_ticket_survives_a_kill_right_after_the_code_is_shown(action_server):
    settings, proc = action_server
    call = action_call("cứu em với, chủ nhốt em", "m-1")
    reply = httpx.post(f"{settings.action_url}/webhook", json=call, timeout=30).json()
    os.killpg(proc.pid, signal.SIGKILL)  # no chance to flush anything after the reply
    proc.wait(timeout=10)
    codes = codes_in(reply)
    assert len(codes) == 1 and re.match(r"^HT-\d{4}-\d{6}$", codes[0])
    with sqlite3.connect(settings.db_path) as db:
        row = db.execute("select priority, source_event_id from tickets where code = ?",
                         (codes[0],)).fetchone()
    assert row == ("urgent", "telegram:4242:m-1")
