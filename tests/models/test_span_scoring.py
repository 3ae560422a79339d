"""One forward pass gives the sentence probabilities and the span head's token probabilities, on
every backend, equal to what the two standard folders give on their own."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from fixtures.tiny import make_tiny_span_model

from slant.models.classifier import SlantClassifier
from slant.models.errors import SlantError
from slant.models.spans import SPAN_FOLDER

TEXTS = ["The corrupt regime lied again, as always.", "Short.", "Caf\u00e9 owners \U0001F621 call them traitors!",
         "The council met on Tuesday to discuss the budget for the coming year and its many items."]


@pytest.fixture(scope="module")
def span_model(tmp_path_factory):
    return make_tiny_span_model(tmp_path_factory.mktemp("span-model") / "model")


def reference(folder, texts):
    """Per text: real tokens' offsets and sigmoid(token logits) from plain transformers."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    model = AutoModelForTokenClassification.from_pretrained(folder / SPAN_FOLDER).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder / SPAN_FOLDER)
    out = []
    for text in texts:
        encoded = tokenizer(text, return_tensors="pt", return_offsets_mapping=True)
        offsets = [tuple(o) for o in encoded.pop("offset_mapping")[0].tolist()]
        with torch.inference_mode():
            p = torch.sigmoid(model(**encoded).logits)[0].numpy()
        real = [i for i, (s, e) in enumerate(offsets) if e > s]
        out.append(([offsets[i] for i in real], p[real]))
    return out


def test_one_pass_gives_sentence_and_token_probabilities_in_input_order(span_model):
    classifier = SlantClassifier.from_pretrained(span_model)
    assert classifier.span_head is not None
    probabilities, tokens = classifier.score(TEXTS, tokens=True)
    assert np.allclose(probabilities, classifier.predict_proba(TEXTS), atol=1e-6)
    for (offsets, expected), scores in zip(reference(span_model, TEXTS), tokens):
        assert scores.offsets == offsets
        assert np.allclose(scores.probabilities, expected, atol=1e-5)
    without, none = classifier.score(TEXTS)
    assert none is None and np.allclose(without, probabilities, atol=1e-6)


def test_the_onnx_backends_give_the_same_token_probabilities(span_model, tmp_path, monkeypatch):
    pytest.importorskip("onnxruntime")
    from slant.models.backends import load_backend

    monkeypatch.setenv("SLANT_CACHE", str(tmp_path))
    torch_probabilities, torch_tokens = SlantClassifier.from_pretrained(span_model).score(TEXTS, tokens=True)
    onnx = load_backend(str(span_model), "onnx")
    probabilities, tokens = onnx.score(TEXTS, tokens=True)
    assert np.allclose(probabilities, torch_probabilities, atol=1e-5)
    for a, b in zip(tokens, torch_tokens):
        assert a.offsets == b.offsets and np.allclose(a.probabilities, b.probabilities, atol=1e-4)


def test_a_span_head_from_another_encoder_is_refused(span_model, tmp_path):
    import shutil

    copy = tmp_path / "model"
    shutil.copytree(span_model, copy)
    config_path = copy / SPAN_FOLDER / "config.json"
    config = json.loads(config_path.read_text())
    config["slant_encoder_digest"] = "0" * 16
    config_path.write_text(json.dumps(config))
    with pytest.raises(SlantError, match="E035"):
        SlantClassifier.from_pretrained(copy)
