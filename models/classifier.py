"""`SlantClassifier`: a multi-label sentence classifier stored as a plain Hugging Face folder.

The folder is a standard `*ForSequenceClassification` checkpoint with
`problem_type="multi_label_classification"`, `id2label` holding the 16 technique ids, and a
`thresholds` mapping (label id -> float) in `config.json`, so plain `transformers` users can
apply the tuned thresholds. One sentence is the model's whole input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

from slant.models.encoder import resolve_model_path
from slant.models.errors import SlantError
from slant.models.labels import LabelSet, load_labels

DEFAULT_THRESHOLD = 0.5
MAX_LENGTH = 128
# What a model reads beside each sentence, as the tokenizer's second segment (`text_pair`):
# "none", "previous" (the sentence before it in its document) or "title" (the document's first line).
CONTEXT_MODES = ("none", "previous", "title")


class SlantClassifier:
    """Scores sentences with one probability per technique.

    Inputs of any order and length are sorted by length, scored in padded batches, and
    returned in input order.
    """

    def __init__(self, model, tokenizer, thresholds: dict[str, float] | None = None, name: str = ""):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.name = name
        self.labels: list[str] = [model.config.id2label[i] for i in range(model.config.num_labels)]
        thresholds = thresholds if thresholds is not None else getattr(model.config, "thresholds", None) or {}
        self.thresholds = {label: float(thresholds.get(label, DEFAULT_THRESHOLD)) for label in self.labels}
        # The techniques shown to editors by default (held-out precision high enough); every
        # label is still scored. Older folders without the key show all of them.
        reported = getattr(model.config, "reported_labels", None)
        self.reported_labels: list[str] = [l for l in self.labels if reported is None or l in reported]
        self.context: str = getattr(model.config, "slant_context", None) or "none"

    # -- loading and saving -------------------------------------------------
    @classmethod
    def from_pretrained(cls, name_or_path: str | Path | None = None, label_set: LabelSet | None = None):
        """Load a Slant model folder, a `models:/` registry URI, or the released default (None)."""
        path = resolve_model_path(name_or_path)
        try:
            model = AutoModelForSequenceClassification.from_pretrained(path, dtype=torch.float32)
            tokenizer = AutoTokenizer.from_pretrained(path)
        except (OSError, ValueError) as error:
            raise SlantError("E030", model=str(name_or_path), reason=str(error).splitlines()[0]) from None
        found = [model.config.id2label[i] for i in range(model.config.num_labels)]
        expected = (label_set or load_labels()).ids
        if found != expected:
            raise SlantError("E031", model=str(name_or_path), found=found, expected=expected)
        return cls(model, tokenizer, name=str(name_or_path or path))

    def fold_calibration(self, scales: dict[str, float], shifts: dict[str, float]) -> None:
        """Make the output layer emit calibrated logits: `scale * logit + shift` per label.

        Platt scaling is affine in the logit, so it folds into the last linear layer
        (W' = scale * W, b' = scale * b + shift) and plain `transformers` users get the calibrated
        probabilities from `sigmoid(logits)` without any Slant code.
        """
        head = output_layer(self.model, len(self.labels))
        scale = torch.tensor([scales.get(l, 1.0) for l in self.labels], dtype=head.weight.dtype)
        shift = torch.tensor([shifts.get(l, 0.0) for l in self.labels], dtype=head.weight.dtype)
        with torch.no_grad():
            head.weight.mul_(scale[:, None])
            head.bias.mul_(scale).add_(shift)

    def save_pretrained(self, path: str | Path, half: bool = True) -> Path:
        """Write a standard HF folder; fp16 weights by default (half the size, same scores to ~1e-3)."""
        path = Path(path)
        self.model.config.thresholds = dict(self.thresholds)
        self.model.config.reported_labels = list(self.reported_labels)
        model = self.model
        if half:
            model = _copy_model(self.model).half()
        model.save_pretrained(path, safe_serialization=True)
        self.tokenizer.save_pretrained(path)
        return path

    # -- scoring --------------------------------------------------------------
    @torch.inference_mode()
    def predict_proba(self, texts: Sequence[str], batch_size: int = 64, contexts: Sequence[str] | None = None) -> np.ndarray:
        """Probabilities of shape (len(texts), n_labels), rows in input order.

        `contexts` (one string per text, "" for none) is read as the second segment by a model
        trained with context; a model without context ignores it.
        """
        texts = list(texts)
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        if not texts:
            return out
        pairs = list(contexts) if contexts is not None and self.context != "none" else None
        lengths = [len(t) + (len(pairs[i]) if pairs else 0) for i, t in enumerate(texts)]
        order = np.argsort([-n for n in lengths], kind="stable")
        for begin in range(0, len(texts), batch_size):
            index = order[begin : begin + batch_size]
            batch = self.tokenizer(
                [texts[i] for i in index],
                [pairs[i] for i in index] if pairs else None,
                padding=True,
                truncation=True,
                max_length=MAX_LENGTH,
                return_tensors="pt",
            )
            logits = self.model(**batch).logits.float()
            out[index] = torch.sigmoid(logits).numpy()
        return out

    def decide(self, probabilities: np.ndarray, threshold: float | None = None) -> list[list[str]]:
        """Label ids over threshold for each row; `threshold` overrides the tuned ones."""
        cut = np.array(
            [threshold if threshold is not None else self.thresholds[label] for label in self.labels]
        )
        return [[self.labels[j] for j in np.flatnonzero(row >= cut)] for row in probabilities]


def output_layer(model, n_labels: int) -> torch.nn.Linear:
    """The last linear layer with one output per label (the classification head's projection)."""
    heads = [m for m in model.modules() if isinstance(m, torch.nn.Linear) and m.out_features == n_labels]
    if not heads or heads[-1].bias is None:
        raise ValueError(f"no output layer with {n_labels} outputs and a bias in {type(model).__name__}")
    return heads[-1]


def _copy_model(model):
    clone = type(model)(model.config)
    clone.load_state_dict(model.state_dict())
    return clone


def new_classifier(base_encoder: str, label_set: LabelSet | None = None, thresholds=None,
                   context: str = "none") -> SlantClassifier:
    """A fresh classifier head on `base_encoder` (HF id, local path, or the shipped MiniLM)."""
    label_set = label_set or load_labels()
    path = resolve_model_path(base_encoder, allow_base=True)
    config = AutoConfig.from_pretrained(
        path,
        num_labels=len(label_set),
        id2label=label_set.id2label,
        label2id=label_set.label2id,
        problem_type="multi_label_classification",
    )
    config.slant_labels_version = label_set.version
    config.slant_context = context
    model = AutoModelForSequenceClassification.from_pretrained(path, config=config, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(path)
    classifier = SlantClassifier(model, tokenizer, thresholds=thresholds or {}, name=str(base_encoder))
    return classifier
