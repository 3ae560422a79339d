"""`train(config)`: fine-tune an encoder as a multi-label sentence classifier.

Reads top to bottom: seed, data, model, tokenise, Trainer (masked, class-weighted BCE, early
stopping, resumable checkpoints), per-label thresholds on validation, save, evaluate, track.
"""

from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from transformers import EarlyStoppingCallback, Trainer, TrainingArguments, set_seed
from transformers.trainer_utils import get_last_checkpoint

from slant.models.classifier import SlantClassifier, new_classifier, output_layer
from slant.models.labels import LabelSet, load_labels
from slant.models.metrics import format_report
from slant.training import data as training_data
from slant.training import spans
from slant.training.config import Config
from slant.training.evaluate import contexts_of, evaluate_dataset
from slant.training.thresholds import masked_f1, tune_thresholds

logger = logging.getLogger(__name__)


@dataclass
class TrainResult:
    model_dir: Path
    thresholds: dict[str, float]
    reports: dict[str, dict] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)
    run_id: str | None = None
    model_version: str | None = None


class MaskedBCETrainer(Trainer):
    """Binary cross-entropy per label, weighted for rare positives, over annotated entries only."""

    def __init__(self, *args, pos_weight: torch.Tensor, span_pos_weight: torch.Tensor | None = None,
                 span_loss_weight: float = 1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.pos_weight = pos_weight
        self.span_pos_weight = span_pos_weight
        self.span_loss_weight = span_loss_weight

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        target = inputs.pop("target")
        mask = inputs.pop("mask")
        token_target, token_mask = inputs.pop("token_target", None), inputs.pop("token_mask", None)
        outputs = model(**inputs)
        logits = outputs["logits"]
        losses = torch.nn.functional.binary_cross_entropy_with_logits(
            logits, target, pos_weight=self.pos_weight, reduction="none"
        )
        loss = (losses * mask).sum() / mask.sum().clamp(min=1.0)
        if token_target is not None:
            loss = loss + self.span_loss_weight * spans.token_loss(outputs["token_logits"], token_target, token_mask,
                                                                   self.span_pos_weight)
        if isinstance(outputs, dict):
            outputs = {"logits": logits}  # evaluation reads the sentence logits only
        return (loss, outputs) if return_outputs else loss


def collate(tokenizer):
    def batch(features):
        padded = tokenizer.pad(
            [{"input_ids": f["input_ids"], "attention_mask": f["attention_mask"]} for f in features],
            return_tensors="pt",
        )
        padded["target"] = torch.tensor([f["target"] for f in features], dtype=torch.float32)
        padded["mask"] = torch.tensor([f["mask"] for f in features], dtype=torch.float32)
        if "token_target" in features[0]:
            width, n_labels = padded["input_ids"].shape[1], len(features[0]["token_target"][0])
            token_target = torch.zeros((len(features), width, n_labels), dtype=torch.float32)
            token_mask = torch.zeros((len(features), width), dtype=torch.float32)
            for row, f in enumerate(features):
                token_target[row, : len(f["token_target"])] = torch.tensor(f["token_target"], dtype=torch.float32)
                token_mask[row, : len(f["token_mask"])] = torch.tensor(f["token_mask"], dtype=torch.float32)
            padded["token_target"], padded["token_mask"] = token_target, token_mask
        return padded

    return batch


def positive_weights(dataset, cap: float) -> torch.Tensor:
    target = np.asarray(dataset["target"], dtype=np.float32)
    mask = np.asarray(dataset["mask"], dtype=np.float32)
    positives = (target * mask).sum(0)
    negatives = ((1 - target) * mask).sum(0)
    weights = np.sqrt(negatives / np.maximum(positives, 1.0))
    return torch.tensor(np.clip(weights, 1.0, cap), dtype=torch.float32)


def init_output_bias(model, dataset, pos_weight: torch.Tensor):
    """Start each label's logit at its (class-weighted) base rate.

    A fresh head starts at p=0.5 for every label, so the first hundreds of steps mostly push
    rare labels down; Adam then remembers those large gradients and the shared encoder barely
    moves for the labels that need it. Starting from the prior removes that phase.
    """
    target = np.asarray(dataset["target"], dtype=np.float64)
    mask = np.asarray(dataset["mask"], dtype=np.float64)
    positives = (target * mask).sum(0) * pos_weight.double().numpy()
    negatives = ((1 - target) * mask).sum(0)
    rate = (positives + 1) / (positives + negatives + 2)
    head = output_layer(model, len(rate))
    with torch.no_grad():
        head.bias.copy_(torch.tensor(np.log(rate / (1 - rate)), dtype=head.bias.dtype))


@contextmanager
def torch_threads(n: int):
    """Use `n` threads inside the block (0 = leave torch's choice), then restore."""
    previous = torch.get_num_threads()
    if n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def train(config: Config, label_set: LabelSet | None = None, tracker=None) -> TrainResult:
    with torch_threads(config.train.threads):
        return _train(config, label_set or load_labels(), tracker)


def _train(config: Config, label_set: LabelSet, tracker) -> TrainResult:
    args = config.train
    output_dir = Path(args.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    set_seed(args.seed)

    data = training_data.build(config.data, label_set)
    logger.info("sentences: train %d, validation %d", len(data.train), len(data.validation))

    context = config.model.context
    classifier = new_classifier(config.model.warm_start or config.model.base_encoder, label_set, context=context,
                                max_length=config.model.max_length)  # saved in config.json for inference
    tokenizer = classifier.tokenizer

    span_targets = None
    if config.model.spans:
        from slant.training.readers import read_ptc_spans

        span_targets = spans.SpanTargets(read_ptc_spans(config.data.ptc_labels, label_set), label_set.ptc_ids)

    def tokenize(batch):
        pairs = batch[context] if context != "none" else None
        encoded = tokenizer(batch["text"], pairs, truncation=True, max_length=config.model.max_length,
                            return_offsets_mapping=span_targets is not None)
        encoded["length"] = [len(ids) for ids in encoded["input_ids"]]
        if span_targets is not None:
            offsets = [[(s, e) if kind == 0 else (0, 0) for (s, e), kind in zip(o, encoded.sequence_ids(i) or [])]
                       for i, o in enumerate(encoded.pop("offset_mapping"))]
            encoded["token_target"], encoded["token_mask"] = span_targets(batch["doc_id"], batch["span_start"], offsets)
        return encoded

    if args.freeze_embeddings:
        # Word embeddings are half of MiniLM's weights; freezing them makes each CPU step
        # about a third cheaper (off by default: see docs/training.md).
        classifier.model.get_input_embeddings().requires_grad_(False)

    columns = ["input_ids", "attention_mask", "target", "mask", "length"]
    train_set = data.train.map(tokenize, batched=True).select_columns(
        columns + (["token_target", "token_mask"] if span_targets is not None else []))
    # Scored in length order so each evaluation batch pads little; the order does not matter.
    validation_set = data.validation.map(tokenize, batched=True).sort("length").select_columns(columns)

    def compute_metrics(prediction):
        logits = prediction.predictions
        target, mask = prediction.label_ids
        probabilities = 1 / (1 + np.exp(-logits))
        tuned = tune_thresholds(probabilities, target, mask, classifier.labels)
        micro, macro = masked_f1(probabilities, target, mask, np.array([tuned[l] for l in classifier.labels]))
        return {"micro_f1": micro, "macro_f1": macro, "score": (micro + macro) / 2}

    pos_weight = positive_weights(train_set, args.pos_weight_cap)
    if not config.model.warm_start:
        init_output_bias(classifier.model, train_set, pos_weight)

    steps_per_epoch = max(1, len(train_set) // args.batch_size)
    training_args = TrainingArguments(
        output_dir=str(output_dir / "checkpoints"),
        num_train_epochs=args.epochs,
        max_steps=args.max_steps,
        per_device_train_batch_size=args.batch_size,
        per_device_eval_batch_size=args.eval_batch_size,
        learning_rate=args.learning_rate,
        weight_decay=args.weight_decay,
        warmup_steps=int(args.warmup_ratio * steps_per_epoch * args.epochs),
        eval_strategy="epoch" if args.max_steps < 0 else "steps",
        save_strategy="epoch" if args.max_steps < 0 else "steps",
        eval_steps=max(1, args.max_steps) if args.max_steps > 0 else None,
        save_steps=max(1, args.max_steps) if args.max_steps > 0 else None,
        load_best_model_at_end=True,
        metric_for_best_model="score",
        greater_is_better=True,
        save_total_limit=2,
        label_names=["target", "mask"],
        train_sampling_strategy="group_by_length",
        length_column_name="length",
        remove_unused_columns=False,
        logging_steps=50,
        report_to="none",
        use_cpu=True,
        seed=args.seed,
        data_seed=args.seed,
        disable_tqdm=True,
    )
    callbacks = [EarlyStoppingCallback(early_stopping_patience=args.early_stopping_patience)]
    if tracker is not None:
        callbacks.append(tracker.callback())
    network, span_weights = classifier.model, {}
    if span_targets is not None:
        network = spans.SentenceAndSpans(classifier.model, len(label_set.ptc_ids))
        spans.probe_init(network, tokenizer, data.train, span_targets.spans_by_doc, label_set.ptc_ids,
                         config.model.max_length, seed=args.seed, pos_weight_cap=args.span_pos_weight_cap)
        span_weights = {"span_pos_weight": spans.span_pos_weight(train_set, len(label_set.ptc_ids),
                                                                 args.span_pos_weight_cap),
                        "span_loss_weight": args.span_loss_weight}
    trainer = MaskedBCETrainer(
        model=network,
        args=training_args,
        train_dataset=train_set,
        eval_dataset=validation_set,
        data_collator=collate(tokenizer),
        compute_metrics=compute_metrics,
        callbacks=callbacks,
        pos_weight=pos_weight,
        **span_weights,
    )
    last = get_last_checkpoint(training_args.output_dir) if args.resume and Path(training_args.output_dir).exists() else None
    if last:
        logger.info("resuming from %s", last)
    trainer.train(resume_from_checkpoint=last)

    span_head = None
    if span_targets is not None:
        span_head = trainer.model.span_classifier
        trainer.model = trainer.model.sequence_model
    classifier = SlantClassifier(trainer.model, tokenizer, name=str(output_dir / "model"))
    probabilities = classifier.predict_proba(data.validation["text"], contexts=contexts_of(data.validation, classifier))
    classifier.thresholds = tune_thresholds(
        probabilities,
        np.asarray(data.validation["target"]),
        np.asarray(data.validation["mask"]),
        classifier.labels,
    )
    if span_head is not None:  # first: it records the encoder's digest in the sentence config too
        spans.save_tuned_span_head(classifier, span_head, data.validation, span_targets, output_dir / "model",
                                   config.model.max_length)
    model_dir = classifier.save_pretrained(output_dir / "model")
    # Evaluate what was saved (fp16), so reported numbers are those of the shipped weights.
    saved = SlantClassifier.from_pretrained(model_dir, label_set)
    result = TrainResult(model_dir=model_dir, thresholds=classifier.thresholds, digests=data.digests)
    for name in ("test", "gold_test"):
        dataset = getattr(data, name)
        if dataset is not None and len(dataset):
            result.reports[name] = evaluate_dataset(saved, dataset)
    write_reports(result, output_dir)
    if tracker is not None:
        tracker.finish_training(config, result, data)
    return result


def write_reports(result: TrainResult, output_dir: Path):
    for name, report in result.reports.items():
        (output_dir / f"eval_{name}.json").write_text(json.dumps(report, indent=2))
        (output_dir / f"eval_{name}.md").write_text(format_report(report, f"### {name}") + "\n")
    (output_dir / "thresholds.json").write_text(json.dumps(result.thresholds, indent=2))
