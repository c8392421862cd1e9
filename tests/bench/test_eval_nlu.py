from __future__ import annotations

from pathlib import Path

import pytest

from bench.common import BenchError
from bench.eval_nlu import load_cases, load_sample
from bench.eval_scores import Case


def test_load_cases_reads_both_files(tmp_path: Path) -> None:
    intents = tmp_path / "intents.yml"
    kb = tmp_path / "kb.yml"
    intents.write_text("- {text: chào bạn, variant: vi, intent: greet}\n", encoding="utf-8")
    kb.write_text("- {text: tien coc, variant: vi_nodiac, kb_id: fees.deposit}\n",
                  encoding="utf-8")
    expected = [Case("chào bạn", "vi", intent="greet"),
                Case("tien coc", "vi_nodiac", kb_id="fees.deposit")]
    assert load_cases(intents, kb) == expected


def test_load_cases_rejects_unknown_variants(tmp_path: Path) -> None:
    intents = tmp_path / "intents.yml"
    kb = tmp_path / "kb.yml"
    intents.write_text("- {text: hallo, variant: de, intent: greet}\n", encoding="utf-8")
    kb.write_text("[]\n", encoding="utf-8")
    with pytest.raises(BenchError, match="de"):
        load_cases(intents, kb)


def test_real_evaluation_files_load() -> None:
    cases = load_cases()
    assert {c.variant for c in cases} == {"vi", "vi_nodiac", "en"}
    assert any(c.kb_id for c in cases) and any(c.intent for c in cases)


def test_load_sample_spreads_evenly() -> None:
    cases = [Case(str(i), "vi", intent="greet") for i in range(10)]
    assert [c.text for c in load_sample(cases, 5)] == ["0", "2", "4", "6", "8"]
    assert len(load_sample(cases, 50)) == 10


def test_load_part_sends_only_what_the_channel_adapters_send() -> None:
    """One REST message per case from a fresh conversation; no tracker read in the load."""
    import asyncio
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bot"))
    from fake_rasa import FakeRasa

    from bench.eval_nlu import RecordingClient, run_concurrent

    fake = FakeRasa().start()
    try:
        cases = [Case(f"text {i}", "vi", intent="greet") for i in range(9)]
        seconds, wall_s = asyncio.run(run_concurrent(RecordingClient(fake.url), cases, users=3))
    finally:
        fake.stop()
    assert len(seconds) == 9 and wall_s > 0
    assert sorted(b["message"] for b in fake.received) == sorted(c.text for c in cases)
    assert len({b["sender"] for b in fake.received}) == 9
    assert fake.tracker_reads == []
