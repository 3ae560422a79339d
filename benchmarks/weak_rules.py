"""Precision of the weak rules against the hand gold set, and how often they fire on PTC.

    python benchmarks/weak_rules.py [--ptc ../shared/data/ptc/train-articles]
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
        texts = read_ptc(args.ptc)["text"]
        fired = [weak_labels(t) for t in texts]
        for label in GOLD_LABELS:
            n = sum(label in f for f in fired)
            print(f"\n{label}: fires on {n} of {len(texts)} PTC sentences ({n / len(texts):.2%})")


if __name__ == "__main__":
    main()
