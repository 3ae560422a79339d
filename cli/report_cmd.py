"""`slant report SCORES_DIR --by FIELD --out DIR`: prevalence of each technique per group and
period, corrected for the model's known errors (see docs/reports.md)."""

from __future__ import annotations

import sys


def register(commands):
    parser = commands.add_parser(
        "report", help="how common each technique is per group (outlet, period, ...) of a scored corpus, "
                       "corrected for the model's errors, with 95%% intervals",
        description="Read a `slant score` folder and write prevalence.csv, report.json and a self-contained "
                    "report.html: per group, the share of units the model flags and the prevalence corrected "
                    "with the model's held-out error rates (adjusted classify-and-count, bootstrap intervals).",
    )
    parser.add_argument("scores", metavar="SCORES_DIR", help="an output folder of `slant score`")
    parser.add_argument("--out", required=True, help="folder for the report files (created)")
    parser.add_argument("--by", action="append", default=[], metavar="FIELD",
                        help="group by this kept input field (repeat for several; none: the whole corpus)")
    parser.add_argument("--time-field", default=None, metavar="FIELD",
                        help="kept input field holding a date (ISO 8601): adds periods to the groups")
    parser.add_argument("--freq", choices=("day", "week", "month"), default="month", help="period length (UTC)")
    parser.add_argument("--unit", choices=("sentence", "document"), default="sentence",
                        help="what a share counts: sentences, or documents with at least one flagged sentence")
    rates = parser.add_argument_group("correction")
    rates.add_argument("--model", default=None,
                       help="read the error rates from this model (default: the model that scored the corpus)")
    rates.add_argument("--error-rates", default=None, metavar="FILE",
                       help='JSON {"unit": "sentence"|"document", "confusion": {technique: {tp, fp, fn, tn}}} '
                            "measured on your own labelled data; overrides the model's")
    rates.add_argument("--min-separation", type=float, default=0.1,
                       help="correct a technique only if tpr - fpr is at least this at its 2.5%% posterior quantile")
    rates.add_argument("--design-effect", type=float, default=3.0,
                       help="count each held-out sentence as 1/this of an independent one (errors cluster by "
                            "article; 3 by default, 1 if your counts come from independent units)")
    rates.add_argument("--bootstrap", type=int, default=2000, help="bootstrap replicates for the intervals")
    rates.add_argument("--seed", type=int, default=0, help="random seed of the bootstrap")
    parser.add_argument("--reference", default=None, metavar="GROUP",
                        help="compare every group with this one (default: all pairs up to 6 groups, else the largest)")
    parser.set_defaults(func=run)


def run(args) -> int:
    from slant.inference.report import build_report, write_report

    report = build_report(args.scores, by=args.by, time_field=args.time_field, freq=args.freq, unit=args.unit,
                          model=args.model, error_rates=args.error_rates, n_boot=args.bootstrap, seed=args.seed,
                          min_separation=args.min_separation, reference=args.reference,
                          design_effect=args.design_effect)
    written = write_report(report, args.out)
    for note in report.notes:
        print(f"slant report: note: {note}", file=sys.stderr)
    statuses = dict(zip(report.prevalence["technique"], report.prevalence["status"]))
    corrected = sum(status == "corrected" for status in statuses.values())
    groups = report.prevalence["group"].nunique()
    print(f"{groups} group(s) x {len(statuses)} techniques, {corrected} corrected; "
          f"wrote {', '.join(path.name for path in written)} to {args.out}")
    return 0
