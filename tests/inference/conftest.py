"""Fixtures for the scoring tests: one tiny-model `Scorer` and a small corpus."""

from __future__ import annotations

import pytest
from scoring_data import TEXTS, write_jsonl


@pytest.fixture(scope="session")
def scorer(tiny_model_dir):
    from slant.inference.batch import Scorer

    return Scorer.load(str(tiny_model_dir), threads=1)


@pytest.fixture
def corpus(tmp_path):
    """The TEXTS as a JSONL file."""
    return write_jsonl(tmp_path / "corpus.jsonl", [{"id": k, "text": v} for k, v in TEXTS.items()])
