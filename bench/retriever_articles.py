"""Which knowledge-base articles the retriever gets wrong on its own held-out split, per language.

Why: the held-out metrics written with every retriever build (calibration.json) are totals; to
know where new questions are worth writing (session 4 added English questions to the weakest
articles), each held-out question's top article is needed. This builds a model into a temporary
folder on the split `ensure_model` draws (knowledge_base/retrieval/heldout.py; `--seed` replaces
retrieval.yml's `training.seed`, which draws both the split and the embedding's start), fits the
calibration as a build does, and reports hit@1 and the share answered (decision "answer") per
article and variant, and which article took the misses. models/retriever/ is never touched.

Usage: .venv/bin/python -m bench.retriever_articles [--seed N] [--name retriever_articles]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.common import header, markdown_table, provenance_markdown, publish
from bench.metrics import ratio
from knowledge_base.loader import load_approved
from knowledge_base.retrieval.heldout import fit_calibration, heldout_split
from knowledge_base.retrieval.hybrid import Retriever
from knowledge_base.retrieval.settings import CONFIG_PATH, load_config, load_out_of_scope
from knowledge_base.retrieval.training import train_default_model


def per_article(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """hit@1, share answered and the most frequent wrong top article, per (article, variant).

    Each row is one held-out question: kb_id (expected), variant, top (the top article) and
    decision (the retriever's answer / suggest / handoff). Sorted worst first.
    """
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(row["kb_id"], row["variant"])].append(row)
    out = []
    for (kb_id, variant), items in groups.items():
        wrong = Counter(r["top"] for r in items if r["top"] != kb_id)
        out.append({
            "kb_id": kb_id,
            "variant": variant,
            "n": len(items),
            "hit_at_1": ratio(sum(r["top"] == kb_id for r in items), len(items)),
            "answered": ratio(sum(r["decision"] == "answer" for r in items), len(items)),
            "taken_by": wrong.most_common(1)[0][0] if wrong else None,
        })
    return sorted(out, key=lambda g: (g["hit_at_1"], g["kb_id"], g["variant"]))


def heldout_rows(seed: int | None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Build a model on the training share and search every held-out question with it."""
    config = load_config()
    if seed is not None:
        config = replace(config, training=replace(config.training, seed=seed))
    articles = load_approved()
    train, items = heldout_split(articles, config)
    with tempfile.TemporaryDirectory(prefix="hanhtrang-retriever-articles-") as folder:
        model = train_default_model(train, Path(folder), config)
        calibrator, report = fit_calibration(train, items, model, config, load_out_of_scope())
        retriever = Retriever.build(train, model, config, use_cache=False, calibrator=calibrator)
        rows = []
        for item in items:
            hits = retriever.search(item["text"], k=3)
            rows.append({"kb_id": item["kb_id"], "variant": item["variant"],
                         "top": hits[0].kb_id if hits else None,
                         "decision": retriever.decide(hits)})
    return rows, report["metrics"]


def render(head: dict[str, Any], groups: list[dict[str, Any]], totals: dict[str, Any],
           limit: int = 40) -> str:
    lines = [
        "# Retriever held-out split: per article and variant",
        "",
        provenance_markdown(head),
        "Totals (the build's own held-out metrics):",
        "",
        markdown_table(["variant", "n", "hit@1", "MRR"], [
            [name, m.get("n"), m.get("hit@1"), m.get("mrr")]
            for name, m in {"all": totals["all"], **totals["variants"]}.items()
        ]),
        f"Worst {limit} (article, variant) groups; taken by: the article most often on top "
        "instead.",
        "",
        markdown_table(["article", "variant", "n", "hit@1", "answered", "taken by"], [
            [g["kb_id"], g["variant"], g["n"], round(g["hit_at_1"], 3), round(g["answered"], 3),
             g["taken_by"] or ""]
            for g in groups[:limit]
        ]),
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.retriever_articles", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=None,
                        help="replaces training.seed of retrieval.yml (split and embedding start)")
    parser.add_argument("--name", default="retriever_articles")
    args = parser.parse_args(argv)
    head = header(CONFIG_PATH)
    rows, totals = heldout_rows(args.seed)
    groups = per_article(rows)
    publish(args.name, {**head, "seed": args.seed, "totals": totals, "groups": groups},
            render(head, groups, totals))
    return 0


if __name__ == "__main__":
    sys.exit(main())
