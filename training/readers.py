"""Corpus readers. Each returns a Hugging Face `datasets.Dataset` of sentences with the columns

    doc_id, sentence_index, start, end, text, labels

`labels` holds technique ids from the registry; `start`/`end` are character offsets into the
document's text (end exclusive). Bad records raise `SlantError` naming the file and line.
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from pathlib import Path

import numpy as np
from datasets import Dataset, DatasetDict

from slant.models.errors import SlantError
from slant.models.labels import LabelSet, load_labels

COLUMNS = ("doc_id", "sentence_index", "start", "end", "text", "labels")
_ARTICLE_ID = re.compile(r"article(\d+)")


def read_text(path: Path) -> str:
    """A file's text with its exact characters (no newline translation), or a one-line error."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise SlantError("E001", path=path, reason=error.strerror) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SlantError("E002", path=path, position=error.start) from None


# -- PTC ------------------------------------------------------------------------
def read_ptc_spans(labels_path: str | Path, label_set: LabelSet | None = None) -> dict[str, list]:
    """Spans per article id, `[(label_id, start, end), ...]`, from one file or a folder of them."""
    label_set = label_set or load_labels()
    mapping = label_set.ptc_to_id
    labels_path = Path(labels_path)
    if not labels_path.exists():
        raise SlantError("E004", path=labels_path)
    files = sorted(labels_path.glob("*.labels")) if labels_path.is_dir() else [labels_path]
    spans: dict[str, list] = defaultdict(list)
    for file in files:
        for line_no, line in enumerate(read_text(file).splitlines(), start=1):
            if not line.strip():
                continue
            fields = line.rstrip("\r").split("\t")
            if len(fields) != 4:
                raise SlantError(
                    "E003", path=file, line=line_no,
                    problem=f"expected 4 tab-separated fields (id, technique, start, end), got {len(fields)}",
                )
            article, technique, start, end = fields
            if technique not in mapping:
                raise SlantError(
                    "E003", path=file, line=line_no,
                    problem=f"unknown PTC technique {technique!r}; known: {', '.join(mapping)}",
                )
            try:
                start, end = int(start), int(end)
            except ValueError:
                raise SlantError("E003", path=file, line=line_no, problem="offsets must be integers") from None
            if not 0 <= start < end:
                raise SlantError("E003", path=file, line=line_no, problem=f"empty or negative span {start}-{end}")
            spans[article].append((mapping[technique], start, end))
    return spans


def read_ptc(
    articles_dir: str | Path, labels_path: str | Path | None = None, label_set: LabelSet | None = None
) -> Dataset:
    """PTC articles (one sentence per line) with the techniques whose spans overlap each line.

    Without `labels_path` the sentences come back with empty label lists (unlabelled corpus).
    """
    articles_dir = Path(articles_dir)
    if not articles_dir.is_dir():
        raise SlantError("E004", path=articles_dir)
    spans = read_ptc_spans(labels_path, label_set) if labels_path else {}
    rows = {c: [] for c in COLUMNS}
    files = sorted(articles_dir.glob("article*.txt"))
    if not files:
        raise SlantError("E001", path=articles_dir, reason="no article*.txt files in it")
    known = set()
    for file in files:
        match = _ARTICLE_ID.match(file.stem)
        article = match.group(1) if match else file.stem
        known.add(article)
        text = read_text(file)
        for index, (start, end) in enumerate(_line_spans(text)):
            labels = sorted({label for label, s, e in spans.get(article, []) if s < end and e > start})
            rows["doc_id"].append(article)
            rows["sentence_index"].append(index)
            rows["start"].append(start)
            rows["end"].append(end)
            rows["text"].append(text[start:end])
            rows["labels"].append(labels)
        for label, s, e in spans.get(article, []):
            if e > len(text) + 1:
                raise SlantError(
                    "E003", path=labels_path, line="?",
                    problem=f"span {s}-{e} of article {article} ends past its text ({len(text)} chars)",
                )
    orphans = sorted(set(spans) - known)
    if orphans:
        raise SlantError(
            "E003", path=labels_path, line="?",
            problem=f"labels for articles with no text in {articles_dir}: {', '.join(orphans[:5])}",
        )
    return Dataset.from_dict(rows)


def _line_spans(text: str):
    """(start, end) of each non-blank line, whitespace trimmed, offsets into `text`."""
    position = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            start = position + (len(line) - len(line.lstrip()))
            yield start, start + len(stripped)
        position += len(line) + 1


# -- plain {text, labels} files --------------------------------------------------
def read_labelled_file(path: str | Path, label_set: LabelSet | None = None) -> Dataset:
    """JSONL (`{"text": ..., "labels": [...]}`) or CSV (`text,labels` with `;`-separated labels).

    An optional `id`/`doc_id` field groups sentences into documents for splitting.
    """
    label_set = label_set or load_labels()
    path = Path(path)
    if not path.exists():
        raise SlantError("E004", path=path)
    if path.suffix.lower() == ".csv":
        records = _csv_records(path)
    elif path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        records = _jsonl_records(path)
    else:
        raise SlantError("E001", path=path, reason="expected a .jsonl or .csv file")
    rows = {c: [] for c in COLUMNS}
    for line_no, record in records:
        text = record.get("text")
        if not isinstance(text, str) or not text.strip():
            raise SlantError("E003", path=path, line=line_no, problem="missing or empty 'text'")
        if "spans" in record and "labels" not in record:
            raise SlantError(
                "E003", path=path, line=line_no,
                problem="span-level record; give sentence-level {text, labels} or use `slant retrain` annotations",
            )
        labels = record.get("labels", [])
        if isinstance(labels, str):
            labels = [part.strip() for part in labels.replace("|", ";").split(";") if part.strip()]
        if not isinstance(labels, list):
            raise SlantError("E003", path=path, line=line_no, problem="'labels' must be a list of label ids")
        try:
            label_set.check(labels)
        except SlantError as error:
            raise SlantError("E003", path=path, line=line_no, problem=str(error)) from None
        doc = record.get("doc_id", record.get("id", f"{path.stem}:{line_no}"))
        rows["doc_id"].append(str(doc))
        rows["sentence_index"].append(0)
        rows["start"].append(0)
        rows["end"].append(len(text))
        rows["text"].append(text)
        rows["labels"].append(sorted(set(labels)))
    if not rows["text"]:
        raise SlantError("E040", path=path)
    return Dataset.from_dict(rows)


def _jsonl_records(path: Path):
    for line_no, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise SlantError("E003", path=path, line=line_no, problem=f"invalid JSON ({error.msg})") from None
        if not isinstance(record, dict):
            raise SlantError("E003", path=path, line=line_no, problem="expected a JSON object")
        yield line_no, record


def _csv_records(path: Path):
    reader = csv.DictReader(read_text(path).splitlines())
    if not reader.fieldnames or "text" not in reader.fieldnames:
        raise SlantError("E003", path=path, line=1, problem="CSV header needs a 'text' column")
    for row_no, record in enumerate(reader, start=2):
        yield row_no, record


# -- Wikipedia weasel sample ---------------------------------------------------
def read_weasel(path: str | Path) -> Dataset:
    """`label<TAB>text` lines (`uncertain`/`certain`) as `text` plus a boolean `uncertain`."""
    path = Path(path)
    texts, uncertain = [], []
    for line_no, line in enumerate(read_text(path).splitlines(), start=1):
        if line_no == 1 and line.startswith("label\t"):
            continue
        if not line.strip():
            continue
        label, sep, text = line.partition("\t")
        if not sep or label not in ("uncertain", "certain") or not text.strip():
            raise SlantError(
                "E003", path=path, line=line_no, problem="expected 'uncertain|certain<TAB>sentence'"
            )
        texts.append(text.strip())
        uncertain.append(label == "uncertain")
    return Dataset.from_dict({"text": texts, "uncertain": uncertain})


# -- splitting ---------------------------------------------------------------------
def split_by_document(
    dataset: Dataset, test_fraction: float, seed: int, group_column: str = "doc_id"
) -> DatasetDict:
    """Hold out whole documents, never single sentences, chosen by a seeded shuffle."""
    if not 0.0 < test_fraction < 1.0:
        raise SlantError("E024", data=f"{len(dataset)} sentence(s)", problem=f"test_fraction={test_fraction!r} must be between 0 and 1")
    groups = sorted(set(dataset[group_column]))
    if len(groups) < 2:
        raise SlantError(
            "E024", data=f"{len(groups)} document(s)", problem="holding out whole documents needs at least 2",
        )
    rng = np.random.default_rng(seed)
    shuffled = [groups[i] for i in rng.permutation(len(groups))]
    n_test = max(1, round(len(groups) * test_fraction))
    held_out = set(shuffled[:n_test])
    column = dataset[group_column]
    test_index = [i for i, g in enumerate(column) if g in held_out]
    train_index = [i for i, g in enumerate(column) if g not in held_out]
    return DatasetDict(train=dataset.select(train_index), test=dataset.select(test_index))


# -- the shipped hand gold set for the two new labels ---------------------------
GOLD_LABELS = ("hedged_attribution", "official_narrative_echoing")


def builtin_gold_path() -> Path:
    from importlib import resources

    return Path(str(resources.files("slant.training").joinpath("gold/new_labels_gold.jsonl")))


def read_gold(path: str | Path | None = None) -> Dataset:
    """The gold set: `text`, `labels` (subset of the two new labels), `split` (dev/test), `kind`."""
    path = Path(path) if path and path != "builtin" else builtin_gold_path()
    if not path.exists():
        raise SlantError("E004", path=path)
    rows = {"doc_id": [], "text": [], "labels": [], "split": [], "kind": []}
    for line_no, record in _jsonl_records(path):
        labels = record.get("labels")
        if not isinstance(record.get("text"), str) or not record["text"].strip():
            raise SlantError("E005", path=path, line=line_no, problem="missing or empty 'text'")
        if not isinstance(labels, list) or any(label not in GOLD_LABELS for label in labels):
            raise SlantError("E005", path=path, line=line_no, problem=f"'labels' must be a subset of {GOLD_LABELS}")
        if record.get("split") not in ("dev", "test"):
            raise SlantError("E005", path=path, line=line_no, problem="'split' must be 'dev' or 'test'")
        rows["doc_id"].append(str(record.get("id", line_no)))
        rows["text"].append(record["text"])
        rows["labels"].append(sorted(labels))
        rows["split"].append(record["split"])
        rows["kind"].append(str(record.get("kind", "")))
    return Dataset.from_dict(rows)
