from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.load_rest import (
    Profile,
    cpu_seconds,
    latency_summary,
    markdown,
    message_mix,
    run_profile,
    summary,
    training_examples,
)
from bot.rasa_client import RasaClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bot"))
from fake_rasa import FakeRasa  # noqa: E402


@pytest.fixture
def fake_rasa() -> Iterator[FakeRasa]:
    fake = FakeRasa().start()
    yield fake
    fake.stop()


def test_training_examples_drop_entity_annotations(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: check_fee\n  examples: |\n'
        "    - phí đi [Nhật](country) [18 man]{\"entity\": \"money\"} có cao không\n"
        "- lookup: country\n  examples: |\n    - Nhật\n",
        encoding="utf-8",
    )
    assert training_examples([tmp_path]) == [("check_fee", "phí đi Nhật 18 man có cao không")]


def test_real_training_data_has_knowledge_questions_and_other_intents() -> None:
    intents = {intent for intent, _ in training_examples()}
    assert "ask_question" in intents and "emergency" in intents and "greet" in intents


def test_message_mix_has_the_knowledge_share_and_every_intent() -> None:
    examples = [("ask_question", f"q{i}") for i in range(50)]
    examples += [(intent, f"{intent}{i}") for intent in ("greet", "emergency") for i in range(3)]
    texts = message_mix(examples, 20, kb_share=0.25)
    assert len(texts) == 20
    assert sum(intent == "ask_question" and t.startswith("q") for intent, t in texts) == 5
    # the other intents in turn (3 texts each, reused): 15 messages, 8 and 7
    others = sorted(sum(intent == i and t.startswith(i) for intent, t in texts)
                    for i in ("greet", "emergency"))
    assert others == [7, 8]
    assert message_mix(examples, 20, kb_share=0.25) == texts


def test_latency_summary_in_milliseconds() -> None:
    seconds = [i / 1000 for i in range(1, 101)]
    actual = latency_summary(seconds)
    assert actual["max_ms"] == 100.0
    assert 50.0 <= actual["p50_ms"] <= 51.0
    assert 95.0 <= actual["p95_ms"] <= 96.0
    assert 99.0 <= actual["p99_ms"] <= 100.0


def test_cpu_seconds_of_a_process_grow_with_work() -> None:
    before = cpu_seconds(os.getpid())
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:
        pass
    assert cpu_seconds(os.getpid()) - before >= 0.1


def test_closed_loop_sends_every_message_from_a_fresh_conversation(fake_rasa: FakeRasa) -> None:
    client = RasaClient(fake_rasa.url)
    texts = [("greet", f"t{i}") for i in range(12)]
    result = asyncio.run(run_profile(client, texts, Profile("closed", users=4, messages=10)))
    assert len(result.seconds) == 10 and result.errors == 0
    assert sorted(b["message"] for b in fake_rasa.received) == sorted(t for _, t in texts[:10])
    assert summary(result)["by_intent"]["greet"]["messages"] == 10
    assert len({b["sender"] for b in fake_rasa.received}) == 10
    assert fake_rasa.tracker_reads == []  # channel adapters never read the tracker


def test_conversations_and_tracker_reads_when_asked(fake_rasa: FakeRasa) -> None:
    client = RasaClient(fake_rasa.url)
    profile = Profile("r", users=2, messages=8, think_s=0.001, turns_per_conversation=4,
                      fetch_tracker=True)
    result = asyncio.run(run_profile(client, [("greet", f"t{i}") for i in range(8)], profile))
    assert len(result.seconds) == 8
    assert len({b["sender"] for b in fake_rasa.received}) == 2
    assert len(fake_rasa.tracker_reads) == 8


def test_errors_are_counted_not_timed(fake_rasa: FakeRasa) -> None:
    fake_rasa.down = True
    client = RasaClient(fake_rasa.url)
    messages = [("greet", "a"), ("greet", "b")]
    result = asyncio.run(run_profile(client, messages, Profile("c", users=1, messages=2)))
    assert (len(result.seconds), result.errors) == (0, 2)


def test_report_shows_median_and_spread_of_the_runs(fake_rasa: FakeRasa) -> None:
    client = RasaClient(fake_rasa.url)
    profile = Profile("closed loop", users=2, messages=4)
    messages = [("greet", "a"), ("emergency", "b"), ("greet", "c"), ("emergency", "d")]
    runs = [summary(asyncio.run(run_profile(client, messages, profile))) for _ in range(2)]
    data = {"command": "x", "date": "d", "config": "config.yml", "config_sha256_12": "0",
            "machine": {"nproc": 2, "cpu": "c", "ram_gib": 1, "os": "linux"},
            "stack": "fake", "rasa_processes": 1, "kb_share": 0.25,
            "load_average_before": "0", "result": {"runs": runs}}
    text = markdown(data)
    assert "| closed loop | 2 | 2 | 8 | 0 |" in text
    assert "client" in text
    assert "| emergency | 4 |" in text
