"""`slant check FILE`: a draft's sentences with their techniques, probabilities and trigger words."""

from __future__ import annotations

import argparse
import json
import sys


def register(commands):
    parser = commands.add_parser(
        "check",
        help="label each sentence of a text (FILE or - for stdin)",
        description="Print a draft with flagged sentences highlighted, their techniques, "
        "probabilities and the words that triggered them.",
    )
    parser.add_argument("file", help="text file to check, or - to read standard input")
    parser.add_argument("--model", default=None, help="model folder or models:/ URI (default: released model)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--threshold", type=probability, default=None,
        help="one threshold for all techniques, 0-1 (default: the model's tuned per-technique thresholds)",
    )
    parser.add_argument("--labels", default=None, help="comma-separated technique ids to show")
    parser.add_argument(
        "--all-labels", action="store_true",
        help="show every technique, also the experimental ones the model card marks as not precise enough",
    )
    parser.add_argument(
        "--color", choices=("auto", "always", "never"), default="auto",
        help="colour the text output (auto: only on a terminal, and not when NO_COLOR is set)",
    )
    parser.add_argument(
        "--no-triggers", dest="triggers", action="store_false",
        help="skip finding trigger words (faster: one model pass per sentence instead of one per word)",
    )
    parser.set_defaults(func=run)


def probability(value: str) -> float:
    """argparse type: a float in [0, 1]."""
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not 0.0 <= number <= 1.0:  # also rejects nan
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, got {value!r}")
    return number


def run(args) -> int:
    from slant.cli._io import read_input
    from slant.inference.explain import OcclusionExplainer
    from slant.inference.predictor import Predictor
    from slant.inference.render import render_document, use_color
    from slant.models.labels import load_labels

    text = read_input(args.file)
    only = [label.strip() for label in args.labels.split(",") if label.strip()] if args.labels else None
    predictor = Predictor.load(args.model)
    result = predictor.analyse(text, threshold=args.threshold, only=only, all_labels=args.all_labels)
    if args.triggers:
        OcclusionExplainer.for_classifier(predictor.classifier).explain_document(result)
    if args.format == "json":
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return 0
    names = {t.id: t.name for t in load_labels().techniques}
    sys.stdout.write(render_document(text, result, names, color=use_color(args.color, sys.stdout)))
    return 0
