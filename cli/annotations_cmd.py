"""`slant annotations validate FILE...`: check annotation files before they go into retraining."""

from __future__ import annotations

import json


def register(commands):
    parser = commands.add_parser("annotations", help="check JSONL annotation files (sentence or span level)",
                                 description="Annotation files for `slant retrain`: check them before they go in.")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    validate = actions.add_parser(
        "validate", help="report every problem with its line: unknown labels, empty text, bad spans, conflicts",
        description="Report every problem with its file and line (invalid JSON, blank lines, unknown labels, "
        "empty text, bad spans, conflicting duplicates); exit status 1 when there is any.",
    )
    validate.add_argument("files", nargs="+", metavar="FILE", help="JSONL files, checked together")
    validate.add_argument("--format", choices=("text", "json"), default="text",
                          help="text (default): one problem a line; json: problems and summary as one object")
    validate.set_defaults(func=run)


def run(args) -> int:
    """Exit status 0 when every file is clean, 1 when any problem was found."""
    from slant.training.annotations import check_files

    result = check_files(args.files)
    summary = result.summary()
    if args.format == "json":
        print(json.dumps({"ok": result.ok, "problems": [str(p) for p in result.problems], "summary": summary}, indent=2))
        return 0 if result.ok else 1
    for problem in result.problems:
        print(problem)
    labels = ", ".join(f"{label} {count}" for label, count in summary["labels"].items()) or "none"
    print(f"{summary['records']} valid records ({summary['span_level']} span level) -> {summary['sentences']} "
          f"sentences ({summary['without_labels']} without labels); exact duplicates kept: {summary['exact_duplicates']}")
    print(f"labels: {labels}")
    if result.problems:
        print(f"{len(result.problems)} problem(s); fix them before retraining")
        return 1
    print("ok")
    return 0
