"""Parse texts with a trained Rasa NLU model, in-process (runs in .venv-rasa, Python 3.10).

Why a separate script: Rasa 3.6 lives in its own Python 3.10 environment, so the benchmarks (Python
3.11) call this file with `.venv-rasa/bin/python` and exchange JSON files with it.

Usage: rasa_predict.py MODEL.tar.gz TEXTS.json OUT.json
TEXTS.json is a JSON list of strings. OUT.json receives {"load_s": float, "predictions": [{"intent",
"confidence", "top_intent", "top_confidence", "ranking": [[name, confidence], ...], "parse_s"}]}
where "intent" is the pipeline's final answer (it may be nlu_fallback) and "top_intent" the best
intent the classifier proposed behind the FallbackClassifier.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

FALLBACK = "nlu_fallback"


def summarise(parsed: dict[str, Any]) -> dict[str, Any]:
    intent = parsed.get("intent") or {}
    ranking = [
        [r.get("name"), float(r.get("confidence") or 0.0)]
        for r in parsed.get("intent_ranking") or []
    ]
    real = [r for r in ranking if r[0] != FALLBACK]
    top = real[0] if real else [intent.get("name"), float(intent.get("confidence") or 0.0)]
    return {
        "intent": intent.get("name"),
        "confidence": float(intent.get("confidence") or 0.0),
        "top_intent": top[0],
        "top_confidence": top[1],
        "ranking": real[:5],
        # set by DangerOverride when it made the message an emergency (which signal did it)
        "emergency_signal": intent.get("emergency_signal"),
    }


async def parse_all(model: str, texts: list[str]) -> dict[str, Any]:
    from rasa.core.agent import Agent

    started = time.perf_counter()
    agent = Agent.load(model)
    load_s = time.perf_counter() - started
    predictions = []
    for text in texts:
        # As in a chat, a text starting with "/" is read as an intent payload.
        t0 = time.perf_counter()
        parsed = await agent.parse_message(text)
        elapsed = time.perf_counter() - t0
        predictions.append({**summarise(parsed), "parse_s": elapsed})
    return {"load_s": load_s, "predictions": predictions}


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    model, texts_path, out_path = argv
    with open(texts_path, encoding="utf-8") as handle:
        texts = json.load(handle)
    result = asyncio.run(parse_all(model, texts))
    with open(out_path, "w", encoding="utf-8") as handle:
        json.dump(result, handle, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
