"""Precision of the weak rules against the hand gold set and the real-news gold, and how often
they fire on PTC.

    python benchmarks/weak_rules.py [--ptc ../shared/data/ptc/train-articles]

On the real-news gold (a stratified sample whose `rule` stratum is defined by these very rules),
the plain sample figures overstate recall; the weighted ones (each sentence counted
population / sample of its stratum) estimate precision and recall over all PTC sentences.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from slant.training.readers import GOLD_LABELS, read_gold, read_ptc
from slant.training.weak_labels import rule_precision, weak_labels


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ptc", default="../shared/data/ptc/train-articles")
    args = parser.parse_args()
    gold = read_gold()
    print("| label | gold split | precision | recall | F1 | support | predicted |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for label in GOLD_LABELS:
        for split in ("dev", "test"):
            part = gold.filter(lambda row: row["split"] == split)
            r = rule_precision(part["text"], part["labels"], label)
            print(f"| {label} | {split} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | {r['support']} | {r['predicted']} |")
    if Path(args.ptc).is_dir():
        real_news_table(Path(args.ptc).parent)
        texts = read_ptc(args.ptc)["text"]
        fired = [weak_labels(t) for t in texts]
        for label in GOLD_LABELS:
            n = sum(label in f for f in fired)
            print(f"\n{label}: fires on {n} of {len(texts)} PTC sentences ({n / len(texts):.2%})")


def real_news_table(ptc_root: Path):
    import numpy as np

    from slant.training.realnews import read_realnews_gold

    gold = read_realnews_gold("builtin", ptc_root)
    weights = np.asarray(gold["weight"])
    print("\n| label | real-news gold | precision | recall | F1 | support |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for label in GOLD_LABELS:
        y = np.array([label in labels for labels in gold["labels"]])
        pred = np.array([label in weak_labels(text) for text in gold["text"]])
        for name, w in (("sample", np.ones_like(weights)), ("weighted to all PTC", weights)):
            tp, fp, fn = (w * (pred & y)).sum(), (w * (pred & ~y)).sum(), (w * (~pred & y)).sum()
            p = tp / (tp + fp) if tp + fp else 0.0
            r = tp / (tp + fn) if tp + fn else 0.0
            f = 2 * p * r / (p + r) if p + r else 0.0
            print(f"| {label} | {name} | {p:.3f} | {r:.3f} | {f:.3f} | {int(y.sum())} |")


if __name__ == "__main__":
    main()
