"""Optional ONNX Runtime backend: export a Slant model once, score with `onnxruntime`.

    slant score corpus.jsonl --out scores/ --backend onnx        # fp32, same scores as torch
    slant score corpus.jsonl --out scores/ --backend onnx-int8   # int8 weights, once validated

The exported graph is cached under `$SLANT_CACHE` (default `~/.cache/slant`) in a folder named
by a hash of the model's config and weights, so a retrained model is exported again.

int8 dynamic quantisation (int8 weights, activations quantised on the fly) is faster but can
change decisions, so it is offered only for a model whose int8 copy has been validated: its
micro-F1 on labelled held-out sentences within `INT8_TOLERANCE` of the fp32 model's.
`validate_int8` measures that and leaves a record beside the cached model;
`benchmarks/score_speed.py` runs it on PTC's held-out articles.

`onnxruntime` (and `onnx`, for exporting) are imported only here and only when needed:
`pip install 'slant[onnx]'`.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from slant.inference.batch import Backend, model_digest
from slant.models.errors import SlantError

INT8_TOLERANCE = 0.01  # largest micro-F1 drop for which int8 is offered
OPSET = 17
FP32_FILE = "model.onnx"
INT8_FILE = "model-int8.onnx"
VALIDATION_FILE = "int8-validation.json"


def require_onnxruntime():
    try:
        import onnxruntime
    except ImportError:
        raise SlantError("E105", feature="the ONNX backend", package="onnxruntime", extra="onnx") from None
    return onnxruntime


def cache_folder(model_path: str | Path) -> Path:
    root = Path(os.environ.get("SLANT_CACHE", Path.home() / ".cache" / "slant"))
    return root / "onnx" / (model_digest(str(model_path)) or "unknown")


def export_onnx(classifier, path: str | Path) -> Path:
    """Write `classifier`'s network as an ONNX graph with dynamic batch and sequence axes."""
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    names = ["input_ids", "attention_mask"] + (
        ["token_type_ids"] if "token_type_ids" in classifier.tokenizer.model_input_names else [])
    example = classifier.tokenizer(["An example sentence.", "A second, longer example sentence here."],
                                   padding=True, return_tensors="pt")
    axes = {name: {0: "batch", 1: "sequence"} for name in names}
    axes["logits"] = {0: "batch"}
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer warnings about Python control flow; harmless here
            # The TorchScript exporter: the dynamo one needs onnxscript, which Slant does not ship.
            torch.onnx.export(classifier.model.eval(), tuple(example[name] for name in names), str(temporary),
                              input_names=names, output_names=["logits"], dynamic_axes=axes,
                              opset_version=OPSET, dynamo=False)
    except Exception as error:  # the exporter raises many types; all mean "cannot export"
        temporary.unlink(missing_ok=True)
        raise SlantError("E107", model=classifier.name, reason=str(error).splitlines()[0]) from None
    os.replace(temporary, path)
    return path


def quantize_int8(fp32_path: str | Path, int8_path: str | Path) -> Path:
    """Dynamic int8 quantisation of the weights of MatMul/Gemm nodes (activations stay float)."""
    require_onnxruntime()
    from onnxruntime.quantization import QuantType, quantize_dynamic

    int8_path = Path(int8_path)
    temporary = int8_path.with_name(f".{int8_path.name}.tmp")
    quantize_dynamic(str(fp32_path), str(temporary), weight_type=QuantType.QInt8)
    os.replace(temporary, int8_path)
    return int8_path


@dataclass
class Int8Validation:
    fp32_micro_f1: float
    int8_micro_f1: float
    data: str
    sentences: int
    tolerance: float = INT8_TOLERANCE

    @property
    def delta(self) -> float:
        return self.int8_micro_f1 - self.fp32_micro_f1

    @property
    def passed(self) -> bool:
        return self.delta >= -self.tolerance


def read_validation(folder: Path) -> Int8Validation | None:
    path = folder / VALIDATION_FILE
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return Int8Validation(**{k: data[k] for k in ("fp32_micro_f1", "int8_micro_f1", "data", "sentences", "tolerance")})


class OnnxBackend(Backend):
    """Scores with an ONNX Runtime session; tokenising, batching and thresholds as for torch."""

    def __init__(self, session, tokenizer, labels, thresholds, model_name: str, int8: bool = False, **kwargs):
        super().__init__(tokenizer, labels, thresholds, model_name, **kwargs)
        self.name = "onnx-int8" if int8 else "onnx"
        self.session = session
        self._inputs = {i.name for i in session.get_inputs()}

    @classmethod
    def load(cls, model: str | Path | None = None, int8: bool = False, threads: int | None = None,
             cache: str | Path | None = None, **kwargs) -> "OnnxBackend":
        ort = require_onnxruntime()
        from slant.models.classifier import SlantClassifier
        from slant.models.encoder import resolve_model_path

        model_path = resolve_model_path(model)
        classifier = SlantClassifier.from_pretrained(model)
        folder = Path(cache) if cache else cache_folder(model_path)
        fp32 = folder / FP32_FILE
        if not fp32.exists():
            export_onnx(classifier, fp32)
        path = fp32
        if int8:
            validation = read_validation(folder)
            if validation is None or not (folder / INT8_FILE).exists():
                raise SlantError("E106", model=str(model or "released"), problem="it has not been validated")
            if not validation.passed:
                raise SlantError("E106", model=str(model or "released"),
                                 problem=f"micro-F1 fell by {-validation.delta:.3f} on {validation.data}, "
                                         f"more than {validation.tolerance}")
            path = folder / INT8_FILE
        session = ort.InferenceSession(str(path), _session_options(ort, threads), providers=["CPUExecutionProvider"])
        return cls(session, classifier.tokenizer, classifier.labels, classifier.thresholds, classifier.name,
                   int8=int8, **kwargs)

    def forward(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        return self.session.run(["logits"], {k: v for k, v in inputs.items() if k in self._inputs})[0]


def _session_options(ort, threads: int | None):
    from slant.inference.batch import available_cores

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or available_cores()
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return options


def validate_int8(model: str | Path | None, texts: Sequence[str], targets: np.ndarray, mask: np.ndarray | None = None,
                  data: str = "held-out data", cache: str | Path | None = None) -> Int8Validation:
    """Quantise the model (if not done yet), compare its micro-F1 with fp32 on labelled sentences,
    and record the result; `--backend onnx-int8` is refused unless it passed.

    `targets` is (len(texts), n_labels) 0/1 in the model's label order; `mask` marks which
    labels the data annotates (1) and which it does not (0, counted as neither right nor wrong).
    """
    from slant.models.encoder import resolve_model_path
    from slant.models.metrics import multilabel_report

    folder = Path(cache) if cache else cache_folder(resolve_model_path(model))
    fp32 = OnnxBackend.load(model, cache=folder)
    quantize_int8(folder / FP32_FILE, folder / INT8_FILE)
    int8_session = require_onnxruntime().InferenceSession(
        str(folder / INT8_FILE), _session_options(require_onnxruntime(), None), providers=["CPUExecutionProvider"])
    int8 = OnnxBackend(int8_session, fp32.tokenizer, fp32.labels, fp32.thresholds, fp32.model_name, int8=True)
    targets = np.asarray(targets, dtype=int)
    annotated = np.ones_like(targets, dtype=bool) if mask is None else np.asarray(mask) > 0

    def micro_f1(backend: Backend) -> float:
        decided = (backend.predict_proba(list(texts)) >= backend.cutoffs()) & annotated
        return float(multilabel_report(targets, decided.astype(int), backend.labels)["micro_f1"])

    validation = Int8Validation(micro_f1(fp32), micro_f1(int8), data, len(texts))
    (folder / VALIDATION_FILE).write_text(json.dumps({**asdict(validation), "delta": validation.delta,
                                                      "passed": validation.passed}, indent=2))
    return validation
