"""Prevalence benchmark: does `slant report`'s correction recover the true share of each
technique in groups of held-out PTC articles better than the raw share of flagged sentences?

    python benchmarks/prevalence.py --model models/released --config configs/ptc-minilm.yaml \
        --work /tmp/prevalence-bench --json docs/prevalence.json --out docs/prevalence.md

1. The recipe's held-out PTC articles are rebuilt exactly as training holds them out
   (`split_by_document`, the config's test_fraction and seed: 74 articles, 2,952 sentences).
2. They are cut into two groups of articles (a seeded random half each, "A" and "B"), and
   written as a JSONL corpus with each PTC sentence (line) a document, its group and article
   kept as fields.
3. `slant score` scores the corpus with the model (its own splitter, so a line may become
   several sentences) and `slant report --by group` estimates each group's prevalence.
4. The truth per (group, technique) is the share of scored sentences that overlap a gold span
   of the technique. Compared: the raw share, the corrected estimate and its 95 % interval.

Three variants of the correction:

* stored: the error rates stored with the model (`heldout_confusion`), as `slant report`
  uses them. They were measured on these same 2,952 sentences (out of fold), so this variant
  is partly in-sample: it shows what a user gets, not how the method generalises;
* cross-fitted: each group is corrected with error rates counted on the other group only (the
  model's own flags against the gold labels there), so nothing is in-sample;
* articles as documents: the stored rates, but the bootstrap resamples whole articles, as it
  would for a corpus of articles (sentences of one article are not independent).

Then the same over `--splits` other random halvings, for coverage over many more pairs.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from slant.inference import prevalence as pv
from slant.inference.batch import Scorer
from slant.inference.report import build_report, read_documents
from slant.inference.rows import count_column
from slant.inference.sinks import read_frame
from slant.models.labels import load_labels
from slant.training.config import load_config
from slant.training.readers import read_ptc, read_ptc_spans, split_by_document


def held_out_lines(config) -> pd.DataFrame:
    data = config.data
    ptc = read_ptc(data.ptc_articles, data.ptc_labels)
    test = split_by_document(ptc, data.test_fraction, data.seed)["test"]
    return test.select_columns(["doc_id", "sentence_index", "start", "end", "text", "labels"]).to_pandas()


def halves(articles: list[str], seed: int) -> dict[str, str]:
    order = np.random.default_rng(seed).permutation(sorted(articles))
    cut = len(order) // 2
    return {a: ("A" if i < cut else "B") for i, a in enumerate(order)}


def sentence_truth(sentences: pd.DataFrame, lines: pd.DataFrame, spans: dict, techniques: list[str]) -> np.ndarray:
    """(sentences, techniques) bool: the scored sentence overlaps a gold span of the technique."""
    line = lines.set_index("id")
    truth = np.zeros((len(sentences), len(techniques)), dtype=bool)
    index = {t: j for j, t in enumerate(techniques)}
    for i, row in enumerate(sentences.itertuples(index=False)):
        article, offset = line.at[row.doc_id, "doc_id"], line.at[row.doc_id, "start"]
        start, end = offset + row.start, offset + row.end
        for label, s, e in spans.get(article, []):
            if label in index and s < end and e > start:
                truth[i, index[label]] = True
    return truth


def counts_from(flags: np.ndarray, truth: np.ndarray, techniques: list[str]) -> dict[str, pv.Confusion]:
    return {t: pv.Confusion(int((flags[:, j] & truth[:, j]).sum()), int((flags[:, j] & ~truth[:, j]).sum()),
                            int((~flags[:, j] & truth[:, j]).sum()), int((~flags[:, j] & ~truth[:, j]).sum()))
            for j, t in enumerate(techniques)}


def score(rows: pd.DataFrame, truth_share: dict, variant: str) -> list[dict]:
    out = []
    for row in rows.itertuples(index=False):
        true = truth_share[(row.group, row.technique)]
        corrected = row.status == pv.CORRECTED
        out.append({"variant": variant, "group": row.group, "technique": row.technique, "status": row.status,
                    "n": int(row.n), "truth": true, "raw_share": float(row.raw_share),
                    "estimate": float(row.estimate) if corrected else None,
                    "ci_low": float(row.ci_low) if corrected else None,
                    "ci_high": float(row.ci_high) if corrected else None,
                    "covered": bool(row.ci_low <= true <= row.ci_high) if corrected else None})
    return out


def summary(rows: list[dict]) -> dict:
    done = [r for r in rows if r["estimate"] is not None]
    return {"pairs": len(rows), "corrected_pairs": len(done),
            "mae_raw_corrected_pairs": float(np.mean([abs(r["raw_share"] - r["truth"]) for r in done])) if done else None,
            "mae_estimate": float(np.mean([abs(r["estimate"] - r["truth"]) for r in done])) if done else None,
            "coverage": float(np.mean([r["covered"] for r in done])) if done else None,
            "mean_interval_width": float(np.mean([r["ci_high"] - r["ci_low"] for r in done])) if done else None,
            "mae_raw_all_pairs": float(np.mean([abs(r["raw_share"] - r["truth"]) for r in rows]))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/released")
    parser.add_argument("--config", default="configs/ptc-minilm.yaml")
    parser.add_argument("--work", default="/tmp/prevalence-bench", help="scratch folder (corpus, scores, reports)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the A/B halving of the articles")
    parser.add_argument("--splits", type=int, default=50, help="further random halvings for the coverage check")
    parser.add_argument("--bootstrap", type=int, default=2000)
    parser.add_argument("--design-effect", type=float, default=pv.DEFAULT_DESIGN_EFFECT,
                        help="as `slant report --design-effect`")
    parser.add_argument("--json", default=None)
    parser.add_argument("--out", default=None, help="write the Markdown tables here")
    args = parser.parse_args()
    started = time.time()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)

    config = load_config(args.config)
    techniques = list(load_labels().ptc_ids)
    lines = held_out_lines(config)
    lines["id"] = lines["doc_id"] + "-" + lines["sentence_index"].astype(str)
    articles = sorted(set(lines["doc_id"]))
    group_of = halves(articles, args.seed)
    lines["group"] = lines["doc_id"].map(group_of)
    corpus = work / "corpus.jsonl"
    text = "".join(json.dumps({"id": row.id, "text": row.text, "group": row.group, "article": row.doc_id},
                              ensure_ascii=False) + "\n" for row in lines.itertuples(index=False))
    if not corpus.exists() or corpus.read_text(encoding="utf-8") != text:  # unchanged: the scores are reused
        corpus.write_text(text, encoding="utf-8")
    print(f"{len(articles)} held-out articles, {len(lines):,} PTC sentences; groups A/B: "
          f"{sum(v == 'A' for v in group_of.values())}/{sum(v == 'B' for v in group_of.values())} articles")

    scores = work / "scores"
    totals = Scorer.load(args.model).score_file(corpus, scores)  # reused when already complete
    print(totals.line(), f"({time.time() - started:.0f} s)")
    sentences = read_frame(scores, "sentences")[["doc_id", "start", "end", "labels"]]
    spans = read_ptc_spans(config.data.ptc_labels)
    truth = sentence_truth(sentences, lines, spans, techniques)
    flags = np.array([[t in set(ls) for t in techniques] for ls in sentences["labels"]], dtype=bool)
    sentence_group = sentences["doc_id"].map(lines.set_index("id")["group"]).to_numpy()

    def truth_shares(groups_of_sentences):
        return {(g, t): float(truth[groups_of_sentences == g, j].mean())
                for g in sorted(set(groups_of_sentences)) for j, t in enumerate(techniques)}

    truth_share = truth_shares(sentence_group)
    results = {}

    # stored error rates, as `slant report` uses them
    report = build_report(scores, by=["group"], n_boot=args.bootstrap, model=args.model,
                          design_effect=args.design_effect)
    stored = report.prevalence[report.prevalence["technique"].isin(techniques)]
    results["stored"] = score(stored, truth_share, "stored")

    # cross-fitted: A corrected with B's error rates, and B with A's
    crossed = []
    for group, other in (("A", "B"), ("B", "A")):
        rates = counts_from(flags[sentence_group == other], truth[sentence_group == other], techniques)
        path = work / f"rates-from-{other}.json"
        path.write_text(json.dumps({"unit": "sentence", "confusion": {t: c.as_dict() for t, c in rates.items()}}))
        part = build_report(scores, by=["group"], n_boot=args.bootstrap, error_rates=path,
                            design_effect=args.design_effect).prevalence
        crossed.append(part[(part["group"] == group) & part["technique"].isin(techniques)])
    results["cross-fitted"] = score(pd.concat(crossed), truth_share, "cross-fitted")

    # articles as documents (cluster bootstrap over articles), stored rates
    documents = read_documents(scores, ["n_sentences", "group", "article"] + [count_column(t) for t in techniques])
    by_article = documents.groupby("article").agg({"group": "first", "n_sentences": "sum",
                                                   **{count_column(t): "sum" for t in techniques}})
    confusions = pv.read_error_rates(args.model)
    codes = (by_article["group"] == "B").astype(int).to_numpy()
    estimates = pv.estimate_prevalence(by_article[[count_column(t) for t in techniques]].to_numpy(),
                                       by_article["n_sentences"].to_numpy(), codes, 2, techniques, confusions,
                                       n_boot=args.bootstrap, design_effect=args.design_effect)
    results["articles as documents"] = score(_frame(estimates, ["A", "B"]), truth_share, "articles as documents")

    # many halvings: the three variants again on each
    line_article = documents["article"].to_numpy()
    doc_counts = documents[[count_column(t) for t in techniques]].to_numpy()
    doc_sizes = documents["n_sentences"].to_numpy()
    article_names = by_article.index.to_numpy()
    article_counts = by_article[[count_column(t) for t in techniques]].to_numpy()
    article_sizes = by_article["n_sentences"].to_numpy()
    sentence_article = sentences["doc_id"].map(lines.set_index("id")["doc_id"]).to_numpy()
    n_boot = max(200, args.bootstrap // 4)

    def halvings(design_effect: float) -> dict[str, list[dict]]:
        repeated = {"stored": [], "cross-fitted": [], "articles as documents": []}
        for split in range(1, args.splits + 1):
            other = halves(articles, args.seed + split)
            sentence_halves = np.array([other[a] for a in sentence_article])
            shares = truth_shares(sentence_halves)
            codes = np.array([other[a] == "B" for a in line_article], dtype=int)
            estimates = pv.estimate_prevalence(doc_counts, doc_sizes, codes, 2, techniques, confusions, n_boot=n_boot,
                                               seed=split, design_effect=design_effect)
            repeated["stored"] += score(_frame(estimates, ["A", "B"]), shares, f"split {split}")
            article_codes = np.array([other[a] == "B" for a in article_names], dtype=int)
            estimates = pv.estimate_prevalence(article_counts, article_sizes, article_codes, 2, techniques, confusions,
                                               n_boot=n_boot, seed=split, design_effect=design_effect)
            repeated["articles as documents"] += score(_frame(estimates, ["A", "B"]), shares, f"split {split}")
            for g, (group, rest) in enumerate((("A", "B"), ("B", "A"))):
                rates = counts_from(flags[sentence_halves == rest], truth[sentence_halves == rest], techniques)
                estimates = pv.estimate_prevalence(doc_counts[codes == g], doc_sizes[codes == g],
                                                   np.zeros(int((codes == g).sum()), dtype=int), 1, techniques, rates,
                                                   n_boot=n_boot, seed=split, design_effect=design_effect)
                repeated["cross-fitted"] += score(_frame(estimates, [group]), shares, f"split {split}")
        return repeated

    repeated = halvings(args.design_effect)
    sweep = {}
    for design_effect in sorted({1.0, 2.0, 3.0, args.design_effect}):
        runs = repeated if design_effect == args.design_effect else halvings(design_effect)
        sweep[design_effect] = {name: summary(rows) for name, rows in runs.items()}

    # why the stored rates can mislead: how often the model flags, by the stored counts and by itself
    diagnostics = []
    for j, t in enumerate(techniques):
        stored_rates = confusions[t]
        own = counts_from(flags[:, [j]], truth[:, [j]], [t])[t]
        diagnostics.append({"technique": t, "stored_flag_rate": (stored_rates.tp + stored_rates.fp) / sum(
            stored_rates.as_dict().values()), "model_flag_rate": float(flags[:, j].mean()),
            "stored_tpr": stored_rates.tpr, "model_tpr": own.tpr, "stored_fpr": stored_rates.fpr, "model_fpr": own.fpr,
            "design_effect_tpr": design_effect_of(flags[truth[:, j], j], sentence_article[truth[:, j]]),
            "design_effect_fpr": design_effect_of(flags[~truth[:, j], j], sentence_article[~truth[:, j]])})
    summaries = {f"split {args.seed}: {name}": summary(rows) for name, rows in results.items()}
    for name, rows in repeated.items():
        summaries[f"{args.splits} more halvings: {name}"] = summary(rows)
    per_technique = {}
    for name, rows in list(results.items()) + [(f"{args.splits} halvings: {k}", v) for k, v in repeated.items()]:
        for technique in sorted({r["technique"] for r in rows if r["estimate"] is not None}):
            per_technique.setdefault(technique, {})[name] = summary([r for r in rows if r["technique"] == technique])

    table = markdown(results["stored"], results["cross-fitted"], summaries, per_technique, sweep, diagnostics)
    print(table)
    print(f"done in {time.time() - started:.0f} s")
    if args.out:
        Path(args.out).write_text(table + "\n", encoding="utf-8")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "command": "python benchmarks/prevalence.py " + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items()
                                                                     if v is not None),
            "articles": len(articles), "ptc_sentences": len(lines), "scored_sentences": int(len(sentences)),
            "summary": summaries, "per_technique": per_technique, "design_effect_sweep": sweep,
            "diagnostics": diagnostics, "pairs": results,
            "date": time.strftime("%Y-%m-%d"),
        }, indent=1) + "\n", encoding="utf-8")


def design_effect_of(flags: np.ndarray, clusters: np.ndarray) -> float | None:
    """Variance of a rate estimated from clustered units (articles) over the binomial variance."""
    if not len(flags):
        return None
    frame = pd.DataFrame({"c": clusters, "f": flags.astype(float)}).groupby("c")["f"].agg(["sum", "count"])
    n, p, k = frame["count"].sum(), flags.mean(), len(frame)
    if p in (0.0, 1.0) or k < 2:
        return None
    clustered = k / (k - 1) * ((frame["sum"] - p * frame["count"]) ** 2).sum() / n**2
    return float(clustered / (p * (1 - p) / n))


def _frame(estimates: pv.Estimates, groups: list[str]) -> pd.DataFrame:
    rows = []
    for g, group in enumerate(groups):
        for j, label in enumerate(estimates.techniques):
            rows.append({"group": group, "technique": label, "status": estimates.status[j],
                         "n": estimates.units[g], "raw_share": estimates.raw[g, j], "estimate": estimates.estimate[g, j],
                         "ci_low": estimates.low[g, j], "ci_high": estimates.high[g, j]})
    return pd.DataFrame(rows)


def markdown(stored: list[dict], crossed: list[dict], summaries: dict, per_technique: dict, sweep: dict,
             diagnostics: list[dict]) -> str:
    def pct(value):
        return "" if value is None else f"{value * 100:.1f}"

    lines = ["| variant | pairs corrected | MAE raw | MAE corrected | 95 % interval holds the truth | mean interval width |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, s in summaries.items():
        lines.append(f"| {name} | {s['corrected_pairs']} of {s['pairs']} | {pct(s['mae_raw_corrected_pairs'])} pts | "
                     f"{pct(s['mae_estimate'])} pts | {pct(s['coverage'])} % | {pct(s['mean_interval_width'])} pts |")
    names = [n for n in next(iter(per_technique.values()))] if per_technique else []
    lines += ["", "Per technique (MAE raw -> corrected, points; coverage):", "",
              "| technique | " + " | ".join(names) + " |", "| --- |" + " ---: |" * len(names)]
    for technique, by_variant in per_technique.items():
        cells = [f"{pct(v['mae_raw_corrected_pairs'])} -> {pct(v['mae_estimate'])}; {pct(v['coverage'])} %"
                 if (v := by_variant.get(n)) and v["corrected_pairs"] else "" for n in names]
        lines.append(f"| {technique} | " + " | ".join(cells) + " |")
    lines += ["", "Design effect (`--design-effect`) against coverage over the halvings:", "",
              "| design effect | stored: MAE, coverage | cross-fitted: pairs corrected, MAE, coverage | "
              "articles as documents: coverage |", "| ---: | --- | --- | --- |"]
    for d, runs in sweep.items():
        a, c, r = runs["stored"], runs["cross-fitted"], runs["articles as documents"]
        lines.append(f"| {d:g} | {pct(a['mae_estimate'])} pts, {pct(a['coverage'])} % | {c['corrected_pairs']} of "
                     f"{c['pairs']}, {pct(c['mae_estimate'])} pts, {pct(c['coverage'])} % | {pct(r['coverage'])} % |")
    lines += ["", "Stored error rates against the model's own on these sentences (flag rate, tpr, fpr), and the "
                  "design effect of its errors by article:", "",
              "| technique | flag rate stored / model | tpr stored / model | fpr stored / model | design effect tpr, fpr |",
              "| --- | --- | --- | --- | --- |"]
    for d in diagnostics:
        def f(x):
            return "" if x is None or x != x else f"{x:.3f}"

        lines.append(f"| {d['technique']} | {f(d['stored_flag_rate'])} / {f(d['model_flag_rate'])} | "
                     f"{f(d['stored_tpr'])} / {f(d['model_tpr'])} | {f(d['stored_fpr'])} / {f(d['model_fpr'])} | "
                     f"{f(d['design_effect_tpr'])}, {f(d['design_effect_fpr'])} |")
    lines += ["", "| group | technique | true % | raw % | corrected % (stored rates) | 95 % interval | "
                  "corrected % (cross-fitted) | 95 % interval |", "| --- | --- | ---: | ---: | ---: | --- | ---: | --- |"]
    other = {(r["group"], r["technique"]): r for r in crossed}
    for r in sorted(stored, key=lambda r: (r["technique"], r["group"])):
        c = other[(r["group"], r["technique"])]

        def interval(x):
            return "" if x["estimate"] is None else f"{pct(x['ci_low'])}–{pct(x['ci_high'])}{'' if x['covered'] else ' (misses)'}"

        lines.append(f"| {r['group']} | {r['technique']} | {pct(r['truth'])} | {pct(r['raw_share'])} | "
                     f"{pct(r['estimate']) or r['status']} | {interval(r)} | {pct(c['estimate']) or c['status']} | "
                     f"{interval(c)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
