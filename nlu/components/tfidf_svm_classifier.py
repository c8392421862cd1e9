"""Intent classifier: TF-IDF of the featurizers' counts, a linear SVM, softmax confidences.

Why not Rasa's LogisticRegressionClassifier: on the same word + char n-gram counts, sublinear TF-IDF
and a linear SVM classify better (cross-validation on our data and CLINC150's validation split,
docs/benchmarks.md) and train faster. An SVM gives margins, not probabilities, so confidences are
softmax(margin / temperature); the temperature is chosen by cross-validation so that the
FallbackClassifier threshold and DangerOverride's `min_probability` read calibrated numbers.

With `tfidf_per_featurizer`, each featurizer's sentence features (word n-grams, character
n-grams, regexes: told apart by their `alias`) get their own idf and their own unit length before
they are joined, so the many character n-grams of a message do not drown its few words. 5-fold CV
of the whole pipeline on our data (bench/intent_cv.py): accuracy 0.909 -> 0.915, emergency recall
0.980 -> 0.986; PhoATIS +0.4-0.7 points; CLINC150 unchanged (docs/benchmarks.md, sections 1b-3).

Deterministic (liblinear with a fixed random_state) and persisted as plain arrays (numpy .npz and
JSON lists of intents and feature blocks), nothing pickled.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Text, Tuple

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.svm import LinearSVC

from nlu.components.tfidf_math import inverse_document_frequency, softmax, tfidf

logger = logging.getLogger(__name__)

WEIGHTS_FILE = "weights.npz"
INTENTS_FILE = "intents.json"
BLOCKS_FILE = "blocks.json"


def sentence_counts(
    messages: List[Message], width: int | None = None
) -> scipy.sparse.csr_matrix:
    """The sparse sentence features of each message, one row each (zeros when there are none)."""
    rows = []
    for message in messages:
        _, sentence = message.get_sparse_features(TEXT)
        rows.append(scipy.sparse.csr_matrix(sentence.features) if sentence is not None else None)
    if width is None:
        width = max((r.shape[1] for r in rows if r is not None), default=0)
    blank = scipy.sparse.csr_matrix((1, width))
    return scipy.sparse.vstack([blank if r is None else r for r in rows], format="csr")


def sentence_blocks(message: Message) -> Dict[str, scipy.sparse.csr_matrix]:
    """The message's sparse sentence features of each featurizer (by origin), one row each."""
    blocks: Dict[str, scipy.sparse.csr_matrix] = {}
    for feature in message.features:
        if feature.attribute != TEXT or feature.type != FEATURE_TYPE_SENTENCE:
            continue
        if not feature.is_sparse():
            continue
        origin = feature.origin if isinstance(feature.origin, str) else "+".join(feature.origin)
        row = scipy.sparse.csr_matrix(feature.features)
        blocks[origin] = row if origin not in blocks else scipy.sparse.hstack(
            [blocks[origin], row], format="csr")
    return blocks


def block_widths(found: List[Dict[str, scipy.sparse.csr_matrix]]) -> List[Tuple[str, int]]:
    """(origin, width) of every block seen in the messages' sentence_blocks, by origin."""
    widths: Dict[str, int] = {}
    for blocks in found:
        for origin, row in blocks.items():
            widths[origin] = max(widths.get(origin, 0), row.shape[1])
    return sorted(widths.items())


def block_counts(
    found: List[Dict[str, scipy.sparse.csr_matrix]], blocks: List[Tuple[str, int]]
) -> List[scipy.sparse.csr_matrix]:
    """For each (origin, width) block: one row per message's sentence_blocks, zeros where it has
    none."""
    out = []
    for origin, width in blocks:
        rows = []
        for message_blocks in found:
            row = message_blocks.get(origin)
            if row is None:
                row = scipy.sparse.csr_matrix((1, width))
            elif row.shape[1] != width:  # a trained vocabulary is fixed: never seen, kept safe
                row = row.copy()
                row.resize((1, width))
            rows.append(row)
        out.append(scipy.sparse.vstack(rows, format="csr"))
    return out


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class TfidfSvmClassifier(IntentClassifier, GraphComponent):
    """Linear SVM on sublinear TF-IDF of the sparse sentence features."""

    @classmethod
    def required_components(cls) -> List[type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # SVM regularisation: higher fits the training data more closely.
            "C": 1.0,
            # Softmax temperature on the margins; lower gives more confident probabilities.
            "temperature": 0.2,
            # None or "balanced" (weights classes inversely to their number of examples).
            "class_weight": None,
            "max_iter": 2000,
            "random_state": 42,
            # How many intents go into `intent_ranking` (0: all).
            "ranking_length": 10,
            # TF-IDF and unit length per featurizer (by alias) instead of over the joined counts.
            "tfidf_per_featurizer": False,
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage,
                 resource: Resource) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.intents: List[str] = []
        self.idf = np.zeros(0)
        self.weights = np.zeros((0, 0))
        self.bias = np.zeros(0)
        # (origin, width) of each featurizer's block, when TF-IDF is computed per featurizer.
        self.blocks: List[Tuple[str, int]] = []
        self._cached_weights_t: np.ndarray | None = None

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "TfidfSvmClassifier":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        labels = [str(e.get(INTENT)) for e in examples]
        if len(set(labels)) < 2:
            logger.warning("TfidfSvmClassifier needs at least two intents; not trained.")
            return self._resource
        if self.config["tfidf_per_featurizer"]:
            found = [sentence_blocks(e) for e in examples]
            self.blocks = block_widths(found)
            parts = block_counts(found, self.blocks)
            self.idf = np.concatenate([inverse_document_frequency(c) for c in parts])
            features = self._joined_tfidf(parts)
        else:
            self.blocks = []
            counts = sentence_counts(examples)
            self.idf = inverse_document_frequency(counts)
            features = tfidf(counts, self.idf)
        svm = LinearSVC(
            C=float(self.config["C"]),
            class_weight=self.config["class_weight"],
            max_iter=int(self.config["max_iter"]),
            random_state=int(self.config["random_state"]),
        )
        svm.fit(features, labels)
        self.intents = [str(c) for c in svm.classes_]
        weights, bias = svm.coef_, svm.intercept_
        if len(self.intents) == 2:  # binary: one margin for the second class, mirror it
            weights = np.vstack([-weights, weights]) / 2
            bias = np.array([-bias[0], bias[0]]) / 2
        self.weights = weights.astype(np.float32)
        self._cached_weights_t = None
        self.bias = bias.astype(np.float64)
        self.persist()
        return self._resource

    def features(self, messages: List[Message]) -> scipy.sparse.csr_matrix:
        """The classifier's input: TF-IDF of the joined counts, or of each block then joined."""
        if not self.blocks:
            return tfidf(sentence_counts(messages, len(self.idf)), self.idf)
        found = [sentence_blocks(m) for m in messages]
        return self._joined_tfidf(block_counts(found, self.blocks))

    def _joined_tfidf(self, parts: List[scipy.sparse.csr_matrix]) -> scipy.sparse.csr_matrix:
        """Each block's TF-IDF with its own slice of `self.idf`, joined in block order."""
        out, start = [], 0
        for counts in parts:
            width = counts.shape[1]
            out.append(tfidf(counts, self.idf[start:start + width]))
            start += width
        return scipy.sparse.hstack(out, format="csr")

    def probabilities(self, messages: List[Message]) -> np.ndarray:
        """One row per message: the probability of each intent in `self.intents`."""
        features = self.features(messages)
        margins = np.asarray(features @ self._weights_t()) + self.bias
        return softmax(margins / float(self.config["temperature"]))

    def _weights_t(self) -> np.ndarray:
        """The weights transposed and in float64, made once per model, not once per message.

        (Converting the intents x features matrix on every call was half of this component's time
        per message under load: py-spy, docs/benchmarks.md section 4.)
        """
        if self._cached_weights_t is None:
            self._cached_weights_t = np.ascontiguousarray(self.weights.T, dtype=np.float64)
        return self._cached_weights_t

    def message_probabilities(self, message: Message) -> np.ndarray:
        """The probability of each intent for one message, from its few non-zero features.

        What `probabilities([message])[0]` computes, without building scipy matrices: for one
        short message, stacking, diagonal scaling and the sparse product cost far more than the
        arithmetic (1.4 of the 3.4 ms of CPU the NLU pipeline spent per message; 0.3 ms now).
        The same operations in the same order: sublinear tf times idf, the sum of squares by
        `np.add.reduceat` as scipy's row sum, and the products added one feature after another
        in the order scipy's product leaves them (each block's features last to first), so the
        probabilities are equal to the last bit (on all 10,011 training texts, and in
        tests/nlu/test_tfidf_svm_classifier.py).
        """
        if not self.blocks:
            return self.probabilities([message])[0]
        columns, values = [], []
        start = 0
        found = sentence_blocks(message)
        for origin, width in self.blocks:
            row = found.get(origin)
            if row is not None and row.nnz:
                keep = row.indices < width  # a trained vocabulary is fixed: never seen, kept safe
                counts = row.data[keep].astype(np.float64)
                indices = row.indices[keep] + start
                weighted = (1.0 + np.log(np.maximum(counts, 1e-12))) * self.idf[indices]
                squares = weighted * weighted
                norm = np.sqrt(np.add.reduceat(squares, [0])[0]) if len(squares) else 0.0
                values.append((weighted * (1.0 / (norm or 1.0)))[::-1])
                columns.append(indices[::-1])
            start += width
        weights_t = self._weights_t()
        margins = np.zeros(weights_t.shape[1])
        if columns:
            scaled, index = np.concatenate(values), np.concatenate(columns)
            margins = (scaled[:, None] * weights_t[index]).sum(axis=0)
        return softmax((margins + self.bias)[None, :] / float(self.config["temperature"]))[0]

    def process(self, messages: List[Message]) -> List[Message]:
        if not self.intents or not messages:
            return messages
        length = int(self.config["ranking_length"]) or len(self.intents)
        rows = (self.probabilities(messages) if len(messages) > 1
                else [self.message_probabilities(messages[0])])
        for message, row in zip(messages, rows, strict=True):
            order = np.argsort(-row, kind="stable")[:length]
            ranking = [{INTENT_NAME_KEY: self.intents[i], "confidence": float(row[i])}
                       for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            np.savez_compressed(directory / WEIGHTS_FILE, weights=self.weights, bias=self.bias,
                                idf=self.idf)
            (directory / INTENTS_FILE).write_text(json.dumps(self.intents, ensure_ascii=False),
                                                  encoding="utf-8")
            (directory / BLOCKS_FILE).write_text(json.dumps(self.blocks), encoding="utf-8")

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "TfidfSvmClassifier":
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                arrays = np.load(directory / WEIGHTS_FILE)
                component.weights = arrays["weights"]
                component.bias = arrays["bias"]
                component.idf = arrays["idf"]
                component.intents = json.loads(
                    (directory / INTENTS_FILE).read_text(encoding="utf-8"))
                blocks_path = directory / BLOCKS_FILE
                if blocks_path.is_file():  # absent in models trained before the option
                    component.blocks = [(str(o), int(w)) for o, w in json.loads(
                        blocks_path.read_text(encoding="utf-8"))]
        except (ValueError, FileNotFoundError):
            logger.debug("No trained TfidfSvmClassifier in resource %s.", resource.name)
        return component
