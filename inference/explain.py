"""Trigger words: which words of a flagged sentence drove each technique's prediction.

Method: leave-one-word-out occlusion (Li et al., 2016, "Understanding Neural Networks through
Representation Erasure"). Each word of a sentence is deleted in turn and the sentence is
re-scored; a word's effect on a technique is how far the technique's logit falls without it.
All variants of all sentences go through the model in one batched call, so explaining a
sentence of n words costs n + 1 sentence forwards and no gradients (function words such as
"the" or "of" are not deleted: they carry no framing alone, and skipping them saves a third).

Why this method: it asks the model a question an editor understands ("would it still flag this
sentence without the word?"), it needs nothing beyond the classifier, and unlike gradients it
measures an actual change in the output. Logits, not probabilities, are compared, because a
sentence scored 0.99 with two loaded words barely moves in probability when either one goes
(saturation), but its logit still falls for each.

Known limits: a word whose effect needs another word present is credited only partly (single
deletions do not capture interactions); words past the model's token window (`slant_max_length`
in its config, 128 for the released model) have no effect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from slant.inference.cache import LRUCache

# A word: letters or digits, with inner hyphens and apostrophes ("post-Maidan", "don't").
_WORD = re.compile(r"[^\W_](?:[\w'\u2019-]*[^\W_])?")
# Words separated only by spaces or a hyphen merge into one phrase; punctuation splits them.
_JOINABLE_GAP = re.compile(r"[ \t\u00a0-]*")
# Not occluded: articles, prepositions and forms of "be" carry no framing on their own, and
# skipping them saves about a third of the model passes. Words that can carry a technique
# ("all", "never", "either", "or", "so-called", "really") are deliberately not listed.
FUNCTION_WORDS = frozenset(
    "a an the of in on at to for by with from into as is are was were be been being and its".split()
)


@dataclass(frozen=True)
class Trigger:
    """A phrase that drives a technique: character offsets and its total logit effect."""

    start: int
    end: int
    text: str
    weight: float  # summed fall in the technique's logit when each word is deleted alone

    def as_json(self) -> dict:
        return {"start": self.start, "end": self.end, "text": self.text, "weight": self.weight}


@dataclass(frozen=True)
class WordEffects:
    """For one sentence: its words' (start, end) offsets and, per word, the logit fall per label."""

    words: tuple[tuple[int, int], ...]
    drops: np.ndarray  # shape (len(words), n_labels)


Scorer = Callable[[Sequence[str]], np.ndarray]  # sentences -> logits, shape (n, n_labels)


class OcclusionExplainer:
    """Finds each flagged technique's trigger phrases by deleting one word at a time.

    `relative` keeps words whose effect is at least that share of the strongest word's;
    `min_drop` (logits) ignores effects too small to mean anything; at most `max_words` words
    per technique are kept and merged into at most `max_phrases` phrases.
    """

    def __init__(
        self,
        scorer: Scorer,
        labels: Sequence[str],
        min_drop: float = 0.2,
        relative: float = 0.4,
        max_words: int = 5,
        max_phrases: int = 3,
        max_sentence_words: int = 80,
        cache_size: int = 0,
        skip_words: frozenset[str] = FUNCTION_WORDS,
    ):
        self.scorer = scorer
        self.labels = list(labels)
        self.min_drop = min_drop
        self.relative = relative
        self.max_words = max_words
        self.max_phrases = max_phrases
        # Words past ~80 lie beyond a 128-token window for typical English; deleting them
        # changes nothing, so they are not worth a forward pass each.
        self.max_sentence_words = max_sentence_words
        self.skip_words = skip_words
        self._cache: LRUCache[str, WordEffects] = LRUCache(cache_size)

    @classmethod
    def for_classifier(cls, classifier, **kwargs) -> "OcclusionExplainer":
        """An explainer scoring with a `SentenceClassifier`'s logits (the scoring core, any backend)."""
        return cls(classifier.logits, classifier.labels, **kwargs)

    # -- public API -----------------------------------------------------------
    def explain_document(self, result):
        """Fill `triggers` for every flagged label of every sentence of a `DocumentResult`."""
        flagged = [s for s in result.sentences if s.labels]
        effects = self.word_effects([s.text for s in flagged])
        for sentence, effect in zip(flagged, effects):
            sentence.triggers = self.triggers(sentence.text, effect, sentence.labels, offset=sentence.start)
        return result

    def explain(self, sentence: str, labels: Sequence[str], offset: int = 0) -> dict[str, list[Trigger]]:
        """Trigger phrases of one sentence for `labels`; offsets are shifted by `offset`."""
        return self.triggers(sentence, self.word_effects([sentence])[0], labels, offset)

    def word_effects(self, sentences: Sequence[str]) -> list[WordEffects]:
        """Occlusion effects for each sentence; every uncached variant is scored in one call."""
        results: dict[str, WordEffects] = {}
        todo: list[tuple[str, tuple[tuple[int, int], ...]]] = []
        for text in dict.fromkeys(sentences):  # unique, in order
            cached = self._cache.get(text)
            if cached is not None:
                results[text] = cached
            else:
                words = tuple(
                    m.span() for m in _WORD.finditer(text) if m.group().lower() not in self.skip_words
                )[: self.max_sentence_words]
                todo.append((text, words))
        if todo:
            variants = [v for text, words in todo for v in [text, *(_delete(text, w) for w in words)]]
            logits = np.asarray(self.scorer(variants), dtype=np.float32)
            row = 0
            for text, words in todo:
                full, without = logits[row], logits[row + 1 : row + 1 + len(words)]
                effect = WordEffects(words, (full[None, :] - without).reshape(len(words), len(self.labels)))
                self._cache.put(text, effect)
                results[text] = effect
                row += 1 + len(words)
        return [results[text] for text in sentences]

    def triggers(
        self, text: str, effect: WordEffects, labels: Sequence[str], offset: int = 0
    ) -> dict[str, list[Trigger]]:
        """Trigger phrases per label from precomputed word effects."""
        strongest = effect.drops.max(axis=0) if effect.words else np.zeros(len(self.labels))
        columns = {label: self.labels.index(label) for label in labels}
        return {
            label: self._phrases(text, effect, column, offset) if strongest[column] >= self.min_drop else []
            for label, column in columns.items()
        }

    # -- selection --------------------------------------------------------------
    def _phrases(self, text: str, effect: WordEffects, column: int, offset: int) -> list[Trigger]:
        if not effect.words:
            return []
        drops = effect.drops[:, column]
        strongest = float(drops.max())
        cut = max(self.min_drop, self.relative * strongest)
        ranked = [i for i in np.argsort(-drops, kind="stable")[: self.max_words] if drops[i] >= cut]
        phrases: list[list[int]] = []
        for i in sorted(ranked):
            if phrases and phrases[-1][-1] == i - 1 and _joinable(text, effect.words[i - 1], effect.words[i]):
                phrases[-1].append(i)
            else:
                phrases.append([i])
        triggers = []
        for phrase in phrases:
            start, end = effect.words[phrase[0]][0], effect.words[phrase[-1]][1]
            weight = round(float(sum(drops[i] for i in phrase)), 4)
            triggers.append(Trigger(offset + start, offset + end, text[start:end], weight))
        triggers.sort(key=lambda t: -t.weight)
        return triggers[: self.max_phrases]


def _delete(text: str, span: tuple[int, int]) -> str:
    """`text` without the word at `span`; the tokenizer ignores the doubled space left behind."""
    return text[: span[0]] + text[span[1] :]


def _joinable(text: str, left: tuple[int, int], right: tuple[int, int]) -> bool:
    return _JOINABLE_GAP.fullmatch(text[left[1] : right[0]]) is not None
