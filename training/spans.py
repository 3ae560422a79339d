"""Token targets from PTC's character spans, and the span head trained on a frozen encoder.

The span head reads the same encoder states as the sentence head, so at run time one forward
pass gives both (see `slant.models.spans`). It is trained with the encoder frozen: the encoder's
last hidden states for every training sentence are computed once, then a linear layer per
technique is fitted on them (binary cross-entropy per token and label, independent labels,
because PTC's spans of different techniques overlap). Freezing keeps the released sentence model
bit-for-bit what it was, and makes training minutes instead of hours on a CPU.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

logger = logging.getLogger(__name__)


@dataclass
class TokenData:
    """Encoder states of many sentences, flattened over tokens, with their per-label targets."""

    states: np.ndarray        # (n_tokens, hidden) float32, special tokens dropped
    targets: np.ndarray       # (n_tokens, n_labels) 0/1
    sentence: np.ndarray      # (n_tokens,) row of the sentence each token belongs to
    offsets: list[list[tuple[int, int]]]  # per sentence, the tokenizer's offsets (special tokens (0, 0))
    token_rows: list[np.ndarray]          # per sentence, indices into `states` of its tokens (order kept)


def token_targets(offsets: Sequence[tuple[int, int]], sentence_start: int, spans: Sequence[tuple[str, int, int]],
                  labels: Sequence[str]) -> np.ndarray:
    """(n_tokens, n_labels) 0/1: a token carries a technique when a span of it overlaps the
    token's characters (offsets relative to the sentence, spans to the document)."""
    index = {label: j for j, label in enumerate(labels)}
    target = np.zeros((len(offsets), len(labels)), dtype=np.float32)
    for i, (start, end) in enumerate(offsets):
        if end <= start:
            continue
        a, b = sentence_start + start, sentence_start + end
        for label, s, e in spans:
            if label in index and s < b and e > a:
                target[i, index[label]] = 1.0
    return target


@torch.inference_mode()
def encoder_states(model, tokenizer, texts: Sequence[str], max_length: int, batch_size: int = 64):
    """Last hidden states and offsets per text, in input order (length-sorted batches)."""
    encoder = model.base_model
    states: list[np.ndarray] = [None] * len(texts)  # type: ignore[list-item]
    offsets: list[list[tuple[int, int]]] = [None] * len(texts)  # type: ignore[list-item]
    order = np.argsort([-len(t) for t in texts], kind="stable")
    for begin in range(0, len(texts), batch_size):
        index = order[begin : begin + batch_size]
        batch = tokenizer([texts[i] for i in index], padding=True, truncation=True, max_length=max_length,
                          return_tensors="pt", return_offsets_mapping=True)
        mapping = batch.pop("offset_mapping").tolist()
        hidden = encoder(**batch).last_hidden_state.float().numpy()
        lengths = batch["attention_mask"].sum(1).tolist()
        for row, i in enumerate(index):
            states[i] = hidden[row, : lengths[row]]
            offsets[i] = [tuple(o) for o in mapping[row][: lengths[row]]]
    return states, offsets


def build_token_data(model, tokenizer, sentences, spans_by_doc: dict, labels: Sequence[str],
                     max_length: int) -> TokenData:
    """`sentences`: rows with doc_id, start, text; `spans_by_doc`: doc_id -> [(label, start, end)]."""
    texts = list(sentences["text"])
    states, offsets = encoder_states(model, tokenizer, texts, max_length)
    flat_states, flat_targets, owner, rows = [], [], [], []
    count = 0
    for row, (doc_id, start) in enumerate(zip(sentences["doc_id"], sentences["start"])):
        real = [i for i, (s, e) in enumerate(offsets[row]) if e > s]
        target = token_targets(offsets[row], start, spans_by_doc.get(doc_id, []), labels)
        flat_states.append(states[row][real])
        flat_targets.append(target[real])
        owner.append(np.full(len(real), row))
        rows.append(np.arange(count, count + len(real)))
        count += len(real)
    return TokenData(np.concatenate(flat_states).astype(np.float32), np.concatenate(flat_targets),
                     np.concatenate(owner), offsets, rows)


def fit_linear_head(states: np.ndarray, targets: np.ndarray, epochs: int = 40, batch_size: int = 4096,
                    learning_rate: float = 3e-3, weight_decay: float = 1e-4, pos_weight_cap: float = 4.0,
                    seed: int = 13) -> tuple[np.ndarray, np.ndarray]:
    """A linear layer (weight (n_labels, hidden), bias (n_labels,)) by per-label BCE with Adam.

    Positives are weighted by sqrt(negatives / positives), capped: technique tokens are 1-10 % of
    tokens, and unweighted BCE leaves the rare techniques' logits pinned below any threshold.
    """
    generator = torch.Generator().manual_seed(seed)
    x = torch.from_numpy(states)
    y = torch.from_numpy(targets)
    positives = y.sum(0)
    weight = torch.sqrt((len(y) - positives) / positives.clamp(min=1)).clamp(1.0, pos_weight_cap)
    layer = torch.nn.Linear(x.shape[1], y.shape[1])
    rate = (positives + 1) / (len(y) + 2)
    with torch.no_grad():
        layer.weight.normal_(0, 0.02, generator=generator)
        layer.bias.copy_(torch.log(rate / (1 - rate)))
    optimiser = torch.optim.AdamW(layer.parameters(), lr=learning_rate, weight_decay=weight_decay)
    steps = epochs * ((len(x) + batch_size - 1) // batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=learning_rate, total_steps=steps)
    for epoch in range(epochs):
        order = torch.randperm(len(x), generator=generator)
        total = 0.0
        for begin in range(0, len(x), batch_size):
            index = order[begin : begin + batch_size]
            loss = torch.nn.functional.binary_cross_entropy_with_logits(layer(x[index]), y[index], pos_weight=weight)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item() * len(index)
        if epoch % 10 == 9 or epoch == epochs - 1:
            logger.info("span head epoch %d: loss %.4f", epoch + 1, total / len(x))
    return layer.weight.detach().numpy().copy(), layer.bias.detach().numpy().copy()


# -- joint training: one encoder, a sentence head and a span head ----------------------------
class SentenceAndSpans(torch.nn.Module):
    """A sequence-classification model plus a linear token head on its last hidden states.

    One forward pass gives both outputs (the sentence model is asked for its hidden states), so
    the architecture of the sentence model (BERT, MPNet, RoBERTa, ...) does not matter here.
    """

    def __init__(self, sequence_model, n_span_labels: int, dropout: float = 0.1):
        super().__init__()
        self.sequence_model = sequence_model
        self.config = sequence_model.config
        self.dropout = torch.nn.Dropout(dropout)
        self.span_classifier = torch.nn.Linear(sequence_model.config.hidden_size, n_span_labels)

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, **_):
        extra = {"token_type_ids": token_type_ids} if token_type_ids is not None else {}
        out = self.sequence_model(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True,
                                  **extra)
        return {"logits": out.logits, "token_logits": self.span_classifier(self.dropout(out.hidden_states[-1]))}


class SpanTargets:
    """Token targets for tokenised sentences from the technique spans of their documents."""

    def __init__(self, spans_by_doc: dict, labels: Sequence[str]):
        self.spans_by_doc = spans_by_doc
        self.labels = list(labels)

    def __call__(self, doc_ids, span_starts, offset_mappings):
        targets, masks = [], []
        for doc_id, start, offsets in zip(doc_ids, span_starts, offset_mappings):
            known = start is not None and start >= 0
            target = token_targets(offsets, start if known else 0, self.spans_by_doc.get(doc_id, []) if known else [],
                                   self.labels)
            targets.append(target.astype(np.int8).tolist())
            masks.append([1 if known and e > s else 0 for s, e in offsets])
        return targets, masks


def token_loss(token_logits, token_target, token_mask, pos_weight):
    """Per token and technique BCE over annotated tokens (masked: special tokens, padding and
    sentences from corpora without spans add nothing)."""
    losses = torch.nn.functional.binary_cross_entropy_with_logits(
        token_logits, token_target, pos_weight=pos_weight, reduction="none").sum(-1)
    return (losses * token_mask).sum() / token_mask.sum().clamp(min=1.0)


def span_pos_weight(train_set, n_labels: int, cap: float) -> torch.Tensor:
    positives = np.zeros(n_labels)
    tokens = 0
    for target, mask in zip(train_set["token_target"], train_set["token_mask"]):
        t = np.asarray(target, dtype=np.float32).reshape(-1, n_labels)
        m = np.asarray(mask, dtype=bool)
        positives += t[m].sum(0)
        tokens += int(m.sum())
    weights = np.sqrt((tokens - positives) / np.maximum(positives, 1.0))
    return torch.tensor(np.clip(weights, 1.0, cap), dtype=torch.float32)


def probe_init(model: SentenceAndSpans, tokenizer, train, spans_by_doc: dict, labels: Sequence[str],
               max_length: int, sentences: int = 4000, seed: int = 13, pos_weight_cap: float = 2.0):
    """Fit the span head on the frozen encoder first, then train jointly ("linear probing, then
    fine-tuning", Kumar et al., ICLR 2022): a random head's large early gradients would otherwise
    pull the shared encoder away from what the sentence head needs."""
    with_spans = train.filter(lambda row: row["span_start"] >= 0)
    if not len(with_spans):
        return
    sample = with_spans.shuffle(seed=seed).select(range(min(sentences, len(with_spans))))
    sample = sample.rename_column("span_start", "start") if "start" not in sample.column_names else sample
    data = build_token_data(model.sequence_model.eval(), tokenizer, sample, spans_by_doc, labels, max_length)
    weight, bias = fit_linear_head(data.states, data.targets, epochs=20, pos_weight_cap=pos_weight_cap, seed=seed)
    with torch.no_grad():
        model.span_classifier.weight.copy_(torch.from_numpy(weight))
        model.span_classifier.bias.copy_(torch.from_numpy(bias))
    model.sequence_model.train()


# -- thresholds and evaluation -------------------------------------------------------------
SPAN_THRESHOLD_GRID = tuple(round(x, 2) for x in np.arange(0.2, 0.91, 0.05))


def per_sentence(data: TokenData, probabilities: np.ndarray):
    """Flat token rows regrouped per sentence: (real tokens' offsets, their probabilities) lists."""
    offsets = [[o for o in sentence if o[1] > o[0]] for sentence in data.offsets]
    return offsets, [probabilities[rows] for rows in data.token_rows]


def predicted_spans(sentences, offsets, probabilities, labels: Sequence[str], thresholds: np.ndarray) -> list[tuple]:
    """(doc_id, start, end, label) of every decoded span, offsets into the documents."""
    from slant.models.spans import decode_spans

    found = []
    for row, (doc_id, start, text) in enumerate(zip(sentences["doc_id"], sentences["start"], sentences["text"])):
        for span in decode_spans(probabilities[row], offsets[row], labels, thresholds, text, start):
            found.append((doc_id, span.start, span.end, span.label))
    return found


def gold_spans(sentences, spans_by_doc: dict) -> list[tuple]:
    return [(doc, s, e, label) for doc in sorted(set(sentences["doc_id"])) for label, s, e in spans_by_doc.get(doc, [])]


def tune_span_threshold(sentences, offsets, probabilities, spans_by_doc, labels) -> float:
    """One threshold for every technique: the best mean of SI and FLC F1 on validation articles
    (the spans an editor sees, and their techniques).

    One, not one per technique: per-technique cut-offs chosen on ~40 validation articles fitted
    noise and lost FLC F1 on held-out articles (0.20 -> 0.11 in the first probe). The mean, not
    FLC alone: FLC alone picks a high cut-off that finds too few spans (SI recall 0.36)."""
    from slant.models.span_metrics import fragment_classification, span_identification

    gold = gold_spans(sentences, spans_by_doc)
    scores = []
    for cut in SPAN_THRESHOLD_GRID:
        found = predicted_spans(sentences, offsets, probabilities, labels, np.full(len(labels), cut))
        si, flc = span_identification(found, gold)["f1"], fragment_classification(found, gold)["f1"]
        scores.append(((si + flc) / 2, cut, si, flc))
    best = max(scores)
    logger.info("span threshold %.2f (validation SI F1 %.3f, FLC F1 %.3f)", best[1], best[2], best[3])
    return float(best[1])


def save_tuned_span_head(classifier, head: torch.nn.Linear, validation, targets: SpanTargets, model_dir, max_length: int):
    """Tune the span threshold on the validation sentences that have spans, then write the span
    folder (`model_dir/spans`) from the classifier's encoder and `head`."""
    from slant.models.spans import SPAN_FOLDER, save_span_folder

    weight, bias = head.weight.detach().float().numpy(), head.bias.detach().float().numpy()
    rows = validation.filter(lambda row: row["span_start"] >= 0)
    rows = rows.rename_column("span_start", "start") if "start" not in rows.column_names else rows
    cut = 0.5
    if len(rows):
        data = build_token_data(classifier.model.eval(), classifier.tokenizer, rows, targets.spans_by_doc,
                                targets.labels, max_length)
        offsets, probabilities = per_sentence(data, 1.0 / (1.0 + np.exp(-(data.states @ weight.T + bias))))
        cut = tune_span_threshold(rows, offsets, probabilities, targets.spans_by_doc, targets.labels)
    save_span_folder(classifier.model, weight, bias, classifier.tokenizer, model_dir / SPAN_FOLDER, targets.labels,
                     {label: cut for label in targets.labels})


def span_report(sentences, offsets: Sequence[Sequence[tuple[int, int]]], probabilities: Sequence[np.ndarray],
                spans_by_doc: dict, labels: Sequence[str], thresholds: np.ndarray) -> dict:
    """SI, FLC (with per-technique rows) and TC on labelled documents.

    `sentences` has doc_id, start (offset in the document) and text per row; `offsets[i]` and
    `probabilities[i]` are sentence i's real tokens' offsets (relative to the sentence) and
    per-label probabilities. Gold spans are every span of the documents present."""
    from slant.models import span_metrics
    from slant.models.spans import classify_span

    found, tokens = predicted_spans(sentences, offsets, probabilities, labels, thresholds), {}
    for row, (doc_id, start) in enumerate(zip(sentences["doc_id"], sentences["start"])):
        doc = tokens.setdefault(doc_id, ([], []))
        doc[0].extend((s + start, e + start) for s, e in offsets[row])
        doc[1].append(probabilities[row])
    gold = gold_spans(sentences, spans_by_doc)
    given, truth = [], []
    for doc_id, start, end, label in gold:
        doc_offsets, doc_probabilities = tokens[doc_id]
        given.append(classify_span(np.concatenate(doc_probabilities), doc_offsets, start, end, labels))
        truth.append(label)
    return {"si": span_metrics.span_identification(found, gold),
            "flc": span_metrics.fragment_classification(found, gold),
            "tc": span_metrics.technique_classification(given, truth),
            "documents": len(tokens), "sentences": len(offsets)}


def format_span_report(report: dict, title: str = "") -> str:
    """The report as a Markdown table (per technique FLC rows after the three task scores)."""
    si, flc, tc = report["si"], report["flc"], report["tc"]
    lines = [title] if title else []
    lines += ["| task | precision | recall | F1 | spans (predicted / gold) |", "| --- | ---: | ---: | ---: | ---: |",
              f"| SI | {si['precision']:.3f} | {si['recall']:.3f} | {si['f1']:.3f} | {si['predicted']} / {si['gold']} |",
              f"| FLC | {flc['precision']:.3f} | {flc['recall']:.3f} | {flc['f1']:.3f} | "
              f"{flc['predicted']} / {flc['gold']} |",
              f"| TC (micro) | {tc['precision']:.3f} | {tc['recall']:.3f} | {tc['micro_f1']:.3f} | - / {tc['spans']} |",
              "", "| technique (FLC) | precision | recall | F1 | predicted / gold |", "| --- | ---: | ---: | ---: | ---: |"]
    for technique, row in sorted(flc["per_technique"].items(), key=lambda item: -item[1]["gold"]):
        lines.append(f"| {technique} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f} | "
                     f"{row['predicted']} / {row['gold']} |")
    return "\n".join(lines)


def require_span_head(classifier) -> None:
    """E034 for a model without a span head (before any scoring is spent on it)."""
    from slant.models.errors import SlantError

    if classifier.span_head is None:
        raise SlantError("E034", model=classifier.name)


def evaluate_spans(classifier, dataset, spans_by_doc: dict) -> dict:
    """SI, FLC and TC of `classifier`'s span head on the labelled documents of `dataset` (rows
    with doc_id, start, text), scored through the core like every other entry point."""
    require_span_head(classifier)
    _, tokens = classifier.score(list(dataset["text"]), tokens=True)
    head = classifier.span_head
    return span_report(dataset, [t.offsets for t in tokens], [t.probabilities for t in tokens], spans_by_doc,
                       list(head.labels), head.thresholds)


# -- a span head for a trained sentence model, its encoder frozen ---------------------------------
def add_span_head(model_dir, config, out_dir=None, pos_weight_cap: float = 2.0, epochs: int = 30) -> float:
    """Fit a span head on `model_dir`'s encoder, frozen, and write it to `out_dir/spans` (default:
    beside the model, `model_dir/spans`); the sentence model is not changed at all.

    Uses the recipe's (`config`) PTC training articles for the head and its validation articles
    for the threshold, so the held-out articles stay unseen. Returns the span threshold."""
    import shutil
    from pathlib import Path

    from slant.models.classifier import SlantClassifier
    from slant.models.labels import load_labels
    from slant.models.spans import SPAN_FOLDER, save_span_folder
    from slant.training import readers
    from slant.training.data import _hold_out

    label_set = load_labels()
    labels = label_set.ptc_ids
    model_dir = Path(model_dir)
    out_dir = Path(out_dir) if out_dir else model_dir
    if out_dir != model_dir:
        shutil.copytree(model_dir, out_dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns(SPAN_FOLDER))
    classifier = SlantClassifier.from_pretrained(out_dir)
    ptc = readers.read_ptc(config.data.ptc_articles, config.data.ptc_labels, label_set)
    spans_by_doc = readers.read_ptc_spans(config.data.ptc_labels, label_set)
    rest, _ = _hold_out(ptc, config.data.test_fraction, config.data.seed)
    split = readers.split_by_document(rest, config.data.validation_fraction, config.data.seed + 1)
    train = build_token_data(classifier.model, classifier.tokenizer, split["train"], spans_by_doc, labels,
                             classifier.max_length)
    weight, bias = fit_linear_head(train.states, train.targets, epochs=epochs, pos_weight_cap=pos_weight_cap,
                                   seed=config.train.seed)
    validation = build_token_data(classifier.model, classifier.tokenizer, split["test"], spans_by_doc, labels,
                                  classifier.max_length)
    offsets, probabilities = per_sentence(validation, 1.0 / (1.0 + np.exp(-(validation.states @ weight.T + bias))))
    cut = tune_span_threshold(split["test"], offsets, probabilities, spans_by_doc, labels)
    save_span_folder(classifier.model, weight, bias, classifier.tokenizer, out_dir / SPAN_FOLDER, labels,
                     {label: cut for label in labels})
    classifier.save_pretrained(out_dir)  # the sentence config now names the encoder the span head reads
    return cut


def main(argv=None) -> int:
    """`python -m slant.training.spans MODEL --config RECIPE [--out DIR]`: add a span head to a
    trained model without changing it (its encoder frozen)."""
    import argparse

    from slant.training.config import load_config

    parser = argparse.ArgumentParser(prog="python -m slant.training.spans", description=main.__doc__)
    parser.add_argument("model", help="trained Slant model folder")
    parser.add_argument("--config", required=True, help="the recipe the model was trained with (same splits)")
    parser.add_argument("--out", default=None, help="write a copy with the span head here (default: in place)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    cut = add_span_head(args.model, load_config(args.config, []), args.out)
    print(f"span head written to {args.out or args.model}/spans (threshold {cut:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
