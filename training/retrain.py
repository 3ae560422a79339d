"""`retrain(config)`: train a challenger on the previous data plus new annotations, score it and
the champion on one fixed evaluation set, and promote it only when the promotion rule allows.

Reads top to bottom: check the annotations, load the evaluation set, find the champion, train the
challenger in one tracked MLflow run, score both models, compare and judge, log the comparison,
then move the `champion` alias (or keep it, saying why).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import mlflow
from datasets import Dataset

from slant.models.classifier import SlantClassifier
from slant.models.encoder import resolve_model_path
from slant.models.errors import SlantError
from slant.models.labels import LabelSet, load_labels
from slant.training.annotations import check_files, write_sentences
from slant.training.compare import Comparison, Decision, PromotionRule, compare, judge, plot, predictions_frame
from slant.training.config import Config, load_config
from slant.training.data import digest
from slant.training.evaluate import evaluate_dataset, load_evaluation_data
from slant.training.registry import CHAMPION, Registry
from slant.training.tracking import Tracker
from slant.training.trainer import train

logger = logging.getLogger(__name__)
INITS = ("champion", "base")


@dataclass
class RetrainArgs:
    annotations: list[str] = field(
        default_factory=list, metadata={"help": "New annotation JSONL files (sentence or span level)."}
    )
    init: str = field(
        default="champion", metadata={"help": "'champion': warm-start from the champion; 'base': from model.base_encoder."}
    )
    alias: str = field(default=CHAMPION, metadata={"help": "Registry alias of the serving model."})

    def validate(self):
        if not self.annotations:
            raise SlantError("E021", key="retrain.annotations", value=[], problem="give at least one annotation file")
        for path in self.annotations:
            if not Path(path).is_file():
                raise SlantError("E021", key="retrain.annotations", value=path, problem="no such file")
        if self.init not in INITS:
            raise SlantError("E021", key="retrain.init", value=self.init, problem=f"must be one of {', '.join(INITS)}")


@dataclass
class EvaluationArgs:
    data: str = field(default="gold", metadata={"help": "'gold', a JSONL/CSV file, or a PTC articles folder."})
    labels: str | None = field(default=None, metadata={"help": "PTC labels (file or folder) for a PTC folder."})
    held_out: float = field(
        default=0.0,
        metadata={"help": "Score only the documents held out with this fraction and seed (0 = all of `data`)."},
    )
    seed: int = field(default=13, metadata={"help": "Seed of that hold-out split (match data.seed)."})

    def validate(self):
        if self.data != "gold" and not Path(self.data).exists():
            raise SlantError("E021", key="evaluation.data", value=self.data, problem="no such file or folder")
        if Path(self.data).is_dir() and not self.labels:
            raise SlantError("E021", key="evaluation.labels", value=None, problem="needed with a PTC articles folder")
        if not 0.0 <= self.held_out < 1.0:
            raise SlantError("E021", key="evaluation.held_out", value=self.held_out, problem="must be in [0, 1)")


@dataclass
class RetrainConfig(Config):
    """A training config (model, data, train, tracking) plus what retraining adds."""

    retrain: RetrainArgs = field(default_factory=RetrainArgs)
    evaluation: EvaluationArgs = field(default_factory=EvaluationArgs)
    promotion: PromotionRule = field(default_factory=PromotionRule)

    def validate(self) -> "RetrainConfig":
        self.retrain.validate()
        self.model.validate()
        # The annotations join data.extra_files at training time; they count as data already.
        dataclasses.replace(self.data, extra_files=[*self.data.extra_files, *self.retrain.annotations]).validate()
        self.train.validate()
        self.evaluation.validate()
        self.promotion.validate()
        if not self.tracking.enabled or not self.tracking.registered_model:
            raise SlantError("E021", key="tracking.registered_model", value=self.tracking.registered_model,
                             problem="retraining needs tracking.enabled and a registered model to compare with")
        return self

    def training_config(self, annotation_file: Path, output_dir: Path, warm_start: str | None) -> Config:
        """The `slant train` config of the challenger: the previous data plus the annotations."""
        return Config(
            model=dataclasses.replace(self.model, warm_start=warm_start),
            data=dataclasses.replace(self.data, extra_files=[*self.data.extra_files, str(annotation_file)]),
            train=dataclasses.replace(self.train, output_dir=str(output_dir), resume=False),
            tracking=self.tracking,
        ).validate()


def load_retrain_config(path: str | Path | None = None, overrides: list[str] | None = None) -> RetrainConfig:
    return load_config(path, overrides, schema=RetrainConfig)


@dataclass
class RetrainResult:
    run_id: str
    model_version: str
    champion_version: str | None  # the champion the challenger was compared with
    comparison: Comparison
    decision: Decision
    output_dir: Path

    @property
    def promoted(self) -> bool:
        return self.decision.promote


def retrain(config: RetrainConfig, label_set: LabelSet | None = None) -> RetrainResult:
    label_set = label_set or load_labels()
    registry = Registry(config.tracking.registered_model, config.retrain.alias)

    # 1. The new annotations, every record checked; any problem stops the run before training.
    annotations = check_files(config.retrain.annotations, label_set)
    annotations.raise_for_problems(config.retrain.annotations)
    annotated = Dataset.from_list(annotations.sentences())

    # 2. The fixed evaluation set; annotating its sentences would leak them into training.
    evaluation = load_evaluation_data(
        config.evaluation.data, config.evaluation.labels, config.evaluation.held_out or None, config.evaluation.seed
    )
    evaluation_digest = digest(evaluation)
    leaked = sorted(set(annotated["text"]) & set(evaluation["text"]))
    if leaked:
        raise SlantError("E306", count=len(leaked), first=leaked[0][:80])

    # 3. The champion to beat, pinned by version so a promotion elsewhere cannot swap it mid-run.
    champion_version = registry.champion()
    if champion_version is None and config.retrain.init == "champion":
        raise SlantError("E301", name=registry.name, alias=registry.alias)
    champion_dir = resolve_model_path(registry.version_uri(champion_version)) if champion_version else None

    with Tracker(config.tracking.experiment, config.tracking.run_name or "retrain", registry.name) as tracker:
        output_dir = Path(config.train.output_dir) / tracker.run_id
        mlflow.set_tags({"slant.command": "retrain", "retrain.init": config.retrain.init,
                         "retrain.champion_version": champion_version or "none"})
        mlflow.log_params({key: json.dumps(value) if isinstance(value, list) else value
                           for key, value in _sections(config).items()})

        # 4. The challenger: previous data plus the annotations, from the champion or the base encoder.
        annotation_file = write_sentences(annotations, output_dir / "annotations.jsonl")
        mlflow.log_dict(annotations.summary(), "annotations/summary.json")
        tracker.log_dataset("annotations", annotated, digest(annotated), context="training")
        warm_start = champion_dir if config.retrain.init == "champion" else None
        result = train(config.training_config(annotation_file, output_dir, warm_start), label_set, tracker=tracker)

        # 5. Both models on the same evaluation set, compared and judged.
        tracker.log_dataset("evaluation", evaluation, evaluation_digest, context="evaluation")
        challenger = SlantClassifier.from_pretrained(result.model_dir, label_set)
        champion = SlantClassifier.from_pretrained(champion_dir, label_set) if champion_dir else None
        challenger_report = evaluate_dataset(challenger, evaluation)
        champion_report = evaluate_dataset(champion, evaluation) if champion else None
        comparison = compare(challenger_report, champion_report, evaluation_digest)
        decision = judge(comparison, config.promotion)

        # 6. The comparison report, logged to the run.
        report_dir = write_comparison(output_dir / "comparison", comparison, decision, champion_version, result.model_version)
        mlflow.log_artifacts(str(report_dir), "comparison")
        for name, model, report in (("challenger", challenger, challenger_report), ("champion", champion, champion_report)):
            if model is None:
                continue
            tracker.log_report(name, report)
            frame = predictions_frame(model, evaluation)  # for the error-analysis and threshold notebooks
            mlflow.log_text(frame.to_json(orient="records", lines=True), f"predictions/{name}.jsonl")
            mlflow.log_dict(model.thresholds, f"predictions/{name}_thresholds.json")
        mlflow.set_tags({"retrain.decision": "promoted" if decision.promote else "kept champion",
                         "retrain.reasons": "; ".join(decision.reasons)})

    # 7. Move the alias, or keep it; either way the version records how it did.
    registry.tag(result.model_version, {
        "eval.digest": evaluation_digest,
        "eval.micro_f1": f"{challenger_report['micro_f1']:.6f}",
        "eval.macro_f1": f"{challenger_report['macro_f1']:.6f}",
        "retrain.decision": str(decision),
    })
    if decision.promote:
        registry.promote(result.model_version, reason=str(decision))
    logger.info("%s", decision)
    return RetrainResult(result.run_id, result.model_version, champion_version, comparison, decision, output_dir)


def write_comparison(folder: Path, comparison: Comparison, decision: Decision,
                     champion_version: str | None, challenger_version: str | None) -> Path:
    """comparison.md (table and decision), comparison.json, and comparison.png (bar chart)."""
    folder.mkdir(parents=True, exist_ok=True)
    champion_name = f"champion v{champion_version}" if champion_version else "champion (none)"
    challenger_name = f"challenger v{challenger_version}"
    markdown = (f"## {challenger_name} vs {champion_name}\n\n"
                f"{comparison.to_markdown(champion_name, challenger_name)}\n\n**Decision:** {decision}\n")
    (folder / "comparison.md").write_text(markdown, encoding="utf-8")
    summary = comparison.to_dict() | {"decision": {"promote": decision.promote, "reasons": list(decision.reasons)},
                                      "champion_version": champion_version, "challenger_version": challenger_version}
    (folder / "comparison.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    plot(comparison, folder / "comparison.png", title=f"{challenger_name} vs {champion_name}")
    return folder


def _sections(config: RetrainConfig) -> dict:
    """The retrain-only settings, flat; the training sections are logged by the trainer."""
    return {f"{section}.{key}": value
            for section in ("retrain", "evaluation", "promotion")
            for key, value in dataclasses.asdict(getattr(config, section)).items()}
