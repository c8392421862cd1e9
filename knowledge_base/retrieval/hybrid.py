"""The hybrid retriever: lexical BM25 and sentence embeddings, combined and calibrated.

Every question of every article (and its title, and the diacritics-free copy of each) is encoded
once at build time; a query is then one encode, one matrix product and a max per article. The
matrix is cached next to the model, keyed by a hash of the encoded texts, so that restarting the
action server does not re-encode the knowledge base.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from knowledge_base.loader import Article
from knowledge_base.retrieval.calibration import Calibrator, load_calibration, margins
from knowledge_base.retrieval.classifier import ArticleClassifier
from knowledge_base.retrieval.embedding import encode, load_model
from knowledge_base.retrieval.lexical import LexicalIndex
from knowledge_base.retrieval.settings import RetrievalConfig, load_config, load_intent_out_of_scope
from knowledge_base.text import fold, tokens

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

Decision = Literal["answer", "suggest", "handoff"]


class RetrieverBuildError(Exception):
    """The retriever cannot be built (no articles, or an unusable model)."""


@dataclass(frozen=True)
class Hit:
    """One candidate article. `score` is calibrated: the probability that it is the right one."""

    kb_id: str
    score: float
    lexical: float
    semantic: float
    raw: float = 0.0
    classifier: float = 0.0


def semantic_texts(article: Article) -> list[str]:
    """The texts an article is matched on semantically: questions, titles, and folded copies."""
    texts: list[str] = []
    for questions in article.questions.values():
        texts.extend(questions)
    texts.extend(t for t in article.title.values() if t)
    folded = [fold(t) for t in texts]
    seen: set[str] = set()
    out = []
    for text in texts + folded:
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


def texts_hash(texts: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()[:16]


def _cached_matrix(
    model: SentenceTransformer, texts: list[str], cache_dir: Path | None
) -> np.ndarray:
    if cache_dir is None:
        return encode(model, texts)
    path = cache_dir / f"embeddings-{texts_hash(texts)}.npy"
    if path.is_file():
        matrix = np.load(path)
        if matrix.shape[0] == len(texts):
            return matrix.astype(np.float32, copy=False)
    matrix = encode(model, texts)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, matrix)
        tmp.replace(path)
        for old in cache_dir.glob("embeddings-*.npy"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("could not cache the question embeddings in %s: %s", cache_dir, exc)
    return matrix


class Retriever:
    """Search approved articles by a worker's free-text question."""

    def __init__(
        self,
        articles: Sequence[Article],
        model: SentenceTransformer,
        matrix: np.ndarray,
        owners: np.ndarray,
        calibrator: Calibrator,
        config: RetrievalConfig,
    ) -> None:
        self.article_ids = [a.id for a in articles]
        self.lexical_index = LexicalIndex.build(articles, config.lexical)
        self.classifier = (
            ArticleClassifier.fit(
                articles, config.classifier,
                load_intent_out_of_scope() if config.classifier.none_class else (),
            )
            if config.hybrid.classifier_weight > 0 and len(articles) > 1
            else None
        )
        self.model = model
        self.calibrator = calibrator
        self.config = config
        self._matrix = matrix
        # Rows are grouped by article, so a max per article is one reduceat over row starts.
        self._starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
        self._owners_of_starts = owners[self._starts]

    @classmethod
    def build(
        cls,
        articles: Sequence[Article],
        model_dir: Path,
        config: RetrievalConfig | None = None,
        *,
        cache_dir: Path | None = None,
        model: SentenceTransformer | None = None,
        calibrator: Calibrator | None = None,
        use_cache: bool = True,
    ) -> Retriever:
        """Load the model in `model_dir` and index `articles`.

        The calibration and the embedding cache are read from (and the cache written to)
        `cache_dir`, which defaults to `model_dir`; pass another directory when the model
        directory is read-only (a deployer's pretrained model). `use_cache=False` neither reads
        nor writes the embedding cache (held-out indexes that are thrown away).
        """
        config = config or load_config()
        articles = [a for a in articles if semantic_texts(a)]
        if not articles:
            raise RetrieverBuildError("no articles with questions or titles to index")
        cache_dir = cache_dir or model_dir
        model = model or load_model(model_dir)
        if calibrator is None:
            loaded = load_calibration(cache_dir) or load_calibration(model_dir)
            if loaded is None:
                log.warning("no calibration in %s: scores are uncalibrated", cache_dir)
                calibrator = Calibrator.identity_like()
            else:
                calibrator = loaded[0]
        texts: list[str] = []
        owners: list[int] = []
        for index, article in enumerate(articles):
            own = semantic_texts(article)
            texts.extend(own)
            owners.extend([index] * len(own))
        matrix = _cached_matrix(model, texts, cache_dir if use_cache else None)
        log.info("retriever built: %d articles, %d texts", len(articles), len(texts))
        return cls(articles, model, matrix, np.asarray(owners), calibrator, config)

    def raw_scores(self, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(lexical, semantic, raw) per article, in article order; raw is before calibration."""
        lexical, semantic, classifier, raw = self.signals(text)
        return lexical, semantic, raw

    def signals(self, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(lexical, semantic, classifier, raw) per article, in article order."""
        n = len(self.article_ids)
        lexical = self.lexical_index.scores(text)
        semantic = np.zeros(n, dtype=np.float32)
        if tokens(text):
            query = encode(self.model, [text])[0]
            cosines = self._matrix @ query
            semantic[self._owners_of_starts] = np.maximum.reduceat(cosines, self._starts)
            semantic = np.clip(semantic, 0.0, 1.0)
        classifier = (
            self.classifier.probabilities(text)
            if self.classifier is not None
            else np.zeros(n, dtype=np.float32)
        )
        weights = self.config.hybrid
        raw = (
            weights.lexical_weight * lexical
            + weights.semantic_weight * semantic
            + weights.classifier_weight * classifier
        )
        return lexical, semantic, classifier, raw

    def search(self, text: str, k: int = 3) -> list[Hit]:
        """The k best articles for `text`, best first; empty when the text has no words."""
        if not tokens(text) or k <= 0:
            return []
        lexical, semantic, classifier, raw = self.signals(text)
        order = np.argsort(-raw, kind="stable")[: max(k, 2)]
        tops = [float(raw[i]) for i in order]
        leads = margins(tops)
        hits = [
            Hit(
                kb_id=self.article_ids[i],
                score=self.calibrator.probability(tops[rank], leads[rank]),
                lexical=float(lexical[i]),
                semantic=float(semantic[i]),
                raw=tops[rank],
                classifier=float(classifier[i]),
            )
            for rank, i in enumerate(order)
        ]
        return hits[:k]

    def looks_out_of_scope(self, text: str) -> bool:
        """The article classifier's "none" class reaches `out_of_scope_threshold` for this text.

        Texts like the intent classifier's out-of-scope examples ("what time is it in Tokyo",
        "change my driving licence in Japan") often share words with an article and reach its
        answer threshold by lexical and embedding similarity; the "none" class, fitted against
        all the articles at once, tells them apart far better (retrieval.yml).
        """
        if self.classifier is None:
            return False
        return self.classifier.none_probability(text) >= self.config.out_of_scope_threshold

    def decide(self, hits: Sequence[Hit]) -> Decision:
        """What the bot should do with these hits: answer, offer buttons, or hand off."""
        if not hits:
            return "handoff"
        top = hits[0].score
        if top >= self.config.answer_threshold:
            return "answer"
        if top >= self.config.suggest_threshold:
            return "suggest"
        return "handoff"
