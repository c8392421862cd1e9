"""Study: would a dedicated emergency-vs-rest signal catch emergencies the multi-class SVM misses?

Why: DangerOverride calls a message an emergency when a danger phrase matches or when the
multi-class SVM gives `emergency` a probability of at least `min_probability`. That probability is
a softmax over 19 one-vs-rest margins, so it also depends on how strongly other intents claim the
message. A binary emergency-vs-rest model with its own threshold, or a rule on the emergency
margin or rank, might separate better. This script compares those signals at matched precision
(the best recall reached at emergency precision >= 0.70, 0.75, 0.80) on the same folds as
bench/intent_cv.py (stratified, seed 13).

It is an offline replica of the pipeline's classifier, not the pipeline: folded whitespace tokens,
word 1-2 grams and char_wb 2-5 grams (scikit-learn's CountVectorizer, as Rasa's
CountVectorsFeaturizer), sublinear TF-IDF per block, LinearSVC (C, balanced class weights) and
softmax(margin / temperature); the RegexFeaturizer block is left out. Its numbers are for comparing
signals with each other; the pipeline's own numbers come from bench/intent_cv.py. Every candidate
is OR-ed with the danger phrase rule (nlu/components/danger_rules.py), as in DangerOverride.

Usage: .venv/bin/python -m bench.emergency_study [--folds 5] [--seed 13] [--name emergency_study]
                                                 [--nlu DIR ...]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse
import yaml
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from bench.common import (
    CONFIG,
    NLU_DIRS,
    header,
    load_examples,
    markdown_table,
    provenance_markdown,
    publish,
)
from bench.intent_cv import EMERGENCY, stratified_folds
from knowledge_base.text import fold as fold_text
from nlu.components.danger_rules import danger_pattern, shows_danger
from nlu.components.tfidf_math import inverse_document_frequency, softmax, tfidf

PRECISIONS = (0.70, 0.75, 0.80)
CLASSIFIER = "nlu.components.tfidf_svm_classifier.TfidfSvmClassifier"


def classifier_config(config: Path = CONFIG) -> dict[str, Any]:
    """The intent classifier's settings in config.yml (C, temperature): the replica follows them."""
    pipeline = yaml.safe_load(config.read_text(encoding="utf-8"))["pipeline"]
    return next(step for step in pipeline if step["name"] == CLASSIFIER)


# The emergency probability read at other softmax temperatures (same margins): a lower one leans
# towards the margin over the best other intent, a higher one towards the sum over all of them.
OTHER_TEMPERATURES = (0.1, 0.5, 1.0)


def folded(text: str) -> str:
    return " ".join(fold_text(token) for token in text.split())


def block_tfidf(train: scipy.sparse.csr_matrix, test: scipy.sparse.csr_matrix,
                ) -> tuple[scipy.sparse.csr_matrix, scipy.sparse.csr_matrix]:
    """Sublinear TF-IDF with the training idf, rows at unit length (as TfidfSvmClassifier)."""
    idf = inverse_document_frequency(train)
    return tfidf(train, idf), tfidf(test, idf)


def features(train_texts: list[str], test_texts: list[str],
             ) -> tuple[scipy.sparse.csr_matrix, scipy.sparse.csr_matrix]:
    blocks_train, blocks_test = [], []
    for vectorizer in (CountVectorizer(analyzer="word", ngram_range=(1, 2),
                                       token_pattern=r"(?u)\b\w+\b"),
                       CountVectorizer(analyzer="char_wb", ngram_range=(2, 5))):
        train = vectorizer.fit_transform(train_texts).tocsr()
        test = vectorizer.transform(test_texts).tocsr()
        a, b = block_tfidf(train, test)
        blocks_train.append(a)
        blocks_test.append(b)
    return (scipy.sparse.hstack(blocks_train, format="csr"),
            scipy.sparse.hstack(blocks_test, format="csr"))


def fold_signals(examples: Sequence[tuple[str, str]], folds: list[int], k: int,
                 ) -> dict[str, np.ndarray]:
    """Held-out signals of every example: multi-class probability, margin and rank of
    `emergency`, and the decision values of binary emergency-vs-rest models."""
    settings = classifier_config()
    c, temperature = float(settings["C"]), float(settings["temperature"])
    n = len(examples)
    texts = [folded(t) for t, _ in examples]
    labels = np.array([i for _, i in examples])
    out = {name: np.zeros(n) for name in ("probability", "margin", "rank", "binary_svm",
                                          "binary_svm_c1", "binary_svm_c03", "binary_logreg",
                                          *(f"probability_t{t}" for t in OTHER_TEMPERATURES))}
    for fold in range(k):
        train = [i for i in range(n) if folds[i] != fold]
        held = [i for i in range(n) if folds[i] == fold]
        x_train, x_held = features([texts[i] for i in train], [texts[i] for i in held])
        y_train = labels[train]
        svm = LinearSVC(C=c, class_weight="balanced", max_iter=2000, random_state=42)
        svm.fit(x_train, y_train)
        margins = svm.decision_function(x_held)
        column = list(svm.classes_).index(EMERGENCY)
        probability = softmax(margins / temperature)
        for t in OTHER_TEMPERATURES:
            out[f"probability_t{t}"][held] = softmax(margins / t)[:, column]
        others = np.delete(margins, column, axis=1)
        out["probability"][held] = probability[:, column]
        out["margin"][held] = margins[:, column] - others.max(axis=1)
        out["rank"][held] = (margins > margins[:, [column]]).sum(axis=1)
        binary = (y_train == EMERGENCY).astype(int)
        for name, model in (
            ("binary_svm", LinearSVC(C=c, class_weight="balanced", max_iter=2000,
                                     random_state=42)),
            ("binary_svm_c1", LinearSVC(C=1.0, class_weight="balanced", max_iter=2000,
                                        random_state=42)),
            ("binary_svm_c03", LinearSVC(C=0.3, class_weight="balanced", max_iter=2000,
                                         random_state=42)),
            ("binary_logreg", LogisticRegression(C=10.0, class_weight="balanced",
                                                 max_iter=2000)),
        ):
            model.fit(x_train, binary)
            out[name][held] = model.decision_function(x_held)
        print(f"fold {fold + 1}/{k} done", file=sys.stderr)
    return out


def curve(flags: Callable[[float], np.ndarray], thresholds: Sequence[float],
          gold: np.ndarray) -> list[tuple[float, float, float]]:
    """(threshold, recall, precision) of the rule at each threshold."""
    points = []
    for t in thresholds:
        predicted = flags(t)
        hits = int((predicted & gold).sum())
        points.append((float(t), hits / max(int(gold.sum()), 1),
                       hits / max(int(predicted.sum()), 1)))
    return points


def best_at(points: list[tuple[Any, float, float]], precision: float,
            ) -> tuple[Any, float | None, float | None]:
    """The highest recall (and its threshold and precision) with precision >= `precision`."""
    ok = [p for p in points if p[2] >= precision]
    if not ok:
        return None, None, None
    threshold, recall, reached = max(ok, key=lambda p: (p[1], p[2]))
    return threshold, recall, reached


def study(examples: Sequence[tuple[str, str]], k: int, seed: int) -> dict[str, Any]:
    folds = stratified_folds(examples, k, seed)
    signals = fold_signals(examples, folds, k)
    pattern = danger_pattern()
    phrase = np.array([shows_danger(t, pattern) for t, _ in examples])
    gold = np.array([i == EMERGENCY for _, i in examples])
    p = signals["probability"]
    grid = sorted({*np.round(np.quantile(p, np.linspace(0.5, 1, 200)), 5), 0.02, 0.05, 0.07,
                   0.1, 0.15, 0.2})

    def quantiles(values: np.ndarray) -> list[float]:
        return sorted(set(np.round(np.quantile(values, np.linspace(0.5, 1, 200)), 5)))

    rules: dict[str, list[tuple[Any, float, float]]] = {
        "phrase OR probability >= t (today)": curve(lambda t: phrase | (p >= t), grid, gold),
        "phrase OR margin >= t": curve(lambda t: phrase | (signals["margin"] >= t),
                                       quantiles(signals["margin"]), gold),
        "phrase OR rank <= t": curve(lambda t: phrase | (signals["rank"] <= t),
                                     [0, 1, 2, 3], gold),
    }
    for name in ("binary_svm", "binary_svm_c1", "binary_svm_c03", "binary_logreg",
                 *(f"probability_t{t}" for t in OTHER_TEMPERATURES)):
        values = signals[name]
        rules[f"phrase OR {name} >= t"] = curve(lambda t, v=values: phrase | (v >= t),
                                                quantiles(values), gold)
    # Today's rule OR a binary model: for each binary threshold, the best probability threshold.
    for name in ("binary_svm", "binary_logreg"):
        values = signals[name]
        combined: list[tuple[Any, float, float]] = []
        # The last binary threshold is above every value: the binary model off, today's rule.
        for s in [*quantiles(values)[::2], float(values.max()) + 1.0]:
            for point in curve(lambda t, s=s, v=values: phrase | (p >= t) | (v >= s), grid,
                               gold):
                combined.append((f"s={s:.4g}, t={point[0]:.4g}", point[1], point[2]))
        rules[f"phrase OR probability >= t OR {name} >= s (2 thresholds)"] = combined
    table = {}
    for name, points in rules.items():
        table[name] = {f"{q:.2f}": dict(zip(("threshold", "recall", "precision"),
                                            best_at(points, q), strict=True))
                       for q in PRECISIONS}
    return {"emergencies": int(gold.sum()), "phrase_only_recall": float((phrase & gold).sum()
                                                                         / gold.sum()),
            "at_precision": table}


def markdown(result: dict[str, Any]) -> str:
    rows = []
    for name, by_precision in result["study"]["at_precision"].items():
        rows.append([name, *(by_precision[f"{q:.2f}"]["recall"] for q in PRECISIONS)])
    return (
        "# Emergency signals at matched precision (offline replica, "
        f"{result['folds']} folds)\n\n" + provenance_markdown(result)
        + f"- examples: {result['examples']} ({result['study']['emergencies']} emergencies), "
        f"seed {result['seed']}; phrase rule alone: recall "
        f"{result['study']['phrase_only_recall']:.3f}\n"
        "- replica of the classifier (see the module docstring), so compare rows with each other,"
        " not with bench/intent_cv.py\n\n"
        + markdown_table(["rule (each OR-ed with the danger phrases)",
                          *(f"recall at precision >= {q:.2f}" for q in PRECISIONS)], rows)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.emergency_study", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--name", default="emergency_study")
    parser.add_argument("--nlu", type=Path, nargs="+", default=list(NLU_DIRS))
    args = parser.parse_args(argv)
    examples = load_examples(args.nlu)
    result: dict[str, Any] = {**header(CONFIG), "folds": args.folds, "seed": args.seed,
                              "examples": len(examples), "nlu": [str(d) for d in args.nlu]}
    result["study"] = study(examples, args.folds, args.seed)
    publish(args.name, result, markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
