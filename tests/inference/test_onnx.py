"""The ONNX Runtime backend scores like torch; int8 is refused until validated."""

from __future__ import annotations

import numpy as np
import pytest
from scoring_data import TEXTS

from slant.inference.batch import Scorer
from slant.models.errors import SlantError

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("onnx-cache")


def sentences():
    return [s for text in TEXTS.values() for s in (text.split(". ") + [text])] * 3


def test_onnx_scores_equal_torch(scorer, tiny_model_dir, cache, monkeypatch):
    monkeypatch.setenv("SLANT_CACHE", str(cache))
    onnx = Scorer.load(str(tiny_model_dir), backend="onnx", threads=1)
    assert onnx.backend.name == "onnx" and list(cache.glob("onnx/*/model.onnx"))
    batch = sentences()  # several lengths and batch sizes: the exported axes are dynamic
    assert np.allclose(onnx.backend.predict_proba(batch), scorer.backend.predict_proba(batch), atol=1e-5)
    assert onnx.backend.fingerprint()["backend"] == "onnx"


def test_int8_needs_a_passing_validation(tiny_model_dir, cache, monkeypatch):
    from slant.inference import onnx_runtime

    monkeypatch.setenv("SLANT_CACHE", str(cache))
    with pytest.raises(SlantError, match="E106.*not been validated"):
        Scorer.load(str(tiny_model_dir), backend="onnx-int8")
    fp32 = Scorer.load(str(tiny_model_dir), backend="onnx", threads=1).backend
    texts = sentences()
    targets = (fp32.predict_proba(texts) >= fp32.cutoffs()).astype(int)  # fp32 scores 1.0 on these
    validation = onnx_runtime.validate_int8(str(tiny_model_dir), texts, targets, data="test sentences")
    assert validation.fp32_micro_f1 == 1.0 and validation.sentences == len(texts)
    # The tiny model's int8 weights decide these sentences as fp32 does, so the validation passes
    # and the int8 backend must load and score close to fp32 (checked every run, not only if).
    assert validation.int8_micro_f1 >= 1.0 - validation.tolerance and validation.passed, validation
    assert onnx_runtime.read_validation(onnx_runtime.cache_folder(str(tiny_model_dir))) == validation
    int8 = Scorer.load(str(tiny_model_dir), backend="onnx-int8", threads=1)
    assert int8.backend.name == "onnx-int8"
    assert np.abs(int8.backend.predict_proba(texts) - fp32.predict_proba(texts)).max() < 0.05
    folder = onnx_runtime.cache_folder(str(tiny_model_dir))
    failed = onnx_runtime.Int8Validation(0.60, 0.55, "held-out", 10)
    (folder / onnx_runtime.VALIDATION_FILE).write_text(
        __import__("json").dumps({**vars(failed), "delta": failed.delta, "passed": failed.passed}))
    with pytest.raises(SlantError, match="E106.*fell by 0.050"):
        Scorer.load(str(tiny_model_dir), backend="onnx-int8")


def test_missing_onnxruntime_gives_an_install_hint(monkeypatch):
    import builtins

    from slant.inference import onnx_runtime

    real_import = builtins.__import__

    def no_onnxruntime(name, *args, **kwargs):
        if name == "onnxruntime":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_onnxruntime)
    with pytest.raises(SlantError, match=r"E105.*pip install 'slant\[onnx\]'"):
        onnx_runtime.require_onnxruntime()
