"""The evaluation and development sets are never used for training: none of their texts is a
training example or an article question (compared folded: lower case, no diacritics, single
spaces)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import yaml

from knowledge_base.loader import load_articles
from knowledge_base.text import fold
from nlu.training_data import strip_annotations

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT / "tests" / "data" / "eval"
# The development sets (bench/data/dev*/README.md): read to find what to fix, never trained on.
DEVELOPMENT = sorted((p.parent for p in (ROOT / "bench" / "data").glob("dev*/intents.yml")),
                     key=lambda p: (len(p.name), p.name))

def key(text: str) -> str:
    return " ".join(fold(strip_annotations(text)).split()).strip(" ?.!")


@cache
def training_texts() -> frozenset[str]:
    texts = set()
    # generated examples included: the company-name examples are made from templates, and the
    # knowledge-base ones are the article questions checked below anyway
    for path in (ROOT / "nlu").glob("*/*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        # every block's examples, lookup tables included
        for block in data.get("nlu") or []:
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    texts.add(key(line[2:]))
    for article in load_articles():
        for questions in article.questions.values():
            texts |= {key(q) for q in questions}
    return frozenset(texts)


@pytest.mark.parametrize("folder", [EVAL, *DEVELOPMENT], ids=lambda folder: folder.name)
def test_no_eval_or_development_text_is_trained_on(folder):
    train = training_texts()
    leaked = []
    for name in ("intents.yml", "kb_questions.yml"):
        for item in yaml.safe_load((folder / name).read_text(encoding="utf-8")):
            if key(item["text"]) in train:
                leaked.append(item["text"])
    assert leaked == []
