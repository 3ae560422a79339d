"""Multi-label scores on multi-hot arrays: per technique, micro, macro and binary (any vs none)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score, precision_recall_fscore_support


def multilabel_report(y_true: np.ndarray, y_pred: np.ndarray, labels: list[str]) -> dict:
    """Scores as the evaluation contract names them.

    Micro and macro F1 are taken over the labels that have support in `y_true`, so a technique
    absent from the data neither helps nor hurts. The binary score is the NLP4IF-2019
    sentence-level task: does a sentence carry any technique at all.
    """
    y_true = np.asarray(y_true, dtype=int)
    y_pred = np.asarray(y_pred, dtype=int)
    if y_true.shape != y_pred.shape or y_true.ndim != 2 or y_true.shape[1] != len(labels):
        raise ValueError(
            f"y_true {y_true.shape} and y_pred {y_pred.shape} must both be (n, {len(labels)})"
        )
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, average=None, zero_division=0
    )
    per_label = {
        label: {
            "precision": float(precision[j]),
            "recall": float(recall[j]),
            "f1": float(f1[j]),
            "support": int(support[j]),
        }
        for j, label in enumerate(labels)
    }
    present = np.flatnonzero(support > 0)
    if len(present):
        micro = f1_score(y_true[:, present], y_pred[:, present], average="micro", zero_division=0)
        macro = float(np.mean(f1[present]))
    else:
        micro = macro = 0.0
    binary = f1_score(y_true.any(axis=1), y_pred.any(axis=1), zero_division=0)
    return {
        "micro_f1": float(micro),
        "macro_f1": float(macro),
        "binary_f1": float(binary),
        "n_sentences": int(len(y_true)),
        "per_label": per_label,
    }


def format_report(report: dict, title: str = "") -> str:
    """The report as a fixed-width table for terminals and model cards (Markdown-compatible)."""
    lines = [title] if title else []
    lines.append("| technique | precision | recall | F1 | support |")
    lines.append("| --- | ---: | ---: | ---: | ---: |")
    for label, row in report["per_label"].items():
        lines.append(
            f"| {label} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f} | {row['support']} |"
        )
    lines.append(
        f"| **micro F1** {report['micro_f1']:.3f} · **macro F1** {report['macro_f1']:.3f} · "
        f"**binary F1** {report['binary_f1']:.3f} | | | | {report['n_sentences']} sentences |"
    )
    return "\n".join(lines)
