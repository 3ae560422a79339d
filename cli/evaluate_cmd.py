"""`slant evaluate --model M --data D [--ptc-labels L] [--out REPORT.json]`: scores against labelled data."""

from __future__ import annotations

import json
from pathlib import Path

from slant.cli._io import add_backend, add_no_track, probability


def register(commands):
    parser = commands.add_parser(
        "evaluate", help="per-technique precision/recall/F1 on labelled data",
        description="Score labelled sentences and report per-technique precision, recall and F1, "
        "plus micro, macro and binary F1 (logged to MLflow unless --no-track).",
    )
    parser.add_argument("--model", default=None, help="model folder or models:/ URI (default: released model)")
    add_backend(parser)
    parser.add_argument("--data", required=True, help="PTC articles folder, a JSONL/CSV file, or 'gold'")
    parser.add_argument("--ptc-labels", default=None, metavar="PATH",
                        help="PTC technique spans for a PTC articles folder: a folder of .labels files or one file")
    parser.add_argument("--held-out", type=probability, default=None, metavar="FRACTION",
                        help="score only the documents a training run with this test_fraction held out")
    parser.add_argument("--seed", type=int, default=13, help="split seed, as data.seed in training (default 13)")
    parser.add_argument("--spans", action="store_true",
                        help="also score the model's technique spans against the PTC spans (SI, FLC and TC, "
                             "as SemEval-2020 Task 11 and NLP4IF-2019 define them); needs a PTC articles folder")
    parser.add_argument("--out", default=None, metavar="FILE", help="also write the report here, as JSON")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text (default): a table; json: the report as one JSON object")
    add_no_track(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    from slant.models.errors import SlantError

    if Path(args.data).is_dir() and not args.ptc_labels:
        raise SlantError("E023", name="--ptc-labels", value=None, problem="needed with a PTC articles folder")
    if args.spans and not (Path(args.data).is_dir() and args.ptc_labels):
        raise SlantError("E023", name="--spans", value=str(args.data),
                         problem="span scores need PTC-format data: an articles folder and --ptc-labels")
    from slant.models.backends import load_backend
    from slant.models.metrics import format_report
    from slant.training.evaluate import evaluate_dataset, load_evaluation_data

    dataset = load_evaluation_data(args.data, args.ptc_labels, args.held_out, args.seed)
    classifier = load_backend(args.model, args.backend)
    if args.spans:
        from slant.training.spans import require_span_head

        require_span_head(classifier)
    report = evaluate_dataset(classifier, dataset)
    report["data"] = str(args.data)
    if args.spans:
        from slant.training.readers import read_ptc_spans
        from slant.training.spans import evaluate_spans, format_span_report

        report["spans"] = evaluate_spans(classifier, dataset, read_ptc_spans(args.ptc_labels))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(report, indent=2))
    if args.format == "json":
        print(json.dumps(report, indent=2))
    else:
        print(format_report(report))
        if args.spans:
            print("\n" + format_span_report(report["spans"], "Technique spans"))
    if not args.no_track:
        from slant.training.tracking import Tracker

        with Tracker(run_name=f"evaluate {Path(str(args.data)).name}", registered_model=None) as tracker:
            tracker.log_config({"model": str(args.model or "released"), "backend": args.backend, "data": str(args.data),
                                "labels": str(args.ptc_labels), "held_out": args.held_out, "seed": args.seed})
            from slant.training.data import digest

            tracker.log_dataset("evaluation", dataset, digest(dataset), context="evaluation")
            tracker.log_report("eval", report)
    return 0
