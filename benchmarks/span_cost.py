"""What the span head costs `slant score`: the same corpus scored with and without spans.

    python benchmarks/span_cost.py                  # released model, default backend
    python benchmarks/span_cost.py --backend torch --repeats 3

Corpus: PTC's 90 unlabelled test articles (../shared/data/ptc/test-articles) as JSONL. Each
setting runs `Scorer.score_file` end to end (reading, splitting, one forward pass per batch,
writing Parquet; with spans also decoding and the spans table), alternating the two settings
`--repeats` times after one warm-up run each; the median rate is reported. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTICLES = ROOT.parent / "shared" / "data" / "ptc" / "test-articles"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model folder (default: the released model)")
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from slant.inference.batch import Scorer
    from slant.inference.sinks import read_manifest

    with tempfile.TemporaryDirectory() as work:
        corpus = Path(work) / "corpus.jsonl"
        with open(corpus, "w", encoding="utf-8") as file:
            for path in sorted(ARTICLES.glob("*.txt")):
                file.write(json.dumps({"id": path.stem, "text": path.read_text(encoding="utf-8")}) + "\n")
        scorers = {spans: Scorer.load(args.model, backend=args.backend, spans=spans) for spans in (False, True)}
        rates: dict[bool, list[float]] = {False: [], True: []}
        sentences = 0
        for run in range(args.repeats + 1):
            for spans, scorer in scorers.items():
                out = Path(work) / f"out-{spans}-{run}"
                began = time.perf_counter()
                totals = scorer.score_file(corpus, out)
                seconds = time.perf_counter() - began
                sentences = totals.sentences
                if run:  # the first round warms caches (ONNX session, tokenizer, files)
                    rates[spans].append(sentences / seconds)
                if spans and run == args.repeats:
                    span_rows = read_manifest(out).files("spans")
        without, with_spans = statistics.median(rates[False]), statistics.median(rates[True])
        print(json.dumps({
            "model": str(args.model or "released"), "backend": scorers[True].classifier.backend.name,
            "has_span_head": scorers[True].spans, "sentences": sentences, "repeats": args.repeats,
            "sentences_per_s_without_spans": round(without, 1), "sentences_per_s_with_spans": round(with_spans, 1),
            "span_cost": f"{(without / with_spans - 1) * 100:.1f} % more time per sentence",
            "span_table_parts": len(span_rows),
        }, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
