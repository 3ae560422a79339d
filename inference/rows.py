"""The output tables of `slant score`: one row per sentence, per document, per rejected record.

Both engines (local and Ray) and the Python API build their tables here, from the same
`ScoredChunk`, so their outputs cannot drift apart. Columns:

* sentences: doc_id, record_no, sentence_index, start, end, text, labels, prob_<label> (x16)
* documents: doc_id, record_no, text_length, n_sentences, n_flagged, flagged_share,
  count_<label> (x16), strongest (the top sentences by their highest probability), then the
  input record's kept fields (source, date, ...), one text column each
* rejects: record_no, location, doc_id, code, reason
* spans (models with a span head): doc_id, record_no, sentence_index, start, end, text, label,
  probability, sentence_flagged (whether the sentence itself carries that technique)

`start`/`end` are code-point offsets into the document text as read, so
`text[start:end] == sentence`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pyarrow as pa

from slant.inference.sources import Reject
from slant.models.errors import SlantError
from slant.models.sentences import Span
from slant.models.spans import TechniqueSpan

STRONGEST_K = 3


@dataclass
class ScoredChunk:
    """Scores for a run of documents: probabilities row-aligned with the flattened spans."""

    doc_ids: list[str | None]
    record_nos: list[int]
    text_lengths: list[int]
    spans: list[list[Span]]
    probabilities: np.ndarray  # (total sentences, n_labels) float32, documents in order
    flags: np.ndarray  # same shape, bool: probability at or over the label's threshold
    labels: list[str]
    meta: list[dict] | None = None  # per document: kept field -> text (None: no fields kept)
    keep_fields: list[str] = field(default_factory=list)  # the documents table's extra columns
    # per sentence row: the technique spans found in it (document offsets); None = no span head
    technique_spans: list[list[TechniqueSpan]] | None = None

    def offsets(self) -> np.ndarray:
        """Row index where each document's sentences begin, plus the total at the end."""
        return np.concatenate([[0], np.cumsum([len(s) for s in self.spans])]).astype(np.int64)


def prob_column(label: str) -> str:
    return f"prob_{label}"


def count_column(label: str) -> str:
    return f"count_{label}"


def sentence_schema(labels: Sequence[str]) -> pa.Schema:
    return pa.schema(
        [("doc_id", pa.string()), ("record_no", pa.int64()), ("sentence_index", pa.int32()),
         ("start", pa.int64()), ("end", pa.int64()), ("text", pa.string()), ("labels", pa.list_(pa.string()))]
        + [(prob_column(label), pa.float32()) for label in labels]
    )


_STRONGEST = pa.struct([("sentence_index", pa.int32()), ("start", pa.int64()), ("end", pa.int64()),
                        ("text", pa.string()), ("label", pa.string()), ("probability", pa.float32())])


def document_schema(labels: Sequence[str], keep_fields: Sequence[str] = ()) -> pa.Schema:
    """The documents table; `keep_fields` (the input's other fields) add one text column each."""
    schema = pa.schema(
        [("doc_id", pa.string()), ("record_no", pa.int64()), ("text_length", pa.int64()),
         ("n_sentences", pa.int32()), ("n_flagged", pa.int32()), ("flagged_share", pa.float64())]
        + [(count_column(label), pa.int32()) for label in labels]
        + [("strongest", pa.list_(_STRONGEST))]
    )
    for name in keep_fields:
        if name in schema.names:
            raise SlantError("E150", field=name)
        schema = schema.append(pa.field(name, pa.string()))
    return schema


REJECT_SCHEMA = pa.schema([("record_no", pa.int64()), ("location", pa.string()), ("doc_id", pa.string()),
                           ("code", pa.string()), ("reason", pa.string())])


SPAN_SCHEMA = pa.schema([("doc_id", pa.string()), ("record_no", pa.int64()), ("sentence_index", pa.int32()),
                         ("start", pa.int64()), ("end", pa.int64()), ("text", pa.string()), ("label", pa.string()),
                         ("probability", pa.float32()), ("sentence_flagged", pa.bool_())])


def span_table(chunk: ScoredChunk) -> pa.Table:
    """Every technique span found in the chunk's sentences, in order (a span lies inside its sentence)."""
    label_index = {label: j for j, label in enumerate(chunk.labels)}
    offsets = chunk.offsets()
    columns = {name: [] for name in SPAN_SCHEMA.names}
    for d, sentences in enumerate(chunk.spans):
        for index, sentence in enumerate(sentences):
            row = offsets[d] + index
            for span in chunk.technique_spans[row]:
                columns["doc_id"].append(chunk.doc_ids[d])
                columns["record_no"].append(chunk.record_nos[d])
                columns["sentence_index"].append(index)
                columns["start"].append(span.start)
                columns["end"].append(span.end)
                columns["text"].append(sentence.text[span.start - sentence.start : span.end - sentence.start])
                columns["label"].append(span.label)
                columns["probability"].append(span.probability)
                column = label_index.get(span.label)
                columns["sentence_flagged"].append(bool(column is not None and chunk.flags[row, column]))
    return pa.table(columns, schema=SPAN_SCHEMA)


def sentence_table(chunk: ScoredChunk) -> pa.Table:
    counts = [len(spans) for spans in chunk.spans]
    flat = [span for spans in chunk.spans for span in spans]
    columns = {
        "doc_id": np.repeat(np.array(chunk.doc_ids, dtype=object), counts),
        "record_no": np.repeat(np.array(chunk.record_nos, dtype=np.int64), counts),
        "sentence_index": np.concatenate([np.arange(n, dtype=np.int32) for n in counts] or [np.zeros(0, np.int32)]),
        "start": np.array([s.start for s in flat], dtype=np.int64),
        "end": np.array([s.end for s in flat], dtype=np.int64),
        "text": [s.text for s in flat],
        "labels": [[chunk.labels[j] for j in np.flatnonzero(row)] for row in chunk.flags],
    }
    for j, label in enumerate(chunk.labels):
        columns[prob_column(label)] = chunk.probabilities[:, j].astype(np.float32)
    return pa.table(columns, schema=sentence_schema(chunk.labels))


def document_table(chunk: ScoredChunk, strongest_k: int = STRONGEST_K) -> pa.Table:
    offsets = chunk.offsets()
    n_docs = len(chunk.record_nos)
    n_sentences = np.diff(offsets)
    flagged_rows = chunk.flags.any(axis=1)
    starts = offsets[:-1]
    # np.add.reduceat misbehaves on empty groups; every scored document has >= 1 sentence.
    label_counts = (np.add.reduceat(chunk.flags.astype(np.int32), starts, axis=0)
                    if n_docs else np.zeros((0, len(chunk.labels)), np.int32))
    n_flagged = np.add.reduceat(flagged_rows.astype(np.int32), starts) if n_docs else np.zeros(0, np.int32)
    columns = {
        "doc_id": list(chunk.doc_ids),
        "record_no": np.array(chunk.record_nos, dtype=np.int64),
        "text_length": np.array(chunk.text_lengths, dtype=np.int64),
        "n_sentences": n_sentences.astype(np.int32),
        "n_flagged": n_flagged.astype(np.int32),
        "flagged_share": (n_flagged / np.maximum(n_sentences, 1)).astype(np.float64),
    }
    for j, label in enumerate(chunk.labels):
        columns[count_column(label)] = label_counts[:, j].astype(np.int32)
    columns["strongest"] = [_strongest(chunk, offsets[i], offsets[i + 1], i, strongest_k) for i in range(n_docs)]
    meta = chunk.meta or [{}] * n_docs
    for name in chunk.keep_fields:
        columns[name] = [fields.get(name) for fields in meta]
    return pa.table(columns, schema=document_schema(chunk.labels, chunk.keep_fields))


def _strongest(chunk: ScoredChunk, begin: int, end: int, doc: int, k: int) -> list[dict]:
    """The document's k sentences with the highest single-label probability, strongest first."""
    probabilities = chunk.probabilities[begin:end]
    best_label = probabilities.argmax(axis=1)
    best = probabilities[np.arange(len(probabilities)), best_label]
    order = np.argsort(-best, kind="stable")[:k]
    spans = chunk.spans[doc]
    return [{"sentence_index": int(i), "start": spans[i].start, "end": spans[i].end, "text": spans[i].text,
             "label": chunk.labels[best_label[i]], "probability": float(best[i])} for i in order]


def reject_table(rejects: Sequence[Reject]) -> pa.Table:
    return pa.table(
        {"record_no": [r.record_no for r in rejects], "location": [r.location for r in rejects],
         "doc_id": [r.doc_id for r in rejects], "code": [r.code for r in rejects], "reason": [r.reason for r in rejects]},
        schema=REJECT_SCHEMA,
    )
