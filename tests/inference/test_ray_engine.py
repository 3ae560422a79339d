"""`--engine ray` on a local Ray instance writes what the local engine writes, and records the
same run settings (for a `models:/name@alias` model: the same resolved version and weights)."""

from __future__ import annotations

import pytest
from fixtures.tiny import register_models
from scoring_data import TEXTS, assert_same_scores, write_jsonl

from slant.inference.sinks import read_frame, read_manifest

pytest.importorskip("ray")

GERMAN = "Die Regierung hat die Steuern erhöht, und die Opposition spricht von einem Verrat an den Bürgern."


@pytest.mark.integration
def test_ray_engine_output_equals_the_local_engine(tiny_model_dir, tmp_path, mlflow_local):
    from slant.inference.batch import Scorer
    from slant.inference.ray_engine import score_with_ray
    from slant.training.registry import Registry

    register_models("slant-ray-test", [tiny_model_dir])
    Registry("slant-ray-test").promote("1")
    uri = "models:/slant-ray-test@champion"

    texts = list(TEXTS.values())
    records = [{"id": f"d{i}", "text": texts[i % len(texts)]} for i in range(40)] + [
        {"id": "e", "text": " "}, "oops", {"id": "de", "text": GERMAN}]
    corpus = write_jsonl(tmp_path / "c.jsonl", records)
    local = Scorer.load(uri, threads=1).score_file(corpus, tmp_path / "local", chunk_size=16)
    ray_totals = score_with_ray(corpus, tmp_path / "ray", model=uri, actors=1, threads=1, chunk_size=8, quiet=True)
    assert vars(ray_totals) == vars(local) == {"read": 43, "scored": 40, "rejected": 3, "sentences": vars(local)["sentences"]}
    ray_manifest, local_manifest = read_manifest(tmp_path / "ray"), read_manifest(tmp_path / "local")
    assert ray_manifest.engine == "ray"
    assert ray_manifest.settings == local_manifest.settings  # the same model identity, by both engines
    assert (ray_manifest.settings["model"], ray_manifest.settings["registered_version"]) == (uri, "1")
    assert_same_scores(read_frame(tmp_path / "ray", "sentences"), read_frame(tmp_path / "local", "sentences"))
    for table in ("documents", "rejects"):
        got, want = read_frame(tmp_path / "ray", table), read_frame(tmp_path / "local", table)
        assert got.drop(columns=["strongest"], errors="ignore").round(5).equals(
            want.drop(columns=["strongest"], errors="ignore").round(5)), table
    assert read_frame(tmp_path / "ray", "rejects").code.tolist() == ["empty_text", "bad_record", "unsupported_language"]
