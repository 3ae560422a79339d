"""`slant evaluate --model M --data D [--labels L] [--json OUT]`: scores against labelled data."""

from __future__ import annotations

import json
from pathlib import Path


def register(commands):
    parser = commands.add_parser("evaluate", help="per-technique precision/recall/F1 on labelled data")
    parser.add_argument("--model", default=None, help="model folder or models:/ URI (default: released model)")
    parser.add_argument("--data", required=True, help="PTC articles folder, a JSONL/CSV file, or 'gold'")
    parser.add_argument("--labels", default=None, help="PTC labels: a folder of .labels files or one file")
    parser.add_argument("--held-out", type=float, default=None, metavar="FRACTION",
                        help="score only the documents a training run with this test_fraction held out")
    parser.add_argument("--seed", type=int, default=13, help="split seed, as data.seed in training")
    parser.add_argument("--json", default=None, help="write the report here as JSON")
    parser.add_argument("--no-track", action="store_true", help="do not log to MLflow")
    parser.set_defaults(func=run)


def run(args) -> int:
    from slant.models.classifier import SlantClassifier
    from slant.models.metrics import format_report
    from slant.training.evaluate import load_evaluation_data, evaluate_dataset

    dataset = load_evaluation_data(args.data, args.labels, args.held_out, args.seed)
    classifier = SlantClassifier.from_pretrained(args.model)
    report = evaluate_dataset(classifier, dataset)
    report["data"] = str(args.data)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2))
    print(format_report(report))
    if not args.no_track:
        from slant.training.tracking import Tracker

        with Tracker(run_name=f"evaluate {Path(str(args.data)).name}", registered_model=None) as tracker:
            tracker.log_config({"model": str(args.model or "released"), "data": str(args.data),
                                "labels": str(args.labels), "held_out": args.held_out, "seed": args.seed})
            from slant.training.data import digest

            tracker.log_dataset("evaluation", dataset, digest(dataset), context="evaluation")
            tracker.log_report("eval", report)
    return 0
