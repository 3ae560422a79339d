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
from pathlib import Path

import numpy as np
from datasets import Dataset, concatenate_datasets

from slant.models.labels import LabelSet
from slant.training import readers
from slant.training.config import DataArgs
from slant.training.readers import GOLD_LABELS as NEW_LABELS

# Which corpus a sentence comes from: calibration uses real text only (not the hand-written gold).
REAL_CORPORA = ("ptc", "realnews", "extra")


@dataclass
class TrainingData:
    train: Dataset
    validation: Dataset
    test: Dataset | None = None            # held-out PTC/extra documents
    gold_test: Dataset | None = None       # held-out hand gold sentences (new labels)
    realnews_test: Dataset | None = None   # held-out real-news gold sentences (new labels)
    digests: dict[str, str] = field(default_factory=dict)


def encode(dataset: Dataset, label_set: LabelSet, known: list[str], corpus: str = "") -> Dataset:
    """Add `target`, `mask` and `corpus` columns; `known` lists the label ids this data annotates.

    A row may also carry `also_known` (label ids annotated for that row alone, e.g. real-news
    gold on a PTC sentence).
    """
    index = label_set.label2id
    known_mask = np.zeros(len(label_set), dtype=np.float32)
    known_mask[[index[label] for label in known]] = 1.0

    def one(row):
        target = np.zeros(len(label_set), dtype=np.float32)
        for label in row["labels"]:
            target[index[label]] = 1.0
        mask = known_mask.copy()
        for label in row.get("also_known") or []:
            mask[index[label]] = 1.0
        return {"target": target.tolist(), "mask": mask.tolist(), "corpus": corpus or row.get("corpus", "")}

    dataset = dataset.map(one)
    return dataset.remove_columns("also_known") if "also_known" in dataset.column_names else dataset


def digest(dataset: Dataset | None) -> str:
    """A content hash of texts and labels, logged so runs on different data never look alike."""
    if dataset is None:
        return ""
    h = hashlib.sha256()
    for text, labels in zip(dataset["text"], dataset["labels"]):
        h.update(json.dumps([text, labels]).encode())
    return h.hexdigest()[:16]


CONTEXT_COLUMNS = ("previous", "title")
# A sentence's character offset in a document whose technique spans are annotated (PTC), for the
# span head's token targets; -1 where no spans are known (gold sets, extra files, real-news rows).
SPAN_START = "span_start"


def _common(dataset: Dataset) -> Dataset:
    """doc_id, text, labels, the context columns (empty where a source has no documents) and no
    span offsets."""
    for column in CONTEXT_COLUMNS:
        if column not in dataset.column_names:
            dataset = dataset.add_column(column, [""] * len(dataset))
    dataset = dataset.select_columns(["doc_id", "text", "labels", *CONTEXT_COLUMNS])
    return dataset.add_column(SPAN_START, [-1] * len(dataset))


def with_context(dataset: Dataset) -> Dataset:
    """Add each sentence's `previous` sentence and its document's `title` (first line)."""
    texts = {(d, i): t for d, i, t in zip(dataset["doc_id"], dataset["sentence_index"], dataset["text"])}

    def one(row):
        index = row["sentence_index"]
        return {"previous": texts.get((row["doc_id"], index - 1), ""),
                "title": texts.get((row["doc_id"], 0), "") if index else ""}

    return dataset.map(one)


def _with_weak_labels(dataset: Dataset) -> Dataset:
    """Rule labels for the new techniques, except on sentences that real-news gold judged."""
    from slant.training.weak_labels import weak_labels

    def one(row):
        if row["also_known"]:
            return {}
        return {"labels": sorted(set(row["labels"]) | set(weak_labels(row["text"])))}

    return dataset.map(one)


def _join_gold(ptc: Dataset, gold: dict) -> Dataset:
    """PTC sentences that real-news gold judged gain its labels and count them as known."""
    def one(row):
        judged = gold.get((row["doc_id"], row["start"], row["end"]))
        if judged is None:
            return {"also_known": [], SPAN_START: row["start"]}
        return {"labels": sorted(set(row["labels"]) | set(judged)), "also_known": list(NEW_LABELS),
                SPAN_START: row["start"]}

    return ptc.map(one).select_columns(["doc_id", "text", "labels", "also_known", *CONTEXT_COLUMNS, SPAN_START])


def build(args: DataArgs, label_set: LabelSet) -> TrainingData:
    trains, validations, tests = [], [], []
    new_labels = [label for label in label_set.ids if label not in label_set.ptc_ids]
    realnews = _realnews(args)
    on_ptc = {(r["doc_id"], r["start"], r["end"]): r["labels"] for r in realnews if r["source"] == "train"}
    if args.ptc_articles:
        ptc = _join_gold(with_context(readers.read_ptc(args.ptc_articles, args.ptc_labels, label_set)), on_ptc)
        rest, test = _hold_out(ptc, args.test_fraction, args.seed)
        split = readers.split_by_document(rest, args.validation_fraction, args.seed + 1)
        train_part = split["train"]
        known = label_set.ptc_ids
        if args.weak_labels:
            train_part, known = _with_weak_labels(train_part), label_set.ids
        trains.append(encode(train_part, label_set, known, "ptc"))
        validations.append(encode(split["test"], label_set, label_set.ptc_ids, "ptc"))
        if test is not None:
            # The PTC held-out score stays over the 14 PTC techniques; real-news gold on these
            # articles is scored in `realnews_test`.
            tests.append(encode(test.map(lambda row: {"also_known": []}), label_set, label_set.ptc_ids, "ptc"))
    for path in args.extra_files:
        extra = _common(readers.read_labelled_file(path, label_set))
        rest, test = _hold_out(extra, args.test_fraction, args.seed)
        split = readers.split_by_document(rest, args.validation_fraction, args.seed + 1)
        trains.append(encode(split["train"], label_set, label_set.ids, "extra"))
        validations.append(encode(split["test"], label_set, label_set.ids, "extra"))
        if test is not None:
            tests.append(encode(test, label_set, label_set.ids, "extra"))
    # Real-news gold on the unlabelled test articles: its own rows, annotating the new labels only.
    realnews_test = None
    if realnews:
        unlabelled = [r for r in realnews if r["source"] == "test"]
        for part, target in (("train", trains), ("dev", validations)):
            rows = _gold_rows([r for r in unlabelled if r["split"] == part])
            if rows is not None:
                encoded = encode(rows, label_set, new_labels, "realnews")
                target.append(concatenate_datasets([encoded] * (args.gold_upsample if part == "train" else 1)))
        test_records = [r for r in realnews if r["split"] == "test"]
        held = _gold_rows(test_records)
        if held is not None:
            # population / sample of each sentence's stratum: unbiased estimates over all of PTC
            held = held.add_column("weight", [r["weight"] for r in test_records])
            realnews_test = encode(held, label_set, new_labels, "realnews")
    gold_test = None
    if args.gold_file:
        gold = readers.read_gold(args.gold_file)
        dev = _common(gold.filter(lambda row: row["split"] == "dev"))
        held = _common(gold.filter(lambda row: row["split"] == "test"))
        dev_split = dev.train_test_split(test_size=0.25, seed=args.seed)
        gold_train = encode(dev_split["train"], label_set, new_labels, "hand")
        trains.append(concatenate_datasets([gold_train] * args.gold_upsample))
        validations.append(encode(dev_split["test"], label_set, new_labels, "hand"))
        gold_test = encode(held, label_set, new_labels, "hand") if len(held) else None
    data = TrainingData(
        train=concatenate_datasets(trains).shuffle(seed=args.seed),
        validation=concatenate_datasets(validations),
        test=concatenate_datasets(tests) if tests else None,
        gold_test=gold_test,
        realnews_test=realnews_test,
    )
    data.digests = {
        name: digest(getattr(data, name)) for name in ("train", "validation", "test", "gold_test", "realnews_test")
    }
    return data


def _realnews(args: DataArgs) -> list[dict]:
    """Real-news gold rows (doc_id, start, end, text, labels, split, source), or none."""
    if not args.realnews_gold:
        return []
    from slant.training.realnews import read_realnews_gold

    root = Path(args.ptc_articles).parent if args.ptc_articles else None
    return read_realnews_gold(args.realnews_gold, root).to_list()


def _gold_rows(records: list[dict]) -> Dataset | None:
    if not records:
        return None
    return Dataset.from_dict({
        "doc_id": [r["doc_id"] for r in records], "text": [r["text"] for r in records],
        "labels": [r["labels"] for r in records],
        **{column: [r[column] for r in records] for column in CONTEXT_COLUMNS},
        SPAN_START: [-1] * len(records),
    })


def _hold_out(dataset: Dataset, fraction: float, seed: int):
    if fraction <= 0:
        return dataset, None
    split = readers.split_by_document(dataset, fraction, seed)
    return split["train"], split["test"]
