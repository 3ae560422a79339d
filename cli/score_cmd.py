"""`slant score CORPUS --out DIR`: score every document of a corpus, resumably, locally or on Ray."""

from __future__ import annotations

import sys
from pathlib import Path

from slant.cli._io import add_backend, add_max_chars, add_quiet, positive, probability


def register(commands):
    parser = commands.add_parser(
        "score", help="score a corpus (JSONL, CSV, Parquet, or a folder of .txt) into per-sentence and per-document tables",
        description="Score every document of a corpus. Rerun the same command after an interruption to resume; "
        "exit status 1 when no record could be scored.",
    )
    parser.add_argument("input", help="a .jsonl, .csv, .tsv or .parquet file (optionally .gz), or a folder of .txt files")
    parser.add_argument("--out", required=True, metavar="FOLDER",
                        help="output folder (created; resumed if it holds this run; one run at a time)")
    source = parser.add_argument_group("input")
    source.add_argument("--input-format", choices=("jsonl", "csv", "parquet", "txt"), default=None,
                        help="override the format guessed from the name")
    source.add_argument("--id-field", default="id", help="field holding the document id ('' = use the record number)")
    source.add_argument("--text-field", default="text", help="field holding the document text")
    source.add_argument("--keep-fields", default=None, metavar="FIELDS",
                        help="comma-separated input fields (source, date, ...) to carry into the documents table "
                             "(default: every field but the id and the text; '' for none)")
    add_max_chars(source, 1_000_000, "longer documents are rejected (oversized)")
    source.add_argument("--any-language", action="store_true",
                        help="score documents in any language as if English (default: reject them, unsupported_language)")
    model = parser.add_argument_group("model")
    model.add_argument("--model", default=None, help="model folder or models:/ URI (default: released model)")
    add_backend(model)
    model.add_argument("--threshold", type=probability, default=None,
                       help="one threshold for all techniques, 0-1 (default: the model's tuned per-technique thresholds)")
    model.add_argument("--no-spans", dest="spans", action="store_false",
                       help="skip the technique spans table (spans/) even when the model has a span head")
    model.add_argument("--threads", type=positive, default=None,
                       help="threads per model (default: all cores; 1 per actor with Ray)")
    output = parser.add_argument_group("output")
    output.add_argument("--format", "--output-format", dest="output_format", choices=("parquet", "jsonl"),
                        default="parquet", help="format of the sentences and documents tables (default parquet; "
                        "rejects are always jsonl)")
    output.add_argument("--chunk-size", type=positive, default=128, help="records per committed chunk (default 128)")
    output.add_argument("--overwrite", action="store_true",
                        help="discard a different Slant run found in --out (never files that are not Slant's)")
    add_quiet(output, "no progress output, only the summary")
    cluster = parser.add_argument_group("cluster")
    cluster.add_argument("--engine", choices=("local", "ray"), default="local",
                         help="local (default) or ray: the same output, scored on a Ray cluster")
    cluster.add_argument("--address", default=None, help="Ray cluster address (default: start a local Ray)")
    cluster.add_argument("--actors", type=positive, default=None,
                         help="Ray actors, one model each (default: cluster CPUs - 1, divided by --threads)")
    parser.set_defaults(func=run, on_interrupt=interrupted)


def keep_fields(value: str | None):
    """--keep-fields: None (not given) keeps every field; '' keeps none; else the named ones."""
    from slant.inference.sources import ALL_FIELDS

    if value is None:
        return ALL_FIELDS
    return [name.strip() for name in value.split(",") if name.strip()]


def run(args) -> int:
    from slant.inference.sinks import preflight

    preflight(args.out, args.overwrite)  # a folder that cannot be used is refused before the model loads
    if args.quiet and "transformers" in sys.modules:  # else `main` has turned the bars off through the environment
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    options = dict(input_format=args.input_format, id_field=args.id_field or None, text_field=args.text_field,
                   output_format=args.output_format, overwrite=args.overwrite, keep_fields=keep_fields(args.keep_fields),
                   any_language=args.any_language, spans=args.spans)
    if args.engine == "ray":
        from slant.inference.ray_engine import score_with_ray

        totals = score_with_ray(args.input, args.out, model=args.model, backend=args.backend,
                                threshold=args.threshold, max_chars=args.max_chars, threads=args.threads,
                                address=args.address, actors=args.actors, chunk_size=args.chunk_size,
                                quiet=args.quiet, **options)
    else:
        from slant.inference.batch import Scorer

        scorer = Scorer.load(args.model, backend=args.backend, threads=args.threads, threshold=args.threshold,
                             max_chars=args.max_chars, any_language=options.pop("any_language"),
                             spans=options.pop("spans"))
        totals = scorer.score_file(args.input, args.out, chunk_size=args.chunk_size,
                                   progress="off" if args.quiet else "auto", **options)
    print(totals.line())
    if not totals.scored:  # nothing to read back: a failed run, whatever was written
        print(f"slant score: error: {nothing_scored(args, totals)}", file=sys.stderr)
        return 1
    if not args.quiet:
        spans = ", spans/" if (Path(args.out) / "spans").is_dir() else ""
        print(f"results in {args.out}/: sentences/, documents/{spans} ({args.output_format}), rejects/ (jsonl)",
              file=sys.stderr)
    return 0


def nothing_scored(args, totals) -> str:
    from slant.inference.sinks import read_frame
    from slant.models.errors import SlantError

    if not totals.read:
        return str(SlantError("E112", path=args.input, detail="it holds no records"))
    first = read_frame(args.out, "rejects").iloc[0]
    detail = (f"all {totals.rejected:,} were rejected, the first at {first.location} ({first.code}: {first.reason}); "
              f"every reason is in {args.out}/rejects/")
    return str(SlantError("E112", path=args.input, detail=detail))


def interrupted(args) -> str:
    """What Ctrl-C leaves behind, and how to go on."""
    from slant.inference.sinks import MANIFEST, read_manifest

    try:
        committed = read_manifest(args.out).last_record if (Path(args.out) / MANIFEST).exists() else 0
    except Exception:  # a half-made folder: the advice is the same
        committed = 0
    return (f"{committed:,} records are committed in {args.out}; run the same command again to resume "
            "from there")
