"""Paired comparison of two trained models on the recipe's held-out data, with article-bootstrap
intervals for each difference: is a release candidate better, or only different by chance?

    python benchmarks/compare_heldout.py --champion runs/B-original --challenger runs/exp-C-realnews-3ep/model \
        --config configs/ptc-minilm.yaml --out docs/release_decision.md

Both models go through the same protocol as `slant calibrate` (out-of-fold calibration and
thresholds by article on the held-out PTC articles; real-news gold dev -> test for the two new
techniques). The differences (challenger - champion) in PTC micro/macro/binary F1 and in the new
techniques' F1 on the real-news gold test get 95 % intervals from 2,000 bootstrap resamples of
whole articles, paired (both models on the same resample).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from slant.models.classifier import SlantClassifier
from slant.models.labels import load_labels
from slant.models.metrics import multilabel_report
from slant.training import calibration, release
from slant.training.config import load_config
from slant.training.data import build
from slant.training.evaluate import contexts_of

NEW = ("hedged_attribution", "official_narrative_echoing")


def heldout_flags(classifier, data, labels):
    pool, held = release.heldout_pool(data)
    targets, mask = np.asarray(pool["target"]), np.asarray(pool["mask"])
    logits = calibration.logit(classifier.predict_proba(pool["text"], contexts=contexts_of(pool, classifier)))
    _, oof = calibration.cross_fit(logits, targets, mask, pool["doc_id"], labels)
    fitted = calibration.fit(logits, targets, mask, labels)
    rn = data.realnews_test
    _, rn_flags = release.apply(fitted, classifier.predict_proba(rn["text"], contexts=contexts_of(rn, classifier)), labels)
    return (np.asarray(pool["doc_id"])[held], oof[held], targets[held] > 0.5, mask[held] > 0,
            np.asarray(rn["doc_id"]), rn_flags, np.asarray(rn["target"]) > 0.5)


def scores(ptc, rn, labels, ptc_rows, rn_rows):
    _, flags, y, m = ptc
    _, rn_flags, rn_y = rn
    report = multilabel_report((y & m)[ptc_rows], (flags & m)[ptc_rows], labels)
    out = {k: report[k] for k in ("micro_f1", "macro_f1", "binary_f1")}
    for label in NEW:
        j = labels.index(label)
        f, t = rn_flags[rn_rows, j], rn_y[rn_rows, j]
        tp, fp, fn = np.sum(f & t), np.sum(f & ~t), np.sum(~f & t)
        out[f"{label}_f1"] = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--champion", required=True)
    parser.add_argument("--challenger", required=True)
    parser.add_argument("--config", default="configs/ptc-minilm.yaml")
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()

    labels = load_labels().ids
    data = build(load_config(args.config).data, load_labels())
    runs = {}
    for role, path in (("champion", args.champion), ("challenger", args.challenger)):
        h = heldout_flags(SlantClassifier.from_pretrained(path), data, labels)
        runs[role] = ((h[0], h[1], h[2], h[3]), (h[4], h[5], h[6]))
    ptc_docs = runs["champion"][0][0]
    rn_docs = runs["champion"][1][0]
    articles = np.array(sorted(set(ptc_docs) | set(rn_docs)))
    by_article_ptc = {a: np.flatnonzero(ptc_docs == a) for a in articles}
    by_article_rn = {a: np.flatnonzero(rn_docs == a) for a in articles}
    everything = (np.arange(len(ptc_docs)), np.arange(len(rn_docs)))
    point = {role: scores(*runs[role], labels, *everything) for role in runs}
    rng = np.random.default_rng(args.seed)
    diffs = {key: [] for key in point["champion"]}
    for _ in range(args.resamples):
        sample = rng.choice(articles, size=len(articles), replace=True)
        ptc_rows = np.concatenate([by_article_ptc[a] for a in sample])
        rn_rows = np.concatenate([by_article_rn[a] for a in sample])
        a, b = (scores(*runs[r], labels, ptc_rows, rn_rows) for r in ("champion", "challenger"))
        for key in diffs:
            diffs[key].append(b[key] - a[key])
    lines = [f"Champion `{args.champion}`, challenger `{args.challenger}`. Command: `python benchmarks/compare_heldout.py "
             f"--champion {args.champion} --challenger {args.challenger} --config {args.config}`", "",
             "| measure | champion | challenger | difference | 95 % interval (article bootstrap) |",
             "| --- | ---: | ---: | ---: | --- |"]
    for key in diffs:
        low, high = np.percentile(diffs[key], [2.5, 97.5])
        lines.append(f"| {key} | {point['champion'][key]:.3f} | {point['challenger'][key]:.3f} | "
                     f"{point['challenger'][key] - point['champion'][key]:+.3f} | {low:+.3f} to {high:+.3f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
