"""Training the default retriever model from our own articles, and keeping it cached.

No pretrained model can be downloaded, and none covers workers' Vietnamese (no diacritics, "xkld",
"cty", "bn") well anyway. So the default model is built from scratch from the knowledge base: a
WordPiece tokenizer trained on the questions (with and without diacritics), a StaticEmbedding
(mean of token vectors), trained with MultipleNegativesRankingLoss so that paraphrases of one
article land close together and away from the other articles. It trains in seconds on CPU and
encodes a query in well under a millisecond.

The calibration is fitted first, on a model trained without a held-out share of the questions;
then the final model is trained on everything and the calibration is saved beside it.

Run `python -m knowledge_base.retrieval.training --models models` to build the model.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import random
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from knowledge_base.loader import Article, load_approved
from knowledge_base.retrieval.calibration import load_calibration, save_calibration
from knowledge_base.retrieval.embedding import EXTERNAL_POINTER, offline
from knowledge_base.retrieval.heldout import fit_calibration, heldout_split
from knowledge_base.retrieval.hybrid import Retriever
from knowledge_base.retrieval.settings import (
    RetrievalConfig,
    TrainingConfig,
    load_config,
    load_intent_out_of_scope,
    load_out_of_scope,
    model_override,
)
from knowledge_base.shorthand import load_shorthand
from knowledge_base.text import fold

log = logging.getLogger(__name__)

# Bump when the training code changes in a way that should invalidate cached models.
FORMAT_VERSION = 3
RETRIEVER_DIR = "retriever"


class TrainingError(Exception):
    """The retriever model could not be trained or stored."""


# ---------------------------------------------------------------------------------------------
# Training data


def _all_questions(article: Article) -> list[tuple[str, str]]:
    return [(lang, q) for lang, qs in sorted(article.questions.items()) for q in qs]


def _epoch_pairs(
    articles: Sequence[Article], rng: random.Random, answer_share: float = 0.0
) -> list[list[tuple[str, str]]]:
    """(anchor, positive) pairs for one epoch, one list per article.

    With `answer_share` > 0, that share of the questions is also paired with the article's answer
    in the question's language: the answer's words (which workers use too) then learn where they
    belong, which helped held-out paraphrases (docs/retrieval.md).
    """
    per_article = []
    for article in articles:
        questions = _all_questions(article)
        texts = [q for _, q in questions]
        pairs: list[tuple[str, str]] = []
        for lang, question in questions:
            others = [t for t in texts if t != question]
            if others:
                pairs.append((question, rng.choice(others)))
            title = article.title.get(lang) or next(iter(article.title.values()), "")
            if title:
                pairs.append((question, title))
            folded = fold(question)
            if folded != question:
                pairs.append((folded, question if rng.random() < 0.5 else rng.choice(texts)))
            answer = article.answer.get(lang)
            if answer and rng.random() < answer_share:
                pairs.append((question, answer))
        titles = [t for t in article.title.values() if t]
        if len(titles) >= 2:
            pairs.append((titles[0], titles[1]))
        rng.shuffle(pairs)
        per_article.append(pairs)
    return per_article


def _batches(
    per_article: list[list[tuple[str, str]]], batch_size: int, rng: random.Random
) -> list[list[tuple[str, str]]]:
    """Batches with at most one pair per article, so no in-batch negative is a false negative."""
    queues = [list(p) for p in per_article]
    batches = []
    while True:
        live = [i for i, q in enumerate(queues) if q]
        if len(live) < 2:
            break
        rng.shuffle(live)
        live.sort(key=lambda i: -len(queues[i]))  # stable: longest queues first, ties shuffled
        for start in range(0, len(live), batch_size):
            chunk = live[start : start + batch_size]
            if len(chunk) >= 2:
                batches.append([queues[i].pop() for i in chunk])
    rng.shuffle(batches)
    return batches


def _tokenizer_texts(articles: Sequence[Article]) -> list[str]:
    texts = []
    for article in articles:
        for _, question in _all_questions(article):
            texts.extend((question, fold(question)))
        for title in article.title.values():
            texts.extend((title, fold(title)))
        texts.extend(article.answer.values())
    return texts


# ---------------------------------------------------------------------------------------------
# Training


def _train_tokenizer(texts: list[str], vocab_size: int):
    """A WordPiece tokenizer whose vocabulary is learned from `texts`, deterministically.

    The `tokenizers` trainers break ties in hash-map order, so the same texts gave different
    vocabularies from run to run (and so different models). Here the vocabulary is counted
    directly: the `vocab_size` most frequent whole words (ties by spelling), plus every character
    as a word start and as a continuation piece, so an unknown or misspelt word still splits into
    known pieces instead of one [UNK].
    """
    from collections import Counter

    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    normalizer = normalizers.Sequence([normalizers.NFC(), normalizers.Lowercase()])
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    counts: Counter[str] = Counter()
    for text in texts:
        words = pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text))
        counts.update(word for word, _ in words)
    chars = sorted({ch for word in counts for ch in word})
    ranked = sorted(counts, key=lambda w: (-counts[w], w))[:vocab_size]
    pieces = sorted(set(ranked) | set(chars)) + [f"##{ch}" for ch in chars]
    vocab = {token: index for index, token in enumerate(["[UNK]", *pieces])}
    tokenizer = Tokenizer(models.WordPiece(vocab=vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizer
    tokenizer.pre_tokenizer = pre_tokenizer
    return tokenizer


def train_default_model(
    articles: Sequence[Article], out_dir: Path, config: RetrievalConfig | None = None
) -> Path:
    """Train the default model on `articles`; SentenceTransformer(out_dir) loads the result.

    Deterministic: the same articles and config give the same weights (a sorted vocabulary, a
    seeded local random.Random for pairs and batches, torch seeded inside fork_rng so the caller's
    torch random state is left alone, one thread). numpy is not used for randomness.
    """
    offline()
    import torch

    settings: TrainingConfig = (config or load_config()).training
    if not any(a.questions for a in articles):
        raise TrainingError("no questions to train on")
    rng = random.Random(settings.seed)  # local generator: no global random state is touched
    started = time.perf_counter()
    tokenizer = _train_tokenizer(_tokenizer_texts(articles), settings.vocab_size)
    threads = torch.get_num_threads()
    # One thread: the model is tiny, and on a shared 2-core machine extra threads only spin.
    torch.set_num_threads(1)
    try:
        model, steps = _fit(articles, tokenizer, settings, rng)
    finally:
        torch.set_num_threads(threads)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save(str(out_dir))
    log.info(
        "retriever model trained: %d articles, %d steps, %.1f s",
        len(articles),
        steps,
        time.perf_counter() - started,
    )
    return out_dir


def _fit(articles: Sequence[Article], tokenizer, settings: TrainingConfig, rng: random.Random):
    """The training loop proper: MultipleNegativesRankingLoss over in-batch negatives."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding

    with torch.random.fork_rng():
        torch.manual_seed(settings.seed)
        static = StaticEmbedding(tokenizer, embedding_dim=settings.embedding_dim)
        with torch.no_grad():
            static.embedding.weight.mul_(0.1)
        model = SentenceTransformer(modules=[static], device="cpu")
        loss_fn = MultipleNegativesRankingLoss(model, scale=settings.scale)
        optimizer = torch.optim.Adam(model.parameters(), lr=settings.learning_rate)
        batch_size = max(2, min(settings.batch_size, len(articles)))
        model.train()
        steps = 0
        for _ in range(settings.epochs):
            pairs = _epoch_pairs(articles, rng, settings.answer_share)
            for batch in _batches(pairs, batch_size, rng):
                anchors = model.preprocess([a for a, _ in batch])
                positives = model.preprocess([p for _, p in batch])
                loss = loss_fn([anchors, positives], None)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                steps += 1
        model.eval()
    return model, steps


# ---------------------------------------------------------------------------------------------
# Cache by input hash


def training_hash(articles: Sequence[Article], config: RetrievalConfig, extra: Any = None) -> str:
    """sha256 of everything that shapes the model and its calibration."""
    import sentence_transformers
    import tokenizers
    import torch

    payload = {
        "format": FORMAT_VERSION,
        "articles": [
            {
                "id": a.id,
                "title": a.title,
                "answer": a.answer,
                "questions": {k: list(v) for k, v in sorted(a.questions.items())},
            }
            for a in sorted(articles, key=lambda a: a.id)
        ],
        "out_of_scope": load_out_of_scope(),
        # the article classifier's "none" class (calibration depends on it)
        "intent_out_of_scope": (
            load_intent_out_of_scope() if config.classifier.none_class else []
        ),
        # The shorthand table shapes the lexical index and the classifier, hence the calibration.
        "shorthand": {k: list(v) for k, v in sorted(load_shorthand().items())},
        "config": config.model_inputs(),
        "versions": [sentence_transformers.__version__, tokenizers.__version__, torch.__version__],
        "extra": extra,
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:20]


def _build_into(
    tmp: Path, articles: Sequence[Article], config: RetrievalConfig, external: Path | None
):
    negatives = load_out_of_scope()
    train_articles, items = heldout_split(articles, config)
    started = time.perf_counter()
    if external is None:
        with tempfile.TemporaryDirectory(prefix=".tmp-heldout-", dir=tmp.parent) as scratch:
            heldout_model = train_default_model(train_articles, Path(scratch), config)
            calibrator, report = fit_calibration(
                train_articles, items, heldout_model, config, negatives
            )
        train_default_model(articles, tmp, config)
    else:
        calibrator, report = fit_calibration(train_articles, items, external, config, negatives)
        (tmp / EXTERNAL_POINTER).write_text(
            json.dumps({"model_dir": str(external)}) + "\n", encoding="utf-8"
        )
    report["seconds"] = round(time.perf_counter() - started, 1)
    save_calibration(tmp, calibrator, report)


def ensure_model(
    articles: Sequence[Article], models_root: Path, config: RetrievalConfig | None = None
) -> Path:
    """The retriever directory for these articles: reused if its input hash exists, else built.

    With HANHTRANG_RETRIEVER_MODEL set, that pretrained model is used as is (no training); the
    returned directory then holds only its calibration and a pointer to it. Building happens in a
    temporary directory renamed into place, so a crash never leaves a half-written model; older
    hashes are removed.
    """
    config = config or load_config()
    external = model_override()
    if external is not None:
        external = external.resolve()
        if not (external / "modules.json").is_file():
            raise TrainingError(f"{external}: not a sentence-transformers model directory")
    root = models_root / RETRIEVER_DIR
    key = training_hash(articles, config, str(external) if external else None)
    name = f"external-{key}" if external else key
    target = root / name
    if not (target / "calibration.json").is_file():
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
        try:
            _build_into(tmp, articles, config, external)
            tmp.chmod(0o755)  # mkdtemp makes it owner-only; the model is not secret
            try:
                tmp.rename(target)
            except OSError:
                if not (target / "calibration.json").is_file():
                    raise
                log.info("retriever %s was built concurrently; keeping that one", name)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)  # gone already after a successful rename
    _remove_old(root, keep=name)
    return target


def _remove_old(root: Path, keep: str) -> None:
    """Remove other hashes, and temporary directories left by a crash (older than an hour)."""
    now = time.time()
    for old in root.iterdir():
        if not old.is_dir() or old.name == keep:
            continue
        if old.name.startswith(".tmp-") and now - old.stat().st_mtime < 3600:
            continue  # possibly another process building right now
        shutil.rmtree(old, ignore_errors=True)


def load_retriever(
    models_root: Path,
    articles: Sequence[Article] | None = None,
    config: RetrievalConfig | None = None,
) -> Retriever:
    """A ready Retriever over `articles` (default: the approved articles), training if needed."""
    config = config or load_config()
    articles = list(load_approved() if articles is None else articles)
    directory = ensure_model(articles, models_root, config)
    return Retriever.build(articles, directory, config)


def heldout_report(directory: Path) -> dict[str, Any]:
    loaded = load_calibration(directory)
    return loaded[1] if loaded else {}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build (or reuse) the knowledge-base retriever.")
    parser.add_argument("--models", type=Path, default=Path("models"), help="models root directory")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    started = time.perf_counter()
    directory = ensure_model(load_approved(), args.models)
    summary = {
        "directory": str(directory),
        "seconds": round(time.perf_counter() - started, 1),
        "heldout": heldout_report(directory).get("metrics", {}).get("all", {}),
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    raise SystemExit(main())
