"""Knowledge-base retrieval: find the article that answers a worker's question.

Hybrid of BM25 on folded text (lexical.py) and a sentence-transformers model trained from our own
articles (training.py, embedding.py), combined and calibrated into the probability that the top
article is right (hybrid.py, calibration.py). Nothing is loaded at import time: call
load_retriever() once at start-up and keep the Retriever.
"""

from knowledge_base.retrieval.evaluation import evaluate
from knowledge_base.retrieval.hybrid import Hit, Retriever
from knowledge_base.retrieval.training import ensure_model, load_retriever

__all__ = ["Hit", "Retriever", "ensure_model", "evaluate", "load_retriever"]
