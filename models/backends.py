"""Which network runs the scoring core: `torch` (the default), `onnx` (ONNX Runtime, fp32, the same
scores) or `onnx-int8` (int8 weights, offered once validated; see `onnx.py`).

Every entry point (`slant check`, `serve`, `score`, `evaluate`; `Predictor`, `Scorer`) loads its
model here, so each backend serves all of them. Kept apart from `scoring.py`, which knows no
backend but torch's, and from `onnx.py`, which builds on the core, so imports point one way:
backends -> onnx, classifier -> scoring.
"""

from __future__ import annotations

from pathlib import Path

from slant.models.classifier import SlantClassifier
from slant.models.encoder import ResolvedModel, resolve_model
from slant.models.errors import SlantError
from slant.models.onnx import load_onnx
from slant.models.scoring import SentenceClassifier
from slant.models.threads import available_cores, configure_threads

BACKENDS = ("torch", "onnx", "onnx-int8")
DEFAULT_BACKEND = "torch"


def load_backend(model: str | Path | ResolvedModel | None = None, backend: str = DEFAULT_BACKEND,
                 threads: int | None = None, **batching) -> SentenceClassifier:
    """Load a model once for scoring on `backend`, using `threads` cores (default: all we may use).

    `model` is a folder, a `models:/` URI (resolved to its version once, here, and downloaded
    once) or None for the released model; `batching` sets `max_tokens` / `max_batch`."""
    if backend not in BACKENDS:
        raise SlantError("E023", name="--backend", value=backend, problem=f"choose one of {', '.join(BACKENDS)}")
    threads = threads or available_cores()
    resolved = model if isinstance(model, ResolvedModel) else resolve_model(model)
    if backend == "torch":
        configure_threads(threads)
        return SlantClassifier.from_pretrained(resolved, **batching)
    return load_onnx(resolved, int8=backend == "onnx-int8", threads=threads, **batching)
