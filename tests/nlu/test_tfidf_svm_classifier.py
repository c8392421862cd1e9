"""TfidfSvmClassifier through Rasa's component API: train, persist, load, classify.

Rasa lives in .venv-rasa (Python 3.10, without pytest) while tests run in .venv, so the source of
`probe` (below, self-contained) is run by .venv-rasa's Python and the test checks what it returns.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

TRAINING = {
    "greet": ["xin chào", "chào bạn", "hello", "hi there", "chao em", "good morning"],
    "check_fee": ["phí đi Nhật bao nhiêu", "phi di han quoc bao nhieu", "how much is the fee",
                  "tiền môi giới hết bao nhiêu", "what does it cost to go", "chi phi di dai loan"],
    "emergency": ["cứu em với", "chu danh em", "they took my passport", "help me I am locked in",
                  "em bị nhốt", "my boss hits me"],
}
PROBES = ["chào bạn nhé", "phí đi Đài Loan bao nhiêu", "họ nhốt em trong phòng", "hello"]


def probe(workdir: str, training: dict[str, list[str]], probes: list[str],
          classifier_config: dict[str, Any]) -> dict[str, Any]:
    """Runs in .venv-rasa: train on `training`, persist, load twice, parse `probes`."""
    from pathlib import Path

    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
        CountVectorsFeaturizer,
    )
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from nlu.components.folding_tokenizer import FoldingTokenizer
    from nlu.components.tfidf_svm_classifier import TfidfSvmClassifier

    storage = LocalModelStorage(Path(workdir))
    context = ExecutionContext(GraphSchema({}), "test")
    tokenizer = FoldingTokenizer(FoldingTokenizer.get_default_config())
    featurizers = [
        CountVectorsFeaturizer.create(
            {**CountVectorsFeaturizer.get_default_config(), **config},
            storage, Resource(f"cvf{i}"), context)
        for i, config in enumerate([
            {"alias": "word_counts", "analyzer": "word", "max_ngram": 2},
            {"alias": "char_counts", "analyzer": "char_wb", "min_ngram": 2, "max_ngram": 5}])
    ]
    data = TrainingData([Message.build(text=t, intent=i)
                         for i, texts in training.items() for t in texts])
    tokenizer.process_training_data(data)
    for featurizer in featurizers:
        featurizer.train(data)
        featurizer.process_training_data(data)
    resource = Resource("intent_classifier")
    trained = TfidfSvmClassifier.create(classifier_config, storage, resource, context)
    trained.train(data)

    def parse(component: TfidfSvmClassifier) -> list[dict[str, Any]]:
        messages = [Message.build(text=t) for t in probes]
        tokenizer.process(messages)
        for featurizer in featurizers:
            featurizer.process(messages)
        component.process(messages)
        return [{"intent": m.get("intent"), "intent_ranking": m.get("intent_ranking")}
                for m in messages]

    def parse_one_by_one(component: TfidfSvmClassifier) -> list[dict[str, Any]]:
        """As the server does: one message per call (message_probabilities)."""
        out = []
        for text in [*probes, "", "?!"]:
            message = Message.build(text=text)
            tokenizer.process([message])
            for featurizer in featurizers:
                featurizer.process([message])
            component.process([message])
            out.append({"intent": message.get("intent"),
                        "intent_ranking": message.get("intent_ranking")})
        return out

    first = TfidfSvmClassifier.load(classifier_config, storage, resource, context)
    second = TfidfSvmClassifier.load(classifier_config, storage, resource, context)
    blank = [Message.build(text=t) for t in ["", "?!"]]
    tokenizer.process(blank)
    for featurizer in featurizers:
        featurizer.process(blank)
    return {"trained": parse(trained), "loaded": parse(first), "loaded_again": parse(second),
            "one_by_one": parse_one_by_one(first),
            "blank_batched": [[r["confidence"] for r in first.process(blank)[i].get(
                "intent_ranking")] for i in range(2)],
            "blocks": [list(b) for b in first.blocks]}


@pytest.fixture(scope="module", params=[{}, {"tfidf_per_featurizer": True}],
                ids=["joined-tfidf", "tfidf-per-featurizer"])
def parsed(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not RASA_PYTHON.exists():
        pytest.skip(".venv-rasa is not installed (make setup)")
    workdir = tmp_path_factory.mktemp("tfidf-svm")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false",
           "TF_CPP_MIN_LOG_LEVEL": "2"}
    program = ("from __future__ import annotations\n" + inspect.getsource(probe)
               + "\nimport json, sys\n"
               "print(json.dumps(probe(sys.argv[1], *json.loads(sys.argv[2]))))\n")
    argv = [str(RASA_PYTHON), "-c", program, str(workdir),
            json.dumps([TRAINING, PROBES, request.param])]
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), "config": request.param}


def test_probes_get_the_intent_they_are_closest_to(parsed: dict[str, Any]) -> None:
    actual = [m["intent"]["name"] for m in parsed["loaded"]]
    assert actual == ["greet", "check_fee", "emergency", "greet"]


def test_ranking_is_a_probability_distribution_sorted_best_first(parsed: dict[str, Any]) -> None:
    for message in parsed["loaded"]:
        confidences = [r["confidence"] for r in message["intent_ranking"]]
        assert sorted(r["name"] for r in message["intent_ranking"]) == sorted(TRAINING)
        assert all(0.0 <= c <= 1.0 for c in confidences)
        assert sum(confidences) == pytest.approx(1.0)
        assert confidences == sorted(confidences, reverse=True)
        assert message["intent"] == message["intent_ranking"][0]


def test_persisted_model_answers_as_the_trained_one(parsed: dict[str, Any]) -> None:
    assert parsed["loaded"] == parsed["trained"]


def test_one_message_at_a_time_gives_the_batch_numbers_to_the_last_bit(
        parsed: dict[str, Any]) -> None:
    # the server classifies one message per call, through the shortcut without scipy matrices
    one_by_one = parsed["one_by_one"]
    assert one_by_one[:len(PROBES)] == parsed["loaded"]
    blank = [[r["confidence"] for r in m["intent_ranking"]] for m in one_by_one[len(PROBES):]]
    assert blank == parsed["blank_batched"]


def test_loading_twice_is_deterministic(parsed: dict[str, Any]) -> None:
    assert parsed["loaded_again"] == parsed["loaded"]


def test_per_featurizer_blocks_are_named_by_alias_and_persisted(parsed: dict[str, Any]) -> None:
    if parsed["config"].get("tfidf_per_featurizer"):
        assert [name for name, _ in parsed["blocks"]] == ["char_counts", "word_counts"]
        assert all(width > 0 for _, width in parsed["blocks"])
    else:
        assert parsed["blocks"] == []
