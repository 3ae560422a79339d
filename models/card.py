"""The released model's card (README.md in the model folder), rendered from the label registry
and the quality benchmark's JSON, so definitions and numbers are never retyped by hand.

    python -m slant.models.card models/released --body docs/model_card_body.md \
        --calibration docs/calibration.json --quality docs/quality.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from slant.models.labels import LabelSet, load_labels

FRONT_MATTER = """---
language: en
license: apache-2.0
library_name: transformers
pipeline_tag: text-classification
tags: [propaganda, framing, multi-label, news]
base_model: sentence-transformers/all-MiniLM-L6-v2
---
"""


def comparison_table(reports: dict, label_set: LabelSet) -> str:
    """Per-technique P / R / F1 of several models side by side (Markdown)."""
    names = list(reports)
    lines = ["| technique | support | " + " | ".join(f"{n} P / R / F1" for n in names) + " |",
             "| --- | ---: | " + " | ".join("---" for _ in names) + " |"]
    first = reports[names[0]]
    for label in label_set.ids:
        support = first["per_label"][label]["support"]
        if not support:
            continue
        cells = []
        for n in names:
            row = reports[n]["per_label"][label]
            cells.append(f"{row['precision']:.2f} / {row['recall']:.2f} / **{row['f1']:.2f}**")
        lines.append(f"| {label} | {support} | " + " | ".join(cells) + " |")
    for key in ("micro_f1", "macro_f1", "binary_f1"):
        lines.append(f"| {key.replace('_', ' ')} | | " + " | ".join(f"**{reports[n][key]:.3f}**" for n in names) + " |")
    return "\n".join(lines)


def _calibration_section(calibration: dict, label_set: LabelSet) -> list[str]:
    reported = set(calibration["reported_labels"])
    lines = ["## Calibrated probabilities and reported labels", "",
             "Produced by `slant calibrate --model <trained model> --config configs/ptc-minilm.yaml --out <dir>` "
             "(see docs/calibration.md). Probabilities are Platt-scaled per label on held-out real text and the "
             "scaling is folded into the output layer, so `sigmoid(logits)` from plain `transformers` is the "
             "calibrated probability. PTC techniques: out-of-fold over the held-out PTC articles. The two new "
             "techniques: fitted on real-news gold dev, measured on the real-news gold test.", "",
             f"`reported_labels` (shown by `slant check` and `slant serve` by default): "
             f"{', '.join(f'`{l}`' for l in calibration['reported_labels']) or 'none'}. "
             "The others are **experimental**: scored and kept by `slant score`, shown with `--all-labels`.", "",
             "| evaluation set | micro F1 | macro F1 | binary F1 | sentences |", "| --- | ---: | ---: | ---: | ---: |"]
    names = {"ptc_heldout": "PTC held-out articles (out of fold)", "realnews_test": "real-news gold test",
             "gold_test": "hand gold test"}
    for name, report in calibration["reports"].items():
        lines.append(f"| {names.get(name, name)} | {report['micro_f1']:.3f} | {report['macro_f1']:.3f} | "
                     f"{report['binary_f1']:.3f} | {report['n_sentences']} |")
    population = calibration.get("population_estimates") or {}
    if population:
        lines += ["", "The real-news gold is a stratified sample (rule hits and model-ranked sentences are "
                  "over-represented). Weighting each test sentence by population / sample of its stratum "
                  "estimates the new techniques over all PTC sentences:", "",
                  "| technique | precision (all PTC) | recall (all PTC) | F1 |", "| --- | ---: | ---: | ---: |"]
        lines += [f"| {label} | {row['precision']:.2f} | {row['recall']:.2f} | {row['f1']:.2f} |"
                  for label, row in population.items()]
    lines += ["", "![reliability per label](reliability.png)", "",
             "| technique | status | threshold | precision | recall | F1 | positives | flagged | mean shown prob. | confidence gap |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for label in label_set.ids:
        row = calibration["quality"].get(label)
        if row is None:
            continue
        gap = "-" if row["confidence_gap"] is None else f"{row['confidence_gap']:+.2f}"
        lines.append(
            f"| {label} | {'reported' if label in reported else 'experimental'} | "
            f"{calibration['calibration'][label]['threshold']:.3f} | {row['precision']:.2f} | {row['recall']:.2f} | "
            f"{row['f1']:.2f} | {row['support']} | {row['flagged']} | {row['mean_shown_probability']:.2f} | {gap} |")
    return lines + [""]


def render_card(model_dir: Path, quality: dict, recipe: str, body: str, label_set: LabelSet | None = None,
                calibration: dict | None = None) -> str:
    label_set = label_set or load_labels()
    config = json.loads((model_dir / "config.json").read_text())
    thresholds = config.get("thresholds", {})
    parts = [FRONT_MATTER, body.strip(), "", "## Labels and tuned thresholds", "",
             "| id | technique | threshold | definition |", "| --- | --- | ---: | --- |"]
    for t in label_set.techniques:
        parts.append(f"| `{t.id}` | {t.name} | {thresholds.get(t.id, 0.5):.3f} | {t.definition} |")
    if calibration:
        parts += [""] + _calibration_section(calibration, label_set)
    if not quality:
        return "\n".join(parts) + "\n"
    parts += ["", "## Evaluation", "",
              "Produced by `python benchmarks/stacking.py --model <the uncalibrated trained model> "
              f"--config {recipe} --out docs/quality.md --json docs/quality.json`: the split is rebuilt from "
              "the recipe (the same articles held out by article, same seed; this model never trained on them), "
              "and every model is calibrated and thresholded by the same article-fold protocol as above.", ""]
    for name, reports in quality.items():
        parts += [f"### {name}", "", comparison_table(reports, label_set), ""]
    return "\n".join(parts) + "\n"


def main():
    parser = argparse.ArgumentParser(description="Write a model card from the registry and benchmark results.")
    parser.add_argument("model_dir")
    parser.add_argument("--quality", default=None, help="JSON written by benchmarks/stacking.py --json")
    parser.add_argument("--recipe", default="configs/ptc-minilm.yaml")
    parser.add_argument("--body", required=True, help="Markdown with the hand-written sections")
    parser.add_argument("--calibration", default=None, help="calibration.json written by `slant calibrate`")
    args = parser.parse_args()
    model_dir = Path(args.model_dir)
    calibration = json.loads(Path(args.calibration).read_text()) if args.calibration else None
    card = render_card(model_dir, json.loads(Path(args.quality).read_text()) if args.quality else {}, args.recipe, Path(args.body).read_text(),
                       calibration=calibration)
    (model_dir / "README.md").write_text(card)
    print(f"wrote {model_dir / 'README.md'}")


if __name__ == "__main__":
    main()
