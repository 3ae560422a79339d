"""Span decoding from per-token probabilities, and the span folder as plain `transformers` sees it."""

from __future__ import annotations

import numpy as np
import pytest

from slant.models.spans import SPAN_FOLDER, classify_span, decode_spans, load_span_head, word_groups

LABELS = ["loaded_language", "name_calling_labeling"]


def test_word_groups_join_touching_pieces_and_skip_special_tokens():
    # [CLS] "Bolshev" "##iks" "lie" [SEP]
    offsets = [(0, 0), (0, 7), (7, 10), (11, 14), (0, 0)]
    assert word_groups(offsets).tolist() == [-1, 0, 0, 1, -1]


def test_a_run_stopping_inside_a_word_is_widened_to_the_whole_word():
    text = "Bolsheviks lie."
    offsets = [(0, 7), (7, 10), (11, 14), (14, 15)]
    probabilities = np.array([[0.1, 0.9], [0.1, 0.2], [0.2, 0.1], [0.0, 0.0]])
    spans = decode_spans(probabilities, offsets, LABELS, np.array([0.5, 0.5]), text)
    assert [(s.start, s.end, s.label) for s in spans] == [(0, 10, "name_calling_labeling")]
    assert spans[0].probability == pytest.approx(0.9)


def test_overlapping_techniques_both_come_out_and_offsets_shift():
    text = "the evil corrupt regime"
    offsets = [(0, 3), (4, 8), (9, 16), (17, 23)]
    probabilities = np.array([[0.0, 0.0], [0.8, 0.0], [0.6, 0.7], [0.1, 0.9]])
    spans = decode_spans(probabilities, offsets, LABELS, np.array([0.5, 0.5]), text, offset=100)
    found = {(s.start, s.end, s.label) for s in spans}
    assert found == {(104, 116, "loaded_language"), (109, 123, "name_calling_labeling")}
    loaded = next(s for s in spans if s.label == "loaded_language")
    assert loaded.probability == pytest.approx(0.7)
    assert text[loaded.start - 100 : loaded.end - 100] == "evil corrupt"


def test_thresholds_are_per_label_and_nothing_over_them_gives_nothing():
    offsets = [(0, 4), (5, 9)]
    probabilities = np.array([[0.6, 0.6], [0.0, 0.0]])
    spans = decode_spans(probabilities, offsets, LABELS, np.array([0.7, 0.5]), "evil lies")
    assert [s.label for s in spans] == ["name_calling_labeling"]
    assert decode_spans(np.zeros((0, 2)), [], LABELS, np.array([0.5, 0.5])) == []


def test_classify_span_takes_the_strongest_mean_inside_the_span():
    offsets = [(0, 4), (5, 9), (10, 14)]
    probabilities = np.array([[0.9, 0.1], [0.2, 0.6], [0.1, 0.7]])
    assert classify_span(probabilities, offsets, 5, 14, LABELS) == "name_calling_labeling"
    assert classify_span(probabilities, offsets, 0, 4, LABELS) == "loaded_language"
    assert classify_span(probabilities, offsets, 20, 30, LABELS) is None


@pytest.mark.parametrize("text", [
    "Cafe\u0301 owners call them na\u0131\u0308ve traitors.",   # NFD accents: combining marks
    "First line.\r\nThe traitors lie again.",                   # CRLF
    "The \U0001F621 traitors lie \U0001F1FA\U0001F1E6 again.",  # emoji, a flag of two code points
])
def test_offsets_from_the_real_tokenizer_are_exact(text):
    from transformers import AutoTokenizer

    from slant.models.encoder import shipped_minilm_path

    tokenizer = AutoTokenizer.from_pretrained(shipped_minilm_path())
    encoded = tokenizer(text, return_offsets_mapping=True)
    offsets = [tuple(o) for o in encoded["offset_mapping"]]
    target = text.index("traitors")
    probabilities = np.array([[1.0 if s < target + 8 and e > target else 0.0] * 2 for s, e in offsets])
    spans = decode_spans(probabilities, offsets, LABELS, np.array([0.5, 0.5]), text)
    assert {text[s.start : s.end] for s in spans} == {"traitors"}


def test_a_model_folder_without_spans_has_no_span_head(tiny_model_dir):
    assert load_span_head(tiny_model_dir) is None
    assert not (tiny_model_dir / SPAN_FOLDER).exists()
