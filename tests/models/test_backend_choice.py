"""The default backend (`auto`) is the fastest one allowed: int8 only where a validation record
holds for these exact weights and cut-offs, else ONNX fp32, else torch; the int8 graph made on
first use is the same bytes every time."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from slant.models import backends
from slant.models import onnx as onnx_backend
from slant.models.errors import SlantError

pytest.importorskip("onnxruntime")

TEXTS = ["Critics say the reform is a disaster.", "The council met on Monday.", "Rain."]


@pytest.fixture(scope="module")
def validated(tiny_model_dir, tmp_path_factory):
    """A copy of the tiny model whose folder carries a passing int8 validation record."""
    model = tmp_path_factory.mktemp("validated") / "model"
    shutil.copytree(tiny_model_dir, model)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SLANT_CACHE", str(tmp_path_factory.mktemp("measured")))
        fp32 = backends.load_backend(str(model), "onnx", threads=1)
        targets = fp32.rule.flags(fp32.predict_proba(TEXTS)).astype(int)
        validation = onnx_backend.validate_int8(str(model), TEXTS, targets, data="tiny", tolerance=1.0, ship=True)
    assert validation.passed and (model / onnx_backend.VALIDATION_FILE).is_file()
    return model


@pytest.fixture
def shipped(validated, tmp_path, monkeypatch):
    """What a fresh clone of a repository with a shipped record has: the folder and its record,
    and an empty cache (nothing exported or measured on this machine)."""
    model = tmp_path / "model"
    shutil.copytree(validated, model)
    monkeypatch.setenv("SLANT_CACHE", str(tmp_path / "fresh"))
    return model


def test_a_shipped_record_for_these_weights_makes_int8_the_default(shipped, tmp_path):
    record = json.loads((shipped / onnx_backend.VALIDATION_FILE).read_text())
    assert record["weights_sha256"] == onnx_backend.weights_sha256(shipped)
    assert record["decision"]["max_length"] == 128 and record["passed"] is True
    assert backends.choose_backend(str(shipped))[0] == "onnx-int8"
    classifier = backends.load_backend(str(shipped), threads=1)  # no backend named: auto
    assert classifier.backend.name == "onnx-int8"
    # exported and quantised on first use, into the fresh cache, to the very graph measured
    graph = onnx_backend.cache_folder(str(shipped)) / onnx_backend.INT8_FILE
    assert str(graph).startswith(str(tmp_path / "fresh"))
    assert onnx_backend.file_sha256(graph) == record["int8_graph_sha256"]


def test_a_record_for_other_weights_is_ignored(shipped):
    from safetensors.numpy import load_file, save_file

    weights = shipped / "model.safetensors"
    tensors = load_file(str(weights))
    name = next(k for k in tensors if k.endswith("classifier.bias"))
    tensors[name] = tensors[name] + 0.01  # "retrained": the record no longer describes these weights
    save_file(tensors, str(weights), metadata={"format": "pt"})
    backend, why = backends.choose_backend(str(shipped))
    assert backend == "onnx" and "other weights" in why
    assert backends.load_backend(str(shipped), threads=1).backend.name == "onnx"
    with pytest.raises(SlantError, match=r"E106.*measured on other weights.*--write-validation"):
        backends.load_backend(str(shipped), "onnx-int8")


def test_a_record_for_other_thresholds_is_ignored(shipped):
    config_path = shipped / "config.json"
    config = json.loads(config_path.read_text())
    config["thresholds"] = {**(config.get("thresholds") or {}), "doubt": 0.3}
    config_path.write_text(json.dumps(config))
    backend, why = backends.choose_backend(str(shipped))
    assert backend == "onnx" and "other thresholds" in why


def test_a_failed_record_is_not_used(shipped):
    path = shipped / onnx_backend.VALIDATION_FILE
    record = json.loads(path.read_text())
    record.update(int8_micro_f1=record["fp32_micro_f1"] - 0.5, tolerance=0.01)
    path.write_text(json.dumps(record))
    backend, why = backends.choose_backend(str(shipped))
    assert backend == "onnx" and "fell by 0.500" in why


def test_no_record_means_onnx_fp32(tiny_model_dir):
    backend, why = backends.choose_backend(str(tiny_model_dir))
    assert backend == "onnx" and "not been validated" in why


def test_without_onnxruntime_the_default_is_torch(tiny_model_dir, monkeypatch):
    monkeypatch.setattr(backends, "onnxruntime_importable", lambda: False)
    assert backends.choose_backend(str(tiny_model_dir)) == ("torch", "onnxruntime is not installed")
    assert backends.load_backend(str(tiny_model_dir), threads=1).backend.name == "torch"


def test_a_failed_export_falls_back_to_torch_only_for_auto(tiny_model_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("SLANT_CACHE", str(tmp_path))

    def cannot_export(classifier, path):
        raise SlantError("E107", model=classifier.name, reason="unsupported operator")

    monkeypatch.setattr(onnx_backend, "export_onnx", cannot_export)
    assert backends.load_backend(str(tiny_model_dir), threads=1).backend.name == "torch"
    with pytest.raises(SlantError, match="E107"):
        backends.load_backend(str(tiny_model_dir), "onnx", threads=1)


def test_the_int8_graph_is_the_same_bytes_from_the_same_weights(tiny_model_dir, tmp_path):
    from slant.models.encoder import resolve_model

    resolved = resolve_model(str(tiny_model_dir))
    graphs = [onnx_backend.ensure_exported(resolved, tmp_path / name, int8=True) for name in ("a", "b")]
    assert onnx_backend.file_sha256(graphs[0]) == onnx_backend.file_sha256(graphs[1])


def test_auto_scores_as_torch(tiny_model_dir):
    auto = backends.load_backend(str(tiny_model_dir), threads=1)
    reference = backends.load_backend(str(tiny_model_dir), "torch", threads=1)
    np.testing.assert_allclose(auto.predict_proba(TEXTS), reference.predict_proba(TEXTS), atol=1e-5)


def test_a_failed_quantisation_falls_back_to_onnx_fp32(shipped, monkeypatch):
    def disk_full(fp32_path, int8_path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(onnx_backend, "quantize_int8", disk_full)
    assert backends.choose_backend(str(shipped))[0] == "onnx-int8"
    assert backends.load_backend(str(shipped), threads=1).backend.name == "onnx"
    with pytest.raises(SlantError, match=r"E107.*No space left on device"):
        backends.load_backend(str(shipped), "onnx-int8", threads=1)
