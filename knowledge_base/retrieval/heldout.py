"""The held-out split of the articles' questions, and the calibration fitted on it.

The calibration must be honest about questions the model has not seen, so it is fitted on a share
of each article's questions that were left out of the index (and, for the default model, out of
training), plus out-of-scope questions that no article answers.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from knowledge_base.loader import Article
from knowledge_base.retrieval.calibration import (
    Calibrator,
    fit_calibrator,
    margins,
    threshold_table,
)
from knowledge_base.retrieval.evaluation import evaluate
from knowledge_base.retrieval.hybrid import Retriever
from knowledge_base.retrieval.settings import RetrievalConfig
from knowledge_base.text import fold, has_vietnamese_diacritics


def _variant(language: str, text: str) -> str:
    if language == "vi" and not has_vietnamese_diacritics(text):
        return "vi_nodiacritics"
    return language


def heldout_split(
    articles: Sequence[Article], config: RetrievalConfig
) -> tuple[list[Article], list[dict[str, Any]]]:
    """Articles with a share of their questions removed, and the removed questions as items.

    Vietnamese questions written with diacritics are also held out in their folded form
    (variant "vi_folded"), since that is how many workers type.
    """
    rng = random.Random(config.training.seed + 1)
    settings = config.calibration
    kept_articles, items = [], []
    for article in articles:
        kept: dict[str, tuple[str, ...]] = {}
        for language, questions in sorted(article.questions.items()):
            count = len(questions)
            n_out = int(round(count * settings.holdout_fraction))
            if count < settings.min_questions:
                n_out = 0
            out = set(rng.sample(range(count), n_out)) if n_out else set()
            kept[language] = tuple(q for i, q in enumerate(questions) if i not in out)
            for i in sorted(out):
                text = questions[i]
                items.append(
                    {"text": text, "variant": _variant(language, text), "kb_id": article.id}
                )
                if language == "vi" and has_vietnamese_diacritics(text):
                    items.append({"text": fold(text), "variant": "vi_folded", "kb_id": article.id})
        kept_articles.append(replace(article, questions=kept))
    return kept_articles, items


def calibration_examples(
    retriever: Retriever, items: Sequence[dict[str, Any]], negatives: Sequence[str]
) -> tuple[list[float], list[float], list[bool]]:
    """(raw, margin, right) of the top hit for each held-out item and each out-of-scope text."""
    raw_out, margin_out, right_out = [], [], []
    labelled = [(i["text"], i["kb_id"]) for i in items] + [(t, None) for t in negatives]
    for text, expected in labelled:
        _, _, raw = retriever.raw_scores(text)
        order = np.argsort(-raw, kind="stable")[:2]
        tops = [float(raw[i]) for i in order]
        raw_out.append(tops[0])
        margin_out.append(margins(tops)[0])
        right_out.append(retriever.article_ids[int(order[0])] == expected)
    return raw_out, margin_out, right_out


def fit_calibration(
    train_articles: Sequence[Article],
    items: Sequence[dict[str, Any]],
    model_dir: Path,
    config: RetrievalConfig,
    negatives: Sequence[str],
) -> tuple[Calibrator, dict[str, Any]]:
    """Fit the calibrator on held-out items scored against `train_articles`, with a report."""
    retriever = Retriever.build(
        train_articles, model_dir, config, use_cache=False, calibrator=Calibrator.identity_like()
    )
    raw, margin, right = calibration_examples(retriever, items, negatives)
    calibrator = fit_calibrator(raw, margin, right)
    retriever.calibrator = calibrator
    probabilities = [calibrator.probability(r, m) for r, m in zip(raw, margin, strict=True)]
    metrics = evaluate(retriever, list(items) + [{"text": t, "kb_id": None} for t in negatives])
    report = {
        "items": len(items),
        "out_of_scope": len(negatives),
        "metrics": metrics,
        "thresholds": threshold_table(
            probabilities, right, [0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
        ),
    }
    return calibrator, report
