"""`Predictor`: text in, sentences with technique probabilities and labels out (`slant check`,
`slant serve` and the Python API).

Sentences from many documents are scored together by the scoring core
(`slant.models.scoring.SentenceClassifier`, on any backend: it sorts them by length and pads
per batch), then regrouped per document in input order.

Every text is checked first, with the same one-line errors as `slant check`, `slant serve` and
`slant score`: not text (E055), unpaired surrogates (E053), empty (E050), over `max_chars` (E051).
A text in a language the model does not read (see `language.py`) is not scored: its result has
no sentences, its `language`, and a one-line `warning` (W052), unless `any_language`.
"""

from __future__ import annotations

from itertools import islice
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from slant.inference.inputs import check_text
from slant.inference.language import detect
from slant.models.backends import DEFAULT_BACKEND, load_backend
from slant.models.errors import message
from slant.models.results import DocumentResult, document_results
from slant.models.scoring import SentenceClassifier
from slant.models.sentences import split_sentences


class Predictor:
    """Loads a classifier once; `analyse` one text, `analyse_many` an iterable of texts."""

    def __init__(
        self, classifier: SentenceClassifier, max_chars: int | None = None,
        splitter=split_sentences,  # text -> list[Span]; the server passes a caching one
        any_language: bool = False,  # score text in any language as if it were English
    ):
        self.classifier = classifier
        self.max_chars = max_chars
        self.splitter = splitter
        self.any_language = any_language

    @classmethod
    def load(cls, model: str | None = None, backend: str = DEFAULT_BACKEND, threads: int | None = None,
             **kwargs) -> "Predictor":
        """`model`: a folder, a `models:/` URI, or None for the released model; `backend`:
        torch, onnx or onnx-int8 (see `slant.models.backends`)."""
        return cls(load_backend(model, backend, threads), **kwargs)

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
        shown = self.classifier.rule.shown(only, all_labels)
        any_language = self.any_language if any_language is None else any_language
        iterator = iter(texts)
        while chunk := list(islice(iterator, docs_per_batch)):
            yield from self._analyse_chunk(chunk, threshold, shown, any_language, progress)

    def _analyse_chunk(self, texts: list[str], threshold, shown, any_language: bool, progress) -> list[DocumentResult]:
        spans, documents = [], []
        for text in texts:
            self._check(text)
            language = detect(text)
            # Text the model cannot read is not split or scored at all: no label, no score.
            readable = language.supported or any_language
            spans.append(self.splitter(text) if readable else [])
            documents.append({"model": self.classifier.name, "text_length": len(text), "language": language.code,
                              "warning": None if readable else message("W052", **language.fields())})
        flat = [span for doc in spans for span in doc]
        probabilities, tokens = self._predict([span.text for span in flat], progress)
        flags = self.classifier.rule.flags(probabilities, threshold, shown)
        head = self.classifier.span_head
        return document_results(spans, probabilities, flags, self.labels, documents,
                                head.decode(tokens, flat) if tokens is not None else None,
                                head.labels if head is not None else ())

    def _predict(self, texts: list[str], progress, step: int = 512):
        """Probabilities for `texts` and, with a span head, their token scores (one forward pass),
        in steps of `step` sentences when someone watches progress."""
        spans = self.classifier.span_head is not None
        if progress is None or len(texts) <= step:
            probabilities, tokens = self.classifier.score(texts, tokens=spans)
        else:
            parts, tokens = [], [] if spans else None
            for begin in range(0, len(texts), step):
                part, part_tokens = self.classifier.score(texts[begin : begin + step], tokens=spans)
                parts.append(part)
                if spans:
                    tokens.extend(part_tokens)
                progress(min(begin + step, len(texts)), len(texts))
            probabilities = np.concatenate(parts)
        if progress is not None:
            progress(len(texts), len(texts))
        return probabilities, tokens

    def _check(self, text: str):
        check_text(text, self.max_chars)


def explain_document(explainer, result: DocumentResult, progress: Callable[[int, int], None] | None = None,
                     step: int = 32) -> DocumentResult:
    """`explainer.explain_document`, `step` flagged sentences at a time when progress is watched.

    Trigger words come from the explainer for every technique, span-covered ones included: the
    spans are shown beside them, not instead of them, because as triggers they agree with
    occlusion's strongest word in only 52 % of pairs (int8 occlusion: 92 %; docs/editor.md)."""
    flagged = [s for s in result.sentences if s.labels]
    if progress is None:
        return explainer.explain_document(result)
    for begin in range(0, len(flagged), step):
        explainer.explain_document(DocumentResult(flagged[begin : begin + step]))  # fills them in place
        progress(min(begin + step, len(flagged)), len(flagged))
    return result
