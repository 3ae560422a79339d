"""`slant retrain --config FILE [section.key=value ...]`: train a challenger on the previous data plus
new annotations, compare it with the champion on a fixed evaluation set, promote it if it is better."""

from __future__ import annotations


def register(commands):
    parser = commands.add_parser(
        "retrain", help="train a challenger with new annotations; promote it only if it beats the champion"
    )
    parser.add_argument("--config", default=None,
                        help="YAML config (sections model, data, train, tracking, retrain, evaluation, promotion)")
    parser.add_argument("overrides", nargs="*", metavar="section.key=value", help="override config values")
    parser.set_defaults(func=run)


def run(args) -> int:
    from slant.training.retrain import load_retrain_config, retrain

    result = retrain(load_retrain_config(args.config, args.overrides))
    print((result.output_dir / "comparison" / "comparison.md").read_text(encoding="utf-8"))
    print(f"mlflow run: {result.run_id}; challenger: version {result.model_version}; "
          f"compared with: {'version ' + result.champion_version if result.champion_version else 'no champion'}")
    print(f"decision: {result.decision}")
    print(f"report: {result.output_dir / 'comparison'}")
    return 0
