"""Calibration folded into the output layer, read back by plain `transformers`."""

from __future__ import annotations

import json

import numpy as np
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from slant.models.classifier import SlantClassifier
from slant.training.calibration import logit, sigmoid

SENTENCES = ["Critics say the reform is a disaster.", "Shares fell 12 percent on Tuesday.", "Why?"]


def test_folded_calibration_gives_the_same_probabilities_through_plain_transformers(tiny_model_dir, tmp_path):
    classifier = SlantClassifier.from_pretrained(tiny_model_dir)
    raw = classifier.predict_proba(SENTENCES)
    scales = {label: 0.5 + 0.1 * j for j, label in enumerate(classifier.labels)}
    shifts = {label: -1.0 + 0.1 * j for j, label in enumerate(classifier.labels)}
    expected = np.column_stack([
        sigmoid(scales[l] * logit(raw[:, j]) + shifts[l]) for j, l in enumerate(classifier.labels)
    ])
    classifier.fold_calibration(scales, shifts)
    classifier.reported_labels = classifier.labels[:3]
    classifier.save_pretrained(tmp_path / "calibrated", half=False)

    model = AutoModelForSequenceClassification.from_pretrained(tmp_path / "calibrated")
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "calibrated")
    with torch.no_grad():
        logits = model(**tokenizer(SENTENCES, padding=True, return_tensors="pt")).logits
    np.testing.assert_allclose(torch.sigmoid(logits).numpy(), expected, atol=1e-4)
    config = json.loads((tmp_path / "calibrated" / "config.json").read_text())
    assert config["reported_labels"] == classifier.labels[:3]
    assert SlantClassifier.from_pretrained(tmp_path / "calibrated").reported_labels == classifier.labels[:3]


def test_a_folder_without_reported_labels_reports_every_label(tiny_model_dir):
    assert SlantClassifier.from_pretrained(tiny_model_dir).reported_labels == SlantClassifier.from_pretrained(
        tiny_model_dir).labels


def test_a_model_with_context_reads_it_as_the_second_segment_and_others_ignore_it(tiny_model_dir, tmp_path):
    plain = SlantClassifier.from_pretrained(tiny_model_dir)
    contexts = ["The minister spoke on Monday.", "", "Markets were calm."]
    np.testing.assert_array_equal(plain.predict_proba(SENTENCES), plain.predict_proba(SENTENCES, contexts=contexts))
    plain.context = "previous"  # saved as slant_context in config.json
    plain.save_pretrained(tmp_path / "with-context", half=False)
    reader = SlantClassifier.from_pretrained(tmp_path / "with-context")
    assert reader.context == "previous"
    with_context = reader.predict_proba(SENTENCES, contexts=contexts)
    assert not np.allclose(with_context[0], reader.predict_proba(SENTENCES)[0])
    # the same pair through plain transformers (text, text_pair) gives the same probabilities
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "with-context")
    model = AutoModelForSequenceClassification.from_pretrained(tmp_path / "with-context")
    with torch.no_grad():
        logits = model(**tokenizer(SENTENCES[0], contexts[0], return_tensors="pt")).logits
    np.testing.assert_allclose(torch.sigmoid(logits).numpy()[0], with_context[0], atol=1e-5)
