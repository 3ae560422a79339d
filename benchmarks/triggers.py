"""Trigger words: leave-one-word-out occlusion against gradient attributions, on speed and on
agreement with the occlusion triggers, with the released model on PTC's held-out articles.

    python benchmarks/triggers.py                          # released model, 400 flagged sentences
    python benchmarks/triggers.py --sentences 0 --json /tmp/triggers.json   # every flagged sentence

Sentences: those of the PTC articles a training run with test_fraction=0.2, seed=13 holds out,
flagged by the model with its own cut-offs for any technique (all labels, as `--all-labels`
shows them), a seeded sample of --sentences of them; every (sentence, flagged technique) pair
is explained.

Reference: occlusion on torch fp32 (what `slant check` and `slant serve` have always shown).
Methods (all through the same word selection: `min_drop` 0.2 logits, 40 % of the strongest, 3 phrases):

* occlusion on each backend (torch, onnx, onnx-int8): the same method on another runtime;
* gradient x input (`GradientExplainer(steps=1)`), on the word embeddings or on the embedding
  layer's output: one forward and one backward pass per batch of pairs;
* integrated gradients with 4 or 8 steps on the same two layers (`steps=4|8`): one pass over
  4 or 8 times the rows.

Agreement, per (sentence, technique) pair, averaged: `top-1` the method's strongest word is
occlusion's strongest word; `top-3 overlap` |top 3 ∩ top 3| / 3 of the two rankings (threshold
free); `trigger Jaccard` of the words inside the reported phrases (both empty counts 1);
`both empty` share of pairs where neither reports a trigger. Speed: seconds to explain all
pairs in one `word_effects` call (as a draft's flagged sentences are), after a warm-up, on the
threads of this machine; also per pair. The 1-minute load average before and after each timing
is printed beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "ptc"
DEFAULT_MODEL = str(ROOT / "models" / "released")


def flagged_pairs(classifier, texts: list[str], sample: int, seed: int) -> tuple[list[str], list[list[str]]]:
    """(sentences, flagged labels of each): sentences the model flags with any label, sampled."""
    flags = classifier.rule.flags(classifier.predict_proba(texts))
    chosen = [i for i in range(len(texts)) if flags[i].any()]
    if sample and len(chosen) > sample:
        chosen = sorted(np.random.default_rng(seed).choice(chosen, size=sample, replace=False).tolist())
    return [texts[i] for i in chosen], [[classifier.labels[j] for j in np.flatnonzero(flags[i])] for i in chosen]


def word_sets(explainer, sentences, labels, effects):
    """Per (sentence, label): (ranking of word indices by weight, set of words in reported phrases)."""
    out = []
    for text, wanted, effect in zip(sentences, labels, effects):
        found = explainer.triggers(text, effect, wanted)
        for label in wanted:
            column = explainer.labels.index(label)
            ranking = list(np.argsort(-effect.drops[:, column], kind="stable")) if effect.words else []
            reported = {i for i, (s, e) in enumerate(effect.words)
                        for t in found[label] if t.start <= s and e <= t.end}
            out.append((label, ranking, reported))
    return out


def agreement(reference, other, only: str | None = None) -> dict:
    top1, top3, jaccard, empty, pairs = [], [], [], [], 0
    for (label, rank_a, set_a), (_, rank_b, set_b) in zip(reference, other, strict=True):
        if only and label != only:
            continue
        pairs += 1
        if rank_a:
            top1.append(rank_a[0] == rank_b[0])
            k = min(3, len(rank_a))
            top3.append(len(set(rank_a[:k]) & set(rank_b[:k])) / k)
        jaccard.append(1.0 if not set_a and not set_b else len(set_a & set_b) / len(set_a | set_b))
        empty.append(not set_a and not set_b)

    def mean(values):
        return round(float(np.mean(values)), 3) if values else None

    return {"pairs": pairs, "top1": mean(top1), "top3_overlap": mean(top3), "trigger_jaccard": mean(jaccard),
            "both_empty": mean(empty)}


def span_row(classifier, sentences, labels, explainer, effects, reference) -> dict:
    """Spans as triggers against occlusion, over the (sentence, technique) pairs whose technique
    the span head covers: words ranked by their strongest token's span probability; the words
    inside the technique's decoded spans are the reported ones. Seconds: the forward pass that
    gives sentence scores and spans together, with decoding (the scores alone are not counted
    as extra: check and serve compute them anyway)."""
    head = classifier.span_head
    from slant.models.sentences import Span

    before, started = os.getloadavg()[0], time.perf_counter()
    _, tokens = classifier.score(sentences, tokens=True)
    decoded = head.decode(tokens, [Span(0, len(t), t) for t in sentences])
    seconds = time.perf_counter() - started
    ref, found = [], []
    n = 0
    for text, wanted, effect, scores, spans in zip(sentences, labels, effects, tokens, decoded):
        for label in wanted:
            if label in head.labels:
                j = head.labels.index(label)
                strength = [max([p[j] for (s, e), p in zip(scores.offsets, scores.probabilities) if s < we and e > ws],
                                default=0.0) for ws, we in effect.words]
                ranking = list(np.argsort(-np.asarray(strength), kind="stable")) if effect.words else []
                inside = {i for i, (ws, we) in enumerate(effect.words)
                          for sp in spans if sp.label == label and sp.start <= ws and we <= sp.end}
                ref.append(reference[n])
                found.append((label, ranking, inside))
            n += 1
    return {"seconds": seconds, "load": [round(before, 2), round(os.getloadavg()[0], 2)],
            "all": agreement(ref, found), "hedged_attribution": agreement(ref, found, "hedged_attribution")}


def timed(explainer, sentences, labels, repeats: int) -> tuple[list, float, list[float]]:
    """(effects, best seconds of `repeats` uncached runs, load average before/after)."""
    explainer.word_effects(sentences[:4], labels[:4])  # warm-up (shapes, lazy loads)
    best, effects, before = float("inf"), None, os.getloadavg()[0]
    for _ in range(repeats):
        started = time.perf_counter()
        effects = explainer.word_effects(sentences, labels)
        best = min(best, time.perf_counter() - started)
    return effects, best, [round(before, 2), round(os.getloadavg()[0], 2)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--articles", type=Path, default=SHARED / "train-articles")
    parser.add_argument("--labels", type=Path, default=SHARED / "train-labels-task-flc-tc")
    parser.add_argument("--held-out", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--sentences", type=int, default=400, help="flagged sentences sampled (0: all)")
    parser.add_argument("--repeats", type=int, default=1, help="timed runs per method (the best is kept)")
    parser.add_argument("--methods", default="occlusion-onnx,occlusion-onnx-int8,gxi-words,gxi-embeddings,"
                                             "ig4-words,ig4-embeddings,ig8-embeddings")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    import torch

    from slant.inference.explain import GradientExplainer, OcclusionExplainer
    from slant.models.backends import load_backend
    from slant.training.evaluate import load_evaluation_data

    data = load_evaluation_data(str(args.articles), str(args.labels), held_out=args.held_out, seed=args.seed)
    torch_model = load_backend(args.model, "torch")
    sentences, labels = flagged_pairs(torch_model, list(data["text"]), args.sentences, args.seed)
    n_pairs = sum(map(len, labels))
    print(f"{len(sentences)} flagged sentences, {n_pairs} (sentence, technique) pairs, from "
          f"{len(data)} held-out sentences; model {args.model}; {torch.get_num_threads()} threads", flush=True)

    reference_explainer = OcclusionExplainer.for_classifier(torch_model)
    effects, seconds, load = timed(reference_explainer, sentences, labels, args.repeats)
    effects_reference = effects
    reference = word_sets(reference_explainer, sentences, labels, effects)
    rows = {"occlusion-torch": {"seconds": seconds, "load": load, "all": agreement(reference, reference),
                                "hedged_attribution": agreement(reference, reference, "hedged_attribution")}}
    print("occlusion-torch", json.dumps(rows["occlusion-torch"]), flush=True)
    for method in [m.strip() for m in args.methods.split(",") if m.strip()]:
        if method == "spans":  # a span head's spans as trigger words, on the pairs it covers
            rows[method] = span_row(torch_model, sentences, labels, reference_explainer, effects_reference, reference)
            print(method, json.dumps(rows[method]), flush=True)
            continue
        if method.startswith("occlusion-"):
            explainer = OcclusionExplainer.for_classifier(load_backend(args.model, method[len("occlusion-"):]))
        else:
            kind, layer = method.split("-")
            steps = 1 if kind == "gxi" else int(kind[2:])
            explainer = GradientExplainer(torch_model, steps=steps, layer=layer)
        effects, seconds, load = timed(explainer, sentences, labels, args.repeats)
        found = word_sets(explainer, sentences, labels, effects)
        rows[method] = {"seconds": seconds, "load": load, "all": agreement(reference, found),
                        "hedged_attribution": agreement(reference, found, "hedged_attribution")}
        print(method, json.dumps(rows[method]), flush=True)

    print()
    print("| method | seconds (all pairs) | ms per pair | x occlusion torch | top-1 | top-3 overlap | trigger Jaccard "
          "| both empty | hedged attribution: top-1 / Jaccard | load before/after |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
    base = rows["occlusion-torch"]["seconds"]
    for method, row in rows.items():
        a, h = row["all"], row["hedged_attribution"]
        print(f"| {method} | {row['seconds']:.2f} | {1000 * row['seconds'] / n_pairs:.1f} | {base / row['seconds']:.2f} "
              f"| {a['top1']} | {a['top3_overlap']} | {a['trigger_jaccard']} | {a['both_empty']} "
              f"| {h['top1']} / {h['trigger_jaccard']} ({h['pairs']} pairs) | {row['load'][0]} / {row['load'][1]} |")
    if args.json:
        args.json.write_text(json.dumps({"sentences": len(sentences), "pairs": n_pairs, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
