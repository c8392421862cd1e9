"""BM25 over folded words, word pairs and character n-grams, one document per article.

Workers type without diacritics, with abbreviations and typos. Folding (diacritics removed, đ→d)
makes "phí dịch vụ" and "phi dich vu" the same words; word pairs keep Vietnamese compounds
("dich vu", "xuat khau") apart from their syllables; character n-grams still match a word with a
typo ("dihc vu"). Scores are normalised by the best score the query could reach, so 1.0 means
"every query term found, as strongly as possible" and an unrelated question stays near 0 instead of
being stretched to 1 by per-query min-max scaling.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from knowledge_base.loader import Article
from knowledge_base.retrieval.settings import LexicalConfig
from knowledge_base.shorthand import expand
from knowledge_base.text import tokens


def word_features(text: str) -> list[str]:
    """Folded word tokens plus adjacent word pairs ("dich_vu")."""
    words = expand(tokens(text))
    return words + [f"{a}_{b}" for a, b in zip(words, words[1:], strict=False)]


def char_features(text: str, n: int) -> list[str]:
    """Character n-grams of the folded words, with word boundaries marked by spaces."""
    padded = f" {' '.join(expand(tokens(text)))} "
    if len(padded.strip()) == 0:
        return []
    return [padded[i : i + n] for i in range(len(padded) - n + 1)]


class _BM25:
    """BM25 with precomputed per-(document, term) weights; a query is a column gather and a sum."""

    def __init__(self, docs: Sequence[Counter[str]], k1: float, b: float) -> None:
        self.vocab: dict[str, int] = {}
        for doc in docs:
            for term in doc:
                self.vocab.setdefault(term, len(self.vocab))
        n_docs = len(docs)
        tf = np.zeros((n_docs, len(self.vocab)), dtype=np.float64)
        for row, doc in enumerate(docs):
            for term, count in doc.items():
                tf[row, self.vocab[term]] = count
        df = (tf > 0).sum(axis=0)
        self.idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
        # A term no article contains is as informative as it gets: it counts in the bound.
        self.unknown_idf = math.log1p((n_docs + 0.5) / 0.5)
        self.k1 = k1
        lengths = tf.sum(axis=1)
        avg = float(lengths.mean()) if n_docs and lengths.mean() > 0 else 1.0
        norm = k1 * (1.0 - b + b * lengths / avg)
        with np.errstate(invalid="ignore", divide="ignore"):
            weights = np.where(tf > 0, tf * (k1 + 1.0) / (tf + norm[:, None]), 0.0)
        self.weights = (weights * self.idf[None, :]).astype(np.float32)
        self.n_docs = n_docs

    def scores(self, terms: Iterable[str]) -> np.ndarray:
        """BM25 of every document divided by the query's upper bound, in [0, 1]."""
        counts = Counter(terms)
        if not counts or self.n_docs == 0:
            return np.zeros(self.n_docs, dtype=np.float32)
        cols, qtf, bound = [], [], 0.0
        for term, count in counts.items():
            col = self.vocab.get(term)
            if col is None:
                bound += count * self.unknown_idf
                continue
            cols.append(col)
            qtf.append(count)
            bound += count * float(self.idf[col])
        bound *= self.k1 + 1.0
        if not cols or bound <= 0:
            return np.zeros(self.n_docs, dtype=np.float32)
        raw = self.weights[:, cols] @ np.asarray(qtf, dtype=np.float32)
        return np.clip(raw / bound, 0.0, 1.0).astype(np.float32)


def _fields(article: Article, config: LexicalConfig) -> list[tuple[str, float]]:
    parts: list[tuple[str, float]] = []
    for questions in article.questions.values():
        parts.extend((q, config.question_weight) for q in questions)
    parts.extend((t, config.title_weight) for t in article.title.values() if t)
    parts.extend((a, config.answer_weight) for a in article.answer.values() if a)
    return parts


def _document(parts: list[tuple[str, float]], features) -> Counter[str]:
    doc: Counter[str] = Counter()
    for text, weight in parts:
        for term in features(text):
            doc[term] += weight
    return doc


class LexicalIndex:
    """Per-article lexical scores in [0, 1], in the order of the articles it was built from."""

    def __init__(self, article_ids: list[str], words: _BM25, chars: _BM25, config: LexicalConfig):
        self.article_ids = article_ids
        self._words = words
        self._chars = chars
        self._config = config

    @classmethod
    def build(cls, articles: Sequence[Article], config: LexicalConfig) -> LexicalIndex:
        n = config.char_ngram
        field_lists = [_fields(a, config) for a in articles]
        words = _BM25([_document(p, word_features) for p in field_lists], config.k1, config.b)
        chars = _BM25(
            [_document(p, lambda t: char_features(t, n)) for p in field_lists], config.k1, config.b
        )
        return cls([a.id for a in articles], words, chars, config)

    def scores(self, text: str) -> np.ndarray:
        share = self._config.char_share
        word = self._words.scores(word_features(text))
        char = self._chars.scores(char_features(text, self._config.char_ngram))
        return ((1.0 - share) * word + share * char).astype(np.float32)
