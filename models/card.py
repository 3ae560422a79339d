"""The released model's card (README.md in the model folder), rendered from the label registry
and the quality benchmark's JSON, so definitions and numbers are never retyped by hand.

    python -m slant.models.card models/released --quality docs/quality.json --recipe configs/ptc-minilm.yaml
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


def _table(reports: dict, label_set: LabelSet) -> str:
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


def render_card(model_dir: Path, quality: dict, recipe: str, body: str, label_set: LabelSet | None = None) -> str:
    label_set = label_set or load_labels()
    config = json.loads((model_dir / "config.json").read_text())
    thresholds = config.get("thresholds", {})
    parts = [FRONT_MATTER, body.strip(), "", "## Labels and tuned thresholds", "",
             "| id | technique | threshold | definition |", "| --- | --- | ---: | --- |"]
    for t in label_set.techniques:
        parts.append(f"| `{t.id}` | {t.name} | {thresholds.get(t.id, 0.5):.3f} | {t.definition} |")
    parts += ["", "## Evaluation", "",
              "Produced by `python benchmarks/quality.py --model models/released "
              f"--config {recipe} --out docs/quality.md --json docs/quality.json` "
              "(split rebuilt from the recipe: the same articles held out by article, same seed; this model never saw them).", ""]
    for name, reports in quality.items():
        n = reports[next(iter(reports))]["n_sentences"]
        parts += [f"### {name} ({n} sentences)", "", _table(reports, label_set), ""]
    return "\n".join(parts) + "\n"


def main():
    parser = argparse.ArgumentParser(description="Write a model card from the registry and benchmark results.")
    parser.add_argument("model_dir")
    parser.add_argument("--quality", required=True, help="JSON written by benchmarks/quality.py --json")
    parser.add_argument("--recipe", default="configs/ptc-minilm.yaml")
    parser.add_argument("--body", required=True, help="Markdown with the hand-written sections")
    args = parser.parse_args()
    model_dir = Path(args.model_dir)
    card = render_card(model_dir, json.loads(Path(args.quality).read_text()), args.recipe, Path(args.body).read_text())
    (model_dir / "README.md").write_text(card)
    print(f"wrote {model_dir / 'README.md'}")


if __name__ == "__main__":
    main()
