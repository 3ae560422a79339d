"""Agreement and composition of the real-news gold (references in training/gold/realnews_gold.jsonl).

    python benchmarks/gold_agreement.py

Cohen's kappa per label between the first pass and the blind second pass (330 sentences), how
many disagreements were adjudicated, and the labels per split and sampling stratum. Reads only
the reference file: no corpus text is needed.
"""

from __future__ import annotations

import json
from collections import Counter

from sklearn.metrics import cohen_kappa_score

from slant.training.realnews import NEW_LABELS, STRATA, builtin_path


def main():
    records = [json.loads(line) for line in builtin_path().read_text().splitlines() if line]
    double = [r for r in records if "second" in r]
    print(f"{len(records)} sentences from {len({(r['source'], r['article']) for r in records})} articles; "
          f"{len(double)} annotated twice (second pass blind to the first)\n")
    print("| label | kappa | first pass + | second pass + | disagreements | adjudicated + |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label in NEW_LABELS:
        a = [label in r["first"] for r in double]
        b = [label in r["second"] for r in double]
        final = sum(label in r["labels"] for r in double)
        print(f"| {label} | {cohen_kappa_score(a, b):.3f} | {sum(a)} | {sum(b)} | "
              f"{sum(x != y for x, y in zip(a, b))} | {final} |")
    print(f"\nunsure (either pass): {sum(not r['sure'] for r in records)}\n")
    print("| split | stratum | sentences | population | hedged + | echoing + |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for split in ("train", "dev", "test"):
        for stratum in STRATA:
            rows = [r for r in records if r["split"] == split and r["stratum"] == stratum]
            if rows:
                counts = Counter(label for r in rows for label in r["labels"])
                print(f"| {split} | {stratum} | {len(rows)} | {rows[0]['stratum_size']} | "
                      f"{counts[NEW_LABELS[0]]} | {counts[NEW_LABELS[1]]} |")


if __name__ == "__main__":
    main()
