"""Knowledge-base retrieval: find the article that answers a worker's question.

Hybrid of BM25 on folded text (lexical.py) and a sentence-transformers model trained from our own
articles (training.py, embedding.py), combined and calibrated into the probability that the top
article is right (hybrid.py, calibration.py). Nothing is loaded at import time: call
load_retriever() once at start-up and keep the Retriever. See docs/retrieval.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from knowledge_base.retrieval.evaluation import evaluate
from knowledge_base.retrieval.hybrid import Hit, Retriever

if TYPE_CHECKING:
    from knowledge_base.retrieval.training import ensure_model, load_retriever

__all__ = ["Hit", "Retriever", "ensure_model", "evaluate", "load_retriever"]


def __getattr__(name: str) -> Any:
    # training.py is imported on first use, so that `python -m knowledge_base.retrieval.training`
    # does not find itself already imported by the package.
    if name in ("ensure_model", "load_retriever"):
        from knowledge_base.retrieval import training

        return getattr(training, name)
    raise AttributeError(name)
