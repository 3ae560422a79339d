"""Technique spans from per-token probabilities: the span head's output turned into character spans.

The span head is a standard Hugging Face token-classification head whose outputs are read as
independent per-label probabilities (`sigmoid(logits)`, multi-label per token), because spans of
different techniques overlap in PTC: one token may be in a "loaded language" span and in a
"name calling" span at once, which a BIO tag per token could not say.

Decoding, per label: tokens whose probability reaches the label's threshold (`span_thresholds` in
the span folder's `config.json`) form runs; a run that stops inside a word is widened to the whole
word (word pieces share a word when no character lies between them); neighbouring runs separated
only by spaces or one short unflagged token are joined. A span's probability is the mean of its
tokens'. Offsets are characters (Python `str` indices) of the text the tokens came from.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Sequence

import numpy as np

SPAN_DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class TechniqueSpan:
    """One technique at characters [start, end) of a text, with its probability."""

    start: int
    end: int
    label: str
    probability: float

    def as_json(self) -> dict:
        return {"start": self.start, "end": self.end, "label": self.label,
                "probability": round(float(self.probability), 4)}


def word_groups(offsets: Sequence[tuple[int, int]], text: str = "") -> np.ndarray:
    """A word number per token: pieces that touch (no character between them) share a word,
    unless one side is punctuation ("traitors" and a following "." are two words).

    Special tokens (offsets (0, 0)) get -1.
    """
    groups = np.full(len(offsets), -1, dtype=np.int64)
    word, previous_end = -1, None
    for i, (start, end) in enumerate(offsets):
        if end <= start:
            previous_end = None
            continue
        touching = previous_end is not None and start == previous_end
        if touching and text and not (_wordlike(text[start]) and _wordlike(text[start - 1])):
            touching = False
        if not touching:
            word += 1
        groups[i] = word
        previous_end = end
    return groups


def _wordlike(character: str) -> bool:
    # Letters, digits and combining marks (an NFD accent continues its word).
    return character.isalnum() or unicodedata.category(character).startswith("M")


def decode_spans(
    probabilities: np.ndarray,
    offsets: Sequence[tuple[int, int]],
    labels: Sequence[str],
    thresholds: np.ndarray,
    text: str = "",
    offset: int = 0,
    max_gap_chars: int = 1,
) -> list[TechniqueSpan]:
    """Spans of one tokenised text.

    `probabilities` is (n_tokens, n_labels); `offsets` the tokenizer's (start, end) per token
    (special tokens (0, 0)); `thresholds` one per label. Offsets of the result are shifted by
    `offset` (a sentence's start in its document). `text` (the tokenised string) lets runs
    separated by at most `max_gap_chars` non-word characters join ("so-called 'experts'").
    """
    groups = word_groups(offsets, text)
    real = groups >= 0
    if not real.any():
        return []
    # A word's probability is its strongest piece's: "Bolshev ##ik" flags as one word.
    n_words = int(groups.max()) + 1
    word_probability = np.zeros((n_words, probabilities.shape[1]), dtype=np.float32)
    np.maximum.at(word_probability, groups[real], probabilities[real])
    word_start = np.full(n_words, np.iinfo(np.int64).max)
    word_end = np.zeros(n_words, dtype=np.int64)
    starts = np.array([s for s, _ in offsets], dtype=np.int64)
    ends = np.array([e for _, e in offsets], dtype=np.int64)
    np.minimum.at(word_start, groups[real], starts[real])
    np.maximum.at(word_end, groups[real], ends[real])
    spans: list[TechniqueSpan] = []
    for j, label in enumerate(labels):
        flagged = np.flatnonzero(word_probability[:, j] >= thresholds[j])
        run: list[int] = []
        for w in flagged:
            if run and (w == run[-1] + 1 or _gap_only_spaces(text, word_end[run[-1]], word_start[w], max_gap_chars)):
                run.append(int(w))
                continue
            if run:
                spans.append(_span(run, word_start, word_end, word_probability[:, j], label, offset))
            run = [int(w)]
        if run:
            spans.append(_span(run, word_start, word_end, word_probability[:, j], label, offset))
    spans.sort(key=lambda s: (s.start, s.end, s.label))
    return spans


def _gap_only_spaces(text: str, end: int, start: int, max_gap_chars: int) -> bool:
    if not text or start - end > max_gap_chars + 1:
        return False
    gap = text[end:start]
    return len(gap.strip()) <= max_gap_chars and not any(c in gap for c in ".!?;")


def _span(run, word_start, word_end, probability, label, offset) -> TechniqueSpan:
    return TechniqueSpan(int(word_start[run[0]]) + offset, int(word_end[run[-1]]) + offset, label,
                         float(probability[run].mean()))


def classify_span(probabilities: np.ndarray, offsets: Sequence[tuple[int, int]], start: int, end: int,
                  labels: Sequence[str]) -> str | None:
    """The technique whose mean probability over the tokens inside [start, end) is highest (None
    when no token lies inside): technique classification of a given span."""
    inside = [i for i, (s, e) in enumerate(offsets) if e > s and s < end and e > start]
    if not inside:
        return None
    return labels[int(np.argmax(probabilities[inside].mean(axis=0)))]


# -- the span folder ----------------------------------------------------------------------
SPAN_FOLDER = "spans"  # inside a Slant model folder: a standard token-classification folder


def encoder_digest(base_model) -> str:
    """A hash of an encoder's weights as fp16 bytes: a span folder is used beside a sentence model
    only when both were saved from the same encoder (one forward pass serves both heads)."""
    import hashlib

    import torch

    digest = hashlib.sha256()
    for name, tensor in sorted(base_model.state_dict().items()):
        if name.startswith("pooler."):
            continue  # the token head does not read the pooler
        digest.update(name.encode() + b"\0")
        digest.update(tensor.detach().to(torch.float16).contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def save_span_folder(sequence_model, weight, bias, tokenizer, path, labels: Sequence[str],
                     thresholds: dict[str, float], half: bool = True):
    """Write the span head as a standard `*ForTokenClassification` folder: the sentence model's
    encoder plus a linear layer whose outputs are read as independent per-label probabilities
    (`sigmoid(logits)`), with `span_thresholds` in its config.json. Loads with plain
    `AutoModelForTokenClassification`, without Slant."""
    from pathlib import Path

    import torch
    from transformers import AutoConfig, AutoModelForTokenClassification

    path = Path(path)
    config = AutoConfig.for_model(**{**sequence_model.config.to_dict(), "architectures": None})
    config.num_labels = len(labels)
    config.id2label = dict(enumerate(labels))
    config.label2id = {label: i for i, label in enumerate(labels)}
    config.problem_type = "multi_label_classification"
    for stale in ("thresholds", "reported_labels", "heldout_confusion", "slant_context"):
        if hasattr(config, stale):
            delattr(config, stale)
    config.span_thresholds = {label: float(thresholds[label]) for label in labels}
    config.slant_encoder_digest = encoder_digest(sequence_model.base_model)
    # The sentence folder names the same encoder, so a reader can pair the two without hashing.
    sequence_model.config.slant_encoder_digest = config.slant_encoder_digest
    model = AutoModelForTokenClassification.from_config(config)
    missing, unexpected = model.base_model.load_state_dict(sequence_model.base_model.state_dict(), strict=False)
    if [m for m in missing if not m.startswith("pooler.")]:
        raise ValueError(f"the token model lacks encoder weights: {missing[:3]}")
    head = model.classifier
    with torch.no_grad():
        head.weight.copy_(torch.as_tensor(weight, dtype=head.weight.dtype))
        head.bias.copy_(torch.as_tensor(bias, dtype=head.bias.dtype))
    model.config.architectures = [type(model).__name__]
    (model.half() if half else model).save_pretrained(path, safe_serialization=True)
    tokenizer.save_pretrained(path)
    return path


@dataclass(frozen=True)
class SpanHead:
    """The span folder's output layer, applied to the sentence model's last hidden states."""

    labels: tuple[str, ...]
    weight: np.ndarray      # (n_labels, hidden)
    bias: np.ndarray        # (n_labels,)
    thresholds: np.ndarray  # (n_labels,)
    encoder_digest: str

    def probabilities(self, hidden: np.ndarray) -> np.ndarray:
        """(..., hidden) states -> (..., n_labels) per-token probabilities."""
        logits = hidden.astype(np.float32) @ self.weight.T + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -40.0, 40.0)))

    def decode(self, token_scores, sentences) -> list[list[TechniqueSpan]]:
        """Spans of each sentence (`slant.models.sentences.Span`, offsets into its document) from
        its `TokenScores`; the spans' offsets are the document's."""
        return [decode_spans(scores.probabilities, scores.offsets, self.labels, self.thresholds, sentence.text,
                             sentence.start) for scores, sentence in zip(token_scores, sentences, strict=True)]


def load_span_head(model_folder) -> SpanHead | None:
    """The span head stored in `model_folder/spans`, or None when the model has none.

    Only the output layer is read (the encoder is the sentence model's; `encoder_digest` says
    which one it was trained with)."""
    import json
    from pathlib import Path

    from safetensors import safe_open

    folder = Path(model_folder) / SPAN_FOLDER
    if not (folder / "config.json").is_file() or not (folder / "model.safetensors").is_file():
        return None
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    labels = tuple(config["id2label"][str(i)] for i in range(len(config["id2label"])))
    with safe_open(str(folder / "model.safetensors"), framework="np") as weights:
        weight = weights.get_tensor("classifier.weight").astype(np.float32)
        bias = weights.get_tensor("classifier.bias").astype(np.float32)
    cut = config.get("span_thresholds") or {}
    thresholds = np.array([float(cut.get(label, SPAN_DEFAULT_THRESHOLD)) for label in labels], dtype=np.float32)
    return SpanHead(labels, weight, bias, thresholds, config.get("slant_encoder_digest", ""))


def span_head_for(model_folder, config, model_name: str) -> SpanHead | None:
    """The span head that belongs with the sentence model in `model_folder` (its `config`), or
    None when there is none; E035 when it was saved from another encoder (after a retraining that
    did not rewrite it, say), since its spans would then be noise."""
    head = load_span_head(model_folder)
    if head is None:
        return None
    expected = getattr(config, "slant_encoder_digest", None)
    if expected != head.encoder_digest:
        from slant.models.errors import SlantError

        raise SlantError("E035", model=model_name, found=head.encoder_digest, expected=expected)
    return head
