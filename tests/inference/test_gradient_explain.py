"""Gradient attributions as trigger words: the explainer interface (`explain_document` fills
`sentence.triggers` for `sentence.labels`), offsets inside the sentence, integrated gradients'
completeness, any backend, and caching."""

from __future__ import annotations

import numpy as np
import pytest

from slant.inference.explain import GradientExplainer, _word_sums
from slant.models.results import DocumentResult, SentenceResult

SENTENCES = ["Critics decried the destabilizing influence of the post-Maidan government in Kyiv.",
             "Sources close to the ministry say the figures were quietly revised, allegedly twice.",
             "Rain."]


@pytest.fixture(scope="module")
def classifier(tiny_model_dir):
    from slant.models.backends import load_backend

    return load_backend(str(tiny_model_dir), "torch", threads=1)


def document(labels) -> DocumentResult:
    text, sentences, cursor = "  ".join(SENTENCES), [], 0
    for index, (sentence, wanted) in enumerate(zip(SENTENCES, labels)):
        start = text.index(sentence, cursor)
        sentences.append(SentenceResult(index, start, start + len(sentence), sentence, list(wanted), {}))
        cursor = start + len(sentence)
    return DocumentResult(sentences, text_length=len(text)), text


@pytest.mark.parametrize("steps,layer", [(1, "words"), (4, "embeddings")])
def test_triggers_lie_inside_their_sentence_for_the_flagged_labels_only(classifier, steps, layer):
    labels = [["loaded_language", "doubt"], ["hedged_attribution"], []]
    result, text = document(labels)
    # no cut-offs: every word with a positive weight may be a trigger, so there is something to check
    explainer = GradientExplainer(classifier, steps=steps, layer=layer, min_drop=-1e9, relative=0.0)
    explainer.explain_document(result)
    for sentence, wanted in zip(result.sentences, labels):
        assert sorted(sentence.triggers) == sorted(wanted)  # unflagged sentences are not explained
        for found in sentence.triggers.values():
            assert 0 < len(found) <= explainer.max_phrases
            for trigger in found:
                assert sentence.start <= trigger.start < trigger.end <= sentence.end
                assert text[trigger.start : trigger.end] == trigger.text
                assert trigger.text.lower() not in ("the", "of", "in")  # function words are never triggers


def test_integrated_gradients_add_up_to_the_change_in_the_logit(classifier):
    """Completeness: attributions over all tokens sum to f(x) - f(x0), x0 the sentence's
    embedding output with its own tokens zeroed (special tokens kept)."""
    import torch

    from slant.inference.explain import _layer_output

    explainer = GradientExplainer(classifier, steps=64, layer="embeddings")
    column = classifier.labels.index("loaded_language")
    (offsets, attribution), = explainer._attribute([SENTENCES[0]], [column])
    module = explainer.module
    encoded = {k: torch.tensor([v]) for k, v in classifier.tokenizer(SENTENCES[0]).items()}
    layer = module.base_model.embeddings
    with torch.no_grad():
        x = _layer_output(module, layer, encoded)
        special = torch.tensor([[(s, e) == (0, 0) for s, e in offsets]])[..., None]
        handle = layer.register_forward_hook(lambda *_: torch.where(special, x, torch.zeros_like(x)))
        try:
            at_baseline = module(**encoded).logits[0, column].item()
        finally:
            handle.remove()
        at_input = module(**encoded).logits[0, column].item()
    assert attribution.sum() == pytest.approx(at_input - at_baseline, abs=0.02 * max(1.0, abs(at_input - at_baseline)))


def test_an_onnx_classifier_explains_with_the_torch_network_of_its_folder(classifier, tiny_model_dir):
    from slant.models.backends import load_backend

    onnx = load_backend(str(tiny_model_dir), "onnx", threads=1)
    labels = [["loaded_language"], ["hedged_attribution"], []]
    ours = GradientExplainer(onnx, steps=2).word_effects(SENTENCES, labels)
    reference = GradientExplainer(classifier, steps=2).word_effects(SENTENCES, labels)
    for a, b in zip(ours, reference):
        assert a.words == b.words
        np.testing.assert_allclose(a.drops, b.drops, atol=1e-5)


def test_each_pair_is_computed_once_and_then_cached(classifier, monkeypatch):
    explainer = GradientExplainer(classifier, cache_size=100)
    calls = []
    original = explainer._attribute
    monkeypatch.setattr(explainer, "_attribute", lambda texts, columns: calls.append(len(texts)) or original(texts, columns))
    labels = [["loaded_language", "doubt"], ["hedged_attribution"], []]
    explainer.word_effects(SENTENCES, labels)
    explainer.word_effects(SENTENCES, labels)
    explainer.word_effects(SENTENCES[:1], [["loaded_language", "flag_waving"]])
    assert calls == [3, 1]  # one batch of the three pairs; later only the new pair


def test_word_sums_add_the_pieces_of_each_word():
    words = ((0, 7), (8, 19))  # "Critics" "post-Maidan"
    offsets = [(0, 0), (0, 7), (8, 12), (12, 13), (13, 19), (19, 20), (0, 0)]
    values = np.array([5.0, 1.0, 0.5, 0.25, 0.25, 9.0, 5.0])
    np.testing.assert_allclose(_word_sums(words, offsets, values), [1.0, 1.0])
