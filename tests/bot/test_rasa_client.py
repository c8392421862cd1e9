"""RasaClient against local stand-ins for Rasa: routing by sender, pooled connections."""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import subprocess
import sys
from collections.abc import Iterator

import pytest
from fake_rasa import FakeRasa

from bot.rasa_client import RasaClient, tls_context

SENDERS = [f"telegram:{i}" for i in range(40)]


@pytest.fixture
def two_rasas() -> Iterator[tuple[FakeRasa, FakeRasa]]:
    first, second = FakeRasa().start(), FakeRasa().start()
    yield first, second
    first.stop()
    second.stop()


def test_one_url_serves_every_sender() -> None:
    client = RasaClient("http://127.0.0.1:5005/")
    assert {client.url_for(s) for s in SENDERS} == {"http://127.0.0.1:5005"}
    assert client.base_url == "http://127.0.0.1:5005"


def test_no_url_is_an_error() -> None:
    with pytest.raises(ValueError):
        RasaClient(" , ")


def test_senders_are_spread_over_every_server() -> None:
    client = RasaClient("http://127.0.0.1:5005, http://127.0.0.1:5006")
    assert {client.url_for(s) for s in SENDERS} == {"http://127.0.0.1:5005",
                                                    "http://127.0.0.1:5006"}


def test_the_route_of_a_sender_is_the_same_in_every_process() -> None:
    """The web app, Telegram and `ask` are separate processes: they must agree (no hash())."""
    urls = "http://a:1,http://b:2,http://c:3"
    here = [RasaClient(urls).url_for(s) for s in SENDERS]
    code = ("import json, sys; from bot.rasa_client import RasaClient, tls_context; "
            f"print(json.dumps([RasaClient({urls!r}).url_for(s) for s in {SENDERS!r}]))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout
    assert json.loads(out) == here


async def test_messages_tracker_and_forget_of_a_sender_reach_one_server(
    two_rasas: tuple[FakeRasa, FakeRasa],
) -> None:
    first, second = two_rasas
    client = RasaClient(f"{first.url},{second.url}")
    for sender in SENDERS[:10]:
        await client.send(sender, "xin chào")
        await client.tracker(sender)
        assert await client.forget(sender) is True
    for fake in two_rasas:
        mine = [s for s in SENDERS[:10] if client.url_for(s) == fake.url]
        assert mine
        assert [b["sender"] for b in fake.received] == mine
        assert fake.tracker_reads == mine
        assert fake.tracker_resets == mine


async def test_healthy_needs_every_server(two_rasas: tuple[FakeRasa, FakeRasa]) -> None:
    first, second = two_rasas
    client = RasaClient(f"{first.url},{second.url}")
    assert await client.healthy() is True
    second.down = True
    assert await client.healthy() is False


def test_messages_share_one_tls_context(fake_rasa: FakeRasa,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Building a TLS context costs ~20 ms of CPU: never once per message."""
    built: list[int] = []
    original = ssl.create_default_context
    monkeypatch.setattr(ssl, "create_default_context",
                        lambda *a, **k: (built.append(1), original(*a, **k))[1])
    tls_context.cache_clear()
    client = RasaClient(fake_rasa.url)

    async def conversation() -> None:
        for _ in range(5):
            await client.send("web:1", "alo")
        await client.tracker("web:1")

    asyncio.run(conversation())
    asyncio.run(conversation())  # `hanhtrang ask` runs each message in a new event loop
    assert len(fake_rasa.received) == 10
    assert len(built) == 1
