"""Stratified k-fold cross-validation of our NLU pipeline (config.yml) on our own training data.

Why: thresholds (FallbackClassifier, DangerOverride's `min_probability`) and classifier settings
must be chosen on the training data, never on the held-out evaluation set (tests/data/eval/).
Each fold trains the real Rasa pipeline on the other folds and parses the held-out fold, so the
numbers are those of the pipeline, not of an offline imitation.

Reported per variant (vi with diacritics, vi without, en — told by diacritics and the language
rule of nlu/components/language_rules.py): accuracy, per-intent recall, emergency recall and
precision, out-of-scope recall and precision; and, over all variants, sweeps of the fallback
threshold and of the emergency `min_probability`.

To read the classifier's own emergency probability, folds are trained with DangerOverride's
`min_probability` above 1 (only the phrase rule fires) and the override is replayed here.

Usage: .venv/bin/python -m bench.intent_cv [--folds 5] [--seed 13] [--config config.yml]
                                           [--name intent_cv] [--nlu DIR ...]
                                           [--predictions FILE.json]
--nlu replaces the default data folders (nlu/vi, nlu/en, nlu/generated), e.g. with a frozen copy
so that two configurations are compared on the same data.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from bench.common import (
    CONFIG,
    NLU_DIRS,
    ROOT,
    Example,
    header,
    load_examples,
    markdown_table,
    parse_texts,
    provenance_markdown,
    publish,
    train_nlu,
    write_training_data,
)
from bench.metrics import percentile, ratio
from knowledge_base.text import has_vietnamese_diacritics
from nlu.components.danger_rules import danger_pattern, shows_danger
from nlu.components.language_rules import detect_language, marker_words

LOOKUPS = ROOT / "nlu" / "lookups"
CV_MODELS = Path(tempfile.gettempdir()) / "hanhtrang-intent-cv"
OOS = "out_of_scope"
FALLBACK = "nlu_fallback"
EMERGENCY = "emergency"
VARIANTS = ("vi", "vi_nodiac", "en")
FALLBACK_SWEEP = [round(0.05 * i, 2) for i in range(0, 13)]
DANGER_SWEEP = [0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3]
DANGER_OFF = 1.01


def variant(text: str) -> str:
    """'vi', 'vi_nodiac' or 'en'. A text with no clear language signal counts as vi_nodiac."""
    if has_vietnamese_diacritics(text):
        return "vi"
    vi_words, en_words = marker_words()
    return "en" if detect_language(text, vi_words, en_words) == "en" else "vi_nodiac"


def stratified_folds(examples: Sequence[Example], k: int, seed: int) -> list[int]:
    """Fold number of each example: per intent, a seeded shuffle dealt round-robin into k folds."""
    by_intent: dict[str, list[int]] = defaultdict(list)
    for index, (_, intent) in enumerate(examples):
        by_intent[intent].append(index)
    rng = random.Random(seed)
    folds = [0] * len(examples)
    offset = 0
    for intent in sorted(by_intent):
        indices = by_intent[intent]
        rng.shuffle(indices)
        for position, index in enumerate(indices):
            folds[index] = (offset + position) % k
        offset += len(indices)  # small intents do not all start in fold 0
    return folds


def emergency_probability(prediction: dict[str, Any]) -> float:
    return next((float(c) for name, c in prediction.get("ranking") or [] if name == EMERGENCY),
                0.0)


def predicted_intent(prediction: dict[str, Any], danger: bool, fallback: float,
                     min_probability: float) -> str:
    """Replays DangerOverride then FallbackClassifier on a prediction made without the override."""
    if danger or emergency_probability(prediction) >= min_probability:
        return EMERGENCY
    if float(prediction["top_confidence"]) < fallback:
        return FALLBACK
    return str(prediction["top_intent"])


def correct(gold: str, predicted: str) -> bool:
    return predicted == gold or (gold == OOS and predicted == FALLBACK)


def scores(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, Any]:
    """Accuracy (fallback is right for out_of_scope), per-intent recall, emergency and OOS."""
    pairs = list(zip(gold, predicted, strict=True))
    per_intent: dict[str, list[bool]] = defaultdict(list)
    for g, p in pairs:
        per_intent[g].append(correct(g, p))
    predicted_oos = [g for g, p in pairs if p in (OOS, FALLBACK)]
    predicted_emergency = [g for g, p in pairs if p == EMERGENCY]
    return {
        "count": len(pairs),
        "accuracy": ratio(sum(correct(g, p) for g, p in pairs), len(pairs)),
        "emergency_recall": ratio(sum(p == EMERGENCY for g, p in pairs if g == EMERGENCY),
                                  sum(g == EMERGENCY for g in gold)),
        "emergency_precision": ratio(predicted_emergency.count(EMERGENCY),
                                     len(predicted_emergency)),
        "oos_recall": ratio(sum(p in (OOS, FALLBACK) for g, p in pairs if g == OOS),
                            sum(g == OOS for g in gold)),
        "oos_precision": ratio(predicted_oos.count(OOS), len(predicted_oos)),
        "in_scope_fallback_rate": ratio(sum(p == FALLBACK for g, p in pairs if g != OOS),
                                        sum(g != OOS for g in gold)),
        "per_intent_recall": {i: ratio(sum(v), len(v)) for i, v in sorted(per_intent.items())},
    }


def pipeline_settings(config: Path) -> tuple[float, float]:
    """(fallback threshold, DangerOverride min_probability) as configured."""
    fallback, min_probability = 0.3, 0.15
    for component in yaml.safe_load(config.read_text(encoding="utf-8")).get("pipeline") or []:
        name = str(component.get("name"))
        if name == "FallbackClassifier":
            fallback = float(component.get("threshold", fallback))
        elif name.endswith("DangerOverride"):
            min_probability = float(component.get("min_probability", min_probability))
    return fallback, min_probability


def config_without_probability_override(config: Path, path: Path) -> Path:
    document = yaml.safe_load(config.read_text(encoding="utf-8"))
    for component in document.get("pipeline") or []:
        if str(component.get("name")).endswith("DangerOverride"):
            component["min_probability"] = DANGER_OFF
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    return path


def cross_validate(examples: Sequence[Example], config: Path, k: int, seed: int,
                   name: str) -> tuple[list[dict[str, Any]], list[float]]:
    """Held-out predictions of every example (in input order) and each fold's training seconds."""
    folds = stratified_folds(examples, k, seed)
    predictions: list[dict[str, Any]] = [{} for _ in examples]
    train_seconds: list[float] = []
    with tempfile.TemporaryDirectory(prefix="intent-cv-") as tmp:
        cv_config = config_without_probability_override(config, Path(tmp) / "config.yml")
        for fold in range(k):
            data = Path(tmp) / f"fold{fold}"
            train = [e for e, f in zip(examples, folds, strict=True) if f != fold]
            held = [i for i, f in enumerate(folds) if f == fold]
            write_training_data(train, data / "train.json")
            for lookup in sorted(LOOKUPS.glob("*.yml")):
                shutil.copy(lookup, data / lookup.name)
            print(f"fold {fold + 1}/{k}: training on {len(train)}", file=sys.stderr)
            run = train_nlu(cv_config, data, f"{name}_fold{fold}", CV_MODELS)
            train_seconds.append(round(run.seconds, 1))
            parsed = parse_texts(run.model, [examples[i][0] for i in held])
            for index, prediction in zip(held, parsed.predictions, strict=True):
                predictions[index] = prediction
    return predictions, train_seconds


def summarise(examples: Sequence[Example], predictions: Sequence[dict[str, Any]],
              fallback: float, min_probability: float) -> dict[str, Any]:
    pattern = danger_pattern()
    texts = [t for t, _ in examples]
    gold = [i for _, i in examples]
    danger = [shows_danger(t, pattern) for t in texts]
    kinds = [variant(t) for t in texts]

    def predict(f: float, m: float) -> list[str]:
        return [predicted_intent(p, d, f, m) for p, d in zip(predictions, danger, strict=True)]

    configured = predict(fallback, min_probability)
    by_variant = {
        v: scores([g for g, k in zip(gold, kinds, strict=True) if k == v],
                  [p for p, k in zip(configured, kinds, strict=True) if k == v])
        for v in VARIANTS
    }

    def brief(s: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in s.items() if key != "per_intent_recall"}

    parse_ms = [1000 * float(p["parse_s"]) for p in predictions]
    return {
        "fallback_threshold": fallback,
        "danger_min_probability": min_probability,
        "all": scores(gold, configured),
        "by_variant": by_variant,
        "fallback_sweep": {str(f): brief(scores(gold, predict(f, min_probability)))
                           for f in FALLBACK_SWEEP},
        "danger_sweep": {str(m): brief(scores(gold, predict(fallback, m)))
                         for m in DANGER_SWEEP},
        "parse_ms_p50": round(percentile(parse_ms, 50) or 0.0, 2),
        "parse_ms_p95": round(percentile(parse_ms, 95) or 0.0, 2),
    }


def markdown(result: dict[str, Any]) -> str:
    s = result["scores"]
    rows = [[v, r["count"], r["accuracy"], r["emergency_recall"], r["emergency_precision"],
             r["oos_recall"], r["oos_precision"]]
            for v, r in [("all", s["all"]), *s["by_variant"].items()]]
    intents = sorted(s["all"]["per_intent_recall"])
    recall_rows = [[i, *(s[v]["per_intent_recall"].get(i) if v == "all"
                        else s["by_variant"][v]["per_intent_recall"].get(i)
                        for v in ("all", *VARIANTS))] for i in intents]
    fallback_rows = [[f, r["accuracy"], r["oos_recall"], r["oos_precision"],
                      r["in_scope_fallback_rate"]] for f, r in s["fallback_sweep"].items()]
    danger_rows = [[m, r["accuracy"], r["emergency_recall"], r["emergency_precision"]]
                   for m, r in s["danger_sweep"].items()]
    return (
        f"# Intent cross-validation on our training data ({result['folds']} folds)\n\n"
        + provenance_markdown(result)
        + f"- examples: {result['examples']}, seed {result['seed']}; fallback threshold "
        f"{s['fallback_threshold']}, danger min_probability {s['danger_min_probability']}\n"
        f"- training seconds per fold (wall, incl. Rasa start-up): {result['train_seconds']}\n"
        f"- parse ms per message p50 / p95: {s['parse_ms_p50']} / {s['parse_ms_p95']}\n\n"
        + markdown_table(["variant", "n", "accuracy", "emergency recall", "emergency precision",
                          "OOS recall", "OOS precision"], rows)
        + "\n## Recall per intent\n\n"
        + markdown_table(["intent", "all", *VARIANTS], recall_rows)
        + "\n## Fallback threshold (danger min_probability as configured)\n\n"
        + markdown_table(["threshold", "accuracy", "OOS recall", "OOS precision",
                          "in-scope sent to fallback"], fallback_rows)
        + "\n## DangerOverride min_probability (fallback as configured)\n\n"
        + markdown_table(["min_probability", "accuracy", "emergency recall",
                          "emergency precision"], danger_rows)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.intent_cv", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--config", type=Path, default=CONFIG)
    parser.add_argument("--name", default="intent_cv", help="result file name in bench/results/")
    parser.add_argument("--nlu", type=Path, nargs="+", default=list(NLU_DIRS),
                        help="folders of Rasa YAML NLU files")
    parser.add_argument("--predictions", type=Path, default=None,
                        help="also write each example's text, intent and held-out prediction "
                        "(JSON) here, to study the misses (which emergencies are lost, to what)")
    args = parser.parse_args(argv)
    if args.folds < 2:
        parser.error("--folds must be at least 2")
    config = args.config.resolve()
    examples = load_examples(args.nlu)
    head = header(config)  # before the long run, in case config.yml is edited meanwhile
    fallback, min_probability = pipeline_settings(config)
    predictions, seconds = cross_validate(examples, config, args.folds, args.seed, args.name)
    result: dict[str, Any] = {
        **head, "folds": args.folds, "seed": args.seed, "examples": len(examples),
        "nlu": [str(d) for d in args.nlu],
        "train_seconds": seconds,
        "scores": summarise(examples, predictions, fallback, min_probability),
    }
    publish(args.name, result, markdown(result))
    if args.predictions is not None:
        args.predictions.write_text(json.dumps(
            [{"text": t, "intent": i, "prediction": p}
             for (t, i), p in zip(examples, predictions, strict=True)],
            ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
