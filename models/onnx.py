"""The ONNX Runtime backend of the scoring core: export a Slant model once, score with `onnxruntime`.

    slant score corpus.jsonl --out scores/ --backend onnx        # fp32, same scores as torch
    slant check draft.txt --backend onnx-int8                    # int8 weights, once validated

Every entry point takes `--backend` and loads through `backends.load_backend`; this module only
makes the graph and the session, and `scoring.SentenceClassifier` does the rest (tokenising,
batching, thresholds), so ONNX scores exactly what torch scores, to float precision.

The exported graph is cached under `$SLANT_CACHE` (default `~/.cache/slant`) in a folder named
by a hash of the model's config and weights, so a retrained model is exported again. Once it is
there, loading reads only the config and tokenizer, not the torch weights.

int8 dynamic quantisation (int8 weights, activations quantised on the fly) is faster but can
change decisions, so it is offered only for a model whose int8 copy has been validated: its
micro-F1 on labelled held-out sentences within `INT8_TOLERANCE` of the fp32 model's.
`validate_int8` measures that and leaves a record beside the cached model;
`benchmarks/score_speed.py` runs it on PTC's held-out articles.

`onnxruntime` (and `onnx`, for exporting) are imported only when needed:
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

from slant.models.encoder import ResolvedModel, model_digest, resolve_model
from slant.models.errors import SlantError
from slant.models.scoring import SentenceClassifier, check_labels
from slant.models.spans import span_head_for
from slant.models.threads import available_cores

INT8_TOLERANCE = 0.01  # largest micro-F1 drop for which int8 is offered
OPSET = 17
# v2: the graph also outputs the last hidden states (graphs of v1 had logits only)
FP32_FILE = "model-v2.onnx"
INT8_FILE = "model-v2-int8.onnx"
VALIDATION_FILE = "int8-validation.json"
LOGITS = "logits"  # the sentence head's output
HIDDEN = "last_hidden_state"  # the encoder's last states, which the span head reads


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
    """Write a `SlantClassifier`'s network as an ONNX graph with dynamic batch and sequence axes."""
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    names = ["input_ids", "attention_mask"] + (
        ["token_type_ids"] if "token_type_ids" in classifier.tokenizer.model_input_names else [])
    example = classifier.tokenizer(["An example sentence.", "A second, longer example sentence here."],
                                   padding=True, return_tensors="pt")
    axes = {name: {0: "batch", 1: "sequence"} for name in names}
    axes[LOGITS] = {0: "batch"}
    axes[HIDDEN] = {0: "batch", 1: "sequence"}
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer warnings about Python control flow; harmless here
            # The TorchScript exporter: the dynamo one needs onnxscript, which Slant does not ship.
            torch.onnx.export(_with_states(classifier.model.eval()), tuple(example[name] for name in names),
                              str(temporary), input_names=names, output_names=[LOGITS, HIDDEN], dynamic_axes=axes,
                              opset_version=OPSET, dynamo=False)
    except Exception as error:  # the exporter raises many types; all mean "cannot export"
        temporary.unlink(missing_ok=True)
        raise SlantError("E107", model=classifier.name, reason=str(error).splitlines()[0]) from None
    os.replace(temporary, path)
    return path


def _with_states(model):
    """`model` as a module returning (logits, last hidden states): the span head reads the latter."""
    import torch

    class WithStates(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, *inputs):
            out = self.model(*inputs, output_hidden_states=True)
            return out.logits, out.hidden_states[-1]

    return WithStates()


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


class OnnxBackend:
    """The network as an ONNX Runtime session: numpy inputs in, float32 logits out."""

    def __init__(self, session, int8: bool = False):
        self.name = "onnx-int8" if int8 else "onnx"
        self.session = session
        self._inputs = {i.name for i in session.get_inputs()}

    def forward(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        """Logits (batch, n_labels) for int64 `input_ids`, `attention_mask` (+ `token_type_ids`)."""
        feed = {name: value for name, value in inputs.items() if name in self._inputs}
        return np.asarray(self.session.run([LOGITS], feed)[0], dtype=np.float32)

    def forward_with_states(self, inputs: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Logits and the last hidden states (batch, sequence, hidden) of the same run."""
        feed = {name: value for name, value in inputs.items() if name in self._inputs}
        logits, states = self.session.run([LOGITS, HIDDEN], feed)
        return np.asarray(logits, dtype=np.float32), np.asarray(states, dtype=np.float32)


def load_onnx(model: str | Path | ResolvedModel | None = None, int8: bool = False, threads: int | None = None,
              cache: str | Path | None = None, **batching) -> SentenceClassifier:
    """A `SentenceClassifier` on ONNX Runtime: exported on first use; int8 only once validated (E106)."""
    resolved = model if isinstance(model, ResolvedModel) else resolve_model(model)
    folder = Path(cache) if cache else cache_folder(resolved.path)
    if not (folder / FP32_FILE).exists():
        from slant.models.classifier import SlantClassifier  # torch is needed only to export

        export_onnx(SlantClassifier.from_pretrained(resolved), folder / FP32_FILE)
    if int8:
        validation = read_validation(folder)
        if validation is None or not (folder / INT8_FILE).exists():
            raise SlantError("E106", model=resolved.name, problem="it has not been validated")
        if not validation.passed:
            raise SlantError("E106", model=resolved.name,
                             problem=f"micro-F1 fell by {-validation.delta:.3f} on {validation.data}, "
                                     f"more than {validation.tolerance}")
    return _onnx_classifier(resolved, folder / (INT8_FILE if int8 else FP32_FILE), int8, threads, **batching)


def _onnx_classifier(resolved: ResolvedModel, graph: Path, int8: bool, threads: int | None,
                     **batching) -> SentenceClassifier:
    """The graph in a session, with the folder's config and tokenizer around it."""
    from transformers import AutoConfig, AutoTokenizer

    ort = require_onnxruntime()
    try:
        config = AutoConfig.from_pretrained(resolved.path)
        tokenizer = AutoTokenizer.from_pretrained(resolved.path)
    except (OSError, ValueError) as error:
        raise SlantError("E030", model=resolved.name, reason=str(error).splitlines()[0]) from None
    check_labels(config, resolved.name)
    session = ort.InferenceSession(str(graph), _session_options(ort, threads), providers=["CPUExecutionProvider"])
    classifier = SentenceClassifier(OnnxBackend(session, int8), tokenizer, config, name=resolved.name,
                                    span_head=span_head_for(resolved.path, config, resolved.name), **batching)
    classifier.resolved = resolved
    return classifier


def _session_options(ort, threads: int | None):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or available_cores()
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return options


def validate_int8(model: str | Path | ResolvedModel | None, texts: Sequence[str], targets: np.ndarray,
                  mask: np.ndarray | None = None, data: str = "held-out data", cache: str | Path | None = None,
                  tolerance: float = INT8_TOLERANCE) -> Int8Validation:
    """Quantise the model (if not done yet), compare its micro-F1 with fp32 on labelled sentences,
    and record the result; `--backend onnx-int8` is refused unless it passed.

    `targets` is (len(texts), n_labels) 0/1 in the model's label order; `mask` marks which
    labels the data annotates (1) and which it does not (0, counted as neither right nor wrong).
    Both copies decide with the model's own cut-offs (`DecisionRule`), as every entry point does.
    """
    from slant.models.metrics import multilabel_report

    resolved = model if isinstance(model, ResolvedModel) else resolve_model(model)
    folder = Path(cache) if cache else cache_folder(resolved.path)
    fp32 = load_onnx(resolved, cache=folder)
    quantize_int8(folder / FP32_FILE, folder / INT8_FILE)
    int8 = _onnx_classifier(resolved, folder / INT8_FILE, True, None)
    targets = np.asarray(targets, dtype=int)
    annotated = np.ones_like(targets, dtype=bool) if mask is None else np.asarray(mask) > 0

    def micro_f1(classifier: SentenceClassifier) -> float:
        decided = classifier.rule.flags(classifier.predict_proba(list(texts))) & annotated
        return float(multilabel_report(targets, decided.astype(int), classifier.labels)["micro_f1"])

    validation = Int8Validation(micro_f1(fp32), micro_f1(int8), data, len(texts), tolerance)
    (folder / VALIDATION_FILE).write_text(json.dumps({**asdict(validation), "delta": validation.delta,
                                                      "passed": validation.passed}, indent=2))
    return validation
