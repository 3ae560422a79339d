"""The scoring core: sentences in, one probability per technique out, on every backend.

Every way Slant runs a model (`slant check`, `slant serve`, `slant score` on both engines,
`slant evaluate`, calibration and release, the trigger-word explainer, the MLflow pyfunc and the
Python API) goes through `SentenceClassifier`, so a change to how sentences are batched, padded
or decided lands in all of them at once. How it scores, and why:

* tokenising happens once per call, in the Rust tokenizer, without padding; sentences are then
  sorted by token length and cut into batches by a token budget (`length_batches`), so each batch
  is padded, by a numpy fill, only to its own longest sentence and hardly any compute goes to
  padding; rows come back in input order;
* the network is a small backend object with one method, `forward(inputs) -> logits`, over numpy
  arrays (`TorchBackend` here, `OnnxBackend` in `onnx.py`), so everything around the forward
  pass is shared; a second named output (token logits) would be a second method there;
* what the model needs at inference travels in its folder's `config.json`, read here and
  nowhere else: labels, per-label `thresholds`, `reported_labels`, `slant_context` (what it reads
  as a second segment) and `slant_max_length` (tokens per sentence, as in training);
* `DecisionRule` is the one place probabilities become labels: per-label cut-offs, one
  override threshold, a label selection. The TF-IDF baseline and the release step use it too.
"""

from __future__ import annotations

import inspect
from typing import NamedTuple, Sequence

import numpy as np

from slant.models.errors import SlantError

DEFAULT_THRESHOLD = 0.5  # a label without a tuned cut-off
FALLBACK_MAX_LENGTH = 128  # tokens per sentence for model folders saved before `slant_max_length`
DEFAULT_MAX_TOKENS = 8192  # tokens per batch, padding included
DEFAULT_MAX_BATCH = 256  # sentences per batch
# What a model reads beside each sentence, as the tokenizer's second segment (`text_pair`):
# "none", "previous" (the sentence before it in its document) or "title" (the document's first line).
CONTEXT_MODES = ("none", "previous", "title")


def length_batches(lengths: Sequence[int], max_tokens: int = DEFAULT_MAX_TOKENS,
                   max_batch: int = DEFAULT_MAX_BATCH) -> list[np.ndarray]:
    """Index groups, longest sentences first, each costing at most `max_tokens` once padded."""
    lengths = np.asarray(lengths)
    order = np.argsort(-lengths, kind="stable")
    batches, begin = [], 0
    while begin < len(order):
        longest = max(int(lengths[order[begin]]), 1)
        size = max(1, min(max_batch, max_tokens // longest))
        batches.append(order[begin : begin + size])
        begin += size
    return batches


def sigmoid(logits: np.ndarray) -> np.ndarray:
    # Clipped: exp(88) overflows float32, and past +-40 the probability is 0 or 1 to float precision.
    return 1.0 / (1.0 + np.exp(-np.clip(logits, -40.0, 40.0)))


class DecisionRule:
    """Which techniques a sentence carries: probability at or over its label's cut-off.

    Cut-offs are the tuned per-label `thresholds` (0.5 where none was tuned) unless one
    `threshold` overrides them all; `only` limits the labels that may be flagged at all.
    """

    def __init__(self, labels: Sequence[str], thresholds: dict[str, float] | None = None,
                 reported: Sequence[str] | None = None):
        self.labels = list(labels)
        thresholds = thresholds or {}
        self.thresholds = {label: float(thresholds.get(label, DEFAULT_THRESHOLD)) for label in self.labels}
        # Shown to editors by default; every label is still scored. None (older folders): all.
        self.reported = [label for label in self.labels if reported is None or label in reported]

    def cutoffs(self, threshold: float | None = None) -> np.ndarray:
        """One cut-off per label, in label order."""
        return np.array([self.thresholds[label] if threshold is None else threshold for label in self.labels])

    def shown(self, only: Sequence[str] | None = None, all_labels: bool = False,
              where: str = "--labels") -> list[str] | None:
        """The labels to show: `only` if given, else the reported ones, else (with `all_labels`,
        or when none are marked) None, meaning every label. An unknown label is E010."""
        if only is None and not all_labels:
            only = self.reported
        unknown = [label for label in only or [] if label not in self.labels]
        if unknown:
            raise SlantError("E010", label=unknown[0], known=", ".join(self.labels), where=where)
        return list(only) if only else None

    def flags(self, probabilities: np.ndarray, threshold: float | None = None,
              only: Sequence[str] | None = None) -> np.ndarray:
        """Boolean array shaped like `probabilities`: which label each row carries."""
        flags = np.asarray(probabilities) >= self.cutoffs(threshold)
        if only:
            flags &= np.isin(self.labels, list(only))
        return flags

    def decide(self, probabilities: np.ndarray, threshold: float | None = None,
               only: Sequence[str] | None = None) -> list[list[str]]:
        """The flagged label ids of each row, in label order."""
        return [[self.labels[j] for j in np.flatnonzero(row)] for row in self.flags(probabilities, threshold, only)]


class TorchBackend:
    """The network as a torch module: numpy inputs in, float32 logits out."""

    name = "torch"

    def __init__(self, module):
        self.module = module.eval()
        # Which inputs the module takes: DistilBERT-like encoders have no token_type_ids.
        self._accepts = set(inspect.signature(module.forward).parameters)

    def forward(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        """Logits (batch, n_labels) for int64 `input_ids`, `attention_mask` (+ `token_type_ids`)."""
        import torch

        with torch.inference_mode():
            tensors = {name: torch.from_numpy(value) for name, value in inputs.items() if name in self._accepts}
            return self.module(**tensors).logits.float().numpy()

    def forward_with_states(self, inputs: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Logits and the last hidden states (batch, sequence, hidden) of the same forward pass."""
        import torch

        with torch.inference_mode():
            tensors = {name: torch.from_numpy(value) for name, value in inputs.items() if name in self._accepts}
            out = self.module(**tensors, output_hidden_states=True)
            return out.logits.float().numpy(), out.hidden_states[-1].float().numpy()


class TokenScores(NamedTuple):
    """One text's tokens as the span head sees them: (start, end) characters in the text of each
    real token (special tokens dropped) and its per-technique probabilities."""

    offsets: list[tuple[int, int]]
    probabilities: np.ndarray  # (len(offsets), n_span_labels)


def check_labels(config, model: str, label_set=None) -> None:
    """A folder whose labels are not this Slant's (another version, another task) is E031."""
    from slant.models.labels import load_labels

    found = [config.id2label[i] for i in range(config.num_labels)]
    expected = (label_set or load_labels()).ids
    if found != expected:
        raise SlantError("E031", model=model, found=found, expected=expected)


class SentenceClassifier:
    """A loaded model on one backend: sentences in, probabilities (or logits) out, rows in
    input order; `decide` turns probabilities into labels with the model's own cut-offs.

    `config` is the model folder's Hugging Face config, which says everything the model needs at
    inference (see the module docstring); `thresholds`, if given, replaces its tuned ones.
    `max_tokens` and `max_batch` bound a batch (tokens including padding; sentences).
    """

    def __init__(self, backend, tokenizer, config, name: str = "", thresholds: dict[str, float] | None = None,
                 max_tokens: int = DEFAULT_MAX_TOKENS, max_batch: int = DEFAULT_MAX_BATCH, span_head=None):
        self.backend = backend
        # The span head (`slant.models.spans.SpanHead`) reads the same encoder's last hidden
        # states, so one forward pass gives both the sentence labels and the spans; None = none.
        self.span_head = span_head
        self.tokenizer = tokenizer
        self.name = name
        self.labels: list[str] = [config.id2label[i] for i in range(config.num_labels)]
        thresholds = thresholds if thresholds is not None else getattr(config, "thresholds", None) or {}
        rule = DecisionRule(self.labels, thresholds, getattr(config, "reported_labels", None))
        self.thresholds: dict[str, float] = rule.thresholds
        self.reported_labels: list[str] = rule.reported
        self.context: str = getattr(config, "slant_context", None) or "none"
        self.max_length = int(getattr(config, "slant_max_length", None) or FALLBACK_MAX_LENGTH)
        self.max_tokens = max_tokens
        self.max_batch = max_batch
        self.resolved = None  # where the weights came from (a ResolvedModel), when loaded by name
        self._pad_id = tokenizer.pad_token_id or 0
        self._wants_token_types = "token_type_ids" in tokenizer.model_input_names

    def write_settings(self, config) -> None:
        """Put what inference needs into `config` (saved as config.json): the reader is `__init__`."""
        config.thresholds = dict(self.thresholds)
        config.reported_labels = list(self.reported_labels)
        config.slant_context = self.context
        config.slant_max_length = self.max_length

    @property
    def rule(self) -> DecisionRule:
        """The decision rule with the current thresholds (calibration may change them)."""
        return DecisionRule(self.labels, self.thresholds, self.reported_labels)

    # -- scoring --------------------------------------------------------------
    def predict_proba(self, texts: Sequence[str], batch_size: int | None = None,
                      contexts: Sequence[str] | None = None) -> np.ndarray:
        """Probabilities of shape (len(texts), n_labels), float32, rows in input order.

        `contexts` (one string per text, "" for none) is read as the second segment by a model
        trained with context; a model without context ignores it. `batch_size` caps sentences
        per batch (default `max_batch`); the token budget applies either way.
        """
        return sigmoid(self.logits(texts, contexts, batch_size))

    def logits(self, texts: Sequence[str], contexts: Sequence[str] | None = None,
               batch_size: int | None = None) -> np.ndarray:
        """Raw logits (before the sigmoid), as `predict_proba` computes them: the explainer
        compares logits because probabilities saturate."""
        texts = list(texts)
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        if not texts:
            return out
        ids, token_types = self._tokenize(texts, contexts)
        lengths = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
        for index in length_batches(lengths, self.max_tokens, batch_size or self.max_batch):
            out[index] = self.backend.forward(self._pad(ids, token_types, index, lengths[index]))
        return out

    def score(self, texts: Sequence[str], contexts: Sequence[str] | None = None, tokens: bool = False,
              batch_size: int | None = None) -> tuple[np.ndarray, list[TokenScores] | None]:
        """Probabilities as `predict_proba`, and with `tokens` (and a span head) each text's
        per-token span probabilities from the same forward pass (None without them)."""
        if not tokens or self.span_head is None:
            return self.predict_proba(texts, batch_size=batch_size, contexts=contexts), None
        texts = list(texts)
        logits = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        scores: list[TokenScores] = [TokenScores([], np.zeros((0, len(self.span_head.labels)), np.float32))] * len(texts)
        if not texts:
            return logits, scores
        ids, token_types, offsets = self._tokenize(texts, contexts, offsets=True)
        lengths = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
        for index in length_batches(lengths, self.max_tokens, batch_size or self.max_batch):
            batch_logits, states = self.backend.forward_with_states(self._pad(ids, token_types, index, lengths[index]))
            logits[index] = batch_logits
            for row, i in enumerate(index):
                real = [j for j, (start, end) in enumerate(offsets[i]) if end > start]
                scores[i] = TokenScores([offsets[i][j] for j in real], self.span_head.probabilities(states[row, real]))
        return sigmoid(logits), scores

    def decide(self, probabilities: np.ndarray, threshold: float | None = None,
               only: Sequence[str] | None = None) -> list[list[str]]:
        """Label ids over threshold for each row; `threshold` overrides the tuned ones."""
        return self.rule.decide(probabilities, threshold, only)

    # -- inputs -----------------------------------------------------------------
    def _tokenize(self, texts: list[str], contexts: Sequence[str] | None, offsets: bool = False):
        """Token ids (and, for sentence pairs, segment ids) of every text, unpadded, in one call;
        with `offsets`, each token's (start, end) characters in its text ((0, 0) for special
        tokens and the context segment)."""
        pairs = list(contexts) if contexts is not None and self.context != "none" else None
        if pairs is not None and len(pairs) != len(texts):
            raise SlantError("E023", name="contexts", value=f"{len(pairs)} contexts",
                             problem=f"expected one per text ({len(texts)})")
        with_types = pairs is not None and self._wants_token_types
        encoded = self.tokenizer(texts, pairs, truncation=True, max_length=self.max_length, padding=False,
                                 return_attention_mask=False, return_token_type_ids=with_types,
                                 return_offsets_mapping=offsets)
        types = encoded["token_type_ids"] if with_types else None
        if not offsets:
            return encoded["input_ids"], types
        spans = [[(s, e) if segment == 0 else (0, 0) for (s, e), segment in zip(row, encoded.sequence_ids(i))]
                 for i, row in enumerate(encoded["offset_mapping"])]
        return encoded["input_ids"], types, spans

    def _pad(self, ids, token_types, index: np.ndarray, lengths: np.ndarray) -> dict[str, np.ndarray]:
        """The rows `index` as int64 arrays padded to their longest, with the attention mask."""
        width = int(lengths.max())
        input_ids = np.full((len(index), width), self._pad_id, dtype=np.int64)
        types = np.zeros_like(input_ids) if self._wants_token_types else None
        for row, i in enumerate(index):
            input_ids[row, : lengths[row]] = ids[i]
            if token_types is not None:
                types[row, : lengths[row]] = token_types[i]
        inputs = {"input_ids": input_ids,
                  "attention_mask": (np.arange(width)[None, :] < lengths[:, None]).astype(np.int64)}
        if types is not None:
            inputs["token_type_ids"] = types
        return inputs
