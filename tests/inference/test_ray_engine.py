"""`--engine ray` on a local Ray instance writes what the local engine writes."""

from __future__ import annotations

import pytest
from scoring_data import TEXTS, assert_same_scores, write_jsonl

from slant.inference.sinks import read_frame, read_manifest

pytest.importorskip("ray")


def test_ray_engine_output_equals_the_local_engine(scorer, tiny_model_dir, tmp_path):
    from slant.inference.ray_engine import score_with_ray

    texts = list(TEXTS.values())
    records = [{"id": f"d{i}", "text": texts[i % len(texts)]} for i in range(40)] + [{"id": "e", "text": " "}, "oops"]
    corpus = write_jsonl(tmp_path / "c.jsonl", records)
    local = scorer.score_file(corpus, tmp_path / "local", chunk_size=16)
    ray_totals = score_with_ray(corpus, tmp_path / "ray", model=str(tiny_model_dir), actors=1, threads=1,
                                chunk_size=8, quiet=True)
    assert vars(ray_totals) == vars(local) == {"read": 42, "scored": 40, "rejected": 2, "sentences": vars(local)["sentences"]}
    assert read_manifest(tmp_path / "ray").engine == "ray"
    assert_same_scores(read_frame(tmp_path / "ray", "sentences"), read_frame(tmp_path / "local", "sentences"))
    for table in ("documents", "rejects"):
        got, want = read_frame(tmp_path / "ray", table), read_frame(tmp_path / "local", table)
        assert got.drop(columns=["strongest"], errors="ignore").round(5).equals(
            want.drop(columns=["strongest"], errors="ignore").round(5)), table
