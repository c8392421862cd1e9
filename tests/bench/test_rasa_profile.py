"""bench/rasa_profile.py: sampled stacks go to the bucket of the most specific rule."""

from __future__ import annotations

from pathlib import Path

from bench.rasa_profile import bucket_of, bucket_shares

LOOP = "serve (sanic/server/runners.py:155)"
GRAPH = "run (rasa/engine/runner/dask.py:101);get_sync (dask/local.py:557)"


def test_a_component_inside_the_graph_runner_is_counted_for_the_component() -> None:
    frames = [LOOP, *GRAPH.split(";"), "process (nlu/components/tfidf_svm_classifier.py:227)"]
    assert bucket_of(frames) == "NLU: TfidfSvmClassifier (ours)"


def test_the_graph_runner_alone_is_its_own_overhead() -> None:
    assert bucket_of([LOOP, *GRAPH.split(";")]) == "graph runner (dask; rasa.engine)"


def test_the_event_loop_counts_only_when_nothing_runs_above_it() -> None:
    assert bucket_of(["main (cli/rasa_server.py:96)", LOOP]).startswith("event loop itself")
    assert bucket_of([LOOP, "send (sanic/response.py:142)"]).startswith("Sanic")


def test_shares_are_weighted_by_the_sample_counts(tmp_path: Path) -> None:
    raw = tmp_path / "rasa.raw"
    raw.write_text(f"{LOOP};lock (rasa/core/lock_store.py:108) 3\n"
                   f"{LOOP};save (rasa/core/tracker_store.py:388) 1\n", encoding="utf-8")
    assert bucket_shares(raw) == (4, {"lock store": 0.75, "tracker store": 0.25})
