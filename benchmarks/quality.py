"""Quality benchmark: Slant's model vs a TF-IDF baseline vs the weak rules, on held-out data.

    python benchmarks/quality.py --model models/released --config configs/ptc-minilm.yaml \
        --out docs/quality.md

The split is rebuilt from the training config (same articles held out by article, same seed),
the baseline is trained on the same training sentences with thresholds tuned on the same
validation sentences, and all three are scored by the same `evaluate_dataset`.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from slant.models.classifier import SlantClassifier
from slant.models.labels import load_labels
from slant.models.metrics import multilabel_report
from slant.training.baseline import TfidfBaseline
from slant.training.config import load_config
from slant.training.data import build
from slant.training.evaluate import evaluate_dataset
from slant.training.weak_labels import weak_labels


def rules_report(dataset, labels):
    index = {label: j for j, label in enumerate(labels)}
    y_true = np.zeros((len(dataset), len(labels)), dtype=int)
    y_pred = np.zeros_like(y_true)
    for i, (text, row) in enumerate(zip(dataset["text"], dataset["labels"])):
        for label in row:
            y_true[i, index[label]] = 1
        for label in weak_labels(text):
            y_pred[i, index[label]] = 1
    y_pred = np.where(np.asarray(dataset["mask"]) > 0, y_pred, 0)
    return multilabel_report(y_true, y_pred, labels)


def table(reports: dict[str, dict], labels) -> str:
    names = list(reports)
    lines = ["| technique | support | " + " | ".join(f"{n} F1" for n in names) + " |",
             "| --- | ---: | " + " | ".join("---:" for _ in names) + " |"]
    first = reports[names[0]]
    for label in labels:
        support = first["per_label"][label]["support"]
        if not support:
            continue
        cells = [f"{reports[n]['per_label'][label]['f1']:.3f}" for n in names]
        lines.append(f"| {label} | {support} | " + " | ".join(cells) + " |")
    for key in ("micro_f1", "macro_f1", "binary_f1"):
        lines.append(f"| **{key.replace('_', ' ')}** | | " + " | ".join(f"**{reports[n][key]:.3f}**" for n in names) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/released")
    parser.add_argument("--config", default="configs/ptc-minilm.yaml")
    parser.add_argument("--out", default=None, help="write the Markdown tables here")
    parser.add_argument("--json", default=None, help="write all reports here as JSON")
    args = parser.parse_args()

    config = load_config(args.config)
    label_set = load_labels()
    data = build(config.data, label_set)
    labels = label_set.ids

    started = time.time()
    baseline = TfidfBaseline(labels).fit(data.train["text"], np.asarray(data.train["target"]), np.asarray(data.train["mask"]))
    baseline.tune(data.validation["text"], np.asarray(data.validation["target"]), np.asarray(data.validation["mask"]))
    print(f"baseline trained in {time.time() - started:.0f} s")
    model = SlantClassifier.from_pretrained(args.model)

    sections, everything = [], {}
    for name, dataset in (("PTC held-out articles", data.test), ("hand gold test split", data.gold_test)):
        reports = {
            "Slant": evaluate_dataset(model, dataset),
            "TF-IDF+LR": evaluate_dataset(baseline, dataset),
        }
        if name.startswith("hand"):
            reports["rules"] = rules_report(dataset, labels)
        everything[name] = reports
        sections.append(f"### {name} ({len(dataset)} sentences)\n\n{table(reports, labels)}\n")
        print(sections[-1])
    if args.out:
        Path(args.out).write_text("\n".join(sections))
    if args.json:
        Path(args.json).write_text(json.dumps(everything, indent=2))


if __name__ == "__main__":
    main()
