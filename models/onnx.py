"""The ONNX Runtime backend of the scoring core: export a Slant model once, score with `onnxruntime`.

    slant score corpus.jsonl --out scores/                      # default: the fastest backend allowed
    slant score corpus.jsonl --out scores/ --backend onnx        # fp32, same scores as torch
    slant check draft.txt --backend onnx-int8                    # int8 weights, once validated

Every entry point takes `--backend` and loads through `backends.load_backend`; this module only
makes the graph and the session, and `scoring.SentenceClassifier` does the rest (tokenising,
batching, thresholds), so ONNX scores exactly what torch scores, to float precision.

The exported graph is cached under `$SLANT_CACHE` (default `~/.cache/slant`) in a folder named
by a hash of the model's config and weights, so a retrained model is exported again. Once it is
there, loading imports neither torch nor transformers: the config is read as JSON and the
tokenizer is the folder's `tokenizer.json` run by `tokenizers` (`tokenizer.py`), which keeps a
cold `slant check` under a second or two of imports.

int8 dynamic quantisation (int8 weights, activations quantised on the fly) is faster but can
change decisions, so it is offered only for a model whose int8 copy has been validated: its
micro-F1 on labelled held-out sentences within `INT8_TOLERANCE` of the fp32 model's. A
validation is a small JSON record (`int8-validation.json`) that names the weights it was measured
on (a SHA-256 of the weight files) and the cut-offs it decided with; it is honoured only for those
exact weights and cut-offs. It is found either in the model folder itself (shipped with the
released model, so a fresh clone may use int8 without measuring anything:
`python benchmarks/score_speed.py --write-validation` writes it) or beside the cached graph
(`validate_int8` on your own data). The int8 graph itself is never shipped: it is exported and
quantised on first use, deterministically from the same weights.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from slant.models.encoder import ResolvedModel, model_digest, resolve_model
from slant.models.errors import SlantError
from slant.models.scoring import FALLBACK_MAX_LENGTH, SentenceClassifier, check_labels
from slant.models.spans import span_head_for
from slant.models.threads import available_cores

INT8_TOLERANCE = 0.01  # largest micro-F1 drop for which int8 is offered
OPSET = 17
# v2: the graph also outputs the last hidden states (graphs of v1 had logits only)
FP32_FILE = "model-v2.onnx"
# per-channel weight scales (one per output column): on the released model they changed 131 of
# 47,232 held-out decisions where one scale per matrix changed 310 (micro-F1 +0.003 vs -0.010),
# at the same speed
INT8_FILE = "model-v2-int8-per-channel.onnx"
VALIDATION_FILE = "int8-validation.json"
VALIDATION_COMMAND = "python benchmarks/score_speed.py --write-validation"
WEIGHT_SUFFIXES = (".safetensors", ".bin")
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


def _temporary(path: Path) -> Path:
    """A hidden name beside `path`, unique to this process: exports racing each other (Ray actors,
    two commands started at once) each write their own file, and the last rename wins."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


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
    temporary = _temporary(path)
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
    """Dynamic int8 quantisation of the MatMul weights, one scale per output channel (activations
    are quantised on the fly); the same fp32 graph always gives the same int8 graph."""
    require_onnxruntime()
    from onnxruntime.quantization import QuantType, quantize_dynamic

    int8_path = Path(int8_path)
    temporary = _temporary(int8_path)
    quantize_dynamic(str(fp32_path), str(temporary), weight_type=QuantType.QInt8, per_channel=True)
    os.replace(temporary, int8_path)
    return int8_path


# -- the int8 validation record ------------------------------------------------------------
@lru_cache(maxsize=64)
def _file_sha256(path: str, size: int, modified_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while block := file.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file, computed once per process for the same size and time."""
    status = os.stat(path)
    return _file_sha256(str(path), status.st_size, status.st_mtime_ns)


def weights_sha256(model_folder: str | Path) -> str:
    """What a validation was measured on: a SHA-256 over the model folder's weight files (name and
    contents of each `*.safetensors` / `*.bin` beside its config.json; a span head in `spans/` is
    not part of the sentence graph and not included)."""
    folder = Path(model_folder)
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix in WEIGHT_SUFFIXES:
            digest.update(path.name.encode() + b"\0" + file_sha256(path).encode() + b"\n")
    return digest.hexdigest()


def decision_settings(config) -> dict:
    """The parts of a model's config.json besides its weights that change a micro-F1: its cut-offs
    and how many tokens of a sentence it reads."""
    thresholds = getattr(config, "thresholds", None) or {}
    return {"thresholds": {k: float(v) for k, v in sorted(thresholds.items())},
            "max_length": int(getattr(config, "slant_max_length", None) or FALLBACK_MAX_LENGTH)}


@dataclass
class Int8Validation:
    fp32_micro_f1: float
    int8_micro_f1: float
    data: str
    sentences: int
    tolerance: float = INT8_TOLERANCE
    # What it was measured on; empty in records made before they were kept (honoured only
    # beside the cached graph, whose folder name is already a hash of config and weights).
    weights_sha256: str = ""
    decision: dict = field(default_factory=dict)
    int8_graph_sha256: str = ""  # the int8 graph measured (informative: onnxruntime versions may differ)
    versions: dict = field(default_factory=dict)  # onnxruntime, onnx, torch, transformers
    command: str = ""  # what wrote a shipped record
    changed_decisions: dict = field(default_factory=dict)  # label -> sentences int8 decides otherwise than fp32

    @property
    def delta(self) -> float:
        return self.int8_micro_f1 - self.fp32_micro_f1

    @property
    def passed(self) -> bool:
        return self.delta >= -self.tolerance

    def as_json(self) -> dict:
        return {**asdict(self), "delta": round(self.delta, 6), "passed": self.passed}

    def mismatch(self, model_folder: str | Path, config) -> str | None:
        """Why this record does not hold for the model in `model_folder` (None when it does)."""
        if not self.weights_sha256:
            return "the record does not say which weights it was measured on"
        found = weights_sha256(model_folder)
        if found != self.weights_sha256:
            return f"its validation was measured on other weights (sha256 {self.weights_sha256[:12]}, these are {found[:12]})"
        if self.decision and self.decision != decision_settings(config):
            return "its validation was measured with other thresholds or another max length"
        return None


def read_validation(folder: str | Path) -> Int8Validation | None:
    """The record in `folder` (a model folder or a cache folder), or None."""
    path = Path(folder) / VALIDATION_FILE
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    known = Int8Validation.__dataclass_fields__
    return Int8Validation(**{k: v for k, v in data.items() if k in known})


def write_validation(validation: Int8Validation, folder: str | Path) -> Path:
    path = Path(folder) / VALIDATION_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary(path)
    temporary.write_text(json.dumps(validation.as_json(), indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)
    return path


@dataclass(frozen=True)
class Int8Decision:
    """Whether int8 may be used for a model, and why (or why not)."""

    allowed: bool
    reason: str
    validation: Int8Validation | None = None
    source: Path | None = None


def int8_decision(resolved: ResolvedModel, cache: str | Path | None = None, config=None) -> Int8Decision:
    """Whether a validation allows int8 for these exact weights: the record shipped in the model
    folder, else one left beside the cached graph by `validate_int8`."""
    from slant.models.tokenizer import FolderConfig

    model_folder = Path(resolved.path)
    if not (model_folder / "config.json").is_file():
        return Int8Decision(False, "it is not a local model folder")
    folder = Path(cache) if cache else cache_folder(resolved.path)
    config = config or FolderConfig.from_folder(model_folder)
    problems = []
    for where in (model_folder, folder):
        validation = read_validation(where)
        if validation is None:
            continue
        trusted_by_place = where == folder and not validation.weights_sha256  # the cache folder is keyed by weights
        problem = None if trusted_by_place else validation.mismatch(model_folder, config)
        if problem is None and not validation.passed:
            problem = (f"micro-F1 fell by {-validation.delta:.3f} on {validation.data}, "
                       f"more than {validation.tolerance}")
        if problem is None:
            return Int8Decision(True, f"validated in {where / VALIDATION_FILE}: micro-F1 {validation.fp32_micro_f1:.4f} "
                                      f"fp32, {validation.int8_micro_f1:.4f} int8", validation, where / VALIDATION_FILE)
        problems.append(problem)
    return Int8Decision(False, problems[0] if problems else "it has not been validated")


# -- the backend ------------------------------------------------------------------------------
class OnnxBackend:
    """The network as an ONNX Runtime session: numpy inputs in, float32 logits out."""

    def __init__(self, session, int8: bool = False):
        self.name = "onnx-int8" if int8 else "onnx"
        self.session = session
        self._inputs = {i.name for i in session.get_inputs()}

    @property
    def input_names(self) -> list[str]:
        return [i.name for i in self.session.get_inputs()]

    def forward(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        """Logits (batch, n_labels) for int64 `input_ids`, `attention_mask` (+ `token_type_ids`)."""
        feed = {name: value for name, value in inputs.items() if name in self._inputs}
        return np.asarray(self.session.run([LOGITS], feed)[0], dtype=np.float32)

    def forward_with_states(self, inputs: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Logits and the last hidden states (batch, sequence, hidden) of the same run."""
        feed = {name: value for name, value in inputs.items() if name in self._inputs}
        logits, states = self.session.run([LOGITS, HIDDEN], feed)
        return np.asarray(logits, dtype=np.float32), np.asarray(states, dtype=np.float32)


def ensure_exported(resolved: ResolvedModel, folder: Path, int8: bool = False) -> Path:
    """The cached graph (fp32, or int8 quantised from it), exported on first use: only this first
    time are torch and the torch weights loaded."""
    fp32 = folder / FP32_FILE
    try:
        if not fp32.exists():
            from slant.models.classifier import SlantClassifier  # torch is needed only to export

            export_onnx(SlantClassifier.from_pretrained(resolved), fp32)
        if not int8:
            return fp32
        quantized = folder / INT8_FILE
        if not quantized.exists():
            quantize_int8(fp32, quantized)
        return quantized
    except OSError as error:  # an unwritable cache, a full disk: the model cannot be exported here
        raise SlantError("E107", model=resolved.name, reason=f"{error.strerror or error} ({folder})") from None


def load_onnx(model: str | Path | ResolvedModel | None = None, int8: bool = False, threads: int | None = None,
              cache: str | Path | None = None, **batching) -> SentenceClassifier:
    """A `SentenceClassifier` on ONNX Runtime: exported on first use; int8 only once validated
    for these weights (E106)."""
    resolved = model if isinstance(model, ResolvedModel) else resolve_model(model)
    folder = Path(cache) if cache else cache_folder(resolved.path)
    if int8:
        decision = int8_decision(resolved, folder)
        if not decision.allowed:
            raise SlantError("E106", model=resolved.name, problem=decision.reason)
    require_onnxruntime()
    graph = ensure_exported(resolved, folder, int8)
    return _onnx_classifier(resolved, graph, int8, threads, **batching)


def _onnx_classifier(resolved: ResolvedModel, graph: Path, int8: bool, threads: int | None,
                     **batching) -> SentenceClassifier:
    """The graph in a session, with the folder's config and tokenizer around it: read with
    `tokenizers` and `json` alone when the folder has a tokenizer.json (torch and transformers
    are not imported), else with transformers."""
    ort = require_onnxruntime()
    session = ort.InferenceSession(str(graph), _session_options(ort, threads), providers=["CPUExecutionProvider"])
    backend = OnnxBackend(session, int8)
    config, tokenizer = _config_and_tokenizer(resolved, backend.input_names)
    check_labels(config, resolved.name)
    classifier = SentenceClassifier(backend, tokenizer, config, name=resolved.name,
                                    span_head=span_head_for(resolved.path, config, resolved.name), **batching)
    classifier.resolved = resolved
    return classifier


def _config_and_tokenizer(resolved: ResolvedModel, input_names: Sequence[str]):
    from slant.models.tokenizer import TOKENIZER_FILE, FolderConfig, FolderTokenizer

    folder = Path(resolved.path)
    try:
        if (folder / TOKENIZER_FILE).is_file():
            return FolderConfig.from_folder(folder), FolderTokenizer.from_folder(folder, input_names)
        from transformers import AutoConfig, AutoTokenizer  # a folder with a slow tokenizer only

        return AutoConfig.from_pretrained(resolved.path), AutoTokenizer.from_pretrained(resolved.path)
    except (OSError, ValueError) as error:
        raise SlantError("E030", model=resolved.name, reason=str(error).splitlines()[0]) from None


def _session_options(ort, threads: int | None):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or available_cores()
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return options


def _versions() -> dict:
    from importlib import metadata

    found = {}
    for package in ("onnxruntime", "onnx", "torch", "transformers"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    return found


def validate_int8(model: str | Path | ResolvedModel | None, texts: Sequence[str], targets: np.ndarray,
                  mask: np.ndarray | None = None, data: str = "held-out data", cache: str | Path | None = None,
                  tolerance: float = INT8_TOLERANCE, ship: bool = False,
                  command: str = VALIDATION_COMMAND) -> Int8Validation:
    """Quantise the model (if not done yet), compare its micro-F1 with fp32 on labelled sentences,
    and record the result beside the cached graph (and, with `ship`, in the model folder itself,
    where it travels with the weights); int8 is refused unless a record for these weights passed.

    `targets` is (len(texts), n_labels) 0/1 in the model's label order; `mask` marks which
    labels the data annotates (1) and which it does not (0, counted as neither right nor wrong).
    Both copies decide with the model's own cut-offs (`DecisionRule`), as every entry point does.
    The record also counts, per label, the sentences whose decision int8 changes (all labels,
    annotated or not), since the micro-F1 covers only the annotated ones.
    """
    from slant.models.metrics import multilabel_report
    from slant.models.tokenizer import FolderConfig

    resolved = model if isinstance(model, ResolvedModel) else resolve_model(model)
    folder = Path(cache) if cache else cache_folder(resolved.path)
    fp32 = load_onnx(resolved, cache=folder)
    int8_graph = ensure_exported(resolved, folder, int8=True)
    int8 = _onnx_classifier(resolved, int8_graph, True, None)
    targets = np.asarray(targets, dtype=int)
    annotated = np.ones_like(targets, dtype=bool) if mask is None else np.asarray(mask) > 0
    decided = {name: classifier.rule.flags(classifier.predict_proba(list(texts)))
               for name, classifier in (("fp32", fp32), ("int8", int8))}

    def micro_f1(flags: np.ndarray) -> float:
        return float(multilabel_report(targets, (flags & annotated).astype(int), fp32.labels)["micro_f1"])

    changed = (decided["fp32"] != decided["int8"]).sum(axis=0)
    validation = Int8Validation(
        micro_f1(decided["fp32"]), micro_f1(decided["int8"]), data, len(texts), tolerance,
        weights_sha256=weights_sha256(resolved.path),
        decision=decision_settings(FolderConfig.from_folder(resolved.path)),
        int8_graph_sha256=file_sha256(int8_graph), versions=_versions(), command=command if ship else "",
        changed_decisions={label: int(n) for label, n in zip(fp32.labels, changed) if n})
    write_validation(validation, folder)
    if ship:
        write_validation(validation, resolved.path)
    return validation
