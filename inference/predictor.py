"""`Predictor`: text in, sentences with technique probabilities and labels out.

Sentences from many documents are scored together (the classifier sorts them by length and pads
per batch), then regrouped per document in input order.

Every text is checked first, with the same one-line errors as `slant check`, `slant serve` and
`slant score`: not text (E055), unpaired surrogates (E053), empty (E050), over `max_chars` (E051).
A text in a language the model does not read (see `language.py`) is not scored: its result has
no sentences, its `language`, and a one-line `warning` (W052), unless `any_language`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from itertools import islice
from typing import Callable, Iterable, Iterator, Sequence

from slant.inference.inputs import check_text
from slant.inference.language import detect
from slant.inference.splitter import split_sentences
from slant.models.classifier import SlantClassifier
from slant.models.errors import SlantError, message


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
    language: str = "en"  # ISO 639-1 code the text was treated as (language.py)
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


class Predictor:
    """Loads a classifier once; `analyse` one text, `analyse_many` an iterable of texts."""

    def __init__(
        self, classifier: SlantClassifier, batch_size: int = 64, max_chars: int | None = None,
        splitter=split_sentences,  # text -> list[Span]; the server passes a caching one
        any_language: bool = False,  # score text in any language as if it were English
    ):
        self.classifier = classifier
        self.batch_size = batch_size
        self.max_chars = max_chars
        self.splitter = splitter
        self.any_language = any_language

    @classmethod
    def load(cls, model: str | None = None, **kwargs) -> "Predictor":
        return cls(SlantClassifier.from_pretrained(model), **kwargs)

    @property
    def labels(self) -> list[str]:
        return self.classifier.labels

    def analyse(
        self, text: str, threshold: float | None = None, only: Sequence[str] | None = None,
        all_labels: bool = False, any_language: bool | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> DocumentResult:
        """One text; `progress(done, total)` is called as its sentences are scored (long texts)."""
        return next(iter(self.analyse_many([text], threshold=threshold, only=only, all_labels=all_labels,
                                           any_language=any_language, progress=progress)))

    def analyse_many(
        self,
        texts: Iterable[str],
        threshold: float | None = None,
        only: Sequence[str] | None = None,
        docs_per_batch: int = 64,
        all_labels: bool = False,
        any_language: bool | None = None,
        progress: Callable[[int, int], None] | None = None,
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
        any_language = self.any_language if any_language is None else any_language
        iterator = iter(texts)
        while chunk := list(islice(iterator, docs_per_batch)):
            yield from self._analyse_chunk(chunk, threshold, only, any_language, progress)

    def _analyse_chunk(self, texts: list[str], threshold, only, any_language: bool, progress) -> list[DocumentResult]:
        spans, languages = [], []
        for text in texts:
            self._check(text)
            language = detect(text)
            languages.append(language)
            # Text the model cannot read is not split or scored at all: no label, no score.
            spans.append(self.splitter(text) if language.supported or any_language else [])
        flat = [span.text for doc in spans for span in doc]
        probabilities = self._predict(flat, progress)
        decided = self.classifier.decide(probabilities, threshold=threshold)
        results, row = [], 0
        for text, doc, language in zip(texts, spans, languages):
            sentences = []
            for index, span in enumerate(doc):
                labels = decided[row]
                if only:
                    labels = [label for label in labels if label in only]
                scores = dict(zip(self.labels, probabilities[row].astype(float).tolist()))
                sentences.append(SentenceResult(index, span.start, span.end, span.text, labels, scores))
                row += 1
            warning = None if language.supported or any_language else message("W052", **language.fields())
            results.append(DocumentResult(sentences, model=self.classifier.name, text_length=len(text),
                                          language=language.code, warning=warning))
        return results

    def _predict(self, texts: list[str], progress, step: int = 512):
        """Probabilities for `texts`, in steps of `step` sentences when someone watches progress."""
        if progress is None or len(texts) <= step:
            probabilities = self.classifier.predict_proba(texts, batch_size=self.batch_size)
        else:
            import numpy as np

            parts = []
            for begin in range(0, len(texts), step):
                parts.append(self.classifier.predict_proba(texts[begin : begin + step], batch_size=self.batch_size))
                progress(min(begin + step, len(texts)), len(texts))
            probabilities = np.concatenate(parts)
        if progress is not None:
            progress(len(texts), len(texts))
        return probabilities

    def _check(self, text: str):
        check_text(text, self.max_chars)


def explain_document(explainer, result: DocumentResult, progress: Callable[[int, int], None] | None = None,
                     step: int = 32) -> DocumentResult:
    """`explainer.explain_document`, `step` flagged sentences at a time when progress is watched."""
    flagged = [s for s in result.sentences if s.labels]
    if progress is None:
        return explainer.explain_document(result)
    for begin in range(0, len(flagged), step):
        explainer.explain_document(DocumentResult(flagged[begin : begin + step]))  # fills them in place
        progress(min(begin + step, len(flagged)), len(flagged))
    return result

