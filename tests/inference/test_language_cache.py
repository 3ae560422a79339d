"""The language detector's model is unpacked once into the cache and read from there after: the
same decisions as the packaged model, and a damaged cache falls back to the packaged file."""

from __future__ import annotations

import pytest

from slant.inference import language

TEXTS = ["Der Hund ist schön und die Katze auch, aber nicht heute.",
         "The council met on Tuesday and approved the budget for next year.",
         "¿Dónde está la biblioteca de la ciudad? Nadie lo sabe.", "Rain."]


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    monkeypatch.setenv("SLANT_CACHE", str(tmp_path))
    language._identifier.cache_clear()
    yield tmp_path
    language._identifier.cache_clear()


def test_the_unpacked_model_decides_as_the_packaged_one(fresh):
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    packaged = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    first = language._identifier()  # unpacks into the cache
    assert list((fresh / "langid").iterdir())
    language._identifier.cache_clear()
    cached = language._identifier()  # reads the cache
    for text in TEXTS:
        assert cached.classify(text) == first.classify(text) == packaged.classify(text)
        assert cached.rank(text)[:3] == packaged.rank(text)[:3]


def test_a_damaged_cache_falls_back_to_the_packaged_model(fresh):
    language._identifier()
    for path in (fresh / "langid").rglob("ptc.npy"):
        path.write_bytes(b"not an array")
    language._identifier.cache_clear()
    assert language.detect(TEXTS[0]).code == "de"
