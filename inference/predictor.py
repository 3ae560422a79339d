"""`Predictor`: text in, sentences with technique probabilities and labels out.

Sentences from many documents are scored together (the classifier sorts them by length and pads
per batch), then regrouped per document in input order.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from itertools import islice
from typing import Iterable, Iterator, Sequence

from slant.inference.splitter import split_sentences
from slant.models.classifier import SlantClassifier
from slant.models.errors import SlantError


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

    def to_dict(self) -> dict:
        return {"model": self.model, "sentences": [_sentence_json(s) for s in self.sentences]}

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


class Predictor:
    """Loads a classifier once; `analyse` one text, `analyse_many` an iterable of texts."""

    def __init__(
        self, classifier: SlantClassifier, batch_size: int = 64, max_chars: int | None = None,
        splitter=split_sentences,  # text -> list[Span]; the server passes a caching one
    ):
        self.classifier = classifier
        self.batch_size = batch_size
        self.max_chars = max_chars
        self.splitter = splitter

    @classmethod
    def load(cls, model: str | None = None, **kwargs) -> "Predictor":
        return cls(SlantClassifier.from_pretrained(model), **kwargs)

    @property
    def labels(self) -> list[str]:
        return self.classifier.labels

    def analyse(
        self, text: str, threshold: float | None = None, only: Sequence[str] | None = None,
        all_labels: bool = False,
    ) -> DocumentResult:
        return next(iter(self.analyse_many([text], threshold=threshold, only=only, all_labels=all_labels)))

    def analyse_many(
        self,
        texts: Iterable[str],
        threshold: float | None = None,
        only: Sequence[str] | None = None,
        docs_per_batch: int = 64,
        all_labels: bool = False,
    ) -> Iterator[DocumentResult]:
        """Results in input order; sentences of `docs_per_batch` documents are scored together.

        Labels shown are `only` if given, else the model's `reported_labels` (those precise
        enough on held-out text), else, with `all_labels`, every technique. Scores always hold
        every technique.
        """
        if only is None and not all_labels:
            only = self.classifier.reported_labels
        if only:
            unknown = [label for label in only if label not in self.labels]
            if unknown:
                raise SlantError("E010", label=unknown[0], known=", ".join(self.labels), where="--labels")
        iterator = iter(texts)
        while chunk := list(islice(iterator, docs_per_batch)):
            yield from self._analyse_chunk(chunk, threshold, only)

    def _analyse_chunk(self, texts: list[str], threshold, only) -> list[DocumentResult]:
        spans = []
        for text in texts:
            self._check(text)
            spans.append(self.splitter(text))
        flat = [span.text for doc in spans for span in doc]
        probabilities = self.classifier.predict_proba(flat, batch_size=self.batch_size)
        decided = self.classifier.decide(probabilities, threshold=threshold)
        results, row = [], 0
        for text, doc in zip(texts, spans):
            sentences = []
            for index, span in enumerate(doc):
                labels = decided[row]
                if only:
                    labels = [label for label in labels if label in only]
                scores = dict(zip(self.labels, probabilities[row].astype(float).tolist()))
                sentences.append(SentenceResult(index, span.start, span.end, span.text, labels, scores))
                row += 1
            results.append(DocumentResult(sentences, model=self.classifier.name, text_length=len(text)))
        return results

    def _check(self, text: str):
        if not isinstance(text, str):
            raise SlantError("E003", path="input", line="?", problem=f"expected text, got {type(text).__name__}")
        if self.max_chars is not None and len(text) > self.max_chars:
            raise SlantError("E051", size=len(text), limit=self.max_chars)


def top_sentences(result: DocumentResult, k: int = 3) -> list[SentenceResult]:
    """The `k` sentences with the highest single-technique probability."""
    ranked = sorted(result.sentences, key=lambda s: -max(s.scores.values(), default=0.0))
    return ranked[:k]

