"""`slant check FILE`: a draft's sentences with their techniques, probabilities and trigger words."""

from __future__ import annotations

import json
import sys

from slant.cli._io import add_backend, add_max_chars, add_quiet, probability

# Texts of more sentences than this show progress (on stderr) while they are scored and explained.
PROGRESS_SENTENCES = 200


def register(commands):
    parser = commands.add_parser(
        "check",
        help="label each sentence of a text (FILE or - for stdin)",
        description="Print a draft with flagged sentences highlighted, their techniques, "
        "probabilities and the words that triggered them. Text that is not English is not labelled "
        "(a warning says so) unless --any-language.",
    )
    parser.add_argument("file", help="text file to check, or - to read standard input")
    parser.add_argument("--model", default=None, help="model folder or models:/ URI (default: released model)")
    add_backend(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text (default): the draft, highlighted, with notes; json: one object for scripts")
    parser.add_argument(
        "--threshold", type=probability, default=None,
        help="one threshold for all techniques, 0-1 (default: the model's tuned per-technique thresholds)",
    )
    parser.add_argument("--labels", default=None, metavar="TECHNIQUES",
                        help="comma-separated technique ids to show (`slant labels` lists them)")
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
    add_max_chars(parser, 100_000, "a longer text is refused at once (E051/E054), as by `slant serve`")
    parser.add_argument("--any-language", action="store_true",
                        help="label text in any language as if it were English (default: English only)")
    add_quiet(parser, f"no progress output (shown on stderr for texts of over {PROGRESS_SENTENCES} sentences)")
    parser.set_defaults(func=run)


def run(args) -> int:
    from slant.cli._io import read_input
    from slant.inference.inputs import check_text

    # Every check of the input comes before torch and the model load: bad input answers at once.
    text = read_input(args.file, max_chars=args.max_chars)
    check_text(text, args.max_chars, where=args.file)

    from slant.inference.explain import OcclusionExplainer
    from slant.inference.predictor import Predictor, explain_document
    from slant.inference.render import render_document, use_color
    from slant.models.labels import load_labels

    only = [label.strip() for label in args.labels.split(",") if label.strip()] if args.labels else None
    predictor = Predictor.load(args.model, backend=args.backend)
    with _Meter(args, "slant check: scoring sentences") as scoring:
        result = predictor.analyse(text, threshold=args.threshold, only=only, all_labels=args.all_labels,
                                   any_language=args.any_language, progress=scoring.update)
    if result.warning:
        print(f"slant check: warning: {result.warning}", file=sys.stderr)
    if args.triggers:
        with _Meter(args, "slant check: finding trigger words") as explaining:
            explain_document(OcclusionExplainer.for_classifier(predictor.classifier), result,
                             progress=explaining.update)
    if args.format == "json":
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return 0
    if result.warning:  # nothing was split or scored: the draft as written, and why
        from slant.inference.language import Language

        language = Language(result.language, 0.0)
        sys.stdout.write(text.rstrip("\n") + f"\n\nnot labelled: the text is in {language.name} ({language.code}), "
                         "not English\n")
        return 0
    names = {t.id: t.name for t in load_labels().techniques}
    sys.stdout.write(render_document(text, result, names, color=use_color(args.color, sys.stdout)))
    return 0


class _Meter:
    """Progress for one phase of a long check: started on the first report, only past
    PROGRESS_SENTENCES sentences, never with --quiet."""

    def __init__(self, args, description: str):
        self.quiet, self.description, self.progress = args.quiet, description, None

    def update(self, done: int, total: int):
        if self.progress is None:
            if self.quiet or total <= PROGRESS_SENTENCES:
                return
            from slant.inference.progress import Progress

            self.progress = Progress(total, unit="sentences", description=self.description, interval=10.0)
        self.progress.update(done, 0, done - self.progress.sentences)

    def __enter__(self) -> "_Meter":
        return self

    def __exit__(self, *exc):
        if self.progress is not None:
            self.progress.close()
