"""The output layer starts at the label base rates; positive weights follow sqrt(neg/pos), capped."""

from __future__ import annotations

import numpy as np
import pytest
from datasets import Dataset

from slant.models.classifier import SlantClassifier, output_layer
from slant.training.trainer import init_output_bias, positive_weights


def _data():
    # label 0: 1 positive in 10; label 1: 5 in 10; label 2: never annotated
    target = np.zeros((10, 3), dtype=np.float32)
    target[0, 0] = 1
    target[:5, 1] = 1
    mask = np.ones((10, 3), dtype=np.float32)
    mask[:, 2] = 0
    return Dataset.from_dict({"target": target.tolist(), "mask": mask.tolist()})


def test_positive_weights_are_sqrt_neg_over_pos_capped_and_at_least_one():
    weights = positive_weights(_data(), cap=2.0).numpy()
    assert weights[0] == pytest.approx(2.0)        # sqrt(9) = 3, capped at 2
    assert weights[1] == pytest.approx(1.0)        # sqrt(5/5)
    assert weights[2] == pytest.approx(1.0)        # nothing annotated: never below 1
    assert positive_weights(_data(), cap=8.0).numpy()[0] == pytest.approx(3.0)


def test_output_bias_starts_at_each_labels_smoothed_base_rate(tiny_model_dir):
    import torch

    classifier = SlantClassifier.from_pretrained(tiny_model_dir)
    head = output_layer(classifier.model, len(classifier.labels))
    n = len(classifier.labels)
    target = np.zeros((10, n), dtype=np.float32)
    target[0, 0] = 1
    data = Dataset.from_dict({"target": target.tolist(), "mask": np.ones((10, n)).tolist()})
    init_output_bias(classifier.model, data, torch.ones(n))
    rate = (1 + 1) / (10 + 2)                        # one positive in ten, add-one smoothed
    assert head.bias[0].item() == pytest.approx(np.log(rate / (1 - rate)), abs=1e-5)
    assert head.bias[1].item() == pytest.approx(np.log((1 / 12) / (11 / 12)), abs=1e-5)
