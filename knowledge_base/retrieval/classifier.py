"""A supervised article classifier: which article do the worker's words most look like?

Each article has 20-odd paraphrased questions per language. A linear model over word and
character n-grams of those questions (folded, chat shorthand expanded) learns which words tell the
articles apart, something BM25's fixed weights and a small embedding trained from scratch do less
well. It is fitted when the retriever is built (about a second), on exactly the articles the
retriever indexes, so the held-out calibration sees a classifier that never saw its questions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from knowledge_base.loader import Article
from knowledge_base.retrieval.settings import ClassifierConfig
from knowledge_base.shorthand import expand
from knowledge_base.text import tokens

if TYPE_CHECKING:
    from scipy.sparse import spmatrix

# The label of the "none of the articles" class (not an article id: ids have a dot).
NONE_CLASS = "__none__"


def normalise(text: str) -> str:
    """Folded words with chat shorthand expanded, joined by spaces."""
    return " ".join(expand(tokens(text)))


def training_texts(article: Article) -> list[str]:
    """The article's questions in every language and its titles, normalised."""
    texts = [q for questions in article.questions.values() for q in questions]
    texts.extend(t for t in article.title.values() if t)
    return [n for n in (normalise(t) for t in texts) if n]


def feature_union(config: ClassifierConfig) -> Any:
    """Word 1-2-grams and character n-grams of the normalised text, sublinear TF-IDF (unfitted)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_union

    return make_union(
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(config.char_min, config.char_max),
                        sublinear_tf=True),
    )


class ArticleClassifier:
    """P(article | text) for the articles it was fitted on, in their order."""

    def __init__(self, article_ids: Sequence[str], vectorizer, model) -> None:
        self.article_ids = list(article_ids)
        self._vectorizer = vectorizer
        self._model = model
        # The model's classes are sorted ids; map them back onto the retriever's article order.
        position = {kb_id: i for i, kb_id in enumerate(self.article_ids)}
        self._kept = np.array([c != NONE_CLASS for c in model.classes_])
        self._columns = np.array([position[c] for c in model.classes_ if c != NONE_CLASS],
                                 dtype=np.int64)
        self._last: tuple[str, np.ndarray] | None = None

    @classmethod
    def fit(
        cls, articles: Sequence[Article], config: ClassifierConfig, none_texts: Sequence[str] = ()
    ) -> ArticleClassifier:
        """Fit on the articles' questions and titles; `none_texts` (if any) form a "none" class.

        The "none" class takes its share of the probability for texts that look like none of the
        articles (the intent classifier's out-of-scope examples: weather, tourist visas, study
        abroad...); probabilities() leaves it out, so the articles then share less than 1.
        """
        from sklearn.linear_model import LogisticRegression

        texts: list[str] = []
        labels: list[str] = []
        for article in articles:
            own = training_texts(article)
            texts.extend(own)
            labels.extend([article.id] * len(own))
        none = [n for n in (normalise(t) for t in none_texts) if n]
        texts.extend(none)
        labels.extend([NONE_CLASS] * len(none))
        vectorizer = feature_union(config)
        features: spmatrix = vectorizer.fit_transform(texts)
        model = LogisticRegression(C=config.c, max_iter=2000, random_state=0)
        model.fit(features, labels)
        return cls([a.id for a in articles], vectorizer, model)

    def probabilities(self, text: str) -> np.ndarray:
        """One probability per article (retriever order); zeros when the text has no words."""
        out = np.zeros(len(self.article_ids), dtype=np.float32)
        normalised = normalise(text)
        if not normalised or len(self._columns) < 2:
            return out
        proba = self._predict(normalised)
        out[self._columns] = proba[self._kept]
        return out

    def none_probability(self, text: str) -> float:
        """P(none of the articles | text); 0 without a "none" class or for a text with no words."""
        normalised = normalise(text)
        if not normalised or bool(self._kept.all()):
            return 0.0
        return float(self._predict(normalised)[~self._kept].sum())

    def _predict(self, normalised: str) -> np.ndarray:
        """Every class's probability; the last text's is kept, because a question is first
        searched (probabilities) and then checked for the "none" class (none_probability)."""
        last = self._last
        if last is None or last[0] != normalised:
            last = (normalised, self._model.predict_proba(self._features(normalised))[0])
            self._last = last
        return last[1]

    def _features(self, normalised: str) -> spmatrix:
        """The union's features for one text, without FeatureUnion.transform.

        FeatureUnion dispatches its parts through joblib even for one text: under load that
        wrapper cost as much as the vectorizers themselves (py-spy, docs/benchmarks.md §4).
        """
        from scipy.sparse import hstack

        parts = [part.transform([normalised]) for _, part in self._vectorizer.transformer_list]
        return hstack(parts, format="csr")
