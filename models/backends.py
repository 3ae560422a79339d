"""Which network runs the scoring core: `torch`, `onnx` (ONNX Runtime, fp32, the same scores) or
`onnx-int8` (int8 weights, offered once validated; see `onnx.py`); by default (`auto`) the fastest
of them that is allowed for the model:

1. `onnx-int8` when an int8 validation record holds for these exact weights (shipped in the model
   folder as `int8-validation.json`, or left beside the cached graph by `validate_int8`) and
   onnxruntime imports;
2. else `onnx` when onnxruntime imports (the same scores as torch, faster);
3. else `torch`. If the one-time ONNX export (or int8 quantisation) fails, `auto` falls back to
   the next of these, with a warning.

Every entry point (`slant check`, `serve`, `score`, `evaluate`; `Predictor`, `Scorer`) loads its
model here, so each backend serves all of them. Kept apart from `scoring.py`, which knows no
backend but torch's, and from `onnx.py`, which builds on the core, so imports point one way:
backends -> onnx, classifier -> scoring. Nothing here imports torch or transformers until the
torch backend (or a first ONNX export) needs them: a cached ONNX model loads without either.
"""

from __future__ import annotations

import logging
from pathlib import Path

from slant.models.encoder import ResolvedModel, resolve_model
from slant.models.errors import SlantError
from slant.models.scoring import SentenceClassifier
from slant.models.threads import available_cores

BACKENDS = ("torch", "onnx", "onnx-int8")
AUTO = "auto"
DEFAULT_BACKEND = AUTO
CHOICES = (AUTO, *BACKENDS)  # what --backend accepts
FALLBACKS = {"onnx-int8": ("onnx", "torch"), "onnx": ("torch",), "torch": ()}  # for `auto`, in order

log = logging.getLogger("slant.backends")


def onnxruntime_importable() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def choose_backend(model: str | Path | ResolvedModel | None = None) -> tuple[str, str]:
    """(the fastest backend allowed for `model`, why): see the module docstring."""
    from slant.models.onnx import int8_decision

    resolved = model if isinstance(model, ResolvedModel) else resolve_model(model)
    if not onnxruntime_importable():
        return "torch", "onnxruntime is not installed"
    decision = int8_decision(resolved)
    if decision.allowed:
        return "onnx-int8", decision.reason
    return "onnx", f"int8 not allowed: {decision.reason}"


def load_backend(model: str | Path | ResolvedModel | None = None, backend: str | None = DEFAULT_BACKEND,
                 threads: int | None = None, **batching) -> SentenceClassifier:
    """Load a model once for scoring on `backend` (`auto` or None: the fastest allowed), using
    `threads` cores (default: all we may use).

    `model` is a folder, a `models:/` URI (resolved to its version once, here, and downloaded
    once) or None for the released model; `batching` sets `max_tokens` / `max_batch`."""
    backend = backend or AUTO
    if backend not in CHOICES:
        raise SlantError("E023", name="--backend", value=backend, problem=f"choose one of {', '.join(CHOICES)}")
    threads = threads or available_cores()
    resolved = model if isinstance(model, ResolvedModel) else resolve_model(model)
    if backend == AUTO:
        backend, why = choose_backend(resolved)
        log.info("backend %s for %s: %s", backend, resolved.name, why)
        # A failed export or quantisation (E107: an operator the exporter lacks, an unwritable
        # cache) falls back to the next fastest; any other error is the user's to see.
        for fallback in FALLBACKS[backend]:
            try:
                return _load(resolved, backend, threads, **batching)
            except SlantError as error:
                if error.code != "E107":
                    raise
                log.warning("%s; scoring with %s instead", error, fallback)
                backend = fallback
    return _load(resolved, backend, threads, **batching)


def _load(resolved: ResolvedModel, backend: str, threads: int, **batching) -> SentenceClassifier:
    if backend == "torch":
        from slant.models.classifier import SlantClassifier
        from slant.models.threads import configure_threads

        configure_threads(threads)
        return SlantClassifier.from_pretrained(resolved, **batching)
    from slant.models.onnx import load_onnx

    return load_onnx(resolved, int8=backend == "onnx-int8", threads=threads, **batching)
