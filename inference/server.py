"""`slant serve`'s web app: an editor's page and a JSON API over one loaded model.

    app = create_app(Predictor.load())      # the model is loaded once, by the caller (any backend)
    uvicorn.run(app, host="127.0.0.1")

Routes: `GET /` the page, `POST /api/analyse` a draft in, sentences with techniques,
probabilities and trigger words out; `GET /api/techniques` the legend; `GET /health`;
`GET /openapi.json` the API's schema. Texts over `max_chars` are refused with 413 before any
model work, and request bodies are capped in bytes before they are parsed.

Concurrency: the model serves one request at a time, in arrival order (`ModelGate`); a request
that starts model work keeps the model until its scores and trigger words are done, so under load
drafts finish one after another instead of all at the end. At most `max_queue` requests may hold
or wait for the model; one more is answered at once with 503 and a `Retry-After` estimated from
recent requests, so the wait never grows without bound. Requests that need no model work (every
sentence already cached) never queue.
"""

from __future__ import annotations

import collections
import json
import math
import os
import threading
import time
from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from slant.inference.cache import CachedClassifier, CachedSplitter, LRUCache
from slant.inference.explain import OcclusionExplainer
from slant.inference.inputs import check_text
from slant.inference.predictor import Predictor, explain_document
from slant.models.backends import DEFAULT_BACKEND
from slant.models.errors import SlantError
from slant.models.labels import LabelSet, load_labels
from slant.models.results import DocumentResult, spans_json

DEFAULT_MAX_CHARS = 100_000
DEFAULT_CACHE_SENTENCES = 20_000
# Requests that may hold or wait for the model at once (more get 503 + Retry-After): room for
# 20 editors each sending a new draft at the same moment, with margin; $SLANT_MAX_QUEUE overrides.
DEFAULT_MAX_QUEUE = 32
STATIC = Path(str(resources.files("slant.inference").joinpath("static")))

# The page loads only its own files; nothing inline, nothing from elsewhere.
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


# -- API schema -----------------------------------------------------------------------------
class AnalyseRequest(BaseModel):
    text: str = Field(description="The draft as plain text.")
    threshold: float | None = Field(
        None, ge=0.0, le=1.0, description="One threshold for all techniques; default: the model's tuned ones."
    )
    labels: list[str] | None = Field(None, description="Only report these technique ids.")
    all_labels: bool = Field(
        False, description="Report every technique; by default only the model's reported (precise enough) ones."
    )
    triggers: bool = Field(True, description="Find the trigger words of each flagged technique.")
    any_language: bool = Field(
        False, description="Score text in any language as if it were English; by default only English is labelled."
    )


class Trigger(BaseModel):
    start: int = Field(description="Character offset into the submitted text.")
    end: int
    text: str
    weight: float = Field(description="How far the technique's logit falls when these words are deleted; for a "
                                      "trigger taken from a technique span, the span's probability.")


class TechniqueSpan(BaseModel):
    start: int = Field(description="Character offset into the submitted text.")
    end: int
    label: str = Field(description="Technique id.")
    probability: float = Field(description="Mean probability of the span's tokens for the technique.")


class Sentence(BaseModel):
    start: int = Field(description="Character offset into the submitted text.")
    end: int
    text: str
    labels: list[str] = Field(description="Technique ids at or over threshold, most probable first.")
    scores: dict[str, float] = Field(description="Probability of every technique.")
    triggers: dict[str, list[Trigger]] = Field(description="Trigger phrases per flagged technique.")
    spans: list[TechniqueSpan] | None = Field(
        None, description="Spans of the sentence's techniques (models with a span head; absent otherwise).")
    no_span: list[str] | None = Field(
        None, description="The sentence's techniques the span head covers but found no span of.")


class Summary(BaseModel):
    sentences: int
    flagged: int
    by_label: dict[str, int] = Field(description="Flagged sentences per technique id.")


class Analysis(BaseModel):
    model: str
    language: str = Field(description="ISO 639-1 code of the language the text was treated as.")
    warning: str | None = Field(
        description="One line when the text was not labelled (a language the model does not read), else null."
    )
    text_length: int
    sentences: list[Sentence]
    summary: Summary


class Technique(BaseModel):
    id: str
    name: str
    definition: str
    reported: bool = Field(
        description="Shown by default: precise enough on held-out text (the model card has the numbers)."
    )


class Health(BaseModel):
    status: str
    model: str
    max_chars: int


class Problem(BaseModel):
    code: str
    detail: str


# -- the model behind the API -----------------------------------------------------------------
class ModelGate:
    """The model for one request at a time, first come first served, with a bounded queue.

    Used as a context manager around each model call (`CachedClassifier`, the explainer). Inside
    `with gate.request():` (one API request, one thread) the first model call waits its turn and
    the request then keeps the model until the block ends, so its scoring and its trigger words
    run back to back; outside a request each call takes and gives back the model on its own.
    When `max_queue` requests already hold or wait for the model, the next one is refused at once
    with `E202` (HTTP 503) and a retry estimate: queue length x the recent mean time a request
    holds the model.
    """

    def __init__(self, max_queue: int = DEFAULT_MAX_QUEUE):
        if max_queue < 1:
            raise ValueError("max_queue must be at least 1")
        self.max_queue = max_queue
        self._state = threading.Condition()
        self._waiting: collections.deque = collections.deque()  # tickets in arrival order
        self._holder = None
        self._since = 0.0
        self.hold_seconds = 1.0  # running mean of how long a request holds the model (for Retry-After)
        self.refused = 0
        self._local = threading.local()

    @property
    def queued(self) -> int:
        """Requests holding or waiting for the model."""
        with self._state:
            return len(self._waiting) + (self._holder is not None)

    def retry_after(self, queued: int) -> int:
        return max(1, math.ceil(queued * self.hold_seconds))

    def refuse_if_full(self):
        """E202 now if the queue is full (a request about to need the model need not split and
        read its draft first to be told so); nothing is taken."""
        with self._state:
            queued = len(self._waiting) + (self._holder is not None)
            if queued >= self.max_queue:
                self.refused += 1
                raise SlantError("E202", waiting=queued, retry=self.retry_after(queued))

    def request(self):
        """Scope of one API request: a model taken inside it is given back when it ends."""
        gate = self

        class Scope:
            def __enter__(self):
                gate._local.scoped, gate._local.depth = True, 0
                return gate

            def __exit__(self, *exc):
                gate._local.scoped = False
                if getattr(gate._local, "ticket", None) is not None:
                    gate._release()

        return Scope()

    def __enter__(self):
        local = self._local
        if getattr(local, "ticket", None) is not None:  # this request holds the model already
            local.depth += 1
            return self
        ticket = object()
        with self._state:
            queued = len(self._waiting) + (self._holder is not None)
            if queued >= self.max_queue:
                self.refused += 1
                raise SlantError("E202", waiting=queued, retry=self.retry_after(queued))
            self._waiting.append(ticket)
            while self._holder is not None or self._waiting[0] is not ticket:
                self._state.wait()
            self._waiting.popleft()
            self._holder, self._since = ticket, time.monotonic()
        local.ticket, local.depth = ticket, 1
        return self

    def __exit__(self, *exc):
        local = self._local
        local.depth -= 1
        if local.depth == 0 and not getattr(local, "scoped", False):
            self._release()

    def _release(self):
        with self._state:
            held = time.monotonic() - self._since
            self.hold_seconds = 0.8 * self.hold_seconds + 0.2 * held
            self._holder = None
            self._state.notify_all()
        self._local.ticket, self._local.depth = None, 0


class Analyser:
    """One predictor and explainer with per-sentence caches, shared by all requests.

    The model runs for one request at a time (`ModelGate`): on a small CPU box one model call
    using all cores finishes sooner than several fighting over them. Cache lookups, splitting and
    JSON do not take the model, so re-checks of known sentences never queue behind new ones.
    """

    def __init__(
        self,
        predictor: Predictor,
        cache_sentences: int = DEFAULT_CACHE_SENTENCES,
        explainer: OcclusionExplainer | None = None,
        max_queue: int = DEFAULT_MAX_QUEUE,
    ):
        classifier = predictor.classifier
        self.gate = ModelGate(max_queue)
        self.predictor = Predictor(
            CachedClassifier(classifier, cache_sentences, self.gate), splitter=CachedSplitter(cache_sentences // 4),
        )
        self.explainer = explainer or OcclusionExplainer.for_classifier(classifier, cache_size=cache_sentences)
        self.explainer.model_lock = self.gate
        self.model = classifier.name
        # Requests answered lately (text and options): when the queue is full, only these are let
        # through to the caches; any other request would need the model and is refused at once.
        self.answered: LRUCache[int, bool] = LRUCache(max(1, cache_sentences // 20))

    def analyse(self, request: AnalyseRequest) -> dict:
        check_text(request.text)  # empty, unpaired surrogates: the same lines as `slant check`
        # An unknown technique id is E010 naming the request's field, before any model work.
        self.predictor.classifier.rule.shown(request.labels, request.all_labels, where="labels")
        key = hash((request.text, request.threshold, tuple(request.labels or ()), request.all_labels,
                    request.triggers, request.any_language))
        if self.answered.get(key) is None:
            self.gate.refuse_if_full()
        with self.gate.request():
            result = self.predictor.analyse(
                request.text, threshold=request.threshold, only=request.labels, all_labels=request.all_labels,
                any_language=request.any_language,
            )
            if request.triggers:
                explain_document(self.explainer, result)
        self.answered.put(key, True)
        return _analysis_json(result, len(request.text))


def _analysis_json(result: DocumentResult, text_length: int) -> dict:
    """`slant check --format json`'s shape (labels most probable first), plus a summary.

    Built field by field: `dataclasses.asdict` deep-copies every score and cost more than the
    whole rest of a cached request.
    """
    sentences = [
        {
            "start": s.start,
            "end": s.end,
            "text": s.text,
            "labels": sorted(s.labels, key=lambda label: -s.scores[label]),
            "scores": {label: round(p, 4) for label, p in s.scores.items()},
            "triggers": {label: [t.as_json() for t in found] for label, found in s.triggers.items()},
            **spans_json(s),
        }
        for s in result.sentences
    ]
    flagged = sum(1 for s in result.sentences if s.labels)
    summary = {"sentences": len(sentences), "flagged": flagged, "by_label": result.counts()}
    return {"model": result.model, "language": result.language, "warning": result.warning,
            "text_length": text_length, "sentences": sentences, "summary": summary}


# -- the app ----------------------------------------------------------------------------------
def create_app(
    predictor: Predictor,
    max_chars: int = DEFAULT_MAX_CHARS,
    cache_sentences: int = DEFAULT_CACHE_SENTENCES,
    explainer: OcclusionExplainer | None = None,
    label_set: LabelSet | None = None,
    max_queue: int | None = None,
) -> FastAPI:
    """The web app over an already loaded `predictor`; texts over `max_chars` get a 413.

    `cache_sentences` bounds the per-sentence score caches (0 disables them); `explainer`
    replaces the default occlusion explainer over the predictor's model; `max_queue` (default
    $SLANT_MAX_QUEUE, else 32) bounds the requests holding or waiting for the model (more get 503).
    """
    if max_queue is None:
        max_queue = int(os.environ.get("SLANT_MAX_QUEUE") or DEFAULT_MAX_QUEUE)
    analyser = Analyser(predictor, cache_sentences, explainer, max_queue)
    label_set = label_set or load_labels()
    reported = set(predictor.classifier.reported_labels)
    techniques = [Technique(id=t.id, name=t.name, definition=t.definition, reported=t.id in reported)
                  for t in label_set.techniques]
    app = FastAPI(
        title="Slant",
        summary="Propaganda and framing techniques in news text, sentence by sentence.",
        version="1",
        # The bundled Swagger and ReDoc pages load scripts from a CDN; /openapi.json stays.
        docs_url=None,
        redoc_url=None,
    )
    app.state.analyser = analyser

    @app.exception_handler(SlantError)
    async def slant_error(request, error: SlantError):
        if error.code == "E202":  # the model's queue is full: come back later
            return JSONResponse({"code": error.code, "detail": str(error)}, status_code=503,
                                headers={"retry-after": str(error.fields["retry"])})
        status = 413 if error.code == "E051" else 422
        return JSONResponse({"code": error.code, "detail": str(error)}, status_code=status)

    @app.get("/", include_in_schema=False)
    def page():
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/health", response_model=Health, tags=["service"])
    def health():
        return Health(status="ok", model=analyser.model, max_chars=max_chars)

    @app.get("/api/techniques", response_model=list[Technique], tags=["analysis"])
    def list_techniques():
        """Every technique the model labels, in the model's order, with its definition."""
        return techniques

    @app.post(
        "/api/analyse",
        response_model=Analysis,
        tags=["analysis"],
        responses={413: {"model": Problem, "description": "Text over the size limit."},
                   422: {"model": Problem,
                         "description": "Empty text, unpaired surrogates, or an unknown technique id."},
                   503: {"model": Problem,
                         "description": "The model's queue is full; the Retry-After header says when to try again."}},
    )
    def analyse(request: AnalyseRequest):
        """Split a draft into sentences; for each, every technique's probability, the flagged
        techniques and, per flagged technique, the words that triggered it."""
        if len(request.text) > max_chars:
            raise SlantError("E051", size=len(request.text), limit=max_chars)
        return analyser.analyse(request)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(BodyLimit, max_bytes=_body_limit(max_chars))
    app.add_middleware(SecurityHeaders)  # added last, so outermost: 413s get the headers too
    return app


def _body_limit(max_chars: int) -> int:
    """Bytes a JSON body may take: 6 per character covers \\uXXXX escapes, plus room for options."""
    return 6 * max_chars + 64 * 1024


class SecurityHeaders:
    """ASGI middleware adding `SECURITY_HEADERS` to every response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers if scope["type"] == "http" else send)


class BodyLimit:
    """ASGI middleware refusing request bodies over `max_bytes` with 413, before parsing them.

    Reads the body, whether its length is declared or not, up to the limit, then replays it
    to the app; so a client cannot make the server buffer or parse more than the limit.
    """

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._refuse(int(declared), send)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                return await self._refuse(size, send)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, size: int, send):
        problem = SlantError("E200", size=size, limit=self.max_bytes)
        body = json.dumps({"code": problem.code, "detail": str(problem)}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def app_from_env():
    """For `uvicorn --factory slant.inference.server:app_from_env`: model from SLANT_MODEL,
    backend from SLANT_BACKEND (auto, torch, onnx, onnx-int8; default auto), limit from SLANT_MAX_CHARS,
    queue bound from SLANT_MAX_QUEUE."""
    predictor = Predictor.load(os.environ.get("SLANT_MODEL") or None, backend=os.environ.get("SLANT_BACKEND") or DEFAULT_BACKEND)
    return create_app(predictor, max_chars=int(os.environ.get("SLANT_MAX_CHARS", DEFAULT_MAX_CHARS)))
