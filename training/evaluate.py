"""Evaluate a classifier (any backend) on labelled sentences: per technique P/R/F1, micro, macro and binary F1."""

from __future__ import annotations

import numpy as np
from datasets import Dataset

from slant.models.metrics import multilabel_report
from slant.models.scoring import SentenceClassifier


def evaluate_dataset(classifier: SentenceClassifier, dataset: Dataset, batch_size: int | None = None) -> dict:
    """Score `dataset` (columns text, labels; optional mask) with the model's tuned thresholds.

    Labels that the data does not annotate (mask 0) count as absent from it: their support is 0
    and they are left out of micro and macro F1.
    """
    labels = classifier.labels
    index = {label: j for j, label in enumerate(labels)}
    y_true = np.zeros((len(dataset), len(labels)), dtype=int)
    for i, row_labels in enumerate(dataset["labels"]):
        for label in row_labels:
            y_true[i, index[label]] = 1
    _, flags = score_dataset(classifier, dataset, batch_size)
    pred = flags.astype(int)
    if "mask" in dataset.column_names:
        annotated = np.asarray(dataset["mask"]) > 0
        pred = np.where(annotated, pred, 0)
    report = multilabel_report(y_true, pred, labels)
    report["model"] = classifier.name
    return report


def score_dataset(classifier: SentenceClassifier, dataset: Dataset,
                  batch_size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities and decisions (the model's own cut-offs) for each sentence of `dataset`,
    with its context column when the model reads one: what `slant evaluate` measures."""
    probabilities = classifier.predict_proba(dataset["text"], batch_size=batch_size,
                                             contexts=contexts_of(dataset, classifier))
    return probabilities, classifier.rule.flags(probabilities)


def contexts_of(dataset: Dataset, classifier: SentenceClassifier) -> list[str] | None:
    """The context column a model reads (previous sentence or title), when it reads one."""
    if classifier.context == "none" or classifier.context not in dataset.column_names:
        return None
    return dataset[classifier.context]


def load_evaluation_data(data: str, labels: str | None = None, held_out: float | None = None, seed: int = 13) -> Dataset:
    """PTC folder (+ labels), a JSONL/CSV file, or 'gold' (the held-out hand gold sentences).

    PTC data annotates only the 14 PTC techniques and gold data only the two new ones; the other
    labels are masked so they count as absent, not as wrong.
    """
    from pathlib import Path

    from slant.models.errors import SlantError
    from slant.models.labels import load_labels
    from slant.training import readers
    from slant.training.data import encode

    label_set = load_labels()
    if data == "gold":
        gold = readers.read_gold()
        test = gold.filter(lambda row: row["split"] == "test")
        return encode(test, label_set, list(readers.GOLD_LABELS))
    path = Path(data)
    if path.is_dir():
        if not labels:
            raise SlantError("E023", name="--labels", value=None, problem="needed with a PTC articles folder")
        dataset, known = readers.read_ptc(path, labels, label_set), label_set.ptc_ids
    else:
        dataset, known = readers.read_labelled_file(path, label_set), label_set.ids
    if held_out:
        dataset = readers.split_by_document(dataset, held_out, seed)["test"]
    if len(dataset) == 0:
        raise SlantError("E040", path=data)
    return encode(dataset, label_set, known)
