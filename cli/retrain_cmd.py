"""`slant retrain --config FILE [section.key=value ...]`: train a challenger on the previous data plus
new annotations, compare it with the champion on a fixed evaluation set, promote it if it is better."""

from __future__ import annotations

from slant.cli._io import add_no_track


def register(commands):
    parser = commands.add_parser(
        "retrain", help="train a challenger with new annotations; promote it only if it beats the champion",
        description="Train a challenger on the previous data plus new annotations, score it and the champion "
        "on one fixed evaluation set, and move the champion alias only if the promotion rule allows. "
        "Config keys: those of `slant train --help`, plus retrain.*, evaluation.* and promotion.* "
        "(`--print-config` prints them all).",
    )
    parser.add_argument("--config", default=None,
                        help="YAML config (sections model, data, train, tracking, retrain, evaluation, promotion)")
    parser.add_argument("overrides", nargs="*", metavar="section.key=value", help="override config values")
    parser.add_argument("--print-config", action="store_true",
                        help="print the config (defaults, --config and overrides) as commented YAML and exit")
    add_no_track(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    from slant.models.errors import SlantError
    from slant.training.config import load_config, to_yaml
    from slant.training.retrain import RetrainConfig, load_retrain_config, retrain

    if args.print_config:
        print(to_yaml(load_config(args.config, args.overrides, schema=RetrainConfig, validate=False)), end="")
        return 0
    if args.no_track:  # the champion, the challenger and the promotion all live in the MLflow registry
        raise SlantError("E023", name="--no-track", value=True,
                         problem="retraining compares with the registry's champion, so it is always tracked")
    result = retrain(load_retrain_config(args.config, args.overrides))
    print((result.output_dir / "comparison" / "comparison.md").read_text(encoding="utf-8"))
    print(f"mlflow run: {result.run_id}; challenger: version {result.model_version}; "
          f"compared with: {'version ' + result.champion_version if result.champion_version else 'no champion'}")
    print(f"decision: {result.decision}")
    print(f"report: {result.output_dir / 'comparison'}")
    return 0
