"""The scoring core: token-budget batches, rows back in input order, the model folder's settings,
and the one decision rule."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from slant.models.errors import SlantError
from slant.models.scoring import FALLBACK_MAX_LENGTH, DecisionRule, SentenceClassifier, length_batches, sigmoid

LABELS = ["loaded_language", "doubt", "hedged_attribution"]


class RowBackend:
    """A stand-in network whose logits for a row depend on that row's tokens alone (as a real
    one's do, up to float noise), and which records the batches it was given."""

    name = "fake"

    def __init__(self):
        self.shapes: list[tuple[int, int]] = []

    def forward(self, inputs):
        ids, mask = inputs["input_ids"], inputs["attention_mask"]
        self.shapes.append(ids.shape)
        assert (ids[mask == 0] == 0).all()  # padding is the pad id, outside the mask
        total = (ids * mask).sum(axis=1, keepdims=True).astype(np.float32)
        return np.hstack([total / 1e4, mask.sum(axis=1, keepdims=True) / 10.0, -total / 1e4]).astype(np.float32)


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from slant.models.encoder import shipped_minilm_path

    return AutoTokenizer.from_pretrained(shipped_minilm_path())


def config(**settings):
    return SimpleNamespace(id2label=dict(enumerate(LABELS)), num_labels=len(LABELS), **settings)


def test_length_batches_cover_every_sentence_once_within_the_token_budget():
    lengths = np.array([5, 120, 7, 64, 64, 3, 128, 9] * 10)
    batches = length_batches(lengths, max_tokens=256, max_batch=16)
    assert sorted(np.concatenate(batches).tolist()) == list(range(len(lengths)))
    for batch in batches:
        assert len(batch) * lengths[batch].max() <= 256 and len(batch) <= 16
    longest = [lengths[b].max() for b in batches]
    assert longest == sorted(longest, reverse=True)


def test_shuffled_lengths_come_back_in_input_order_within_the_token_budget(tokenizer):
    rng = np.random.default_rng(0)
    texts = [" ".join(["word"] * int(n)) + "." for n in rng.integers(0, 60, size=50)]
    backend = RowBackend()
    model = SentenceClassifier(backend, tokenizer, config(), max_tokens=200, max_batch=8)
    together = model.logits(texts)
    alone = np.vstack([model.logits([text]) for text in texts])
    np.testing.assert_array_equal(together, alone)  # each row its own text's, whatever its batch mates
    assert all(rows * width <= 200 and rows <= 8 for rows, width in backend.shapes[:-len(texts)])
    np.testing.assert_allclose(model.predict_proba(texts), sigmoid(together))
    order = rng.permutation(len(texts))
    np.testing.assert_array_equal(model.logits([texts[i] for i in order]), together[order])
    assert model.logits([]).shape == (0, len(LABELS))


def test_max_length_and_context_come_from_the_model_folder(tokenizer):
    long = "word " * 400
    old = SentenceClassifier(RowBackend(), tokenizer, config())  # saved before slant_max_length
    assert old.max_length == FALLBACK_MAX_LENGTH == 128
    assert old.logits([long])[0, 1] == pytest.approx(12.8)  # 128 tokens read
    short = SentenceClassifier(RowBackend(), tokenizer, config(slant_max_length=32))
    assert short.logits([long])[0, 1] == pytest.approx(3.2)
    # a second segment only for a model trained with one; one context per text
    plain = SentenceClassifier(RowBackend(), tokenizer, config())
    assert plain.logits(["A."], contexts=["Some context."])[0, 1] == plain.logits(["A."])[0, 1]
    reader = SentenceClassifier(RowBackend(), tokenizer, config(slant_context="previous"))
    assert reader.logits(["A."], contexts=["Some context."])[0, 1] > reader.logits(["A."])[0, 1]
    with pytest.raises(SlantError, match=r"^\[E023\] bad argument contexts='1 contexts': expected one per text \(2\)"):
        reader.logits(["A.", "B."], contexts=["only one"])


def test_settings_are_written_where_they_are_read(tokenizer):
    model = SentenceClassifier(RowBackend(), tokenizer, config(thresholds={"doubt": 0.3}, reported_labels=["doubt"],
                                                               slant_context="title", slant_max_length=64))
    saved = config()
    model.write_settings(saved)
    again = SentenceClassifier(RowBackend(), tokenizer, saved)
    assert (again.thresholds, again.reported_labels, again.context, again.max_length) == (
        {"loaded_language": 0.5, "doubt": 0.3, "hedged_attribution": 0.5}, ["doubt"], "title", 64)


def test_the_decision_rule_cutoffs_override_and_selection():
    rule = DecisionRule(LABELS, {"doubt": 0.2}, reported=["doubt", "hedged_attribution"])
    probabilities = np.array([[0.5, 0.2, 0.49], [0.1, 0.19, 0.9]])
    assert rule.cutoffs().tolist() == [0.5, 0.2, 0.5]
    assert rule.decide(probabilities) == [["loaded_language", "doubt"], ["hedged_attribution"]]
    assert rule.decide(probabilities, threshold=0.15) == [LABELS, ["doubt", "hedged_attribution"]]
    assert rule.decide(probabilities, only=["doubt"]) == [["doubt"], []]
    assert rule.flags(probabilities).dtype == bool and rule.flags(probabilities).shape == (2, 3)
    assert rule.shown() == ["doubt", "hedged_attribution"]  # reported by default
    assert rule.shown(all_labels=True) is None and rule.shown(["loaded_language"]) == ["loaded_language"]
    assert DecisionRule(LABELS).shown() == LABELS  # no reported_labels (older folders): every label
    with pytest.raises(SlantError, match=r"^\[E010\] unknown label 'fear' in labels; known labels"):
        rule.shown(["fear"], where="labels")


def test_a_saved_model_carries_its_max_length(tmp_path, tiny_model_dir):
    from slant.models.classifier import SlantClassifier

    classifier = SlantClassifier.from_pretrained(tiny_model_dir)
    classifier.max_length = 48
    classifier.save_pretrained(tmp_path / "m", half=False)
    assert json.loads((tmp_path / "m" / "config.json").read_text())["slant_max_length"] == 48
    assert SlantClassifier.from_pretrained(tmp_path / "m").max_length == 48


def test_the_released_model_states_its_max_length(released_model_dir):
    assert json.loads((released_model_dir / "config.json").read_text())["slant_max_length"] == 128
