"""`slant score CORPUS --out DIR`: score every document of a corpus, resumably, locally or on Ray."""

from __future__ import annotations

import sys


def register(commands):
    parser = commands.add_parser(
        "score", help="score a corpus (JSONL, CSV, Parquet, or a folder of .txt) into per-sentence and per-document tables",
        description="Score every document of a corpus. Rerun the same command after an interruption to resume.",
    )
    parser.add_argument("input", help="a .jsonl, .csv, .tsv or .parquet file (optionally .gz), or a folder of .txt files")
    parser.add_argument("--out", required=True, help="output folder (created; resumed if it holds this run)")
    source = parser.add_argument_group("input")
    source.add_argument("--input-format", choices=("jsonl", "csv", "parquet", "txt"), default=None,
                        help="override the format guessed from the name")
    source.add_argument("--id-field", default="id", help="field holding the document id ('' = use the record number)")
    source.add_argument("--text-field", default="text", help="field holding the document text")
    source.add_argument("--max-chars", type=int, default=1_000_000, help="reject documents longer than this")
    model = parser.add_argument_group("model")
    model.add_argument("--model", default=None, help="model folder or models:/ URI (default: released model)")
    model.add_argument("--backend", choices=("torch", "onnx", "onnx-int8"), default="torch",
                       help="torch, ONNX Runtime fp32, or ONNX Runtime int8 (only once validated)")
    model.add_argument("--threshold", type=float, default=None, help="one threshold for all techniques")
    model.add_argument("--threads", type=int, default=None, help="threads per model (default: all cores; 1 per actor with Ray)")
    output = parser.add_argument_group("output")
    output.add_argument("--output-format", choices=("parquet", "jsonl"), default="parquet")
    output.add_argument("--chunk-size", type=int, default=128, help="records per committed chunk")
    output.add_argument("--overwrite", action="store_true", help="discard a different run found in --out")
    output.add_argument("--quiet", "-q", action="store_true", help="no progress output, only the summary")
    cluster = parser.add_argument_group("cluster")
    cluster.add_argument("--engine", choices=("local", "ray"), default="local")
    cluster.add_argument("--address", default=None, help="Ray cluster address (default: start a local Ray)")
    cluster.add_argument("--actors", type=int, default=None, help="Ray actors, one model each (default: cluster CPUs - 1, divided by --threads)")
    parser.set_defaults(func=run)


def run(args) -> int:
    if args.quiet:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    options = dict(input_format=args.input_format, id_field=args.id_field or None, text_field=args.text_field,
                   output_format=args.output_format, overwrite=args.overwrite)
    if args.engine == "ray":
        from slant.inference.ray_engine import score_with_ray

        totals = score_with_ray(args.input, args.out, model=args.model, backend=args.backend,
                                threshold=args.threshold, max_chars=args.max_chars, threads=args.threads,
                                address=args.address, actors=args.actors, chunk_size=args.chunk_size,
                                quiet=args.quiet, **options)
    else:
        from slant.inference.batch import Scorer

        scorer = Scorer.load(args.model, backend=args.backend, threads=args.threads, threshold=args.threshold,
                             max_chars=args.max_chars)
        totals = scorer.score_file(args.input, args.out, chunk_size=args.chunk_size,
                                   progress="off" if args.quiet else "auto", **options)
    print(totals.line())
    if not args.quiet:
        print(f"results in {args.out}/: sentences/, documents/ ({args.output_format}), rejects/ (jsonl)",
              file=sys.stderr)
    return 0
