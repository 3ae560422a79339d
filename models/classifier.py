"""`SlantClassifier`: a multi-label sentence classifier stored as a plain Hugging Face folder.

The folder is a standard `*ForSequenceClassification` checkpoint with
`problem_type="multi_label_classification"`, `id2label` holding the 16 technique ids, and a
`thresholds` mapping (label id -> float) in `config.json`, so plain `transformers` users can
apply the tuned thresholds. One sentence is the model's whole input (plus, for a model trained
with context, a second segment).

It is the scoring core's `SentenceClassifier` on the torch backend, plus what only torch weights
can do: be created on a base encoder, have a calibration folded into them, and be saved.
"""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

from slant.models.encoder import ResolvedModel, resolve_model, resolve_model_path
from slant.models.errors import SlantError
from slant.models.labels import LabelSet, load_labels
from slant.models.scoring import FALLBACK_MAX_LENGTH, SentenceClassifier, TorchBackend, check_labels
from slant.models.spans import span_head_for


class SlantClassifier(SentenceClassifier):
    """Scores sentences with one probability per technique, with a torch model.

    Inputs of any order and length are sorted by length, scored in padded batches, and
    returned in input order (see `slant.models.scoring`).
    """

    def __init__(self, model, tokenizer, thresholds: dict[str, float] | None = None, name: str = "", **batching):
        super().__init__(TorchBackend(model), tokenizer, model.config, name=name, thresholds=thresholds, **batching)

    @property
    def model(self):
        """The torch module (a `*ForSequenceClassification`)."""
        return self.backend.module

    # -- loading and saving -------------------------------------------------
    @classmethod
    def from_pretrained(cls, name_or_path: str | Path | ResolvedModel | None = None,
                        label_set: LabelSet | None = None, **batching) -> "SlantClassifier":
        """Load a Slant model folder, a `models:/` registry URI, or the released default (None)."""
        resolved = name_or_path if isinstance(name_or_path, ResolvedModel) else resolve_model(name_or_path)
        try:
            model = AutoModelForSequenceClassification.from_pretrained(resolved.path, dtype=torch.float32)
            tokenizer = AutoTokenizer.from_pretrained(resolved.path)
        except (OSError, ValueError) as error:
            raise SlantError("E030", model=resolved.name, reason=str(error).splitlines()[0]) from None
        check_labels(model.config, resolved.name, label_set)
        classifier = cls(model, tokenizer, name=resolved.name,
                         span_head=span_head_for(resolved.path, model.config, resolved.name), **batching)
        classifier.resolved = resolved
        return classifier

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
        """Write a standard HF folder; fp16 weights by default (half the size, same scores to ~1e-3).

        `config.json` gets everything inference needs (thresholds, reported labels, context,
        max length), so the folder alone scores as it did here."""
        path = Path(path)
        self.write_settings(self.model.config)
        model = self.model
        if half:
            model = _copy_model(self.model).half()
        model.save_pretrained(path, safe_serialization=True)
        self.tokenizer.save_pretrained(path)
        return path


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
                   context: str = "none", max_length: int = FALLBACK_MAX_LENGTH) -> SlantClassifier:
    """A fresh classifier head on `base_encoder` (HF id, local path, or the shipped MiniLM);
    `context` and `max_length` (tokens per sentence) are how it is trained and will be used."""
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
    config.slant_max_length = max_length
    model = AutoModelForSequenceClassification.from_pretrained(path, config=config, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(path)
    classifier = SlantClassifier(model, tokenizer, thresholds=thresholds or {}, name=str(base_encoder))
    return classifier
