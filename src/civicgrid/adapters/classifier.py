"""Text classifier behind smart dispatch: citizen report text -> category, with calibrated confidence.

A linear SVM over TF-IDF character n-grams (optionally plus word n-grams, and the character n-grams of the
message's opening, its subject line where it has one, as a block of their own). Scores are turned into
probabilities by a softmax whose temperature is fitted on out-of-fold scores of the training data,
so ``predict_top`` gives usable confidences without a second model at prediction time.

Training fits the model and its calibration folds side by side in worker processes, one a fit and no more
than the cores the process may use (not threads: liblinear's random number generator is one per process).
Each SVM has a fixed seed, so the model is the same however many are fitted at once.
"""

from __future__ import annotations

import logging
import os
import pickle
from collections import Counter
from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from numpy.typing import NDArray
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from civicgrid.adapters.ngrams import CharNgramTfidf, LeadTfidf, WordNgramTfidf, split_words

# 3: holds a LeadTfidf block; 2: n-grams by CharNgramTfidf and WordNgramTfidf (models without a lead are
# still written so); 1: scikit-learn's TfidfVectorizer. Models of every format load.
FORMAT_VERSION = 3
_READABLE_FORMATS = (1, 2, 3)
_MAGIC = "civicgrid.TextClassifier"

FloatArray = NDArray[np.float64]
Vectorizer: TypeAlias = TfidfVectorizer | CharNgramTfidf | WordNgramTfidf | LeadTfidf


def _jieba_words(text: str) -> list[str]:
    """Segment raw Chinese text with jieba (module-level so the fitted model pickles)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return [w for w in jieba.lcut(text) if not w.isspace()]


def _split_words(text: str) -> list[str]:
    """Tokens of already-segmented (space-separated) text (the tokenizer format-1 models refer to)."""
    return split_words(text)


def _linear_svc(C: float, class_weight: str | None) -> LinearSVC:
    # A fixed seed for liblinear's coordinate order: the same data gives the same model in any process.
    return LinearSVC(C=C, class_weight=class_weight, random_state=0)


def available_cores() -> int:
    """The CPUs this process may run on (its affinity where the OS tells it)."""
    getter = getattr(os, "sched_getaffinity", None)
    return len(getter(0)) if getter is not None else os.cpu_count() or 1


# Below this many stored features the SVMs are fitted one after the other in this process (the demo's
# history and the tests): a worker process would take longer to start than the fits.
_NNZ_WORTH_A_WORKER = 2_000_000


class NbSvm:
    """One-vs-rest linear SVMs over features scaled by each class's naive-Bayes log-count ratio (NBSVM).

    Wang & Manning (2012): a feature's weight for a class is scaled by how much more often it occurs in
    that class's documents than in the others'. The scaling folds into the weights, so scoring costs one
    sparse matrix product, exactly as a plain linear SVM does.
    """

    def __init__(self, C: float = 1.0, class_weight: str | None = "balanced", alpha: float = 1.0) -> None:
        self.C, self.class_weight, self.alpha = C, class_weight, alpha
        self.classes_: NDArray[Any] = np.asarray([])
        self.coef_: FloatArray = np.zeros((0, 0))
        self.intercept_: FloatArray = np.zeros(0)

    def fit(self, X: sp.csr_matrix, y: NDArray[Any]) -> NbSvm:
        self.classes_ = np.unique(y)
        present = (X > 0).astype(np.float64)
        rows, bias = [], []
        for c in self.classes_:
            mine = y == c
            p = np.asarray(present[mine].sum(axis=0)).ravel() + self.alpha
            q = np.asarray(present[~mine].sum(axis=0)).ravel() + self.alpha
            ratio = np.log((p / p.sum()) / (q / q.sum()))
            svm = _linear_svc(self.C, self.class_weight).fit(X.multiply(ratio).tocsr(), mine)
            rows.append(svm.coef_.ravel() * ratio)
            bias.append(float(svm.intercept_[0]))
        self.coef_, self.intercept_ = np.vstack(rows), np.asarray(bias)
        return self

    def decision_function(self, X: sp.csr_matrix) -> FloatArray:
        return np.asarray(X @ self.coef_.T, dtype=np.float64) + self.intercept_


class TextClassifier:
    """Report text -> category.

    Hyperparameters (all keyword):
      char_ngram: character n-gram range, or None to disable (default (1, 2)).
      word_ngram: word n-gram range, or None to disable (default None). On raw text the words come
        from jieba, which costs throughput (jieba alone segments ~1,000 messages/s on one core).
      pretokenized: the texts are already segmented, space-separated; words come from ``split()``.
      min_df: minimum document frequency of a feature (default 2).
      C: LinearSVC regularisation (default 1.0).
      class_weight: "balanced" (default) or None.
      calibration_folds: inner folds used to fit the softmax temperature (default 3; < 2 disables).
      nb_weight: scale features by naive-Bayes log-count ratios per class (NBSVM; default False).
      lead: add character 1-2 grams of each message's opening as a block of their own: up to the end of its
        subject line (a run of two or more white spaces, or an ideographic space), and at most this many
        words (pretokenized) or characters (raw text); default None (no such block).
      lead_weight: the length of that block's rows, against 1 for the others (default 0.5).
    """

    def __init__(
        self,
        *,
        char_ngram: tuple[int, int] | None = (1, 2),
        word_ngram: tuple[int, int] | None = None,
        pretokenized: bool = False,
        min_df: int = 2,
        C: float = 1.0,
        class_weight: str | None = "balanced",
        calibration_folds: int = 3,
        nb_weight: bool = False,
        lead: int | None = None,
        lead_weight: float = 0.5,
    ) -> None:
        if char_ngram is None and word_ngram is None:
            raise ValueError("at least one of char_ngram and word_ngram must be set")
        self.char_ngram = char_ngram
        self.word_ngram = word_ngram
        self.pretokenized = pretokenized
        self.min_df = min_df
        self.C = C
        self.class_weight = class_weight
        self.calibration_folds = calibration_folds
        self.nb_weight = nb_weight
        self.lead = lead
        self.lead_weight = lead_weight
        self._vectorizers: list[Vectorizer] = []
        self._svm: LinearSVC | NbSvm | None = None
        self._labels: list[str] = []
        self.temperature = 1.0

    @property
    def hyperparams(self) -> dict[str, Any]:
        return {
            "char_ngram": self.char_ngram,
            "word_ngram": self.word_ngram,
            "pretokenized": self.pretokenized,
            "min_df": self.min_df,
            "C": self.C,
            "class_weight": self.class_weight,
            "calibration_folds": self.calibration_folds,
            "nb_weight": self.nb_weight,
            "lead": self.lead,
            "lead_weight": self.lead_weight,
        }

    @property
    def labels(self) -> list[str]:
        """Known categories, in the model's internal (sorted) order."""
        return list(self._labels)

    def _make_vectorizers(self, n_docs: int) -> list[Vectorizer]:
        # min_df above the corpus size would prune everything; small corpora keep every feature.
        min_df = self.min_df if n_docs >= 5 * self.min_df else 1
        vecs: list[Vectorizer] = []
        if self.char_ngram is not None:
            # Same features and weights as TfidfVectorizer(analyzer="char"), about four times faster.
            vecs.append(CharNgramTfidf(self.char_ngram, min_df=min_df, sublinear_tf=True))
        if self.word_ngram is not None:
            tokenizer = split_words if self.pretokenized else _jieba_words
            vecs.append(
                WordNgramTfidf(self.word_ngram, tokenizer=tokenizer, sublinear_tf=True, min_df=min_df)
            )
        if self.lead is not None:
            vecs.append(LeadTfidf(self.lead, self.lead_weight, pretokenized=self.pretokenized, min_df=min_df))
        return vecs

    def _features(self, texts: Sequence[str]) -> sp.csr_matrix:
        return sp.hstack([v.transform(texts) for v in self._vectorizers], format="csr")

    def _new_svm(self) -> LinearSVC | NbSvm:
        if self.nb_weight:
            return NbSvm(C=self.C, class_weight=self.class_weight)
        return _linear_svc(self.C, self.class_weight)

    @staticmethod
    def _scores(svm: LinearSVC | NbSvm, X: sp.csr_matrix) -> FloatArray:
        s = np.asarray(svm.decision_function(X), dtype=np.float64)
        if s.ndim == 1:  # two classes: sklearn returns one column, positive = classes_[1]
            s = np.column_stack([-s, s]) / 2.0
        return s

    def fit(self, texts: Sequence[str], labels: Sequence[str], *, jobs: int | None = None) -> TextClassifier:
        """Learn from labelled texts; fits the confidence temperature on inner folds of the same data.

        ``jobs``: how many SVMs are fitted at once, each in a worker process (default: the cores this
        process may use, for problems big enough to pay for a worker's start-up, about a second).
        """
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
        texts = [str(t) for t in texts]
        y = np.asarray([str(label) for label in labels])
        counts = Counter(y.tolist())
        if len(counts) < 2:
            raise ValueError("need at least two distinct labels to train a classifier")
        self._vectorizers = self._make_vectorizers(len(texts))
        # The vectorizers are fitted once on all training texts (vocabulary and idf only, no labels);
        # the inner calibration folds reuse that matrix, which keeps training within the time budget.
        X = sp.hstack([v.fit_transform(texts) for v in self._vectorizers], format="csr")
        folds = min(self.calibration_folds, min(counts.values()))
        splits = list(StratifiedKFold(folds, shuffle=True, random_state=0).split(X, y)) if folds >= 2 else []
        if jobs is None:
            jobs = available_cores() if X.nnz >= _NNZ_WORTH_A_WORKER else 1
        jobs = min(jobs, 1 + len(splits))  # a worker a fit at most (joblib starts them all at once)
        # max_nbytes=None: the workers get their own copies (scipy sorts a matrix's indices in place).
        whole, *parts = Parallel(n_jobs=max(1, jobs), max_nbytes=None)(
            delayed(self._new_svm().fit)(part_x, part_y)
            for part_x, part_y in [(X, y), *((X[train], y[train]) for train, _ in splits)]
        )
        self._svm = whole
        self._labels = [str(c) for c in whole.classes_]
        held_out = [(held, part) for (_, held), part in zip(splits, parts, strict=True)]
        self.temperature = self._fit_temperature(X, y, held_out)
        return self

    def _fit_temperature(
        self, X: sp.csr_matrix, y: NDArray[Any], held_out: list[tuple[NDArray[Any], LinearSVC | NbSvm]]
    ) -> float:
        """The softmax temperature that best fits the out-of-fold scores (1 without calibration folds)."""
        if not held_out:
            return 1.0
        oof = np.zeros((X.shape[0], len(self._labels)))
        for held, svm in held_out:
            cols = np.asarray([self._labels.index(str(c)) for c in svm.classes_])
            oof[np.ix_(held, cols)] = self._scores(svm, X[held])
        target = np.searchsorted(np.asarray(self._labels), y)

        def nll(log_t: float) -> float:
            logp = log_softmax(oof / np.exp(log_t), axis=1)
            return float(-logp[np.arange(len(target)), target].mean())

        best = minimize_scalar(nll, bounds=(np.log(1e-3), np.log(1e2)), method="bounded")
        return float(np.exp(best.x))

    def _require_fitted(self) -> LinearSVC | NbSvm:
        if self._svm is None:
            raise RuntimeError("TextClassifier is not fitted; call fit() first")
        return self._svm

    def predict_proba(self, texts: Sequence[str]) -> FloatArray:
        """Calibrated probabilities, one column per entry of ``labels``."""
        svm = self._require_fitted()
        scores = self._scores(svm, self._features([str(t) for t in texts]))
        return np.asarray(softmax(scores / self.temperature, axis=1), dtype=np.float64)

    def predict(self, texts: Sequence[str]) -> list[str]:
        """Most likely category of each text."""
        svm = self._require_fitted()
        scores = self._scores(svm, self._features([str(t) for t in texts]))
        return [self._labels[i] for i in scores.argmax(axis=1)]

    def predict_top(self, texts: Sequence[str], k: int = 3) -> list[list[tuple[str, float]]]:
        """The k most likely categories of each text with calibrated probabilities, best first."""
        if k < 1:
            raise ValueError("k must be at least 1")
        proba = self.predict_proba(texts)
        order = np.argsort(-proba, axis=1, kind="stable")[:, :k]
        return [
            [(self._labels[j], float(row[j])) for j in idx] for row, idx in zip(proba, order, strict=True)
        ]

    def to_bytes(self) -> bytes:
        """Serialise for storage (e.g. a versioned model row). Pickle: load only bytes you stored yourself."""
        self._require_fitted()
        import sklearn

        hyperparams, written_as = self.hyperparams, FORMAT_VERSION
        if self.lead is None:
            # Without a lead block the model is one that format 2 describes: so written, the release before
            # this one reads it too (a rollback keeps its models).
            del hyperparams["lead"], hyperparams["lead_weight"]
            written_as = 2
        payload = {
            "magic": _MAGIC,
            "format": written_as,
            "sklearn": sklearn.__version__,
            "hyperparams": hyperparams,
            "labels": self._labels,
            "temperature": self.temperature,
            "vectorizers": self._vectorizers,
            "svm": self._svm,
        }
        return pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def from_bytes(cls, data: bytes) -> TextClassifier:
        """Rebuild a model written by ``to_bytes`` (trusted bytes only: this unpickles)."""
        payload = pickle.loads(data)
        if not isinstance(payload, dict) or payload.get("magic") != _MAGIC:
            raise ValueError("not a serialised civicgrid TextClassifier")
        if payload.get("format") not in _READABLE_FORMATS:
            raise ValueError(
                f"classifier format {payload.get('format')} is not supported (expected {FORMAT_VERSION}); "
                "retrain the model"
            )
        model = cls(**payload["hyperparams"])
        model._labels = list(payload["labels"])
        model.temperature = float(payload["temperature"])
        model._vectorizers = list(payload["vectorizers"])
        model._svm = payload["svm"]
        return model
