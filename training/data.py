"""From corpora to the splits the trainer needs, with multi-hot targets and label masks.

Each sentence carries `target` (multi-hot over the registry) and `mask` (1 where the target is
known). PTC sentences know the 14 PTC techniques, plus the two new labels from weak rules in the
training split; gold sentences know only the two new labels. Masked-out entries add no loss and
are ignored when thresholds are tuned, so a corpus is never taken to deny what it never annotated.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import numpy as np
from datasets import Dataset, concatenate_datasets

from slant.models.labels import LabelSet
from slant.training import readers
from slant.training.config import DataArgs


@dataclass
class TrainingData:
    train: Dataset
    validation: Dataset
    test: Dataset | None = None        # held-out PTC/extra documents
    gold_test: Dataset | None = None   # held-out hand gold sentences (new labels)
    digests: dict[str, str] = field(default_factory=dict)


def encode(dataset: Dataset, label_set: LabelSet, known: list[str]) -> Dataset:
    """Add `target` and `mask` columns; `known` lists the label ids this data annotates."""
    index = label_set.label2id
    known_mask = np.zeros(len(label_set), dtype=np.float32)
    known_mask[[index[label] for label in known]] = 1.0

    def one(row):
        target = np.zeros(len(label_set), dtype=np.float32)
        for label in row["labels"]:
            target[index[label]] = 1.0
        return {"target": target.tolist(), "mask": known_mask.tolist()}

    return dataset.map(one)


def digest(dataset: Dataset | None) -> str:
    """A content hash of texts and labels, logged so runs on different data never look alike."""
    if dataset is None:
        return ""
    h = hashlib.sha256()
    for text, labels in zip(dataset["text"], dataset["labels"]):
        h.update(json.dumps([text, labels]).encode())
    return h.hexdigest()[:16]


def _common(dataset: Dataset) -> Dataset:
    keep = ["doc_id", "text", "labels"]
    return dataset.select_columns(keep)


def _with_weak_labels(dataset: Dataset) -> Dataset:
    from slant.training.weak_labels import weak_labels

    return dataset.map(lambda row: {"labels": sorted(set(row["labels"]) | set(weak_labels(row["text"])))})


def build(args: DataArgs, label_set: LabelSet) -> TrainingData:
    trains, validations, tests = [], [], []
    new_labels = [label for label in label_set.ids if label not in label_set.ptc_ids]
    if args.ptc_articles:
        ptc = _common(readers.read_ptc(args.ptc_articles, args.ptc_labels, label_set))
        rest, test = _hold_out(ptc, args.test_fraction, args.seed)
        split = readers.split_by_document(rest, args.validation_fraction, args.seed + 1)
        train_part = split["train"]
        known = label_set.ptc_ids
        if args.weak_labels:
            train_part, known = _with_weak_labels(train_part), label_set.ids
        trains.append(encode(train_part, label_set, known))
        validations.append(encode(split["test"], label_set, label_set.ptc_ids))
        if test is not None:
            tests.append(encode(test, label_set, label_set.ptc_ids))
    for path in args.extra_files:
        extra = _common(readers.read_labelled_file(path, label_set))
        rest, test = _hold_out(extra, args.test_fraction, args.seed)
        split = readers.split_by_document(rest, args.validation_fraction, args.seed + 1)
        trains.append(encode(split["train"], label_set, label_set.ids))
        validations.append(encode(split["test"], label_set, label_set.ids))
        if test is not None:
            tests.append(encode(test, label_set, label_set.ids))
    gold_test = None
    if args.gold_file:
        gold = readers.read_gold(args.gold_file)
        dev = _common(gold.filter(lambda row: row["split"] == "dev"))
        held = _common(gold.filter(lambda row: row["split"] == "test"))
        dev_split = dev.train_test_split(test_size=0.25, seed=args.seed)
        gold_train = encode(dev_split["train"], label_set, new_labels)
        trains.append(concatenate_datasets([gold_train] * args.gold_upsample))
        validations.append(encode(dev_split["test"], label_set, new_labels))
        gold_test = encode(held, label_set, new_labels) if len(held) else None
    data = TrainingData(
        train=concatenate_datasets(trains).shuffle(seed=args.seed),
        validation=concatenate_datasets(validations),
        test=concatenate_datasets(tests) if tests else None,
        gold_test=gold_test,
    )
    data.digests = {
        name: digest(getattr(data, name)) for name in ("train", "validation", "test", "gold_test")
    }
    return data


def _hold_out(dataset: Dataset, fraction: float, seed: int):
    if fraction <= 0:
        return dataset, None
    split = readers.split_by_document(dataset, fraction, seed)
    return split["train"], split["test"]
