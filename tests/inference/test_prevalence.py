"""The correction: adjusted classify-and-count with intervals that carry sampling and error-rate
uncertainty, checked on synthetic corpora whose true prevalence and scorer error rates are known."""

from __future__ import annotations

import json

import numpy as np
import pytest

from slant.inference import prevalence as pv
from slant.models.errors import SlantError

TECHNIQUES = ["strong", "weak_but_ok", "rare_flags", "never_flagged"]
TPR = np.array([0.7, 0.4, 0.35, 0.0])
FPR = np.array([0.08, 0.05, 0.01, 0.0])
VALIDATION = [(300, 3000), (100, 2800), (50, 2900), (25, 2900)]  # (positives, negatives) held out


def held_out_counts(rng) -> dict[str, pv.Confusion]:
    out = {}
    for j, (pos, neg) in enumerate(VALIDATION):
        tp, fp = int(rng.binomial(pos, TPR[j])), int(rng.binomial(neg, FPR[j]))
        out[TECHNIQUES[j]] = pv.Confusion(tp, fp, pos - tp, neg - fp)
    return out


def corpus(rng, prevalence: np.ndarray, docs: int = 60, lengths=(3, 30), spread: float = 5.0):
    """Documents in groups (rows of `prevalence`): per-document flagged counts, sizes, groups,
    and the realised true share of each (group, technique)."""
    counts, sizes, groups = [], [], []
    positives = np.zeros(prevalence.shape)
    units = np.zeros(len(prevalence))
    for g, p in enumerate(prevalence):
        for _ in range(docs):
            n = int(rng.integers(*lengths))
            doc_p = rng.beta(p * spread, (1 - p) * spread)  # documents differ from each other
            truth = rng.random((n, len(p))) < doc_p
            flags = np.where(truth, rng.random(truth.shape) < TPR, rng.random(truth.shape) < FPR)
            counts.append(flags.sum(axis=0))
            sizes.append(n)
            groups.append(g)
            positives[g] += truth.sum(axis=0)
            units[g] += n
    return np.array(counts), np.array(sizes), np.array(groups), positives / units[:, None]


def test_acc_inverts_the_expected_flagged_share():
    p, tpr, fpr = 0.2, 0.6, 0.05
    assert pv.correct(tpr * p + fpr * (1 - p), tpr, fpr) == pytest.approx(p)
    assert pv.correct(0.01, tpr, fpr) == 0.0  # fewer flags than false positives alone: clipped
    assert pv.correct(0.9, tpr, fpr) == 1.0


def test_techniques_whose_error_rates_are_too_uncertain_are_not_corrected():
    counts = {"good": pv.Confusion(210, 279, 120, 2343), "never": pv.Confusion(0, 0, 24, 2928),
              "rare": pv.Confusion(6, 44, 41, 2861), "blocked": pv.Confusion(210, 279, 120, 2343)}
    assert counts["good"].separation() > 0.4 and counts["never"].separation() < 0.01
    status = pv.decide(["good", "never", "rare", "missing", "blocked"], counts, 0.1, {"blocked": pv.THRESHOLD_CHANGED})
    assert status == [pv.CORRECTED, pv.UNCERTAIN, pv.UNCERTAIN, pv.NO_ERROR_RATES, pv.THRESHOLD_CHANGED]
    assert pv.decide(["good"], None) == [pv.NO_ERROR_RATES]


def test_uncorrected_techniques_get_raw_shares_and_no_number():
    rng = np.random.default_rng(1)
    counts, sizes, groups, _ = corpus(rng, np.array([[0.1, 0.1, 0.1, 0.1]]), docs=30)
    result = pv.estimate_prevalence(counts, sizes, groups, 1, TECHNIQUES, held_out_counts(rng), n_boot=200)
    assert result.status[-1] == pv.UNCERTAIN
    assert np.isnan(result.estimate[0, -1]) and np.isnan(result.low[0, -1])
    assert result.raw[0, -1] == 0.0 and result.units[0] == sizes.sum()
    assert np.allclose(result.raw[0], counts.sum(axis=0) / sizes.sum())


def test_the_interval_holds_the_true_share_at_its_stated_rate_and_beats_the_raw_share():
    """120 synthetic corpora (3 groups x 4 techniques each), new error-rate counts each time:
    the 95 % interval must hold the realised true share in at least 90 % of the (group,
    technique) pairs, and the corrected estimate must be closer than the raw share."""
    rng = np.random.default_rng(7)
    prevalence = np.array([[0.03, 0.10, 0.02, 0.05], [0.12, 0.04, 0.06, 0.05], [0.25, 0.20, 0.01, 0.05]])
    covered, error_raw, error_corrected, widths = [], [], [], []
    for replication in range(120):
        counts, sizes, groups, truth = corpus(rng, prevalence, docs=40)
        # the synthetic held-out sentences are independent: no design effect to allow for
        result = pv.estimate_prevalence(counts, sizes, groups, 3, TECHNIQUES, held_out_counts(rng), n_boot=300,
                                        seed=replication, design_effect=1)
        done = np.array([s == pv.CORRECTED for s in result.status])
        assert done[:2].all() and not done[3]
        covered.append(((result.low <= truth) & (truth <= result.high))[:, done].ravel())
        error_raw.append(np.abs(result.raw - truth)[:, done].ravel())
        error_corrected.append(np.abs(result.estimate - truth)[:, done].ravel())
        widths.append((result.high - result.low)[:, done].ravel())
    coverage = np.concatenate(covered).mean()
    assert 0.90 <= coverage <= 0.995, coverage
    assert np.concatenate(error_corrected).mean() < 0.75 * np.concatenate(error_raw).mean()
    assert np.concatenate(widths).mean() < 0.12  # informative, not [0, 1]


def test_the_interval_carries_the_uncertainty_of_the_error_rates():
    rng = np.random.default_rng(3)
    counts, sizes, groups, _ = corpus(rng, np.array([[0.1, 0.1, 0.1, 0.1]]), docs=200)
    precise = {"strong": pv.Confusion(70_000, 8_000, 30_000, 92_000)}  # the same rates, 100x the counts
    vague = {"strong": pv.Confusion(70, 8, 30, 92)}
    wide = pv.estimate_prevalence(counts, sizes, groups, 1, TECHNIQUES, vague, n_boot=1000, design_effect=1)
    narrow = pv.estimate_prevalence(counts, sizes, groups, 1, TECHNIQUES, precise, n_boot=1000, design_effect=1)
    assert wide.estimate[0, 0] == pytest.approx(narrow.estimate[0, 0])
    assert (wide.high - wide.low)[0, 0] > 1.5 * (narrow.high - narrow.low)[0, 0]
    # a design effect counts clustered held-out sentences as fewer independent ones: same centre, wider
    clustered = pv.estimate_prevalence(counts, sizes, groups, 1, TECHNIQUES, vague, n_boot=1000, design_effect=3)
    assert clustered.estimate[0, 0] == pytest.approx(wide.estimate[0, 0])
    assert (clustered.high - clustered.low)[0, 0] > 1.2 * (wide.high - wide.low)[0, 0]
    with pytest.raises(SlantError, match="E403"):
        pv.estimate_prevalence(counts, sizes, groups, 1, TECHNIQUES, vague, n_boot=100, design_effect=0.5)


def test_differences_mark_a_real_gap_and_not_an_equal_pair():
    rng = np.random.default_rng(11)
    prevalence = np.array([[0.05, 0.1, 0.05, 0.05], [0.25, 0.1, 0.05, 0.05]])
    counts, sizes, groups, _ = corpus(rng, prevalence, docs=80)
    result = pv.estimate_prevalence(counts, sizes, groups, 2, TECHNIQUES, held_out_counts(rng), n_boot=1000,
                                    keep_replicates=True)
    rows = {row["technique"]: row for row in pv.differences(result, [(1, 0)])}
    assert rows["strong"]["excludes_zero"] is True and rows["strong"]["ci_low"] > 0.05
    assert rows["weak_but_ok"]["excludes_zero"] is False
    assert rows["never_flagged"]["excludes_zero"] is None and np.isnan(rows["never_flagged"]["difference"])
    assert rows["strong"]["difference"] == pytest.approx(result.estimate[1, 0] - result.estimate[0, 0])


def test_results_are_reproducible_with_a_seed():
    rng = np.random.default_rng(5)
    counts, sizes, groups, _ = corpus(rng, np.array([[0.1, 0.1, 0.1, 0.1]]), docs=20)
    rates = held_out_counts(rng)
    a = pv.estimate_prevalence(counts, sizes, groups, 1, TECHNIQUES, rates, n_boot=100, seed=4)
    b = pv.estimate_prevalence(counts, sizes, groups, 1, TECHNIQUES, rates, n_boot=100, seed=4)
    assert np.array_equal(a.low, b.low, equal_nan=True)


def test_the_released_model_stores_its_held_out_confusion_counts(released_model_dir, tiny_model_dir):
    counts = pv.read_error_rates(released_model_dir)
    assert len(counts) == 16 and counts["loaded_language"].tp > 0
    assert all(sum(c.as_dict().values()) > 0 for c in counts.values())
    assert pv.read_error_rates(tiny_model_dir) is None  # a model without them: None, not an error


def test_error_rate_files_are_checked(tmp_path):
    path = tmp_path / "rates.json"
    path.write_text(json.dumps({"unit": "document", "confusion": {"doubt": {"tp": 1, "fp": 2, "fn": 3, "tn": 4}}}))
    unit, counts, thresholds = pv.read_error_rates_file(path)
    assert unit == "document" and counts == {"doubt": pv.Confusion(1, 2, 3, 4)} and thresholds is None
    for bad, message in [({"doubt": {"tp": 1}}, "needs the counts"), ({"doubt": {"tp": -1, "fp": 0, "fn": 0, "tn": 0}},
                                                                      "whole numbers"),
                         ({"unit": "page", "confusion": {}}, "unit must be")]:
        path.write_text(json.dumps(bad))
        with pytest.raises(SlantError, match=f"E402.*{message}"):
            pv.read_error_rates_file(path)
    path.write_text("{not json")
    with pytest.raises(SlantError, match="E402"):
        pv.read_error_rates_file(path)
