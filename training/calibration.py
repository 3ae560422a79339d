"""Per-label probabilities that mean what they say, and cut-offs that hold on unseen articles.

For each label, on sentences the model never trained on:

1. Platt scaling, `p = sigmoid(a * logit + c)`, fitted by logistic regression on the logit. It is
   monotone, so it reorders nothing, and it folds into the output layer
   (`SlantClassifier.fold_calibration`), so plain `transformers` users get the same numbers.
2. A threshold on the calibrated probability (`thresholds.tune_thresholds`: best F1 on a bounded
   grid, none without enough positives).
3. An honest estimate of both: article folds, each scored with the calibration and threshold fitted
   on the other folds (`cross_fit`), pooled. The released calibration is then fitted on all folds.

`reported_labels` keeps the techniques whose out-of-fold precision at their threshold is at least
`MIN_PRECISION` with enough flagged sentences and positives to tell.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from slant.training.thresholds import MIN_POSITIVES, tune_thresholds

FOLDS = 5
MIN_PRECISION = 0.5
MIN_FLAGGED = 10      # fewer flagged held-out sentences than this cannot show a precision
MIN_SUPPORT = 10      # nor can fewer held-out positives show a recall
RELIABILITY_BINS = 10


@dataclass
class LabelCalibration:
    scale: float = 1.0
    shift: float = 0.0
    threshold: float = 0.5
    positives: int = 0          # positives it was fitted on

    def apply(self, logits: np.ndarray) -> np.ndarray:
        return sigmoid(self.scale * np.asarray(logits, dtype=np.float64) + self.shift)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(x, -40, 40)))


def logit(p, eps: float = 1e-7):
    p = np.clip(np.asarray(p, dtype=np.float64), eps, 1 - eps)
    return np.log(p / (1 - p))


def fit_platt(logits: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(scale, shift) of `sigmoid(scale * logit + shift)`; identity when one class is missing."""
    y = np.asarray(y).astype(int)
    if y.min(initial=1) == y.max(initial=0):
        return 1.0, 0.0
    # Mild L2 (C=1 on a one-feature problem) keeps a label with a handful of positives sane.
    model = LogisticRegression(C=1.0).fit(np.asarray(logits, dtype=np.float64).reshape(-1, 1), y)
    scale = float(model.coef_[0, 0])
    if scale <= 0:  # the model ranks this label backwards on this data: do not flip it
        return 1.0, 0.0
    return scale, float(model.intercept_[0])


def fit_label(logits: np.ndarray, y: np.ndarray, label: str, min_positives: int = MIN_POSITIVES) -> LabelCalibration:
    scale, shift = fit_platt(logits, y)
    calibration = LabelCalibration(scale, shift, positives=int(np.sum(y)))
    probabilities = calibration.apply(logits)[:, None]
    ones = np.ones_like(probabilities)
    calibration.threshold = tune_thresholds(probabilities, np.asarray(y, dtype=float)[:, None], ones, [label],
                                            min_positives=min_positives)[label]
    return calibration


def fit(logits: np.ndarray, targets: np.ndarray, mask: np.ndarray, labels: list[str]) -> dict[str, LabelCalibration]:
    """One calibration per label, on the rows where the label is annotated."""
    out = {}
    for j, label in enumerate(labels):
        rows = mask[:, j] > 0
        out[label] = fit_label(logits[rows, j], targets[rows, j] > 0.5, label)
    return out


def cross_fit(logits: np.ndarray, targets: np.ndarray, mask: np.ndarray, groups, labels: list[str],
              folds: int = FOLDS) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold calibrated probabilities and decisions, folds by `groups` (articles)."""
    groups = np.asarray(groups)
    probabilities = np.zeros(logits.shape, dtype=np.float64)
    flags = np.zeros(logits.shape, dtype=bool)
    for j, label in enumerate(labels):
        rows = np.flatnonzero(mask[:, j] > 0)
        if len(rows) == 0:
            continue
        n_folds = min(folds, len(set(groups[rows])))
        if n_folds < 2:
            continue
        for train, test in GroupKFold(n_splits=n_folds).split(rows, groups=groups[rows]):
            fitted = fit_label(logits[rows[train], j], targets[rows[train], j] > 0.5, label)
            p = fitted.apply(logits[rows[test], j])
            probabilities[rows[test], j] = p
            flags[rows[test], j] = p >= fitted.threshold
    return probabilities, flags


def label_quality(probabilities: np.ndarray, flags: np.ndarray, targets: np.ndarray, mask: np.ndarray,
                  labels: list[str], weights: np.ndarray | None = None) -> dict[str, dict]:
    """Per label on annotated rows: precision, recall, F1, support, flagged, the confidence gap
    (mean shown probability on flagged rows minus their precision), Brier score, reliability bins.

    With `weights` (one per row, e.g. population / sample of a sentence's sampling stratum), the
    confusion counts are weighted sums: estimates for the population the sample was drawn from.
    """
    out = {}
    for j, label in enumerate(labels):
        rows = mask[:, j] > 0
        y, f, p = targets[rows, j] > 0.5, flags[rows, j], probabilities[rows, j]
        w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)[rows]
        tp, fp, fn = _count(w, y & f), _count(w, ~y & f), _count(w, y & ~f)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        mean_shown = float(np.average(p[f], weights=w[f])) if f.any() else 0.0
        out[label] = {
            "precision": precision, "recall": recall,
            "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
            "support": int(y.sum()), "flagged": tp + fp, "n": int(rows.sum()),
            "tp": tp, "fp": fp, "fn": fn, "tn": _count(w, ~y & ~f),
            "mean_shown_probability": mean_shown,
            "confidence_gap": mean_shown - precision if f.any() else None,
            "brier": float(np.mean((p - y) ** 2)) if rows.any() else None,
            "reliability": reliability(p, y),
        }
    return out


def _count(weights: np.ndarray, selected: np.ndarray):
    """A weighted count; a plain int when every weight is 1."""
    total = float(weights[selected].sum())
    return int(round(total)) if np.all(weights == 1) else total


def reliability(p: np.ndarray, y: np.ndarray, bins: int = RELIABILITY_BINS) -> list[dict]:
    edges = np.linspace(0, 1, bins + 1)
    out = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (p >= lo) & ((p < hi) if hi < 1 else (p <= hi))
        if inside.any():
            out.append({"low": float(lo), "high": float(hi), "n": int(inside.sum()),
                        "mean_probability": float(p[inside].mean()), "observed": float(np.mean(y[inside]))})
    return out


def reported_labels(quality: dict[str, dict]) -> list[str]:
    """Labels an editor should see by default: held-out precision >= 0.5, with enough evidence."""
    return [label for label, row in quality.items()
            if row["precision"] >= MIN_PRECISION and row["flagged"] >= MIN_FLAGGED and row["support"] >= MIN_SUPPORT]


def as_dict(calibrations: dict[str, LabelCalibration]) -> dict[str, dict]:
    return {label: asdict(c) for label, c in calibrations.items()}
