"""Per-sentence caches give exactly what the uncached code gives, and stay bounded."""

from __future__ import annotations

import numpy as np
import pytest

from slant.inference.cache import CachedClassifier, CachedSplitter, LRUCache
from slant.models.sentences import split_sentences


def test_lru_cache_evicts_the_least_recently_used_and_zero_disables_it():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "b" is now the oldest
    cache.put("c", 3)
    assert (cache.get("b"), cache.get("a"), cache.get("c"), len(cache)) == (None, 1, 3, 2)
    off = LRUCache(0)
    off.put("a", 1)
    assert off.get("a") is None and len(off) == 0


@pytest.mark.parametrize("text", [
    "One. Two? Three!\n\nFour, said Dr. Who.\r\nFive \"quoted.\" Six\x0cSeven.\n   \n",
    "", "   ", "No terminator\nU.S. officials met at 3 p.m. on Monday. They left.",
])
def test_cached_splitter_matches_the_splitter(text):
    splitter = CachedSplitter(10)
    assert splitter(text) == split_sentences(text)
    assert splitter(text) == split_sentences(text)  # from the cache this time


def test_cached_classifier_scores_only_unseen_sentences(tiny_model_dir):
    from slant.models.classifier import SlantClassifier

    classifier = SlantClassifier.from_pretrained(tiny_model_dir)
    cached = CachedClassifier(classifier, size=100)
    seen: list[str] = []
    original = classifier.predict_proba
    classifier.predict_proba = lambda texts, **kw: seen.extend(texts) or original(texts, **kw)

    texts = ["A first sentence.", "A second one.", "A first sentence."]
    np.testing.assert_allclose(cached.predict_proba(texts), original(texts), atol=1e-6)
    assert seen == ["A first sentence.", "A second one."]  # the repeat scored once
    np.testing.assert_allclose(cached.predict_proba(["A second one.", "New."]), original(["A second one.", "New."]),
                               atol=1e-6)
    assert seen[2:] == ["New."]
    assert cached.labels == classifier.labels and cached.thresholds == classifier.thresholds
