"""How well the article classifier's "none of the articles" class tells out-of-scope texts apart.

Why: a message the intent classifier takes for a question may be out of scope ("what time is it
in Tokyo", "đổi bằng lái xe ở Nhật"); such texts often reach the answer threshold by lexical and
embedding similarity to some article. The "none" class (classifier.none_class in retrieval.yml,
fitted on the intent classifier's out-of-scope examples) is a second opinion. This measures, on
the development sets' out-of-scope texts and article questions (bench/data/dev*; never the
held-out set, never training data), the share of each at or above each threshold of P(none):
`out_of_scope_threshold` in retrieval.yml is chosen here.

Uses the built retriever in models/ (run `make train` first).

Usage: .venv/bin/python -m bench.retriever_none [--name retriever_none]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from bench.common import ROOT, header, markdown_table, provenance_markdown, publish
from bench.metrics import ratio
from knowledge_base.loader import load_approved
from knowledge_base.retrieval import load_retriever
from knowledge_base.retrieval.settings import CONFIG_PATH

DEV_SETS = ("dev", "dev2", "dev3")
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def dev_texts(folders: Sequence[Path]) -> list[tuple[str, str, str]]:
    """(kind, variant, text): kind "oos" for out-of-scope intent texts, "kb" for questions."""
    rows = []
    for folder in folders:
        for item in yaml.safe_load((folder / "intents.yml").read_text(encoding="utf-8")):
            if item["intent"] == "out_of_scope":
                rows.append(("oos", item["variant"], item["text"]))
        for item in yaml.safe_load((folder / "kb_questions.yml").read_text(encoding="utf-8")):
            rows.append(("kb", item["variant"], item["text"]))
    return rows


def sweep(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per threshold: share of out-of-scope texts caught and of article questions lost to it."""
    oos = [r for r in rows if r["kind"] == "oos"]
    kb = [r for r in rows if r["kind"] == "kb"]
    out = []
    for t in THRESHOLDS:
        caught = [r for r in oos if r["none"] >= t]
        lost = [r for r in kb if r["none"] >= t]
        answered = [r for r in oos if r["none"] < t and r["decision"] == "answer"]
        out.append({"threshold": t, "oos_caught": ratio(len(caught), len(oos)),
                    "oos_caught_that_would_be_answered": sum(
                        r["decision"] == "answer" for r in caught),
                    "oos_still_answered": len(answered),
                    "kb_lost": len(lost), "kb_lost_share": ratio(len(lost), len(kb)),
                    "kb_lost_top_right": sum(r["top_right"] for r in lost)})
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="retriever_none")
    args = parser.parse_args(argv)
    articles = load_approved()
    retriever = load_retriever(ROOT / "models", list(articles))
    if retriever.classifier is None:
        print("the retriever has no article classifier", file=sys.stderr)
        return 2
    expected = {}
    for folder in DEV_SETS:
        for item in yaml.safe_load((ROOT / "bench" / "data" / folder / "kb_questions.yml")
                                   .read_text(encoding="utf-8")):
            expected[item["text"]] = item["kb_id"]
    rows = []
    for kind, variant, text in dev_texts([ROOT / "bench" / "data" / d for d in DEV_SETS]):
        hits = retriever.search(text, k=1)
        rows.append({"kind": kind, "variant": variant,
                     "none": round(retriever.classifier.none_probability(text), 4),
                     "decision": retriever.decide(hits),
                     "top_right": bool(hits) and hits[0].kb_id == expected.get(text)})
    table = sweep(rows)
    head = header(CONFIG_PATH)
    counts = {"oos": sum(r["kind"] == "oos" for r in rows),
              "kb": sum(r["kind"] == "kb" for r in rows)}
    markdown = (
        "# The article classifier's \"none\" class as an out-of-scope detector\n\n"
        + provenance_markdown(head)
        + f"- texts: {counts['oos']} out-of-scope texts and {counts['kb']} article questions of "
        f"bench/data/{{{', '.join(DEV_SETS)}}}\n\n"
        + markdown_table(
            ["P(none) ≥", "out-of-scope caught", "of them answered with an article today",
             "out-of-scope still answered", "article questions lost", "share",
             "lost whose top article was right"],
            [[r["threshold"], r["oos_caught"], r["oos_caught_that_would_be_answered"],
              r["oos_still_answered"], r["kb_lost"], r["kb_lost_share"], r["kb_lost_top_right"]]
             for r in table])
        + "\n\"Answered today\": the retriever's decision alone (score ≥ answer_threshold), as "
        "before the none-class rule; questions the intent classifier sends elsewhere are counted "
        "too.\n"
    )
    publish(args.name, {**head, "counts": counts, "sweep": table}, markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
