"""Intent accuracy of our NLU pipeline on a dataset in the seq.in/label folder format.

The format (used by JointBERT, and by PhoATIS, the Vietnamese ATIS set of Dao et al. 2021):
<root>/{train,dev,test}/seq.in holds one utterance per line, <root>/{train,dev,test}/label the
intent of the same line. We train config.yml's pipeline on train (plus dev with --with-dev) and
report test accuracy. The data stays where it is: PhoATIS' licence forbids redistribution, so only
this loader and the result numbers are committed.

Usage: .venv/bin/python -m bench.intent_folder /path/to/PhoATIS/word-level [--source TEXT]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from bench.common import (
    BENCH_MODELS,
    CONFIG,
    BenchError,
    Example,
    header,
    markdown_table,
    parse_texts,
    provenance_markdown,
    publish,
    train_nlu,
    write_training_data,
)
from bench.metrics import accuracy, percentile

FALLBACK = "nlu_fallback"
SPLITS = ("train", "dev", "test")


def read_split(root: Path, split: str) -> list[Example]:
    """Pairs (utterance, intent) of one split; blank trailing lines are ignored."""
    folder = root / split
    texts_path, labels_path = folder / "seq.in", folder / "label"
    if not texts_path.exists() or not labels_path.exists():
        raise BenchError(f"{folder} needs both seq.in and label")
    texts = texts_path.read_text(encoding="utf-8").rstrip("\n").split("\n")
    labels = labels_path.read_text(encoding="utf-8").rstrip("\n").split("\n")
    if len(texts) != len(labels):
        raise BenchError(
            f"{folder}: seq.in has {len(texts)} lines but label has {len(labels)}"
        )
    pairs = [(t.strip(), label.strip()) for t, label in zip(texts, labels, strict=True)]
    for number, (text, label) in enumerate(pairs, start=1):
        if not text or not label:
            raise BenchError(f"{folder}: line {number} has an empty utterance or label")
    return pairs


def load_dataset(root: Path) -> dict[str, list[Example]]:
    """train and test are required; dev is read when present."""
    splits = {}
    for split in SPLITS:
        if split == "dev" and not (root / split).exists():
            continue
        splits[split] = read_split(root, split)
    return splits


def result_name(root: Path) -> str:
    """e.g. /data/PhoATIS/word-level → intent_folder_phoatis_word-level."""
    parts = [p for p in (root.parent.name, root.name) if p]
    return "intent_folder_" + "_".join(parts).lower().replace(" ", "-")


def confusions(gold: list[str], predicted: list[str], top: int = 10) -> list[list[Any]]:
    """The most frequent (gold, predicted, count) mistakes: labels only, never texts."""
    counts = Counter((g, p) for g, p in zip(gold, predicted, strict=True) if g != p)
    return [[g, p, n] for (g, p), n in counts.most_common(top)]


def evaluate(splits: dict[str, list[Example]], with_dev: bool, config: Path,
             name: str) -> dict[str, Any]:
    train = splits["train"] + (splits.get("dev", []) if with_dev else [])
    test = splits["test"]
    with tempfile.TemporaryDirectory(prefix="intent-folder-") as tmp:
        nlu = write_training_data(train, Path(tmp) / "nlu.json")
        trained = train_nlu(config, nlu, name, BENCH_MODELS)
    run = parse_texts(trained.model, [t for t, _ in test])
    gold = [label for _, label in test]
    final = [p["intent"] for p in run.predictions]
    top = [p["top_intent"] for p in run.predictions]
    seen = {label for _, label in train}
    times = [p["parse_s"] for p in run.predictions]
    return {
        "train_examples": len(train),
        "train_intents": len(seen),
        "test_examples": len(test),
        "test_labels_unseen_in_train": sum(g not in seen for g in gold),
        "accuracy_as_configured": accuracy(gold, final),
        "accuracy_without_fallback": accuracy(gold, top),
        "fallback_count": sum(p == FALLBACK for p in final),
        "top_confusions": confusions(gold, final),
        "train_seconds": round(trained.seconds, 1),
        "model_load_seconds": round(run.load_seconds, 2),
        "parse_ms_p50": round(1000 * (percentile(times, 50) or 0), 2),
        "parse_ms_p95": round(1000 * (percentile(times, 95) or 0), 2),
    }


def markdown(result: dict[str, Any]) -> str:
    r = result["result"]
    rows = [
        ["test accuracy (pipeline as configured, fallback counts as wrong)",
         r["accuracy_as_configured"]],
        ["test accuracy (classifier's best intent, FallbackClassifier ignored)",
         r["accuracy_without_fallback"]],
        ["test texts answered nlu_fallback", r["fallback_count"]],
        ["test labels never seen in training", r["test_labels_unseen_in_train"]],
        ["train / test examples", f"{r['train_examples']} / {r['test_examples']}"],
        ["intents in training", r["train_intents"]],
        ["train s (wall, incl. Rasa start-up)", r["train_seconds"]],
        ["parse ms p50 / p95", f"{r['parse_ms_p50']} / {r['parse_ms_p95']}"],
    ]
    conf = markdown_table(["gold", "predicted", "count"], r["top_confusions"])
    return (
        f"# Intent accuracy: {result['dataset']}\n\n"
        + provenance_markdown(result)
        + f"- data source: {result['source']}\n\n"
        + markdown_table(["measure", "value"], rows)
        + "\n## Most frequent confusions\n\n"
        + conf
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.intent_folder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", type=Path, help="folder holding train/ and test/ (and dev/)")
    parser.add_argument("--with-dev", action="store_true", help="train on train + dev")
    parser.add_argument("--config", type=Path, default=CONFIG)
    parser.add_argument("--name", help="result file name in bench/results/")
    parser.add_argument("--source", default="a local copy",
                        help="where the data came from, recorded in the results")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    try:
        splits = load_dataset(root)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    name = args.name or result_name(root)
    config = args.config.resolve()
    result = {
        **header(config),
        "dataset": f"{root.parent.name}/{root.name}",
        "source": args.source,
        "trained_on": "train+dev" if args.with_dev else "train",
        "result": evaluate(splits, args.with_dev, config, name),
    }
    publish(name, result, markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
