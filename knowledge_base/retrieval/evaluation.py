"""Retrieval quality on labelled questions: hit@1, hit@3 and MRR per variant.

Variants are whatever the item says ("vi", "vi_nodiacritics", "en", "typo", ...), so the numbers
show where the retriever is weak. Items whose kb_id is empty are out-of-scope questions: for them
the useful number is how often the bot would wrongly answer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from knowledge_base.retrieval.hybrid import Retriever


def _summary(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks)
    if n == 0:
        return {"n": 0, "hit@1": 0.0, "hit@3": 0.0, "mrr": 0.0}
    return {
        "n": n,
        "hit@1": round(sum(1 for r in ranks if r == 1) / n, 4),
        "hit@3": round(sum(1 for r in ranks if r is not None and r <= 3) / n, 4),
        "mrr": round(sum(1.0 / r for r in ranks if r is not None) / n, 4),
    }


def evaluate(retriever: Retriever, items: Iterable[Mapping[str, Any]], k: int = 10) -> dict:
    """Metrics per variant and overall for items [{text, variant, kb_id}].

    Returns {"variants": {variant: {n, hit@1, hit@3, mrr, answered, answered_right}}, "all": {...},
    "out_of_scope": {n, answered, suggested, handed_off}}. `answered` is the share of questions
    whose top score reaches answer_threshold; `answered_right` the share of those that were right.
    Ranks beyond `k` count as misses (0 in MRR).
    """
    ranks: dict[str, list[int | None]] = defaultdict(list)
    answered: dict[str, list[bool]] = defaultdict(list)
    oos = {"n": 0, "answered": 0, "suggested": 0, "handed_off": 0}
    for item in items:
        text = str(item.get("text") or "")
        expected = item.get("kb_id")
        hits = retriever.search(text, k=k)
        decision = retriever.decide(hits)
        if not expected:
            oos["n"] += 1
            key = {"answer": "answered", "suggest": "suggested", "handoff": "handed_off"}[decision]
            oos[key] += 1
            continue
        variant = str(item.get("variant") or "default")
        ids = [h.kb_id for h in hits]
        rank = ids.index(expected) + 1 if expected in ids else None
        for key in (variant, "__all__"):
            ranks[key].append(rank)
            if decision == "answer":
                answered[key].append(rank == 1)
    result: dict[str, Any] = {"variants": {}, "all": {}, "out_of_scope": oos}
    for key, values in ranks.items():
        summary: dict[str, Any] = _summary(values)
        done = answered[key]
        summary["answered"] = round(len(done) / len(values), 4)
        summary["answered_right"] = round(sum(done) / len(done), 4) if done else None
        if key == "__all__":
            result["all"] = summary
        else:
            result["variants"][key] = summary
    return result
