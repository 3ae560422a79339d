"""What scoring a document gives back: its sentences, each with offsets, every technique's
probability and the flagged techniques (and, once explained, their trigger words).

`check`, `serve`, `score` and the Python API (`Predictor`, `Scorer`) all return these, built by
`document_results` alone, so a sentence looks the same whichever entry point scored it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Sequence

import numpy as np

from slant.models.sentences import Span
from slant.models.spans import TechniqueSpan


@dataclass
class SentenceResult:
    index: int
    start: int
    end: int
    text: str
    labels: list[str]
    scores: dict[str, float]
    # label id -> trigger phrases (slant.inference.explain.Trigger); filled by an explainer.
    triggers: dict = field(default_factory=dict)
    # technique spans the span head found in the sentence (document offsets), every technique;
    # None when the model has no span head
    spans: list[TechniqueSpan] | None = None
    # the sentence's labels that the span head covers but found no span of (it says so)
    no_span: list[str] = field(default_factory=list)

    def shown_spans(self) -> list[TechniqueSpan]:
        """The spans of the techniques this sentence is labelled with (what editors see)."""
        return [span for span in self.spans or [] if span.label in self.labels]


@dataclass
class DocumentResult:
    sentences: list[SentenceResult]
    doc_id: str | None = None
    model: str = ""
    text_length: int = 0
    extra: dict = field(default_factory=dict)
    language: str = "en"  # ISO 639-1 code the text was treated as (slant.inference.language)
    warning: str | None = None  # one line when the text was not scored (e.g. W052)

    def to_dict(self) -> dict:
        return {"model": self.model, "language": self.language, "warning": self.warning,
                "sentences": [_sentence_json(s) for s in self.sentences]}

    def counts(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for sentence in self.sentences:
            for label in sentence.labels:
                totals[label] = totals.get(label, 0) + 1
        return totals


def _sentence_json(sentence: SentenceResult) -> dict:
    row = asdict(sentence)
    row.pop("index")
    out = {"start": row["start"], "end": row["end"], "text": row["text"], "labels": row["labels"],
           "scores": {k: round(v, 4) for k, v in row["scores"].items()}, "triggers": row["triggers"]}
    return {**out, **spans_json(sentence)}


def spans_json(sentence: SentenceResult) -> dict:
    """`spans` (those of the sentence's labels) and `no_span` (its labels the span head covers but
    found no span of) for a model with a span head; nothing for one without."""
    if sentence.spans is None:
        return {}
    return {"spans": [span.as_json() for span in sentence.shown_spans()], "no_span": list(sentence.no_span)}


def document_results(spans: Sequence[Sequence[Span]], probabilities: np.ndarray, flags: np.ndarray,
                     labels: Sequence[str], documents: Sequence[dict],
                     technique_spans: Sequence[list[TechniqueSpan]] | None = None,
                     span_labels: Sequence[str] = ()) -> list[DocumentResult]:
    """One `DocumentResult` per document from its sentences' `spans`, and `probabilities` and
    `flags` (`DecisionRule.flags`) whose rows are those sentences, documents in order.

    `documents` holds each document's own fields (`model`, `text_length`, `doc_id`, `language`,
    ...), one dict per document. `technique_spans` (per sentence row, from a span head covering
    `span_labels`) fills each sentence's `spans` and `no_span`."""
    labels = list(labels)
    results, row = [], 0
    for doc_spans, fields in zip(spans, documents, strict=True):
        sentences = []
        for index, span in enumerate(doc_spans):
            flagged = [labels[j] for j in np.flatnonzero(flags[row])]
            found = None if technique_spans is None else technique_spans[row]
            sentences.append(SentenceResult(
                index, span.start, span.end, span.text, flagged,
                dict(zip(labels, probabilities[row].astype(float).tolist())), spans=found,
                no_span=[] if found is None else [l for l in flagged if l in span_labels and l not in
                                                   {s.label for s in found}]))
            row += 1
        results.append(DocumentResult(sentences, **fields))
    return results
