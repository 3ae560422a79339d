"""The prevalence benchmark rebuilds the recipe's held-out PTC articles exactly (needs ../shared)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data" / "ptc"

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def bench():
    if not (SHARED / "train-articles").is_dir():
        pytest.skip(f"no PTC corpus in {SHARED}")
    spec = importlib.util.spec_from_file_location("prevalence_benchmark", ROOT / "benchmarks" / "prevalence.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_held_out_articles_are_the_recipes(bench, monkeypatch):
    from slant.training.config import load_config

    monkeypatch.chdir(ROOT)  # the config's corpus paths are relative to the repository
    lines = bench.held_out_lines(load_config("configs/ptc-minilm.yaml"))
    assert lines["doc_id"].nunique() == 74 and len(lines) == 2952  # as the model card and heldout_confusion
    halves = bench.halves(sorted(set(lines["doc_id"])), 0)
    assert sorted(set(halves.values())) == ["A", "B"] and sum(v == "A" for v in halves.values()) == 37


def test_truth_is_span_overlap_and_counts_add_up(bench):
    lines = pd.DataFrame({"id": ["a-0", "a-1"], "doc_id": ["a", "a"], "start": [0, 20]})
    sentences = pd.DataFrame({"doc_id": ["a-0", "a-1", "a-1"], "start": [0, 0, 6], "end": [19, 5, 12]})
    spans = {"a": [("doubt", 22, 24), ("slogans", 100, 110)]}
    truth = bench.sentence_truth(sentences, lines, spans, ["doubt", "slogans"])
    assert truth.tolist() == [[False, False], [True, False], [False, False]]
    flags = np.array([[True, False], [True, False], [False, False]])
    counts = bench.counts_from(flags, truth, ["doubt", "slogans"])
    assert counts["doubt"].as_dict() == {"tp": 1, "fp": 1, "fn": 0, "tn": 1}
    assert bench.design_effect_of(np.array([1, 1, 0, 0]), np.array(["x", "x", "y", "y"])) > 1  # errors clustered
