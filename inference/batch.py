"""Corpus scoring: the `Scorer` Python API and the local streaming engine of `slant score`.

The model work (sorting sentences of many documents by token length, token-budget batches,
padding, the forward pass on torch or ONNX Runtime, thresholds) is the scoring core's
(`slant.models.scoring`); this module feeds it whole chunks of documents. Why that is fast on a
CPU:

* sentences of many documents are scored together, so batches are full and each is padded
  only to its own longest sentence;
* the model runs with one intra-op thread per available core and no inter-op threads (a BERT
  forward pass has no parallel branches to run);
* while the model works on one chunk, a reader thread reads and splits the next one (torch and
  ONNX Runtime release the GIL inside their kernels), through a queue of at most `queue_chunks`
  chunks so memory stays bounded whatever the corpus size.

    >>> scorer = Scorer.load()                         # the released model, once
    >>> result = scorer.score_text("Only a fool would believe them.")
    >>> results = scorer.score_texts(["First text.", "Second text."])
    >>> frame = scorer.to_frame(results, "sentences")  # pandas; as_arrow=True for Arrow
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from slant.inference import rows
from slant.inference.inputs import check_text
from slant.inference.language import detect, detector_version
from slant.inference.sinks import ChunkedWriter, Totals
from slant.inference.sources import (
    ALL_FIELDS,
    DEFAULT_MAX_CHARS,
    NO_SENTENCES,
    UNSUPPORTED_LANGUAGE,
    Document,
    Reject,
    Source,
    open_source,
)
from slant.models.backends import DEFAULT_BACKEND, load_backend
from slant.models.encoder import ResolvedModel, model_digest
from slant.models.errors import SlantError
from slant.models.results import DocumentResult, document_results
from slant.models.scoring import SentenceClassifier
from slant.models.sentences import Span, split_sentences
from slant.models.spans import SPAN_FOLDER

DEFAULT_CHUNK_RECORDS = 128  # input records per committed chunk


# -- the Python API -----------------------------------------------------------------------
class Scorer:
    """Load a model once, then score a text, a list of texts, a stream of texts, or a corpus file.

    Results are `DocumentResult`s (plain dataclasses, as `Predictor` returns) or tables.
    """

    def __init__(self, classifier: SentenceClassifier, threshold: float | None = None,
                 max_chars: int = DEFAULT_MAX_CHARS, strongest_k: int = rows.STRONGEST_K, any_language: bool = False,
                 spans: bool = True):
        self.classifier = classifier
        # Technique spans from the model's span head, in the same forward pass (none without one).
        self.spans = spans and classifier.span_head is not None
        self.threshold = threshold
        self.max_chars = max_chars
        self.strongest_k = strongest_k
        self.any_language = any_language  # score text in any language as if it were English
        self.model_name = recorded_name(classifier)

    @classmethod
    def load(cls, model: str | Path | ResolvedModel | None = None, backend: str = DEFAULT_BACKEND,
             threads: int | None = None, threshold: float | None = None, max_chars: int = DEFAULT_MAX_CHARS,
             any_language: bool = False, spans: bool = True, **batching) -> "Scorer":
        """`model`: a folder, a `models:/` URI, or None for the released model; `backend`: torch,
        onnx or onnx-int8 (see `slant.models.backends`); `spans`: find technique spans too when
        the model has a span head."""
        return cls(load_backend(model, backend, threads, **batching), threshold=threshold, max_chars=max_chars,
                   any_language=any_language, spans=spans)

    @property
    def labels(self) -> list[str]:
        return self.classifier.labels

    # one text, a list, a stream
    def score_text(self, text: str, doc_id: str | None = None) -> DocumentResult:
        return self.score_texts([text], None if doc_id is None else [doc_id])[0]

    def score_texts(self, texts: Sequence[str], ids: Sequence[str] | None = None) -> list[DocumentResult]:
        if ids is not None and len(ids) != len(texts):
            raise SlantError("E023", name="ids", value=f"{len(ids)} ids", problem=f"expected one per text ({len(texts)})")
        pairs = zip(ids, texts) if ids is not None else texts
        return list(self.score_iter(pairs, chunk_size=max(1, len(texts))))

    def score_iter(self, documents: Iterable[str | tuple[str, str]], chunk_size: int = 64) -> Iterator[DocumentResult]:
        """Results in input order for texts or (doc_id, text) pairs; never more than one chunk in memory."""
        batch: list[tuple[int, str | None, str]] = []
        for number, item in enumerate(documents, start=1):
            doc_id, text = item if isinstance(item, tuple) else (None, item)
            self._check(text, number)
            batch.append((number, None if doc_id is None else str(doc_id), text))
            if len(batch) >= chunk_size:
                yield from self._score_batch(batch)
                batch = []
        if batch:
            yield from self._score_batch(batch)

    def _check(self, text, number: int):
        """The checks of `slant check` and the web API, with the same lines (the first failing
        document of a stream stops it, as `slant score` would reject it)."""
        if not isinstance(text, str):
            raise SlantError("E055", source=f"document {number}", kind=type(text).__name__)
        check_text(text, self.max_chars)
        if not self.any_language:
            language = detect(text)
            if not language.supported:
                raise SlantError("E052", **language.fields())

    def _score_batch(self, batch: list[tuple[int, str | None, str]]) -> list[DocumentResult]:
        chunk = self.score_chunk([n for n, _, _ in batch], [i for _, i, _ in batch], [t for _, _, t in batch])
        return self.results(chunk)

    # the columnar core, shared by the API and both engines
    def score_chunk(self, record_nos: list[int], doc_ids: list[str | None], texts: list[str],
                    spans: list[list[Span]] | None = None, meta: list[dict] | None = None,
                    keep_fields: Sequence[str] = ()) -> rows.ScoredChunk:
        """Score documents whose sentences may already be split (`spans`), all in one pass;
        `meta` (kept input fields per document) goes to the documents table as `keep_fields`."""
        spans = spans if spans is not None else [split_sentences(text) for text in texts]
        flat = [span for doc in spans for span in doc]
        probabilities, tokens = self.classifier.score([span.text for span in flat], tokens=self.spans)
        return rows.ScoredChunk(doc_ids=list(doc_ids), record_nos=list(record_nos),
                                text_lengths=[len(t) for t in texts], spans=spans, probabilities=probabilities,
                                flags=self.classifier.rule.flags(probabilities, self.threshold), labels=self.labels,
                                meta=meta, keep_fields=list(keep_fields),
                                technique_spans=self.classifier.span_head.decode(tokens, flat) if tokens else None)

    def results(self, chunk: rows.ScoredChunk) -> list[DocumentResult]:
        documents = [{"doc_id": doc_id, "model": self.model_name, "text_length": length, "extra": {"record_no": number}}
                     for doc_id, length, number in zip(chunk.doc_ids, chunk.text_lengths, chunk.record_nos)]
        return document_results(chunk.spans, chunk.probabilities, chunk.flags, self.labels, documents,
                                chunk.technique_spans, self.classifier.span_head.labels if self.spans else ())

    # tables
    def to_frame(self, results: Sequence[DocumentResult], table: str = "sentences", as_arrow: bool = False):
        """Results as the `sentences`, `documents` or `spans` table of `slant score` (pandas, or Arrow)."""
        chunk = self._chunk_from_results(results)
        if table == "sentences":
            arrow = rows.sentence_table(chunk)
        elif table == "documents":
            arrow = rows.document_table(chunk, self.strongest_k)
        elif table == "spans" and self.spans:
            arrow = rows.span_table(chunk)
        else:
            choices = "sentences, documents or spans" if self.spans else "sentences or documents (no span head)"
            raise SlantError("E023", name="table", value=table, problem=f"choose {choices}")
        return arrow if as_arrow else arrow.to_pandas()

    def _chunk_from_results(self, results: Sequence[DocumentResult]) -> rows.ScoredChunk:
        n_labels = len(self.labels)
        scores = [[s.scores[label] for label in self.labels] for r in results for s in r.sentences]
        probabilities = np.asarray(scores, dtype=np.float32).reshape(-1, n_labels)
        flags = np.zeros(probabilities.shape, dtype=bool)
        index = {label: j for j, label in enumerate(self.labels)}
        row = 0
        for result in results:
            for sentence in result.sentences:
                flags[row, [index[label] for label in sentence.labels]] = True
                row += 1
        return rows.ScoredChunk(
            doc_ids=[r.doc_id for r in results],
            record_nos=[r.extra.get("record_no", n) for n, r in enumerate(results, start=1)],
            text_lengths=[r.text_length for r in results],
            spans=[[Span(s.start, s.end, s.text) for s in r.sentences] for r in results],
            probabilities=probabilities, flags=flags, labels=list(self.labels),
            technique_spans=[s.spans for r in results for s in r.sentences] if self.spans else None,
        )

    # a corpus file
    def score_file(self, input_path: str | Path, out: str | Path, *, input_format: str | None = None,
                   id_field: str | None = "id", text_field: str = "text", output_format: str = "parquet",
                   chunk_size: int = DEFAULT_CHUNK_RECORDS, overwrite: bool = False, progress: str = "off",
                   keep_fields: str | Sequence[str] | None = ALL_FIELDS) -> Totals:
        """Score a corpus into an output folder (see `sinks.py`), resuming a run already there.

        `keep_fields`: the input's other fields to carry into the documents table (default all)."""
        from slant.inference.progress import Progress, note

        source = open_source(input_path, input_format, id_field=id_field, text_field=text_field,
                             max_chars=self.max_chars, keep_fields=keep_fields)
        with ChunkedWriter(out, self.run_settings(source, input_format), output_format, overwrite=overwrite) as writer:
            note(resume_note(writer, source), progress)
            if writer.complete:
                return writer.totals
            meter = Progress(source.size, source.unit, mode=progress, start=writer.manifest.position)
            try:
                return score_corpus(self, source, writer, chunk_size=chunk_size, progress=meter)
            finally:
                meter.close()

    def fingerprint(self) -> dict:
        """What identifies the scores this model gives, for resuming a run safely: the backend, the
        model as asked for, the registry name and version an alias resolved to, and a digest of
        the weights themselves (so a moved alias or retrained folder is never mixed into one run)."""
        resolved = self.classifier.resolved or ResolvedModel(self.model_name, self.model_name)
        return {"backend": self.classifier.backend.name, "model": self.model_name, **resolved.identity(),
                "weights": model_digest(resolved.path)}

    def run_settings(self, source: Source, input_format: str | None) -> dict:
        """Everything that changes the results of a run: a resumed run must match all of it."""
        rows.document_schema(self.labels, source.keep_fields)  # a kept field named like a column: E150 now
        return {
            "input": source.fingerprint(), "input_format": source.format,
            "id_field": source.id_field, "text_field": source.text_field, "max_chars": source.max_chars,
            **self.fingerprint(), "labels": list(self.labels),
            "thresholds": dict(zip(self.labels, self.classifier.rule.cutoffs(self.threshold).tolist())),
            "strongest_k": self.strongest_k,
            "language": "any" if self.any_language else {"accept": ["en"], "detector": detector_version()},
            # only when fields are kept, so runs started before fields travelled still resume
            **({"keep_fields": list(source.keep_fields)} if source.keep_fields else {}),
            # only with a span head, likewise: its weights and cut-offs change the spans table
            **({"spans": self._span_settings()} if self.spans else {}),
        }


    def _span_settings(self) -> dict:
        head = self.classifier.span_head
        resolved = self.classifier.resolved
        return {"encoder": head.encoder_digest, "thresholds": dict(zip(head.labels, head.thresholds.tolist())),
                "weights": model_digest(str(Path(resolved.path) / SPAN_FOLDER)) if resolved else ""}


def recorded_name(classifier: SentenceClassifier) -> str:
    """The model as a run records it: a local folder as an absolute path, so `slant report` (or a
    resume) run from another working folder still finds the model the scores came from."""
    resolved = classifier.resolved
    if resolved is None:
        return classifier.name
    if resolved.requested != "released" and Path(resolved.requested).is_dir():
        return str(Path(resolved.requested).resolve())
    return resolved.name


# -- the local streaming engine -----------------------------------------------------------
@dataclass
class _SplitChunk:
    """Input records (last_record - first + 1 of them), split into sentences, ready to score."""

    documents: list[Document]
    spans: list[list[Span]]
    rejects: list[Reject]
    last_record: int
    position: int


_END = object()


def split_or_reject(item: Document | Reject, any_language: bool = False) -> list[Span] | Reject:
    """A document's sentences, or a `Reject` for a rejected record, a text in a language the model
    does not read (unless `any_language`), or a text without sentences."""
    if isinstance(item, Reject):
        return item
    if not any_language:
        language = detect(item.text)
        if not language.supported:
            return Reject(item.record_no, item.location, UNSUPPORTED_LANGUAGE,
                          f"detected {language.name} ({language.code}, probability {language.probability:.2f}); "
                          "the model reads English only (--any-language scores it anyway)",
                          item.doc_id, item.position)
    spans = split_sentences(item.text)
    if not spans:
        return Reject(item.record_no, item.location, NO_SENTENCES, "no sentence found in the text",
                      item.doc_id, item.position)
    return spans


def resume_note(writer: ChunkedWriter, source: Source) -> str:
    """One line saying that a run resumes and how much is left (or that it is done); "" for a new run."""
    if writer.complete:
        return f"{writer.folder} already holds this run, complete ({writer.totals.line()}); nothing to do"
    if not writer.resumed_from:
        return ""
    done, total = writer.manifest.position, source.size
    left = f"{_amount(total - done, source.unit)} of {_amount(total, source.unit)} left" if done else "the rest left"
    return (f"resuming the run in {writer.folder}: records 1-{writer.resumed_from:,} are committed "
            f"({writer.totals.scored:,} scored, {writer.totals.rejected:,} rejected); {left}")


def _amount(count: int, unit: str) -> str:
    if unit == "B":
        return f"{count / 1e6:,.1f} MB" if count >= 100_000 else f"{count:,} bytes"
    return f"{count:,} {unit}"


def _read_chunks(source: Source, after: int, chunk_size: int, out: queue.Queue, stop: threading.Event,
                 any_language: bool = False):
    """Reader thread: records after `after`, split and grouped into chunks, into `out`."""

    def put(item) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    try:
        chunk = _SplitChunk([], [], [], after, 0)
        for item in source:
            if item.record_no <= after:
                continue  # committed by an earlier run
            split = split_or_reject(item, any_language)
            if isinstance(split, Reject):
                chunk.rejects.append(split)
            else:
                chunk.documents.append(item)
                chunk.spans.append(split)
            chunk.last_record, chunk.position = item.record_no, item.position
            if len(chunk.documents) + len(chunk.rejects) >= chunk_size:
                if not put(chunk):
                    return
                chunk = _SplitChunk([], [], [], chunk.last_record, chunk.position)
        if chunk.documents or chunk.rejects:
            if not put(chunk):
                return
        put(_END)
    except BaseException as error:  # handed to the scoring thread, which raises it
        put(error)


def score_corpus(scorer: Scorer, source: Source, writer: ChunkedWriter, chunk_size: int = DEFAULT_CHUNK_RECORDS,
                 progress=None, queue_chunks: int = 2) -> Totals:
    """Score every record of `source` not yet committed in `writer`; returns the run's totals."""
    if chunk_size < 1:
        raise SlantError("E023", name="--chunk-size", value=chunk_size, problem="must be at least 1")
    chunks: queue.Queue = queue.Queue(maxsize=queue_chunks)
    stop = threading.Event()
    reader = threading.Thread(target=_read_chunks, args=(source, writer.last_record, chunk_size, chunks, stop,
                                                         scorer.any_language),
                              name="slant-reader", daemon=True)
    reader.start()
    try:
        while (chunk := chunks.get()) is not _END:
            if isinstance(chunk, BaseException):
                raise chunk
            scored = scorer.score_chunk([d.record_no for d in chunk.documents], [d.doc_id for d in chunk.documents],
                                        [d.text for d in chunk.documents], chunk.spans,
                                        [d.meta for d in chunk.documents], source.keep_fields)
            added = writer.commit(chunk.last_record, rows.sentence_table(scored),
                                  rows.document_table(scored, scorer.strongest_k), rows.reject_table(chunk.rejects),
                                  position=chunk.position,
                                  spans=rows.span_table(scored) if scored.technique_spans is not None else None)
            if progress is not None:
                progress.update(chunk.position, added.scored, added.sentences)
        return writer.finish()
    finally:
        stop.set()
        reader.join(timeout=5)


__all__ = ["Scorer", "load_backend", "score_corpus", "resume_note"]
