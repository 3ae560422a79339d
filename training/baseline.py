"""A TF-IDF + logistic-regression baseline, trained on exactly the data the transformer sees.

It answers "how much does fine-tuning buy?" in the same table, on the same split, with
thresholds tuned the same way.
"""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from slant.models.scoring import DecisionRule
from slant.training.thresholds import tune_thresholds


class TfidfBaseline:
    """One balanced logistic regression per label over word 1-2-gram TF-IDF features."""

    def __init__(self, labels: list[str], C: float = 4.0, seed: int = 13):
        self.labels = labels
        self.C = C
        self.seed = seed
        self.vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, lowercase=True)
        self.models: dict[str, LogisticRegression | None] = {}
        self.thresholds: dict[str, float] = {}
        self.name = "tfidf-logreg"

    def fit(self, texts, targets: np.ndarray, mask: np.ndarray) -> "TfidfBaseline":
        features = self.vectorizer.fit_transform(texts)
        for j, label in enumerate(self.labels):
            rows = mask[:, j] > 0
            y = targets[rows, j] > 0.5
            if y.sum() == 0 or y.all():
                self.models[label] = None
                continue
            model = LogisticRegression(C=self.C, class_weight="balanced", max_iter=2000, random_state=self.seed)
            self.models[label] = model.fit(features[rows], y)
        return self

    def predict_proba(self, texts, batch_size: int | None = None) -> np.ndarray:
        features = self.vectorizer.transform(list(texts))
        out = np.zeros((features.shape[0], len(self.labels)), dtype=np.float32)
        for j, label in enumerate(self.labels):
            if self.models.get(label) is not None:
                out[:, j] = self.models[label].predict_proba(features)[:, 1]
        return out

    def tune(self, texts, targets: np.ndarray, mask: np.ndarray) -> "TfidfBaseline":
        self.thresholds = tune_thresholds(self.predict_proba(texts), targets, mask, self.labels)
        return self

    def decide(self, probabilities: np.ndarray, threshold: float | None = None) -> list[list[str]]:
        """Label ids over threshold for each row, by the rule the transformer uses."""
        return DecisionRule(self.labels, self.thresholds).decide(probabilities, threshold)
