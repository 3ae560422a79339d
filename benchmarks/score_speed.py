"""How fast `slant score` is on this machine, against a naive baseline, and what each fast path costs in quality.

    python benchmarks/score_speed.py                       # the released model, all paths
    python benchmarks/score_speed.py --model path/to/model --paths baseline,torch
    python benchmarks/score_speed.py --write-validation    # only (re)write models/released/int8-validation.json

`--write-validation` measures fp32 and int8 micro-F1 on the held-out PTC articles (below) and
writes the record into the model folder, where it ships with the weights and lets `--backend
auto` (the default) use int8 for exactly these weights on any machine; run it again whenever
the model's weights or thresholds change (a record for other weights is ignored, and the default
falls back to ONNX fp32).

Corpus: PTC's 90 unlabelled test articles, repeated until it holds at least --min-sentences
sentences. Paths, each run in its own process so that its peak RSS is its own:

* baseline: `transformers.pipeline("text-classification", top_k=None)` called once per document
  on that document's sentences (same splitter), the naive loop most people write first; it is
  measured on a prefix of at least --baseline-sentences sentences (it is slow) and reported as
  a rate;
* torch / onnx / onnx-int8: `Scorer.score_file` on the whole corpus as JSONL, i.e. the full
  product path: reading, splitting, batching, scoring, and writing Parquet (after loading);
* default: the command itself, `slant score CORPUS --out DIR --quiet` with no other flag, timed
  from process start to exit (imports, model load, choosing the backend, everything); it uses
  whatever backend `auto` picks for the model, and says which.

Quality: micro-F1 of every path on the PTC articles a training run with test_fraction=0.2,
seed=13 holds out (`slant evaluate --held-out 0.2`), with the model's tuned thresholds. The int8
run is recorded by `validate_int8`, which is what allows `--backend onnx-int8` when it is within
0.01 of fp32.

Efficiency: useful FLOPs per sentence = 2 x (non-embedding parameters) x (mean tokens) + the
attention products 4 x layers x tokens^2 x hidden; divided into the best path's rate and set
against the CPU's fp32 peak (cores x clock x FLOPs/cycle from its vector units) and a measured
large-GEMM rate.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "ptc"
PATHS = ("baseline", "torch", "onnx", "onnx-int8", "default")
DEFAULT_MODEL = str(ROOT / "models" / "released")


def build_corpus(articles: Path, min_sentences: int) -> tuple[list[dict], int]:
    from slant.models.sentences import split_sentences

    texts = [(p.stem, p.read_text(encoding="utf-8")) for p in sorted(articles.glob("*.txt"))]
    counts = [len(split_sentences(text)) for _, text in texts]
    docs, sentences, copy = [], 0, 0
    while sentences < min_sentences:
        for (name, text), n in zip(texts, counts):
            docs.append({"id": f"{name}-{copy}", "text": text})
            sentences += n
        copy += 1
    return docs, sentences


# -- one path, in a child process ----------------------------------------------------------
def run_baseline(model: str, docs: list[dict], min_sentences: int, threads: int) -> dict:
    import torch
    from transformers import pipeline

    from slant.models.sentences import split_sentences

    torch.set_num_threads(threads)
    classify = pipeline("text-classification", model=model, top_k=None, device="cpu")
    classify(["Warm-up sentence."])
    sentences, started = 0, time.perf_counter()
    for doc in docs:
        batch = [span.text for span in split_sentences(doc["text"])]
        classify(batch)
        sentences += len(batch)
        if sentences >= min_sentences:
            break
    return {"sentences": sentences, "seconds": time.perf_counter() - started}


def run_scorer(model: str, backend: str, corpus: Path, threads: int) -> dict:
    from slant.inference.batch import Scorer

    scorer = Scorer.load(model, backend=backend, threads=threads)
    scorer.score_texts(["Warm-up sentence."])
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        totals = scorer.score_file(corpus, Path(out) / "scores")
        seconds = time.perf_counter() - started
    return {"sentences": totals.sentences, "documents": totals.scored, "seconds": seconds}


def peak_rss_mb() -> float:
    """This process's peak RSS. Not `ru_maxrss`: Linux carries that over from the parent across
    fork and exec, so a child would report the parent's peak."""
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(args) -> int:
    if args.one == "baseline":
        docs = [json.loads(line) for line in open(args.corpus, encoding="utf-8")]
        result = run_baseline(args.model, docs, args.baseline_sentences, args.threads)
    else:
        result = run_scorer(args.model, args.one, Path(args.corpus), args.threads)
    result["peak_rss_mb"] = peak_rss_mb()
    print("RESULT " + json.dumps(result))
    return 0


def run_default_command(model: str, corpus: Path) -> dict:
    """`slant score` with no extra flag, timed as a whole process."""
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "slant.cli.main", "score", str(corpus), "--out", str(Path(out) / "scores"),
                   "--quiet"]
        if model != DEFAULT_MODEL:
            command += ["--model", model]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True,
                              env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
        seconds = time.perf_counter() - started
        if done.returncode:
            raise SystemExit(f"slant score failed:\n{done.stderr[-3000:]}")
        import pandas as pd

        manifest = json.loads((Path(out) / "scores" / "manifest.json").read_text())
        sentences = len(pd.read_parquet(Path(out) / "scores" / "sentences", columns=["doc_id"]))
    return {"sentences": sentences, "seconds": seconds, "backend": manifest["settings"]["backend"],
            "command": "slant score CORPUS --out DIR --quiet"}


def measure(path: str, args, corpus: Path) -> dict:
    if path == "default":
        result = run_default_command(args.model, corpus)
        result["peak_rss_mb"] = float("nan")
        result["sentences_per_s"] = result["sentences"] / result["seconds"]
        return result
    command = [sys.executable, __file__, "--one", path, "--corpus", str(corpus), "--model", args.model,
               "--threads", str(args.threads), "--baseline-sentences", str(args.baseline_sentences)]
    done = subprocess.run(command, capture_output=True, text=True,
                          env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        raise SystemExit(f"{path} failed:\n{done.stderr[-3000:]}")
    result = json.loads(lines[-1][len("RESULT "):])
    result["sentences_per_s"] = result["sentences"] / result["seconds"]
    return result


# -- quality ------------------------------------------------------------------------------
def held_out_data(model: str, articles: Path, labels: Path, fraction: float, seed: int):
    """(texts, targets, mask, description) of the PTC articles a training run holds out."""
    import numpy as np

    from slant.models.tokenizer import FolderConfig
    from slant.training.evaluate import load_evaluation_data

    data = load_evaluation_data(str(articles), str(labels), held_out=fraction, seed=seed)
    texts = list(data["text"])
    config = FolderConfig.from_folder(model)
    labels_of = [config.id2label[i] for i in range(config.num_labels)]
    targets = np.zeros((len(texts), len(labels_of)), dtype=int)
    index = {label: j for j, label in enumerate(labels_of)}
    for i, row in enumerate(data["labels"]):
        for label in row:
            targets[i, index[label]] = 1
    mask = np.asarray(data["mask"]) > 0 if "mask" in data.column_names else np.ones_like(targets, bool)
    articles_held_out = len(set(data["doc_id"])) if "doc_id" in data.column_names else None
    description = (f"PTC held-out {fraction:.0%} (seed {seed})"
                   + (f", {articles_held_out} articles" if articles_held_out else "") + f", {len(texts)} sentences")
    return texts, targets, mask, description


def write_validation(model: str, articles: Path, labels: Path, fraction: float, seed: int, command: str) -> int:
    """Measure fp32 and int8 on the held-out PTC articles and ship the record in the model folder."""
    from slant.models.onnx import VALIDATION_FILE, validate_int8

    texts, targets, mask, description = held_out_data(model, articles, labels, fraction, seed)
    validation = validate_int8(model, texts, targets, mask, data=description, ship=True, command=command)
    print(json.dumps(validation.as_json(), indent=2))
    print(f"wrote {Path(model) / VALIDATION_FILE}: int8 is {'allowed' if validation.passed else 'NOT allowed'} "
          f"for these weights (micro-F1 {validation.fp32_micro_f1:.4f} fp32, {validation.int8_micro_f1:.4f} int8, "
          f"delta {validation.delta:+.4f}, tolerance {validation.tolerance})")
    return 0


def held_out_quality(model: str, paths: list[str], articles: Path, labels: Path, fraction: float, seed: int) -> dict:
    from slant.models.backends import load_backend
    from slant.models.metrics import multilabel_report

    texts, targets, mask, description = held_out_data(model, articles, labels, fraction, seed)
    labels_of = load_backend(model, "torch").labels
    quality = {}
    for path in paths:
        if path in ("baseline", "default"):
            continue
        if path == "onnx-int8":
            from slant.models.onnx import validate_int8

            validation = validate_int8(model, texts, targets, mask, data=description)
            quality[path] = validation.int8_micro_f1
            continue
        classifier = load_backend(model, path)
        decided = classifier.rule.flags(classifier.predict_proba(texts)) & mask
        quality[path] = float(multilabel_report(targets, decided.astype(int), labels_of)["micro_f1"])
    quality["data"] = description
    return quality


# -- efficiency ---------------------------------------------------------------------------
def flops_per_sentence(model: str, docs: list[dict]) -> tuple[float, float]:
    """(useful FLOPs per sentence, mean tokens per sentence) for the corpus's sentences."""
    from slant.models.classifier import SlantClassifier
    from slant.models.sentences import split_sentences

    classifier = SlantClassifier.from_pretrained(model)
    config, network = classifier.model.config, classifier.model
    embedding = sum(p.numel() for n, p in network.named_parameters() if "embeddings" in n)
    dense = sum(p.numel() for p in network.parameters()) - embedding
    unique = {d["id"].rsplit("-", 1)[0]: d["text"] for d in docs}
    sentences = [s.text for text in unique.values() for s in split_sentences(text)]
    # Truncated as the scoring core truncates: to the model folder's own max length.
    lengths = [len(ids) for ids in classifier.tokenizer(sentences, truncation=True,
                                                        max_length=classifier.max_length)["input_ids"]]
    mean = sum(lengths) / len(lengths)
    attention = sum(4 * config.num_hidden_layers * n * n * config.hidden_size for n in lengths) / len(lengths)
    return 2 * dense * mean + attention, mean


def cpu_peak_gflops(threads: int) -> tuple[float, float, str]:
    """(theoretical fp32 peak, measured large-GEMM rate, description), in GFLOP/s."""
    import torch

    flags = open("/proc/cpuinfo").read()
    mhz = max(float(line.split(":")[1]) for line in flags.splitlines() if line.startswith("cpu MHz"))
    if " avx512f" in flags:
        per_cycle, units = 64, "AVX-512, 2 FMA units"
    elif " avx2" in flags and " fma" in flags:
        per_cycle, units = 32, "AVX2, 2 FMA units"
    else:
        per_cycle, units = 8, "SSE"
    theoretical = threads * mhz / 1000 * per_cycle
    torch.set_num_threads(threads)
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    a @ b
    started, repeats = time.perf_counter(), 10
    for _ in range(repeats):
        a @ b
    measured = repeats * 2 * 2048**3 / (time.perf_counter() - started) / 1e9
    return theoretical, measured, f"{threads} cores x {mhz / 1000:.2f} GHz x {per_cycle} FLOPs/cycle ({units})"


def main(argv=None) -> int:
    from slant.models.threads import available_cores

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--articles", type=Path, default=SHARED / "test-articles")
    parser.add_argument("--min-sentences", type=int, default=20_000)
    parser.add_argument("--baseline-sentences", type=int, default=2_000)
    parser.add_argument("--paths", default=",".join(PATHS))
    parser.add_argument("--threads", type=int, default=available_cores())
    parser.add_argument("--eval-articles", type=Path, default=SHARED / "train-articles")
    parser.add_argument("--eval-labels", type=Path, default=SHARED / "train-labels-task-flc-tc")
    parser.add_argument("--held-out", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--no-quality", action="store_true", help="skip the held-out micro-F1")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--write-validation", action="store_true",
                        help="only measure int8 against fp32 on the held-out PTC articles and write "
                             "int8-validation.json into the model folder (what lets the default backend use int8)")
    parser.add_argument("--one", choices=PATHS, help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        return child(args)
    if args.write_validation:
        command = "python benchmarks/score_speed.py --write-validation" + (
            f" --model {args.model}" if args.model != DEFAULT_MODEL else "")
        return write_validation(args.model, args.eval_articles, args.eval_labels, args.held_out, args.seed, command)

    paths = [p.strip() for p in args.paths.split(",") if p.strip()]
    docs, n_sentences = build_corpus(args.articles, args.min_sentences)
    print(f"corpus: {len(docs)} documents, {n_sentences} sentences ({args.articles.name} repeated); "
          f"model {args.model}; {args.threads} threads", flush=True)
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder) / "corpus.jsonl"
        with open(corpus, "w", encoding="utf-8") as file:
            for doc in docs:
                file.write(json.dumps(doc) + "\n")
        if "onnx-int8" in paths and "onnx" not in paths:
            paths.insert(paths.index("onnx-int8"), "onnx")
        quality = {} if args.no_quality else held_out_quality(
            args.model, paths, args.eval_articles, args.eval_labels, args.held_out, args.seed)
        for path in paths:
            if path == "onnx-int8" and "onnx-int8" not in quality:
                print("onnx-int8: skipped (needs a validation; run without --no-quality)")
                continue
            load_before = os.getloadavg()[0]
            results[path] = measure(path, args, corpus)
            results[path]["load_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
            print(f"{path}: {results[path]['sentences_per_s']:.1f} sentences/s, "
                  f"peak RSS {results[path]['peak_rss_mb']:.0f} MB", flush=True)

    flops, mean_tokens = flops_per_sentence(args.model, docs)
    theoretical, gemm, cpu = cpu_peak_gflops(args.threads)
    base = results.get("baseline", {}).get("sentences_per_s")
    reference = quality.get("torch")
    print()
    print("| path | sentences/s | x baseline | peak RSS (MB) | micro-F1 | delta vs torch fp32 | GFLOP/s | % of fp32 peak "
          "| load before/after |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for path, result in results.items():
        rate = result["sentences_per_s"]
        f1 = quality.get(path)
        gflops = rate * flops / 1e9
        name = f"default: `slant score`, no flags ({result['backend']}, whole process)" if path == "default" else path
        print(f"| {name} | {rate:.1f} | {rate / base if base else float('nan'):.2f} | {result['peak_rss_mb']:.0f} | "
              f"{'' if f1 is None else f'{f1:.4f}'} | "
              f"{'' if f1 is None or reference is None else f'{f1 - reference:+.4f}'} | "
              f"{gflops:.1f} | {100 * gflops / theoretical:.1f} | {result['load_1min'][0]} / {result['load_1min'][1]} |")
    print(f"\nFLOPs per sentence: {flops / 1e9:.3f} GFLOP (mean {mean_tokens:.1f} tokens); CPU fp32 peak "
          f"{theoretical:.0f} GFLOP/s ({cpu}); measured 2048^3 GEMM {gemm:.0f} GFLOP/s")
    if quality:
        print(f"quality on {quality['data']}")
    if args.json:
        args.json.write_text(json.dumps({"results": results, "quality": quality, "flops_per_sentence": flops,
                                         "mean_tokens": mean_tokens, "peak_gflops": theoretical,
                                         "gemm_gflops": gemm, "cpu": cpu, "sentences": n_sentences}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
