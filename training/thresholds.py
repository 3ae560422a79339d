"""Per-label decision thresholds, tuned on validation data where the label is annotated."""

from __future__ import annotations

import numpy as np

# Bounded away from 0 and 1: a cut-off of 0.05 flags noise on every draft, and one above 0.9 is a
# label nobody sees. On calibrated probabilities 0.1 still means "one chance in ten".
GRID = np.round(np.arange(0.10, 0.901, 0.025), 3)
MIN_POSITIVES = 10  # below this a tuned threshold is noise; keep the default
# A label whose best F1 stays under this has no cut-off worth tuning: a low one would only flag
# noise (repetition flagged at 0.05 was right 11 % of the time), so it keeps the default.
MIN_USEFUL_F1 = 0.1


def tune_thresholds(
    probabilities: np.ndarray, targets: np.ndarray, mask: np.ndarray, labels: list[str], default: float = 0.5,
    min_positives: int = MIN_POSITIVES,
) -> dict[str, float]:
    """For each label, the grid threshold with the best smoothed F1 on the rows where it is annotated.

    F1 is averaged over each grid point and its two neighbours, so a lone spike made by one or two
    sentences does not set the cut-off; labels with fewer than `min_positives`, or whose best
    smoothed F1 is under `MIN_USEFUL_F1`, keep `default`.
    """
    thresholds = {}
    for j, label in enumerate(labels):
        rows = mask[:, j] > 0
        y, p = targets[rows, j] > 0.5, probabilities[rows, j]
        if y.sum() < min_positives:
            thresholds[label] = default
            continue
        f1 = np.array([_f1(y, p >= t) for t in GRID])
        smoothed = np.convolve(np.pad(f1, 1, mode="edge"), np.ones(3) / 3, mode="valid")
        best = int(np.argmax(smoothed))
        thresholds[label] = float(GRID[best]) if smoothed[best] >= MIN_USEFUL_F1 else default
    return thresholds


def masked_f1(probabilities, targets, mask, thresholds: np.ndarray) -> tuple[float, float]:
    """Micro and macro F1 over annotated entries, macro over labels with positives."""
    pred = probabilities >= thresholds
    y = targets > 0.5
    m = mask > 0
    tp = (pred & y & m).sum(0)
    fp = (pred & ~y & m).sum(0)
    fn = (~pred & y & m).sum(0)
    micro = 2 * tp.sum() / max(1, 2 * tp.sum() + fp.sum() + fn.sum())
    present = (y & m).sum(0) > 0
    per = 2 * tp / np.maximum(1, 2 * tp + fp + fn)
    macro = float(per[present].mean()) if present.any() else 0.0
    return float(micro), macro


def _f1(y: np.ndarray, pred: np.ndarray) -> float:
    tp = np.sum(y & pred)
    denominator = 2 * tp + np.sum(~y & pred) + np.sum(y & ~pred)
    return 2 * tp / denominator if denominator else 0.0
