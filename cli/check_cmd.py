"""`slant check FILE`: a draft's sentences with their techniques and probabilities."""

from __future__ import annotations

import json


def register(commands):
    parser = commands.add_parser("check", help="label each sentence of a text (FILE or - for stdin)")
    parser.add_argument("file", help="text file to check, or - to read standard input")
    parser.add_argument("--model", default=None, help="model folder or models:/ URI (default: released model)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--threshold", type=float, default=None, help="one threshold for all techniques")
    parser.add_argument("--labels", default=None, help="comma-separated technique ids to show")
    parser.set_defaults(func=run)


def run(args) -> int:
    from slant.cli._io import read_input
    from slant.inference.predictor import Predictor

    text = read_input(args.file)
    only = [label.strip() for label in args.labels.split(",")] if args.labels else None
    predictor = Predictor.load(args.model)
    result = predictor.analyse(text, threshold=args.threshold, only=only)
    if args.format == "json":
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return 0
    for sentence in result.sentences:
        print(sentence.text)
        for label in sentence.labels:
            print(f"    {label}  {sentence.scores[label]:.2f}")
    return 0
