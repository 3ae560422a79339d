"""The TF-IDF + logistic-regression baseline learns a plain signal, skips labels it cannot learn,
and decides with its tuned thresholds."""

from __future__ import annotations

import numpy as np

from slant.training.baseline import TfidfBaseline

LABELS = ["loaded", "doubt", "never"]
LOADED = ["a disgraceful shameful betrayal of the people", "this shameful disgraceful plan",
          "the disgraceful shameful minister lied", "shameful and disgraceful behaviour again"]
DOUBT = ["some say the report may be wrong", "critics say the data may be wrong",
         "it may be wrong, some say", "experts say the count may be wrong"]
PLAIN = ["the council met on tuesday", "the budget was approved on tuesday",
         "the council approved the plan", "the meeting was on tuesday"]


def corpus(repeat: int = 5):
    texts, targets = [], []
    for _ in range(repeat):
        texts += LOADED + DOUBT + PLAIN
        targets += [[1, 0, 0]] * len(LOADED) + [[0, 1, 0]] * len(DOUBT) + [[0, 0, 0]] * len(PLAIN)
    return texts, np.array(targets, dtype=np.float32)


def test_it_learns_a_plain_signal_and_skips_unlearnable_labels():
    texts, targets = corpus()
    mask = np.ones_like(targets)
    baseline = TfidfBaseline(LABELS).fit(texts, targets, mask)
    assert baseline.models["never"] is None  # no positives: nothing to learn, always 0
    probabilities = baseline.predict_proba(["a shameful disgraceful speech", "some say it may be wrong",
                                            "the council met"])
    assert probabilities.shape == (3, 3) and probabilities.dtype == np.float32
    assert probabilities[0, 0] > 0.5 > probabilities[0, 1]
    assert probabilities[1, 1] > 0.5 > probabilities[1, 0]
    assert probabilities[2, :2].max() < 0.5
    assert (probabilities[:, 2] == 0).all()


def test_unannotated_rows_are_left_out_of_a_label():
    texts, targets = corpus()
    mask = np.ones_like(targets)
    mask[:, 1] = 0  # "doubt" annotated nowhere: its model is not fitted
    mask[: len(LOADED), 1] = 1  # ... except on rows that are all negative for it
    baseline = TfidfBaseline(LABELS).fit(texts, targets, mask)
    assert baseline.models["doubt"] is None and baseline.models["loaded"] is not None


def test_tuned_thresholds_drive_decide():
    texts, targets = corpus(repeat=5)  # 20 positives per learnable label: enough to tune
    mask = np.ones_like(targets)
    baseline = TfidfBaseline(LABELS, seed=3).fit(texts, targets, mask).tune(texts, targets, mask)
    assert set(baseline.thresholds) == set(LABELS)
    assert baseline.thresholds["never"] == 0.5  # too few positives: the default
    decided = baseline.decide(baseline.predict_proba(texts[:12]))
    assert decided == [["loaded"]] * 4 + [["doubt"]] * 4 + [[]] * 4
    assert baseline.decide(np.array([[0.2, 0.2, 0.2]]), threshold=0.1) == [LABELS]
