"""The held-out pool that calibration and the release benchmarks share."""

from __future__ import annotations

from datasets import Dataset

from slant.training.data import TrainingData
from slant.training.release import heldout_pool


def _rows(docs, corpus):
    return Dataset.from_dict({"doc_id": docs, "text": [f"s{i}" for i in range(len(docs))], "corpus": [corpus] * len(docs)})


def test_pool_keeps_real_text_only_and_marks_the_held_out_articles():
    validation = Dataset.from_dict({
        "doc_id": ["v1", "v1", "h1"], "text": ["a", "b", "hand"], "corpus": ["ptc", "realnews", "hand"],
    })
    data = TrainingData(train=_rows(["t"], "ptc"), validation=validation, test=_rows(["x", "y"], "ptc"))
    pool, held_out = heldout_pool(data)
    assert pool["doc_id"] == ["v1", "v1", "x", "y"]          # the hand-written sentence is left out
    assert held_out.tolist() == [False, False, True, True]
    no_test = TrainingData(train=_rows(["t"], "ptc"), validation=validation)
    assert not heldout_pool(no_test)[1].any()
