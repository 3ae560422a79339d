"""SI, FLC and TC scores on hand-made span sets whose answers are worked out by hand."""

from __future__ import annotations

import pytest

from slant.models.span_metrics import fragment_classification, merge, span_identification, technique_classification


def test_merge_joins_overlaps_and_nesting_but_not_touching_spans():
    assert merge([(0, 5), (3, 8), (10, 12), (12, 15), (20, 30), (22, 25)]) == [(0, 8), (10, 12), (12, 15), (20, 30)]
    assert merge([]) == []
    assert merge([(4, 4)]) == []  # empty spans count for nothing


def test_exact_match_scores_one_and_nothing_scores_zero():
    gold = [("a", 0, 10), ("b", 5, 9)]
    assert span_identification(gold, gold)["f1"] == pytest.approx(1.0)
    empty = span_identification([], gold)
    assert (empty["precision"], empty["recall"], empty["f1"]) == (0.0, 0.0, 0.0)
    assert span_identification(gold, [])["f1"] == 0.0


def test_partial_overlap_earns_partial_credit():
    # predicted [0, 10) against gold [5, 25): 5 shared characters
    report = span_identification([("a", 0, 10)], [("a", 5, 25)])
    assert report["precision"] == pytest.approx(5 / 10)
    assert report["recall"] == pytest.approx(5 / 20)
    assert report["f1"] == pytest.approx(2 * 0.5 * 0.25 / 0.75)


def test_spans_in_other_articles_never_match():
    assert span_identification([("a", 0, 10)], [("b", 0, 10)])["f1"] == 0.0


def test_nested_gold_spans_are_merged_for_si():
    # gold [0, 20) with [5, 10) nested (another technique): merged into one span of 20 characters
    gold = [("a", 0, 20, "loaded_language"), ("a", 5, 10, "doubt")]
    report = span_identification([("a", 0, 20)], gold)
    assert report["gold"] == 1 and report["f1"] == pytest.approx(1.0)


def test_touching_predictions_stay_two_spans():
    report = span_identification([("a", 0, 5), ("a", 5, 10)], [("a", 0, 10)])
    assert report["predicted"] == 2
    assert report["precision"] == pytest.approx(1.0)   # each prediction lies fully inside gold
    assert report["recall"] == pytest.approx(1.0)      # 5/10 + 5/10


def test_flc_needs_the_same_technique():
    gold = [("a", 0, 10, "doubt"), ("a", 20, 30, "loaded_language")]
    predicted = [("a", 0, 10, "doubt"), ("a", 20, 30, "name_calling_labeling")]
    report = fragment_classification(predicted, gold)
    assert report["precision"] == pytest.approx(0.5)
    assert report["recall"] == pytest.approx(0.5)
    assert report["per_technique"]["doubt"]["f1"] == pytest.approx(1.0)
    assert report["per_technique"]["loaded_language"]["recall"] == 0.0
    # overlapping gold spans of two techniques are both findable
    both = [("a", 0, 10, "doubt"), ("a", 0, 10, "loaded_language")]
    assert fragment_classification(both, both)["f1"] == pytest.approx(1.0)


def test_tc_micro_f1_over_gold_spans():
    report = technique_classification(["doubt", "slogans", None, "doubt"], ["doubt", "doubt", "slogans", "doubt"])
    assert report["precision"] == pytest.approx(2 / 3)
    assert report["recall"] == pytest.approx(2 / 4)
    assert report["micro_f1"] == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
    with pytest.raises(ValueError):
        technique_classification(["doubt"], [])
