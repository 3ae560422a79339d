"""Calibrate a trained model on held-out real text, measure it, and write a release folder.

    slant calibrate --model runs/ptc-minilm/model --config configs/ptc-minilm.yaml --out runs/release

Reads top to bottom: rebuild the recipe's splits; score the real-text sentences the model never
trained on (validation and held-out articles); estimate each label's calibrated precision and
recall out of fold, by article (`calibration.cross_fit`); fit the calibration on all of them;
score the real-news gold test with it; choose the reported labels; fold the calibration into the
output layer and save `OUT/model` with thresholds, `reported_labels` and the held-out confusion
counts in `config.json`; write `OUT/calibration.json` and `OUT/reliability.png`.

The PTC held-out figures are out of fold: each held-out article is scored with a calibration and
threshold fitted on other articles. The two new labels are fitted on real-news gold dev sentences
and scored on the real-news gold test, which is never used for fitting.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from datasets import Dataset, concatenate_datasets

from slant.models.classifier import SlantClassifier
from slant.models.metrics import multilabel_report
from slant.models.scoring import DecisionRule
from slant.models.spans import SPAN_FOLDER
from slant.training import calibration
from slant.training.data import REAL_CORPORA, TrainingData
from slant.training.evaluate import contexts_of


@dataclass
class CalibrationResult:
    calibrations: dict[str, calibration.LabelCalibration]
    quality: dict[str, dict]                  # per label, held out (PTC OOF or real-news gold test)
    reported: list[str]
    reports: dict[str, dict] = field(default_factory=dict)   # micro/macro/binary per evaluation set
    # the new labels on the real-news gold test, each sentence weighted by its stratum:
    # precision and recall estimated over all PTC sentences, not over the stratified sample
    population: dict[str, dict] = field(default_factory=dict)
    # tp/fp/fn/tn of the released decision rule itself on the held-out sentences, for corpus
    # statistics that correct for the model's errors (out-of-fold counts come from fold-specific
    # cut-offs, which for an unstable label flag at another rate than the released one)
    confusion: dict[str, dict] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"calibration": calibration.as_dict(self.calibrations), "quality": self.quality,
                "reported_labels": self.reported, "reports": self.reports, "population_estimates": self.population,
                "heldout_confusion": self.confusion}


def _arrays(dataset: Dataset):
    return np.asarray(dataset["target"], dtype=np.float32), np.asarray(dataset["mask"], dtype=np.float32)


def heldout_pool(data: TrainingData) -> tuple[Dataset, np.ndarray]:
    """Real sentences the model never trained on (validation and held-out articles), and a mask of
    those from the held-out articles, on which the out-of-fold figures are reported."""
    parts = [d for d in (data.validation, data.test) if d is not None]
    pool = concatenate_datasets(parts).filter(lambda row: row["corpus"] in REAL_CORPORA)
    test_docs = set(data.test["doc_id"]) if data.test is not None else set()
    return pool, np.array([doc in test_docs for doc in pool["doc_id"]], dtype=bool)


def calibrate(classifier: SlantClassifier, data: TrainingData) -> CalibrationResult:
    labels = classifier.labels
    pool, held_out = heldout_pool(data)
    logits = calibration.logit(classifier.predict_proba(pool["text"], contexts=contexts_of(pool, classifier)))
    targets, mask = _arrays(pool)

    oof_probabilities, oof_flags = calibration.cross_fit(logits, targets, mask, pool["doc_id"], labels)
    fitted = calibration.fit(logits, targets, mask, labels)

    quality = calibration.label_quality(
        oof_probabilities[held_out], oof_flags[held_out], targets[held_out], mask[held_out], labels
    )
    reports, population = {}, {}
    _, final_flags = apply(fitted, calibration.sigmoid(logits), labels)
    deployed = calibration.label_quality(
        calibration.sigmoid(logits)[held_out], final_flags[held_out], targets[held_out], mask[held_out], labels
    )
    if held_out.any():
        reports["ptc_heldout"] = _report(oof_flags[held_out], targets[held_out], mask[held_out], labels)
    for name in ("realnews_test", "gold_test"):
        dataset = getattr(data, name)
        if dataset is None or not len(dataset):
            continue
        raw = classifier.predict_proba(dataset["text"], contexts=contexts_of(dataset, classifier))
        probabilities, flags = apply(fitted, raw, labels)
        d_targets, d_mask = _arrays(dataset)
        reports[name] = _report(flags, d_targets, d_mask, labels)
        if name == "realnews_test":  # the two new labels are judged on real text only
            rn = calibration.label_quality(probabilities, flags, d_targets, d_mask, labels)
            quality.update({label: row for label, row in rn.items() if row["support"]})
            deployed.update({label: row for label, row in rn.items() if row["support"]})
            if "weight" in dataset.column_names:
                weighted = calibration.label_quality(probabilities, flags, d_targets, d_mask, labels,
                                                     weights=np.asarray(dataset["weight"]))
                population = {label: {k: row[k] for k in ("precision", "recall", "f1")}
                              for label, row in weighted.items() if row["support"]}
    confusion = {label: {k: row[k] for k in ("tp", "fp", "fn", "tn")} for label, row in deployed.items() if row["n"]}
    return CalibrationResult(fitted, quality, calibration.reported_labels(quality), reports, population, confusion)


def apply(fitted: dict, raw_probabilities: np.ndarray, labels: list[str]):
    """Calibrated probabilities and decisions from the uncalibrated model's probabilities."""
    logits = calibration.logit(raw_probabilities)
    probabilities = np.column_stack([fitted[l].apply(logits[:, j]) for j, l in enumerate(labels)])
    return probabilities, DecisionRule(labels, {l: fitted[l].threshold for l in labels}).flags(probabilities)


def _report(flags, targets, mask, labels) -> dict:
    return multilabel_report((targets > 0.5) & (mask > 0), flags & (mask > 0), labels)


def release(classifier: SlantClassifier, result: CalibrationResult, out_dir: Path) -> Path:
    """Fold the calibration into the weights; save thresholds, reported labels, error rates."""
    fitted = result.calibrations
    classifier.fold_calibration({l: c.scale for l, c in fitted.items()}, {l: c.shift for l, c in fitted.items()})
    classifier.thresholds = {l: c.threshold for l, c in fitted.items()}
    classifier.reported_labels = list(result.reported)
    classifier.model.config.heldout_confusion = result.confusion
    saved = classifier.save_pretrained(out_dir / "model")
    # The span head reads the same encoder, which calibration leaves untouched: it travels as is.
    spans = Path(classifier.name) / SPAN_FOLDER
    if spans.is_dir():
        shutil.copytree(spans, saved / SPAN_FOLDER, dirs_exist_ok=True)
    return saved


def plot_reliability(quality: dict[str, dict], path: Path) -> Path:
    """One reliability diagram per label: mean shown probability vs observed rate, per bin."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = list(quality)
    cols = 4
    rows = (len(labels) + cols - 1) // cols
    figure, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.0 * rows), squeeze=False)
    for ax, label in zip(axes.flat, labels):
        bins = quality[label]["reliability"]
        ax.plot([0, 1], [0, 1], color="#999", linewidth=0.8)
        if bins:
            ax.scatter([b["mean_probability"] for b in bins], [b["observed"] for b in bins],
                       s=[max(8, min(200, b["n"])) for b in bins], color="#1f77b4")
            ax.plot([b["mean_probability"] for b in bins], [b["observed"] for b in bins], color="#1f77b4")
        gap = quality[label]["confidence_gap"]
        ax.set_title(f"{label}\n(n+={quality[label]['support']}, gap={'-' if gap is None else f'{gap:+.2f}'})",
                     fontsize=8)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(labels):]:
        ax.axis("off")
    figure.supxlabel("mean predicted probability (bin)")
    figure.supylabel("observed share positive")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path


def write(result: CalibrationResult, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "calibration.json").write_text(json.dumps(result.to_json(), indent=1))
    plot_reliability(result.quality, out_dir / "reliability.png")
