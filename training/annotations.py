"""New annotations in: check JSONL annotation files, then turn them into sentence-level rows.

One JSON object per line, in either of two shapes:

    {"text": "The plan is a disaster.", "labels": ["loaded_language"]}                  sentence level
    {"text": "...", "spans": [{"start": 14, "end": 22, "label": "loaded_language"}]}     span level

Span offsets are characters into `text`, end exclusive; a span may carry its own `"text"`, which
must equal `text[start:end]`. An optional `id` (or `doc_id`) keeps records of one document
together when data is split. Any other field is kept out of training and never checked.

Every problem is reported with its file and line, and nothing is dropped silently: a file with
problems is refused as a whole, and a record without labels is a negative for all techniques.
Span-level records become one row per sentence; a sentence carries the techniques whose spans
overlap it.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from slant.models.errors import SlantError
from slant.models.labels import LabelSet, load_labels
from slant.models.sentences import split_sentences


@dataclass(frozen=True)
class Problem:
    path: str
    line: int  # 0 when the problem is the file itself
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str


@dataclass(frozen=True)
class Annotation:
    """One valid record; `spans` is None for a sentence-level record."""

    path: str
    line: int
    doc_id: str
    text: str
    labels: tuple[str, ...]
    spans: tuple[Span, ...] | None = None

    def sentences(self) -> list[dict]:
        """Training rows `{doc_id, text, labels}`: the record itself, or one row per sentence."""
        if self.spans is None:
            return [{"doc_id": self.doc_id, "text": self.text, "labels": list(self.labels)}]
        rows = []
        for sentence in split_sentences(self.text):
            labels = sorted({s.label for s in self.spans if s.start < sentence.end and s.end > sentence.start})
            rows.append({"doc_id": self.doc_id, "text": sentence.text, "labels": labels})
        return rows


@dataclass
class AnnotationSet:
    records: list[Annotation] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    exact_duplicates: int = 0  # same text, same labels: kept, counted

    @property
    def ok(self) -> bool:
        return not self.problems

    def sentences(self) -> list[dict]:
        return [row for record in self.records for row in record.sentences()]

    def raise_for_problems(self, paths: Iterable[str]):
        if self.problems:
            raise SlantError(
                "E300", count=len(self.problems), first=self.problems[0], paths=" ".join(map(str, paths))
            )

    def summary(self) -> dict:
        sentences = self.sentences()
        counts = Counter(label for row in sentences for label in row["labels"])
        return {
            "records": len(self.records),
            "span_level": sum(record.spans is not None for record in self.records),
            "sentences": len(sentences),
            "without_labels": sum(not row["labels"] for row in sentences),
            "exact_duplicates": self.exact_duplicates,
            "labels": dict(sorted(counts.items())),
        }


def check_files(paths: Iterable[str | Path], label_set: LabelSet | None = None) -> AnnotationSet:
    """Read and check annotation files together, so duplicates across files are caught too."""
    label_set = label_set or load_labels()
    result = AnnotationSet()
    seen: dict[str, Annotation] = {}  # normalised text -> first record with it
    for path in map(Path, paths):
        before = len(result.records) + len(result.problems)
        for line, record in _records(path, result.problems):
            annotation = _check_record(path, line, record, label_set, result.problems)
            if annotation is None:
                continue
            key = " ".join(annotation.text.split())
            first = seen.setdefault(key, annotation)
            if first is not annotation:
                if set(first.labels) != set(annotation.labels):
                    result.problems.append(Problem(
                        str(path), line,
                        f"same text as {first.path}:{first.line} but labels {sorted(annotation.labels)} "
                        f"here and {sorted(first.labels)} there",
                    ))
                    continue
                result.exact_duplicates += 1
            result.records.append(annotation)
        if len(result.records) + len(result.problems) == before and path.exists():
            result.problems.append(Problem(str(path), 0, "no annotation records"))
    return result


def write_sentences(annotations: AnnotationSet, path: str | Path) -> Path:
    """Sentence rows as JSONL that `data.extra_files` reads."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for row in annotations.sentences():
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


# -- reading and checking one record -------------------------------------------------
def _records(path: Path, problems: list[Problem]):
    """(line, JSON object) for each line; unreadable and blank lines become problems (a blank line
    is often a record lost in an edit, so it is reported rather than skipped)."""
    if not path.is_file():
        problems.append(Problem(str(path), 0, "no such file" if not path.exists() else "not a file"))
        return
    try:
        raw = path.read_bytes()
    except OSError as error:
        problems.append(Problem(str(path), 0, f"cannot read: {error.strerror}"))
        return
    chunks = raw.split(b"\n")
    if chunks and not chunks[-1]:
        chunks.pop()  # what follows the last line's newline is not a line
    for line_no, chunk in enumerate(chunks, start=1):
        try:
            line = chunk.decode("utf-8-sig" if line_no == 1 else "utf-8")
        except UnicodeDecodeError as error:
            problems.append(Problem(str(path), line_no, f"not valid UTF-8 (byte {error.start} of the line)"))
            continue
        if not line.strip():
            problems.append(Problem(str(path), line_no, "blank line; remove it or put the missing record back"))
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(Problem(str(path), line_no, f"invalid JSON ({error.msg}, column {error.colno})"))
            continue
        if not isinstance(record, dict):
            problems.append(Problem(str(path), line_no, "expected a JSON object"))
            continue
        yield line_no, record


def _check_record(path: Path, line: int, record: dict, label_set: LabelSet, problems: list[Problem]):
    found: list[str] = []
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        found.append("missing or empty 'text'")
        text = None
    has_labels, has_spans = "labels" in record, "spans" in record
    if has_labels == has_spans:
        found.append("give either 'labels' (sentence level) or 'spans' (span level)" if not has_labels
                     else "give 'labels' or 'spans', not both")
    labels: set[str] = set()
    spans: tuple[Span, ...] | None = None
    if has_labels and not has_spans:
        labels = _check_labels(record["labels"], label_set, found)
    elif has_spans and not has_labels:
        spans = _check_spans(record["spans"], text, label_set, found)
        labels = {span.label for span in spans}
    problems.extend(Problem(str(path), line, message) for message in found)
    if found:
        return None
    doc_id = record.get("id", record.get("doc_id", f"{path.name}:{line}"))
    return Annotation(str(path), line, str(doc_id), text, tuple(sorted(labels)), spans)


def _check_labels(value, label_set: LabelSet, found: list[str]) -> set[str]:
    if not isinstance(value, list) or not all(isinstance(label, str) for label in value):
        found.append("'labels' must be a list of technique ids")
        return set()
    known = label_set.label2id
    for label in value:
        if label not in known:
            found.append(f"unknown label {label!r}; run `slant labels` for the known ids")
    return {label for label in value if label in known}


def _check_spans(value, text: str | None, label_set: LabelSet, found: list[str]) -> tuple[Span, ...]:
    if not isinstance(value, list):
        found.append("'spans' must be a list of {start, end, label} objects")
        return ()
    known = label_set.label2id
    spans = []
    for n, span in enumerate(value, start=1):
        where = f"span {n}"
        if not isinstance(span, dict):
            found.append(f"{where}: expected an object with start, end and label")
            continue
        start, end, label = span.get("start"), span.get("end"), span.get("label")
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in (start, end)):
            found.append(f"{where}: 'start' and 'end' must be integers")
            continue
        if label not in known:
            found.append(f"{where}: unknown label {label!r}; run `slant labels` for the known ids")
            continue
        if text is None:
            continue
        if not 0 <= start < end <= len(text):
            found.append(f"{where}: offsets {start}-{end} are out of range for a text of {len(text)} characters")
            continue
        covered = text[start:end]
        if "text" in span and span["text"] != covered:
            found.append(f"{where}: its text {span['text']!r} does not match text[{start}:{end}] = {covered!r}")
            continue
        if not covered.strip():
            found.append(f"{where}: {start}-{end} covers only whitespace")
            continue
        spans.append(Span(start, end, label))
    return tuple(spans)
