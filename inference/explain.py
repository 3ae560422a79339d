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

The alternative, `GradientExplainer` (gradient x input, or integrated gradients with a few steps,
one forward and backward pass per batch of flagged sentences), is faster but finds other words:
`benchmarks/triggers.py` measures both on PTC's held-out articles (docs/editor.md, "How trigger
words are found"), and occlusion stays the default. Both fill `sentence.triggers` for
`sentence.labels` through `explain_document(result)`, so either can stand behind the labels a
span head does not cover.
"""

from __future__ import annotations

import contextlib
import inspect
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


class WordExplainer:
    """What every trigger-word method shares: which words are candidates (`_WORD` matches that are
    not `skip_words`, the first `max_sentence_words` of a sentence) and how per-word weights
    become phrases.

    `relative` keeps words whose weight is at least that share of the strongest word's;
    `min_drop` (logits) ignores weights too small to mean anything; at most `max_words` words per
    technique are kept and merged into at most `max_phrases` phrases. The model is used inside
    `with self.model_lock` (a server shares one model between requests); cache lookups are not.
    """

    def __init__(self, labels: Sequence[str], min_drop: float = 0.2, relative: float = 0.4, max_words: int = 5,
                 max_phrases: int = 3, max_sentence_words: int = 80, skip_words: frozenset[str] = FUNCTION_WORDS):
        self.labels = list(labels)
        self.min_drop = min_drop
        self.relative = relative
        self.max_words = max_words
        self.max_phrases = max_phrases
        # Words past ~80 lie beyond a 128-token window for typical English; they cannot matter.
        self.max_sentence_words = max_sentence_words
        self.skip_words = skip_words
        self.model_lock = contextlib.nullcontext()

    # -- public API -----------------------------------------------------------
    def explain_document(self, result):
        """Fill `triggers` for every flagged label of every sentence of a `DocumentResult`."""
        flagged = [s for s in result.sentences if s.labels]
        effects = self.word_effects([s.text for s in flagged], [s.labels for s in flagged])
        for sentence, effect in zip(flagged, effects):
            sentence.triggers = self.triggers(sentence.text, effect, sentence.labels, offset=sentence.start)
        return result

    def explain(self, sentence: str, labels: Sequence[str], offset: int = 0) -> dict[str, list[Trigger]]:
        """Trigger phrases of one sentence for `labels`; offsets are shifted by `offset`."""
        return self.triggers(sentence, self.word_effects([sentence], [labels])[0], labels, offset)

    def word_effects(self, sentences: Sequence[str], labels: Sequence[Sequence[str]] | None = None) -> list[WordEffects]:
        """Per-word weights of each sentence, for (at least) its `labels` (default: every label)."""
        raise NotImplementedError

    def words(self, text: str) -> tuple[tuple[int, int], ...]:
        """The (start, end) of each candidate word of `text`."""
        return tuple(m.span() for m in _WORD.finditer(text)
                     if m.group().lower() not in self.skip_words)[: self.max_sentence_words]

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


class OcclusionExplainer(WordExplainer):
    """Finds each flagged technique's trigger phrases by deleting one word at a time (see the
    module docstring); a word's weight is the fall in the technique's logit without it."""

    method = "occlusion"

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
        super().__init__(labels, min_drop, relative, max_words, max_phrases, max_sentence_words, skip_words)
        self.scorer = scorer
        self._cache: LRUCache[str, WordEffects] = LRUCache(cache_size)

    @classmethod
    def for_classifier(cls, classifier, **kwargs) -> "OcclusionExplainer":
        """An explainer scoring with a `SentenceClassifier`'s logits (the scoring core, any backend)."""
        return cls(classifier.logits, classifier.labels, **kwargs)

    def word_effects(self, sentences: Sequence[str], labels: Sequence[Sequence[str]] | None = None) -> list[WordEffects]:
        """Occlusion effects for each sentence, for every label at once (the logits of one variant
        hold them all, so `labels` changes nothing); every uncached variant is scored in one call."""
        results: dict[str, WordEffects] = {}
        todo: list[tuple[str, tuple[tuple[int, int], ...]]] = []
        for text in dict.fromkeys(sentences):  # unique, in order
            cached = self._cache.get(text)
            if cached is not None:
                results[text] = cached
            else:
                todo.append((text, self.words(text)))
        if todo:
            variants = [v for text, words in todo for v in [text, *(_delete(text, w) for w in words)]]
            with self.model_lock:
                logits = np.asarray(self.scorer(variants), dtype=np.float32)
            row = 0
            for text, words in todo:
                full, without = logits[row], logits[row + 1 : row + 1 + len(words)]
                effect = WordEffects(words, (full[None, :] - without).reshape(len(words), len(self.labels)))
                self._cache.put(text, effect)
                results[text] = effect
                row += 1 + len(words)
        return [results[text] for text in sentences]


class GradientExplainer(WordExplainer):
    """Trigger words from gradients, in one forward and one backward pass per batch of flagged
    (sentence, technique) pairs, with torch.

    A token's attribution to a technique is (x - x0) . mean gradient of the technique's logit
    along the way from x0 to x, x being the token's word embedding: with `steps=1` that is
    gradient x input (x0 = 0, the gradient taken at x), with `steps > 1` integrated gradients
    (Sundararajan et al., 2017) with a midpoint sum over `steps` points from a zero embedding
    for the sentence's tokens (special tokens kept). A word's weight is the sum over its word
    pieces, in logit units like occlusion's falls, and goes through the same selection.

    Only the labels asked for are explained (one backward pass covers one label per row, so a
    sentence flagged with two shown techniques is two rows). The torch network is the
    classifier's own on the torch backend; on ONNX it is loaded once from the model folder.
    """

    method = "gradient"

    def __init__(self, classifier, steps: int = 1, min_drop: float = 0.2, relative: float = 0.4, max_words: int = 5,
                 max_phrases: int = 3, max_sentence_words: int = 80, cache_size: int = 0,
                 skip_words: frozenset[str] = FUNCTION_WORDS, max_tokens: int = 4096, layer: str = "words"):
        super().__init__(classifier.labels, min_drop, relative, max_words, max_phrases, max_sentence_words,
                         skip_words)
        if steps < 1 or layer not in ("words", "embeddings"):
            raise ValueError("steps must be at least 1, layer 'words' or 'embeddings'")
        self.classifier = classifier
        self.steps = steps
        self.layer = layer  # attribute to the word embeddings, or to the embedding layer's output
        self.max_tokens = max_tokens  # tokens per forward/backward batch, steps and padding included
        self._module = None
        self._cache: LRUCache[tuple[str, str], np.ndarray] = LRUCache(cache_size)

    @classmethod
    def for_classifier(cls, classifier, **kwargs) -> "GradientExplainer":
        return cls(classifier, **kwargs)

    @property
    def module(self):
        """The classifier's torch network (loaded from its folder when it scores with ONNX)."""
        if self._module is None:
            backend = self.classifier.backend
            if getattr(backend, "module", None) is not None:
                self._module = backend.module
            else:
                from slant.models.classifier import SlantClassifier

                source = self.classifier.resolved or self.classifier.name
                self._module = SlantClassifier.from_pretrained(source).model
            self._module.eval()
        return self._module

    def word_effects(self, sentences: Sequence[str], labels: Sequence[Sequence[str]] | None = None) -> list[WordEffects]:
        """Per-word attributions of each sentence for its `labels` (default: every label); the
        columns of other labels are 0."""
        if labels is None:
            labels = [self.labels] * len(sentences)
        words = [self.words(text) for text in sentences]
        columns: dict[tuple[str, str], np.ndarray] = {}
        todo: list[tuple[str, str]] = []
        for text, wanted in zip(sentences, labels):
            for label in wanted:
                key = (text, label)
                if key in columns:
                    continue
                cached = self._cache.get(key)
                if cached is None:
                    todo.append(key)
                    columns[key] = None
                else:
                    columns[key] = cached
        if todo:
            with self.model_lock:
                computed = self._attribute([t for t, _ in todo], [self.labels.index(label) for _, label in todo])
            for key, attribution in zip(todo, computed):
                self._cache.put(key, attribution)
                columns[key] = attribution
        effects = []
        for text, wanted, spans in zip(sentences, labels, words):
            drops = np.zeros((len(spans), len(self.labels)), dtype=np.float32)
            for label in wanted:
                drops[:, self.labels.index(label)] = _word_sums(spans, *columns[(text, label)])
            effects.append(WordEffects(spans, drops))
        return effects

    def _attribute(self, texts: list[str], columns: list[int]) -> list[tuple[list[tuple[int, int]], np.ndarray]]:
        """For each (text, label column): its tokens' character offsets and attributions."""
        import torch

        from slant.models.scoring import length_batches

        core = self.classifier
        ids, types, offsets = core._tokenize(texts, None, offsets=True)
        lengths = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
        module = self.module
        layer = module.base_model.embeddings if self.layer == "embeddings" else module.get_input_embeddings()
        accepts = set(inspect.signature(module.forward).parameters)
        alphas = [1.0] if self.steps == 1 else [(k + 0.5) / self.steps for k in range(self.steps)]
        out: list = [None] * len(texts)
        for index in length_batches(lengths, max(1, self.max_tokens // len(alphas)), core.max_batch):
            inputs = {name: torch.from_numpy(value) for name, value in core._pad(ids, types, index, lengths[index]).items()
                      if name in accepts}
            width = inputs["input_ids"].shape[1]
            special = torch.tensor([[(s, e) == (0, 0) for s, e in offsets[i]] + [True] * (width - len(offsets[i]))
                                    for i in index])
            with torch.no_grad():
                x = _layer_output(module, layer, inputs).float()
            # x0: zero for gradient x input; for integrated gradients the sentence's tokens start
            # from zero and special tokens stay as they are
            baseline = torch.where(special[..., None], x, torch.zeros_like(x)) if len(alphas) > 1 else torch.zeros_like(x)
            points = torch.cat([baseline + a * (x - baseline) for a in alphas]).requires_grad_(True)
            repeated = {name: value.repeat(len(alphas), 1) for name, value in inputs.items()}
            chosen = torch.tensor([columns[i] for i in index] * len(alphas))
            handle = layer.register_forward_hook(lambda _module, _inputs, _output: points)
            try:
                with torch.enable_grad():
                    logits = module(**repeated).logits.float()
                    (gradient,) = torch.autograd.grad(logits[torch.arange(len(chosen)), chosen].sum(), points)
            finally:
                handle.remove()
            mean_gradient = gradient.reshape(len(alphas), len(index), *gradient.shape[1:]).mean(dim=0)
            attribution = ((x - baseline) * mean_gradient).sum(dim=-1).numpy()
            for row, i in enumerate(index):
                out[i] = (list(offsets[i]), attribution[row, : lengths[i]])
        return out


def _layer_output(module, layer, inputs):
    """What `layer` outputs when `module` runs on `inputs` (the rest of the network is not run)."""
    captured = {}

    class Stop(Exception):
        pass

    def keep(_module, _inputs, output):
        captured["output"] = output
        raise Stop

    handle = layer.register_forward_hook(keep)
    try:
        module(**inputs)
    except Stop:
        pass
    finally:
        handle.remove()
    return captured["output"]


def _word_sums(words: tuple[tuple[int, int], ...], offsets: list[tuple[int, int]], values: np.ndarray) -> np.ndarray:
    """Each word's sum of the values of the tokens that start inside it (special tokens, (0, 0), none)."""
    sums = np.zeros(len(words), dtype=np.float32)
    if not words:
        return sums
    starts = np.array([w[0] for w in words])
    ends = np.array([w[1] for w in words])
    for (start, end), value in zip(offsets, values):
        if end <= start:
            continue
        w = int(np.searchsorted(starts, start, side="right")) - 1
        if w >= 0 and start < ends[w]:
            sums[w] += value
    return sums


def _delete(text: str, span: tuple[int, int]) -> str:
    """`text` without the word at `span`; the tokenizer ignores the doubled space left behind."""
    return text[: span[0]] + text[span[1] :]


def _joinable(text: str, left: tuple[int, int], right: tuple[int, int]) -> bool:
    return _JOINABLE_GAP.fullmatch(text[left[1] : right[0]]) is not None
