"""Span-level scores as the shared tasks define them, on character spans.

- **SI** (SemEval-2020 Task 11, span identification; techniques ignored): overlapping spans of
  one article are merged, within the gold and within the predictions; then, with
  C(s, t, h) = |s & t| / h,

      P = (1/|S|) * sum over s in S, t in T of C(s, t, |s|)
      R = (1/|T|) * sum over s in S, t in T of C(s, t, |t|)

  summed over all articles, and F1 their harmonic mean. Partial overlap earns partial credit.
- **FLC** (NLP4IF-2019 fragment-level classification): the same sums, counting an overlap only
  when the two spans carry the same technique, and spans merged per technique.
- **TC** (SemEval-2020 Task 11, technique classification on gold spans): one predicted technique
  per gold span; micro-F1 over spans (equal to accuracy when every span gets a prediction).

A span is `(article, start, end)` for SI or `(article, start, end, technique)` for FLC, with
character offsets, end exclusive.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Sequence


def merge(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping intervals joined; touching ones ([0, 5) and [5, 9)) stay apart."""
    merged: list[list[int]] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def _prf(predicted: dict, gold: dict) -> dict:
    """P, R, F1 from per-key lists of merged intervals (key = article, or (article, technique))."""
    n_predicted = sum(len(v) for v in predicted.values())
    n_gold = sum(len(v) for v in gold.values())
    precision_sum = recall_sum = 0.0
    for key, spans in predicted.items():
        for s in spans:
            for t in gold.get(key, ()):
                shared = _overlap(s, t)
                if shared:
                    precision_sum += shared / (s[1] - s[0])
                    recall_sum += shared / (t[1] - t[0])
    precision = precision_sum / n_predicted if n_predicted else 0.0
    recall = recall_sum / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "predicted": n_predicted, "gold": n_gold}


def _grouped(spans, key) -> dict:
    groups: dict = defaultdict(list)
    for span in spans:
        groups[key(span)].append((span[1], span[2]))
    return {k: merge(v) for k, v in groups.items()}


def span_identification(predicted: Sequence[tuple], gold: Sequence[tuple]) -> dict:
    """SI precision, recall and F1; spans are (article, start, end[, technique])."""
    return _prf(_grouped(predicted, lambda s: s[0]), _grouped(gold, lambda s: s[0]))


def fragment_classification(predicted: Sequence[tuple], gold: Sequence[tuple]) -> dict:
    """FLC precision, recall and F1; spans are (article, start, end, technique)."""
    report = _prf(_grouped(predicted, lambda s: (s[0], s[3])), _grouped(gold, lambda s: (s[0], s[3])))
    techniques = sorted({s[3] for s in gold} | {s[3] for s in predicted})
    report["per_technique"] = {
        technique: _prf(_grouped([s for s in predicted if s[3] == technique], lambda s: s[0]),
                        _grouped([s for s in gold if s[3] == technique], lambda s: s[0]))
        for technique in techniques
    }
    return report


def technique_classification(predicted: Sequence[str | None], gold: Sequence[str]) -> dict:
    """TC micro-F1 over gold spans: `predicted[i]` is the technique given to gold span i (None = none)."""
    if len(predicted) != len(gold):
        raise ValueError(f"{len(predicted)} predictions for {len(gold)} gold spans")
    correct = sum(p == g for p, g in zip(predicted, gold))
    answered = sum(p is not None for p in predicted)
    precision = correct / answered if answered else 0.0
    recall = correct / len(gold) if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "micro_f1": f1, "spans": len(gold)}
