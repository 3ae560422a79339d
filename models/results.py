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
    return {"start": row["start"], "end": row["end"], "text": row["text"], "labels": row["labels"],
            "scores": {k: round(v, 4) for k, v in row["scores"].items()}, "triggers": row["triggers"]}


def document_results(spans: Sequence[Sequence[Span]], probabilities: np.ndarray, flags: np.ndarray,
                     labels: Sequence[str], documents: Sequence[dict]) -> list[DocumentResult]:
    """One `DocumentResult` per document from its sentences' `spans`, and `probabilities` and
    `flags` (`DecisionRule.flags`) whose rows are those sentences, documents in order.

    `documents` holds each document's own fields (`model`, `text_length`, `doc_id`, `language`,
    ...), one dict per document."""
    labels = list(labels)
    results, row = [], 0
    for doc_spans, fields in zip(spans, documents, strict=True):
        sentences = []
        for index, span in enumerate(doc_spans):
            sentences.append(SentenceResult(index, span.start, span.end, span.text,
                                            [labels[j] for j in np.flatnonzero(flags[row])],
                                            dict(zip(labels, probabilities[row].astype(float).tolist()))))
            row += 1
        results.append(DocumentResult(sentences, **fields))
    return results
