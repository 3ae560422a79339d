"""The ONNX Runtime backend scores like torch; int8 is refused until validated."""

from __future__ import annotations

import json

import numpy as np
import pytest

from slant.models import onnx as onnx_backend
from slant.models.backends import load_backend
from slant.models.errors import SlantError

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

TEXTS = ["Critics say the reform is a disaster.", "The council met on Monday.",
         "Only a fool would believe the so-called experts who keep lying to the nation about everything.", "Rain."]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("onnx-cache")


def sentences():
    return [s for text in TEXTS for s in (text.split(" ") + [text])] * 3


def test_onnx_scores_equal_torch(tiny_model_dir, cache, monkeypatch):
    monkeypatch.setenv("SLANT_CACHE", str(cache))
    torch_model = load_backend(str(tiny_model_dir), threads=1)
    onnx_model = load_backend(str(tiny_model_dir), "onnx", threads=1)
    assert onnx_model.backend.name == "onnx" and list(cache.glob(f"onnx/*/{onnx_backend.FP32_FILE}"))
    batch = sentences()  # several lengths and batch sizes: the exported axes are dynamic
    np.testing.assert_allclose(onnx_model.predict_proba(batch), torch_model.predict_proba(batch), atol=1e-5)
    np.testing.assert_allclose(onnx_model.logits(batch), torch_model.logits(batch), atol=1e-4)
    assert onnx_model.thresholds == torch_model.thresholds and onnx_model.name == torch_model.name


def test_int8_needs_a_passing_validation(tiny_model_dir, cache, monkeypatch):
    monkeypatch.setenv("SLANT_CACHE", str(cache))
    with pytest.raises(SlantError, match="E106.*not been validated"):
        load_backend(str(tiny_model_dir), "onnx-int8")
    fp32 = load_backend(str(tiny_model_dir), "onnx", threads=1)
    texts = sentences()
    targets = fp32.rule.flags(fp32.predict_proba(texts)).astype(int)  # fp32 scores 1.0 on these
    # The tiny random model scores everything near its 0.5 cut-offs, so int8 flips a few of these
    # decisions (micro-F1 0.97): a tolerance of 0.05 makes the validation pass, and the int8
    # backend must then load and score close to fp32 (checked every run, not only if).
    validation = onnx_backend.validate_int8(str(tiny_model_dir), texts, targets, data="test sentences", tolerance=0.05)
    assert validation.fp32_micro_f1 == 1.0 and validation.sentences == len(texts)
    assert validation.int8_micro_f1 >= 1.0 - validation.tolerance and validation.passed, validation
    assert onnx_backend.read_validation(onnx_backend.cache_folder(str(tiny_model_dir))) == validation
    int8 = load_backend(str(tiny_model_dir), "onnx-int8", threads=1)
    assert int8.backend.name == "onnx-int8"
    assert np.abs(int8.predict_proba(texts) - fp32.predict_proba(texts)).max() < 0.05
    folder = onnx_backend.cache_folder(str(tiny_model_dir))
    failed = onnx_backend.Int8Validation(0.60, 0.55, "held-out", 10)
    (folder / onnx_backend.VALIDATION_FILE).write_text(
        json.dumps({**vars(failed), "delta": failed.delta, "passed": failed.passed}))
    with pytest.raises(SlantError, match="E106.*fell by 0.050"):
        load_backend(str(tiny_model_dir), "onnx-int8")


def test_a_cached_export_loads_without_the_torch_weights(tiny_model_dir, cache, monkeypatch):
    monkeypatch.setenv("SLANT_CACHE", str(cache))
    load_backend(str(tiny_model_dir), "onnx", threads=1)  # exported (or already there)
    from slant.models import classifier

    monkeypatch.setattr(classifier.SlantClassifier, "from_pretrained",
                        classmethod(lambda *a, **k: pytest.fail("loaded torch weights for a cached export")))
    assert load_backend(str(tiny_model_dir), "onnx", threads=1).predict_proba(["Fine."]).shape == (1, 16)


def test_missing_onnxruntime_gives_an_install_hint(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_onnxruntime(name, *args, **kwargs):
        if name == "onnxruntime":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_onnxruntime)
    with pytest.raises(SlantError, match=r"E105.*pip install 'slant\[onnx\]'"):
        onnx_backend.require_onnxruntime()


def test_an_unknown_backend_is_a_one_line_error(tiny_model_dir):
    with pytest.raises(SlantError, match=r"^\[E023\] bad argument --backend='tensorrt': choose one of auto, torch, onnx, onnx-int8$"):
        load_backend(str(tiny_model_dir), "tensorrt")
