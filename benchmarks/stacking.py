"""Quality benchmark: the transformer, a TF-IDF baseline and their stack, under one protocol.

    python benchmarks/stacking.py --model runs/B-original --config configs/ptc-minilm.yaml \
        --out docs/quality.md --json docs/quality.json [--no-track]

`--model` is the uncalibrated trained model (calibration is part of the protocol).

Per label, a logistic regression on [transformer logit, TF-IDF logit] replaces Platt scaling; it is
cross-fitted by article over the same held-out pool as `slant calibrate` and scored out of fold on
the held-out PTC articles, next to the transformer alone (same folds, same thresholds rule). The
TF-IDF model is trained on the recipe's training sentences. A stacked model is not a plain Hugging
Face folder, so this measures whether the idea pays, not a release candidate; logged to MLflow as
a calibrated-stage run so docs/experiments.md lists it.
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from slant.models.classifier import SlantClassifier
from slant.models.labels import load_labels
from slant.models.metrics import multilabel_report
from slant.training import calibration, release
from slant.training.baseline import TfidfBaseline
from slant.training.config import load_config
from slant.training.data import build
from slant.training.evaluate import contexts_of
from slant.training.thresholds import tune_thresholds


def cross_fit_stacked(features: np.ndarray, targets, mask, groups, labels, folds=calibration.FOLDS):
    """Out-of-fold decisions from per-label logistic regressions on (n, labels, k) features."""
    flags = np.zeros(targets.shape, dtype=bool)
    for j, label in enumerate(labels):
        rows = np.flatnonzero(mask[:, j] > 0)
        for train, test in GroupKFold(n_splits=min(folds, len(set(groups[rows])))).split(rows, groups=groups[rows]):
            x, y = features[rows[train], j], targets[rows[train], j] > 0.5
            if y.min() == y.max():
                continue
            model = LogisticRegression(C=1.0).fit(x, y)
            p = model.predict_proba(x)[:, 1]
            cut = tune_thresholds(p[:, None], y[:, None].astype(float), np.ones((len(y), 1)), [label])[label]
            flags[rows[test], j] = model.predict_proba(features[rows[test], j])[:, 1] >= cut
    return flags


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/released")
    parser.add_argument("--config", default="configs/ptc-minilm.yaml")
    parser.add_argument("--no-track", action="store_true")
    parser.add_argument("--out", default=None, help="write the per-technique Markdown table here")
    parser.add_argument("--json", default=None, help="write the reports here (read by the model card)")
    args = parser.parse_args()

    config = load_config(args.config)
    labels = load_labels().ids
    data = build(config.data, load_labels())
    pool, held_out = release.heldout_pool(data)
    targets, mask = np.asarray(pool["target"]), np.asarray(pool["mask"])
    groups = np.asarray(pool["doc_id"])

    classifier = SlantClassifier.from_pretrained(args.model)
    model_logits = calibration.logit(classifier.predict_proba(pool["text"], contexts=contexts_of(pool, classifier)))
    baseline = TfidfBaseline(labels).fit(data.train["text"], np.asarray(data.train["target"]), np.asarray(data.train["mask"]))
    tfidf_logits = calibration.logit(baseline.predict_proba(pool["text"]))

    reports = {}
    for name, features in (("Slant", model_logits[..., None]),
                           ("TF-IDF+LR", tfidf_logits[..., None]),
                           ("stacked (not released)", np.stack([model_logits, tfidf_logits], axis=-1))):
        flags = cross_fit_stacked(features, targets, mask, groups, labels)
        y = (targets > 0.5) & (mask > 0)
        reports[name] = multilabel_report(y[held_out], (flags & (mask > 0))[held_out], labels)
        r = reports[name]
        print(f"{name:24s} PTC held-out (out of fold): micro {r['micro_f1']:.3f} macro {r['macro_f1']:.3f} binary {r['binary_f1']:.3f}")
    title = f"PTC held-out articles, out of fold ({int(held_out.sum())} sentences)"
    if args.json:
        import json
        from pathlib import Path

        Path(args.json).write_text(json.dumps({title: reports}, indent=1))
    if args.out:
        from pathlib import Path

        from slant.models.card import comparison_table

        Path(args.out).write_text(f"Command: `python benchmarks/stacking.py --model {args.model} --config {args.config} "
                                  f"--out docs/quality.md --json docs/quality.json`\n\n### {title}\n\n"
                                  + comparison_table(reports, load_labels()) + "\n")
    if not args.no_track:
        import mlflow

        from slant.training.tracking import environment_tags, log_report

        mlflow.set_experiment(config.tracking.experiment)
        with mlflow.start_run(run_name="stacked-tfidf-calibrated"):
            mlflow.set_tags({**environment_tags(), "slant.stage": "calibrated", "slant.model": args.model,
                             "slant.recipe": f"stacking: {args.model} logit + TF-IDF logit per label (logistic regression, "
                                             "cross-fitted); not a plain HF folder, measured only"})
            log_report("ptc_heldout", reports["stacked (not released)"])


if __name__ == "__main__":
    main()
