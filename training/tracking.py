"""MLflow runs of `slant train`, `slant evaluate`, `slant retrain` (through `Tracker`) and
`slant calibrate` (`log_calibration`): parameters, environment, data digests, reports and the
registered model. The model registry itself (aliases, promotion) is `training/registry.py`.

The store is whatever MLflow resolves: `MLFLOW_TRACKING_URI` when set (a real server, say),
else MLflow's embedded local default (a SQLite file in the working folder), so no server is needed.
"""

from __future__ import annotations

import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path

import mlflow
import pandas as pd
from transformers import TrainerCallback

from slant.models.metrics import format_report

PACKAGES = ("torch", "transformers", "datasets", "scikit-learn", "mlflow", "numpy", "slant")


def _flatten(prefix: str, value, out: dict):
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else key, inner, out)
    else:
        out[prefix] = json.dumps(value) if isinstance(value, list) else value
    return out


def environment_tags() -> dict[str, str]:
    """Package versions and the git commit, so a run can be reproduced."""
    tags = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            tags[f"version.{package}"] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    try:
        root = Path(__file__).resolve().parent
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, timeout=5
        ).stdout.strip()
        if commit:
            tags["git_commit"] = commit + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return tags


class _EpochMetrics(TrainerCallback):
    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        if metrics:
            numeric = {k: float(v) for k, v in metrics.items() if isinstance(v, (int, float))}
            mlflow.log_metrics(numeric, step=int(state.global_step))

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "loss" in logs:
            mlflow.log_metric("train_loss", float(logs["loss"]), step=int(state.global_step))


def log_report(name: str, report: dict):
    """Headline and per-technique scores as metrics; the table as JSON and Markdown artifacts."""
    metrics = {f"{name}_{key}": report[key] for key in ("micro_f1", "macro_f1", "binary_f1")}
    for label, row in report["per_label"].items():
        if row["support"]:
            metrics[f"{name}_f1_{label}"] = row["f1"]
    spans = report.get("spans")
    if spans:  # `slant evaluate --spans`: the three span tasks' F1
        metrics.update({f"{name}_si_f1": spans["si"]["f1"], f"{name}_flc_f1": spans["flc"]["f1"],
                        f"{name}_tc_micro_f1": spans["tc"]["micro_f1"]})
    mlflow.log_metrics(metrics)
    mlflow.log_dict(report, f"reports/{name}.json")
    mlflow.log_text(format_report(report, f"### {name}"), f"reports/{name}.md")


class Tracker:
    """A context manager around one MLflow run."""

    def __init__(self, experiment: str = "slant", run_name: str | None = None, registered_model: str | None = "slant"):
        self.experiment = experiment
        self.run_name = run_name
        self.registered_model = registered_model
        self.run = None
        self.model_version: str | None = None

    def __enter__(self) -> "Tracker":
        mlflow.set_experiment(self.experiment)
        self.run = mlflow.start_run(run_name=self.run_name)
        mlflow.set_tags(environment_tags())
        return self

    def __exit__(self, kind, value, traceback):
        mlflow.end_run(status="FAILED" if kind else "FINISHED")
        return False

    @property
    def run_id(self) -> str:
        return self.run.info.run_id

    def callback(self) -> TrainerCallback:
        return _EpochMetrics()

    def log_config(self, config: dict):
        mlflow.log_params(_flatten("", config, {}))

    def log_dataset(self, name: str, dataset, digest: str, context: str):
        """The data as an MLflow dataset input (name, digest, schema), texts and labels only."""
        frame = pd.DataFrame({"text": dataset["text"], "labels": [";".join(l) for l in dataset["labels"]]})
        mlflow.log_input(mlflow.data.from_pandas(frame, name=name, digest=digest), context=context)
        mlflow.set_tag(f"data_digest.{name}", digest)

    def log_report(self, name: str, report: dict):
        log_report(name, report)

    def log_model(self, model_dir: str | Path) -> str | None:
        """Log the HF folder as a pyfunc model and register it; returns the registry version."""
        from slant.models.pyfunc import SlantPyfunc

        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=SlantPyfunc(),
            artifacts={"model": str(model_dir)},
            registered_model_name=self.registered_model,
            pip_requirements=["slant", "torch==2.13.0", "transformers>=5,<6", "mlflow>=3,<4"],
            input_example=pd.DataFrame({"text": ["Critics say the plan is a disaster."]}),
        )
        self.model_version = str(info.registered_model_version) if self.registered_model else None
        return self.model_version

    def finish_training(self, config, result, data):
        self.log_config(config.to_dict())
        for name in ("train", "validation", "test", "gold_test", "realnews_test"):
            dataset = getattr(data, name)
            if dataset is not None:
                self.log_dataset(name, dataset, result.digests[name], context="training" if name == "train" else "evaluation")
        mlflow.log_dict(result.thresholds, "thresholds.json")
        for name, report in result.reports.items():
            self.log_report(name, report)
        result.run_id = self.run_id
        result.model_version = self.log_model(result.model_dir)


def log_calibration(config, result, out_dir: Path, run_name: str | None, model: str, recipe: str = "") -> str:
    """One run per calibrated recipe: held-out reports, per-label quality, reliability plot."""
    mlflow.set_experiment(config.tracking.experiment)
    with mlflow.start_run(run_name=run_name) as run:
        mlflow.set_tags({**environment_tags(), "slant.stage": "calibrated", "slant.model": model,
                         "slant.recipe": recipe})
        mlflow.log_params(_flatten("", config.to_dict(), {}))
        for name, report in result.reports.items():
            log_report(name, report)
        metrics = {}
        for label, row in result.quality.items():
            metrics[f"heldout_precision_{label}"] = row["precision"]
            if row["confidence_gap"] is not None:
                metrics[f"confidence_gap_{label}"] = row["confidence_gap"]
        metrics["reported_labels"] = len(result.reported)
        mlflow.log_metrics(metrics)
        mlflow.log_artifact(str(out_dir / "calibration.json"))
        mlflow.log_artifact(str(out_dir / "reliability.png"))
        return run.info.run_id
