"""Caches for `slant serve`, so re-checking an edited draft only scores the sentences that changed.

An editor submits the same draft many times while revising it. At inference each sentence is
scored on its own (no context segment), so its probabilities depend only on its text and a cached
row stands in for a fresh one: equal to float precision, not bit for bit, since a sentence's batch
mates change its padding. `CachedClassifier` keeps the probabilities of each sentence,
`CachedSplitter` the sentences of each line (line breaks are hard sentence boundaries).
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from typing import Generic, Sequence, TypeVar

import numpy as np

from slant.models.sentences import LINE, Span, split_sentences

K = TypeVar("K")
V = TypeVar("V")


class LRUCache(Generic[K, V]):
    """A thread-safe least-recently-used map holding at most `size` entries (0 disables it)."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: K) -> V | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
            self.misses += 1
            return None

    def put(self, key: K, value: V) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


class CachedClassifier:
    """Wraps a scoring core (`SentenceClassifier`, any backend) so `predict_proba` scores only
    sentences it has not seen.

    Everything else (labels, thresholds, `rule`, `logits`, the backend) is the wrapped classifier's.
    `model_lock`, if given, is held while the model runs, so that lookups never wait for it.
    """

    def __init__(self, classifier, size: int = 20_000, model_lock: threading.Lock | None = None):
        self.classifier = classifier
        self.cache: LRUCache[str, np.ndarray] = LRUCache(size)
        self.model_lock = model_lock or contextlib.nullcontext()

    def __getattr__(self, name):
        return getattr(self.classifier, name)

    def predict_proba(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        return self.score(texts, batch_size=batch_size)[0]

    def score(self, texts: Sequence[str], contexts=None, tokens: bool = False, batch_size: int | None = None):
        """The core's `score`, for sentences not seen before only; with a span head, each entry
        keeps the sentence's token scores too, so the spans of a re-checked sentence cost nothing."""
        texts = list(texts)
        tokens = tokens and self.classifier.span_head is not None
        out = np.zeros((len(texts), len(self.classifier.labels)), dtype=np.float32)
        token_out: list = [None] * len(texts)
        missing: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            entry = self.cache.get(text)
            if entry is None or (tokens and entry[1] is None):
                missing.setdefault(text, []).append(i)
            else:
                out[i], token_out[i] = entry
        if missing:
            with self.model_lock:
                scored, scored_tokens = self.classifier.score(list(missing), contexts, tokens=tokens,
                                                              batch_size=batch_size)
            for n, (text, rows) in enumerate(missing.items()):
                entry = (scored[n], scored_tokens[n] if scored_tokens is not None else None)
                self.cache.put(text, entry)
                out[rows] = entry[0]
                for i in rows:
                    token_out[i] = entry[1]
        return out, (token_out if tokens else None)


class CachedSplitter:
    """`split_sentences` with the sentences of each line cached.

    The splitter treats every line on its own (line breaks are hard boundaries), so a text's
    sentences are its lines' sentences shifted by each line's start; an edit to one paragraph
    re-splits only that paragraph.
    """

    def __init__(self, size: int = 5_000):
        self.cache: LRUCache[str, list[Span]] = LRUCache(size)
        # `split_sentences` is thread-safe on its own (one pysbd segmenter per thread); this lock
        # only makes concurrent requests split one at a time, which costs no parallelism since
        # splitting is pure Python and holds the GIL anyway.
        self._split_lock = threading.Lock()

    def __call__(self, text: str) -> list[Span]:
        spans: list[Span] = []
        for line in LINE.finditer(text):
            local = self.cache.get(line.group())
            if local is None:
                with self._split_lock:
                    local = split_sentences(line.group())
                self.cache.put(line.group(), local)
            offset = line.start()
            spans.extend(Span(s.start + offset, s.end + offset, s.text) for s in local)
        return spans
