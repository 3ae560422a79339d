"""Calibration and thresholds on synthetic scores whose right answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from slant.training import calibration
from slant.training.thresholds import GRID, MIN_POSITIVES, tune_thresholds


def _platt_data(n=4000, scale=2.0, shift=-1.0, seed=0):
    """Logits whose true probability of a positive is sigmoid(scale * logit + shift)."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2, n)
    y = rng.random(n) < calibration.sigmoid(scale * logits + shift)
    return logits, y


def test_platt_recovers_a_known_scale_and_shift():
    logits, y = _platt_data()
    scale, shift = calibration.fit_platt(logits, y)
    assert scale == pytest.approx(2.0, abs=0.25)
    assert shift == pytest.approx(-1.0, abs=0.2)


def test_platt_is_identity_without_both_classes_and_never_flips_a_ranking():
    assert calibration.fit_platt(np.array([0.1, 2.0]), np.array([0, 0])) == (1.0, 0.0)
    logits = np.linspace(-3, 3, 200)
    assert calibration.fit_platt(logits, logits < 0) == (1.0, 0.0)  # backwards: keep identity


def test_calibrated_probabilities_match_observed_rates():
    logits, y = _platt_data(n=20000, seed=1)
    fitted = calibration.fit_label(logits, y, "x")
    p = fitted.apply(logits)
    for row in calibration.reliability(p, y):
        if row["n"] > 500:
            assert row["observed"] == pytest.approx(row["mean_probability"], abs=0.05)


def test_threshold_lands_where_classes_separate():
    rng = np.random.default_rng(0)
    y = rng.random(2000) < 0.2
    p = np.where(y, rng.uniform(0.6, 1.0, 2000), rng.uniform(0.0, 0.4, 2000))
    t = tune_thresholds(p[:, None], y[:, None].astype(float), np.ones((2000, 1)), ["x"])["x"]
    assert 0.4 <= t <= 0.6


def test_threshold_keeps_default_with_too_few_positives_and_stays_off_the_grid_edges():
    y = np.zeros(300, dtype=bool)
    y[: MIN_POSITIVES - 1] = True
    p = np.where(y, 0.02, 0.01)
    assert tune_thresholds(p[:, None], y[:, None].astype(float), np.ones((300, 1)), ["x"])["x"] == 0.5
    # plenty of positives, all scored very low: the cut-off is bounded by the grid, not 0.0x
    y = np.zeros(1000, dtype=bool)
    y[:100] = True
    p = np.where(y, 0.04, 0.01)
    t = tune_thresholds(p[:, None], y[:, None].astype(float), np.ones((1000, 1)), ["x"])["x"]
    assert t >= GRID[0] >= 0.1


def test_masked_rows_are_ignored_when_tuning():
    y = np.array([1, 0] * 50, dtype=float)[:, None]
    p = np.where(y > 0, 0.8, 0.2)
    mask = np.ones_like(p)
    mask[::2] = 0  # hide every positive: too few left to tune
    assert tune_thresholds(p, y, mask, ["x"])["x"] == 0.5


def test_cross_fit_scores_each_group_with_a_model_fitted_on_the_others():
    logits, y = _platt_data(n=3000, seed=2)
    groups = np.arange(3000) % 30
    targets = y[:, None].astype(float)
    probabilities, flags = calibration.cross_fit(logits[:, None], targets, np.ones_like(targets), groups, ["x"])
    assert probabilities.shape == (3000, 1) and flags.dtype == bool
    # out-of-fold probabilities are still calibrated on a label with a known answer
    observed, predicted = y.mean(), probabilities.mean()
    assert predicted == pytest.approx(observed, abs=0.03)


def test_label_quality_and_reported_labels():
    y = np.array([1] * 20 + [0] * 80, dtype=float)[:, None]
    p = np.r_[np.full(20, 0.9), np.full(10, 0.7), np.full(70, 0.1)][:, None]
    flags = p >= 0.5
    quality = calibration.label_quality(p, flags, y, np.ones_like(y), ["x"])["x"]
    assert quality["precision"] == pytest.approx(20 / 30)
    assert quality["recall"] == 1.0
    assert quality["confidence_gap"] == pytest.approx((20 * 0.9 + 10 * 0.7) / 30 - 20 / 30)
    assert (quality["tp"], quality["fp"], quality["fn"], quality["tn"]) == (20, 10, 0, 70)
    assert calibration.reported_labels({"x": quality}) == ["x"]
    imprecise = dict(quality, precision=0.4)
    too_few = dict(quality, flagged=calibration.MIN_FLAGGED - 1)
    assert calibration.reported_labels({"a": imprecise, "b": too_few}) == []


def test_weighted_quality_estimates_the_population_a_stratified_sample_came_from():
    # stratum A (weight 1): 10 sentences, all positive, all flagged;
    # stratum B (weight 10): 10 sentences, 1 positive (missed), 1 false alarm
    y = np.array([1] * 10 + [1] + [0] * 9, dtype=float)[:, None]
    flags = np.array([True] * 10 + [False, True] + [False] * 8)[:, None]
    p = np.where(flags, 0.8, 0.1)
    w = np.array([1.0] * 10 + [10.0] * 10)
    row = calibration.label_quality(p, flags, y, np.ones_like(y), ["x"], weights=w)["x"]
    assert row["precision"] == pytest.approx(10 / (10 + 10))   # 10 true, 10 (weighted) false alarms
    assert row["recall"] == pytest.approx(10 / (10 + 10))      # 10 found, 10 (weighted) missed
    plain = calibration.label_quality(p, flags, y, np.ones_like(y), ["x"])["x"]
    assert plain["precision"] == pytest.approx(10 / 11) and plain["tp"] == 10


def test_a_label_with_no_useful_cut_off_keeps_the_default_instead_of_the_grid_floor():
    rng = np.random.default_rng(5)
    y = rng.random(3000) < 0.05
    p = rng.uniform(0.0, 0.2, 3000)  # scores carry no signal: every cut-off has F1 near 0.05-0.1
    p[y] = rng.uniform(0.0, 0.2, y.sum())
    t = tune_thresholds(p[:, None], y[:, None].astype(float), np.ones((3000, 1)), ["x"])["x"]
    assert t == 0.5
