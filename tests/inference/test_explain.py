"""Occlusion trigger words: selection, phrase merging, offsets, batching, caching; and with the
released model, the trigger of a known loaded-language sentence."""

from __future__ import annotations

import re

import numpy as np
import pytest

from slant.inference.explain import FUNCTION_WORDS, OcclusionExplainer, Trigger
from slant.models.results import DocumentResult, SentenceResult

LABELS = ["loaded_language", "doubt"]
# A transparent stand-in model: each label's logit is -4 plus the weights of the words present.
KEYWORDS = {
    "loaded_language": {"destabilizing": 3.0, "post-Maidan": 2.0, "government": 1.5, "Kyiv": 0.1},
    "doubt": {"allegedly": 2.5},
}
SENTENCE = "Critics decried the destabilizing influence of the post-Maidan government in Kyiv."


class KeywordScorer:
    def __init__(self):
        self.calls: list[list[str]] = []

    def __call__(self, texts):
        self.calls.append(list(texts))
        logits = np.full((len(texts), len(LABELS)), -4.0)
        for row, text in enumerate(texts):
            words = re.findall(r"[\w-]+", text)
            for column, label in enumerate(LABELS):
                logits[row, column] += sum(KEYWORDS[label].get(word, 0.0) for word in words)
        return logits


@pytest.fixture
def scorer():
    return KeywordScorer()


def test_each_word_weight_is_its_logit_effect_and_neighbours_merge_into_phrases(scorer):
    triggers = OcclusionExplainer(scorer, LABELS).explain(SENTENCE, ["loaded_language"])["loaded_language"]
    assert [(t.text, t.weight) for t in triggers] == [("post-Maidan government", 3.5), ("destabilizing", 3.0)]
    for trigger in triggers:
        assert SENTENCE[trigger.start : trigger.end] == trigger.text


def test_words_with_small_or_no_effect_are_not_triggers(scorer):
    explainer = OcclusionExplainer(scorer, LABELS, min_drop=0.2, relative=0.4)
    triggers = explainer.explain(SENTENCE, ["loaded_language", "doubt"])
    assert "Kyiv" not in {t.text for t in triggers["loaded_language"]}  # 0.1 < min_drop
    assert triggers["doubt"] == []  # no word moves doubt at all


def test_relative_cut_keeps_only_words_near_the_strongest(scorer):
    explainer = OcclusionExplainer(scorer, LABELS, relative=0.9)
    triggers = explainer.explain(SENTENCE, ["loaded_language"])["loaded_language"]
    assert [t.text for t in triggers] == ["destabilizing"]


def test_punctuation_splits_phrases_and_offsets_shift_into_the_document(scorer):
    sentence = "It was destabilizing, post-Maidan, government-led."
    triggers = OcclusionExplainer(scorer, LABELS).explain(sentence, ["loaded_language"], offset=100)
    texts = sorted(t.text for t in triggers["loaded_language"])
    assert texts == ["destabilizing", "post-Maidan"]  # "government-led" is another word
    for trigger in triggers["loaded_language"]:
        assert sentence[trigger.start - 100 : trigger.end - 100] == trigger.text


def test_max_phrases_keeps_the_strongest(scorer):
    sentence = "destabilizing x allegedly y government z post-Maidan"
    triggers = OcclusionExplainer(scorer, LABELS, relative=0.0, max_phrases=2).explain(sentence, ["loaded_language"])
    assert [t.text for t in triggers["loaded_language"]] == ["destabilizing", "post-Maidan"]


def test_a_document_is_explained_in_one_batched_call_and_cached(scorer):
    texts = [SENTENCE, "Officials allegedly hid the report.", "The weather was mild."]
    document, cursor, sentences = " ".join(texts), 0, []
    for index, text in enumerate(texts):
        start = document.index(text, cursor)
        labels = [["loaded_language"], ["doubt"], []][index]
        sentences.append(SentenceResult(index, start, start + len(text), text, labels, {}))
        cursor = start + len(text)
    result = DocumentResult(sentences)
    explainer = OcclusionExplainer(scorer, LABELS, cache_size=10)

    explainer.explain_document(result)
    assert len(scorer.calls) == 1
    content_words = [w for text in texts[:2] for w in re.findall(r"\w[\w-]*", text) if w.lower() not in FUNCTION_WORDS]
    assert len(scorer.calls[0]) == len(content_words) + 2  # each flagged sentence, then minus each word
    assert set(result.sentences[0].triggers) == {"loaded_language"}
    assert [t.text for t in result.sentences[1].triggers["doubt"]] == ["allegedly"]
    assert result.sentences[2].triggers == {}  # clean sentences are not explained
    for sentence in result.sentences[:2]:
        for trigger in sum(sentence.triggers.values(), []):
            assert document[trigger.start : trigger.end] == trigger.text

    explainer.explain_document(result)
    assert len(scorer.calls) == 1  # second time from the cache


def test_sentences_without_words_have_no_triggers(scorer):
    assert OcclusionExplainer(scorer, LABELS).explain("?!", ["doubt"]) == {"doubt": []}
    assert OcclusionExplainer(scorer, LABELS).explain("Of the.", ["doubt"]) == {"doubt": []}


def test_function_words_are_never_triggers_and_do_not_join_phrases(scorer):
    sentence = "The destabilizing of the post-Maidan"
    triggers = OcclusionExplainer(scorer, LABELS, relative=0.0).explain(sentence, ["loaded_language"])
    assert sorted(t.text for t in triggers["loaded_language"]) == ["destabilizing", "post-Maidan"]


def test_triggers_serialise_in_the_check_json(scorer):
    sentence = SentenceResult(0, 0, len(SENTENCE), SENTENCE, ["loaded_language"], {"loaded_language": 0.9})
    sentence.triggers = OcclusionExplainer(scorer, LABELS).explain(SENTENCE, ["loaded_language"])
    row = DocumentResult([sentence], model="m").to_dict()["sentences"][0]
    assert row["triggers"]["loaded_language"][0] == {
        "start": SENTENCE.index("post-Maidan"), "end": SENTENCE.index(" in Kyiv"),
        "text": "post-Maidan government", "weight": 3.5,
    }


def test_classifier_scorer_gives_the_logits_behind_predict_proba(tiny_model_dir):
    from slant.models.classifier import SlantClassifier

    classifier = SlantClassifier.from_pretrained(tiny_model_dir)
    explainer = OcclusionExplainer.for_classifier(classifier)
    texts = [SENTENCE, "Short one.", ""]
    logits = explainer.scorer(texts)
    np.testing.assert_allclose(1 / (1 + np.exp(-logits)), classifier.predict_proba(texts), atol=1e-6)
    effects = explainer.word_effects([SENTENCE])[0]
    assert effects.drops.shape == (7, 16)  # 11 words less "the", "of", "the", "in"; 16 techniques
    assert isinstance(explainer.explain(SENTENCE, classifier.labels[:2])[classifier.labels[0]], list)


def test_released_model_finds_the_loaded_words(released_model_dir):
    """The issue's acceptance example, with the real model."""
    from slant.models.classifier import SlantClassifier

    classifier = SlantClassifier.from_pretrained(released_model_dir)
    sentence = "the destabilizing influence of the post-Maidan government in Kyiv"
    triggers = OcclusionExplainer.for_classifier(classifier).explain(sentence, ["loaded_language"])
    found = triggers["loaded_language"]
    assert found, "no loaded-language trigger found"

    def covers(trigger: Trigger, phrase: str) -> bool:
        start = sentence.index(phrase)
        return trigger.start <= start and start + len(phrase) <= trigger.end

    assert any(covers(t, "destabilizing") or covers(t, "post-Maidan government") for t in found), found
