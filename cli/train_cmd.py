"""`slant train --config FILE [section.key=value ...]`: fine-tune a classifier, tracked in MLflow."""

from __future__ import annotations

import argparse

from slant.cli._io import add_no_track


def register(commands):
    from slant.training.config import help_epilog

    parser = commands.add_parser(
        "train", help="fine-tune a classifier from a config file",
        description="Fine-tune a multi-label sentence classifier as the config says, tracked in MLflow. "
        "Rerun the same command after an interruption to resume from the last checkpoint.",
        epilog=help_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", default=None, help="YAML config (sections model, data, train, tracking)")
    parser.add_argument("overrides", nargs="*", metavar="section.key=value", help="override config values")
    parser.add_argument("--print-config", action="store_true",
                        help="print the config (defaults, --config and overrides) as commented YAML and exit")
    add_no_track(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    from slant.training.config import load_config, to_yaml

    if args.print_config:  # a config to start from: checked key by key, not yet complete
        print(to_yaml(load_config(args.config, args.overrides, validate=False)), end="")
        return 0
    from slant.training.trainer import train

    config = load_config(args.config, args.overrides)
    if args.no_track or not config.tracking.enabled:
        result = train(config)
    else:
        from slant.training.tracking import Tracker

        with Tracker(config.tracking.experiment, config.tracking.run_name, config.tracking.registered_model) as tracker:
            result = train(config, tracker=tracker)
    print(f"model: {result.model_dir}")
    for name, report in result.reports.items():
        print(
            f"{name}: micro F1 {report['micro_f1']:.3f}, macro F1 {report['macro_f1']:.3f}, "
            f"binary F1 {report['binary_f1']:.3f} ({report['n_sentences']} sentences)"
        )
    if result.run_id:
        print(f"mlflow run: {result.run_id}" + (f", registered version {result.model_version}" if result.model_version else ""))
    return 0
