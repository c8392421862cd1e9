"""CLINC150 benchmark of our NLU pipeline (config.yml): in-scope accuracy and out-of-scope recall.

Two settings, as in Larson et al. (2019):
- oos_class: train on `train` + `oos_train` as one more intent `oos` (the paper's "full" setting);
  a text is out of scope when the pipeline answers `oos` or `nlu_fallback`.
- threshold: train on `train` only; a text is out of scope when the FallbackClassifier fires.
For both, the report also gives the result at a confidence threshold chosen on `val` + `oos_val`
(never on test), since that is how the FallbackClassifier threshold should be tuned.

Usage: .venv/bin/python -m bench.clinc150 [--data PATH/data_full.json]
                                          [--settings oos_class,threshold]
The data is read from its local path and never copied into the repository (CC BY 3.0, see README).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from bench.common import (
    BENCH_MODELS,
    CONFIG,
    ROOT,
    BenchError,
    header,
    markdown_table,
    parse_texts,
    provenance_markdown,
    train_nlu,
    write_results,
    write_training_data,
)
from bench.metrics import OosScores, oos_scores, percentile

DEFAULT_DATA = Path(
    os.environ.get("CLINC150_PATH")
    or ROOT.parent / "shared" / "data" / "clinc150" / "data_full.json"
)
OOS = "oos"
FALLBACK = "nlu_fallback"
SETTINGS = ("oos_class", "threshold")
SWEEP = [round(0.05 * i, 2) for i in range(1, 20)]
PUBLISHED = {
    "rasa_2019": {"in_scope_accuracy": 0.915, "oos_recall": 0.453},
    "bert": {"in_scope_accuracy": 0.969, "oos_recall": 0.403},
}
TARGETS = {"in_scope_accuracy": 0.93, "oos_recall": 0.60}

Example = tuple[str, str]
Gold = tuple[str, str | None]


def load_clinc(path: Path) -> dict[str, list[Example]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    expected = {"train", "val", "test", "oos_train", "oos_val", "oos_test"}
    if not expected <= set(data):
        raise BenchError(f"{path} is not CLINC150 data_full.json (missing {expected - set(data)})")
    return {split: [(text, intent) for text, intent in data[split]] for split in expected}


def training_examples(data: dict[str, list[Example]], with_oos: bool) -> list[Example]:
    examples = list(data["train"])
    if with_oos:
        examples += [(text, OOS) for text, _ in data["oos_train"]]
    return examples


def evaluation_set(data: dict[str, list[Example]], split: str) -> list[Gold]:
    """In-scope texts with their intent, then out-of-scope texts with gold None."""
    return [(t, i) for t, i in data[split]] + [(t, None) for t, _ in data[f"oos_{split}"]]


def predicted_label(prediction: dict[str, Any], threshold: float | None = None) -> str | None:
    """None when the text is predicted out of scope.

    threshold None: the pipeline's own answer (FallbackClassifier as configured, ambiguity rule
    included). Otherwise: the classifier's best intent, out of scope below `threshold`.
    """
    if threshold is None:
        intent = prediction["intent"]
        return None if intent in (OOS, FALLBACK) else intent
    if prediction["top_intent"] == OOS or prediction["top_confidence"] < threshold:
        return None
    return prediction["top_intent"]


def score(gold: list[Gold], predictions: list[dict[str, Any]],
          threshold: float | None = None) -> OosScores:
    return oos_scores([g for _, g in gold], [predicted_label(p, threshold) for p in predictions])


def choose_threshold(gold: list[Gold], predictions: list[dict[str, Any]]) -> float:
    """The threshold with the best mean of in-scope accuracy and OOS recall (ties: the lower)."""
    def balanced(t: float) -> float:
        s = score(gold, predictions, t)
        return ((s.in_scope_accuracy or 0.0) + (s.oos_recall or 0.0)) / 2

    return max(SWEEP, key=lambda t: (balanced(t), -t))


def configured_threshold(config: Path) -> float | None:
    pipeline = yaml.safe_load(config.read_text(encoding="utf-8")).get("pipeline") or []
    for component in pipeline:
        if component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", 0.3))
    return None


def scores_dict(s: OosScores) -> dict[str, Any]:
    return {
        "in_scope_accuracy": s.in_scope_accuracy,
        "oos_recall": s.oos_recall,
        "oos_precision": s.oos_precision,
        "in_scope_count": s.in_scope_count,
        "oos_count": s.oos_count,
    }


def run_setting(setting: str, data: dict[str, list[Example]], config: Path,
                name: str = "clinc150") -> dict[str, Any]:
    with_oos = setting == "oos_class"
    examples = training_examples(data, with_oos)
    with tempfile.TemporaryDirectory(prefix="clinc-") as tmp:
        nlu = write_training_data(examples, Path(tmp) / "nlu.json")
        trained = train_nlu(config, nlu, f"{name}_{setting}", BENCH_MODELS)
    val = evaluation_set(data, "val")
    test = evaluation_set(data, "test")
    run = parse_texts(trained.model, [t for t, _ in val] + [t for t, _ in test])
    val_pred, test_pred = run.predictions[: len(val)], run.predictions[len(val):]
    chosen = choose_threshold(val, val_pred)
    parse_times = [p["parse_s"] for p in run.predictions]
    return {
        "setting": setting,
        "train_examples": len(examples),
        "train_seconds": round(trained.seconds, 1),
        "model_load_seconds": round(run.load_seconds, 2),
        "parse_ms_p50": round(1000 * (percentile(parse_times, 50) or 0), 2),
        "parse_ms_p95": round(1000 * (percentile(parse_times, 95) or 0), 2),
        "parsed_messages": len(parse_times),
        "test_as_configured": scores_dict(score(test, test_pred)),
        "threshold_chosen_on_val": chosen,
        "val_at_chosen": scores_dict(score(val, val_pred, chosen)),
        "test_at_chosen": scores_dict(score(test, test_pred, chosen)),
        "test_sweep": {str(t): scores_dict(score(test, test_pred, t)) for t in SWEEP},
    }


def markdown(result: dict[str, Any]) -> str:
    rows: list[list[Any]] = []
    for r in result["runs"]:
        configured = r["test_as_configured"]
        rows.append([f"{r['setting']}, as configured (fallback {result['fallback_threshold']})",
                     configured["in_scope_accuracy"], configured["oos_recall"],
                     configured["oos_precision"]])
        chosen = r["test_at_chosen"]
        rows.append([f"{r['setting']}, threshold {r['threshold_chosen_on_val']} (chosen on val)",
                     chosen["in_scope_accuracy"], chosen["oos_recall"], chosen["oos_precision"]])
    for name, published in PUBLISHED.items():
        rows.append([f"published: {name} (Larson et al. 2019, full)",
                     published["in_scope_accuracy"], published["oos_recall"], None])
    rows.append(["target", TARGETS["in_scope_accuracy"], TARGETS["oos_recall"], None])
    timing = [[r["setting"], r["train_examples"], r["train_seconds"], r["model_load_seconds"],
               r["parse_ms_p50"], r["parse_ms_p95"]] for r in result["runs"]]
    return (
        "# CLINC150 (test + oos_test)\n\n"
        + provenance_markdown(result)
        + "\n"
        + markdown_table(["run", "in-scope accuracy", "OOS recall", "OOS precision"], rows)
        + "\n## Timings\n\n"
        + markdown_table(["setting", "train examples", "train s (wall, incl. Rasa start-up)",
                          "model load s", "parse ms p50", "parse ms p95"], timing)
        + "\nData: CLINC150 (Larson et al., EMNLP-IJCNLP 2019), CC BY 3.0; read from its local "
        "path, not copied into this repository.\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.clinc150", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--settings", default=",".join(SETTINGS))
    parser.add_argument("--config", type=Path, default=CONFIG)
    parser.add_argument("--name", default="clinc150", help="result file name in bench/results/")
    args = parser.parse_args(argv)
    settings = [s for s in args.settings.split(",") if s]
    if unknown := set(settings) - set(SETTINGS):
        parser.error(f"unknown settings: {sorted(unknown)}")
    if not args.data.exists():
        print(f"error: {args.data} not found (CLINC150 data_full.json)", file=sys.stderr)
        return 2
    data = load_clinc(args.data)
    config = args.config.resolve()
    result: dict[str, Any] = {**header(config), "dataset": "CLINC150 data_full.json",
                              "fallback_threshold": configured_threshold(config),
                              "published": PUBLISHED, "targets": TARGETS, "runs": []}
    for setting in settings:
        print(f"training and testing: {setting}", file=sys.stderr)
        result["runs"].append(run_setting(setting, data, config, args.name))
        # Written after each setting, so a long run that fails later keeps what it measured.
        json_path, md_path = write_results(args.name, result, markdown(result))
    print(markdown(result))
    print(f"wrote {json_path} and {md_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
