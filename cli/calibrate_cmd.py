"""`slant calibrate --model DIR --config FILE --out DIR`: calibrate on held-out real text, choose
the reported labels, and write a release folder (tracked in MLflow)."""

from __future__ import annotations

from slant.cli._io import add_no_track


def register(commands):
    parser = commands.add_parser(
        "calibrate",
        help="calibrate a trained model on held-out real text and write a release folder",
        description="Fit per-label Platt scaling and thresholds on the recipe's held-out real text "
        "(article folds), fold them into the weights, choose the reported labels, and write "
        "OUT/model, OUT/calibration.json and OUT/reliability.png.",
    )
    parser.add_argument("--model", required=True, help="trained model folder (e.g. runs/ptc-minilm/model)")
    parser.add_argument("--config", required=True, help="the recipe it was trained with (rebuilds the same splits)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("overrides", nargs="*", metavar="section.key=value", help="override config values")
    parser.add_argument("--run-name", default=None, help="MLflow run name (default: the tracking.run_name)")
    parser.add_argument("--recipe", default="", help="one line saying how the model was trained (shown in docs/experiments.md)")
    add_no_track(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    from pathlib import Path

    from slant.models.classifier import SlantClassifier
    from slant.models.labels import load_labels
    from slant.training import release
    from slant.training.config import load_config
    from slant.training.data import build

    config = load_config(args.config, args.overrides)
    data = build(config.data, load_labels())
    classifier = SlantClassifier.from_pretrained(args.model)
    result = release.calibrate(classifier, data)
    out = Path(args.out)
    release.write(result, out)
    model_dir = release.release(classifier, result, out)
    if not args.no_track and config.tracking.enabled:
        from slant.training.tracking import log_calibration

        log_calibration(config, result, out, args.run_name or config.tracking.run_name, args.model, args.recipe)
    for name, report in result.reports.items():
        print(f"{name}: micro F1 {report['micro_f1']:.3f}, macro F1 {report['macro_f1']:.3f}, "
              f"binary F1 {report['binary_f1']:.3f} ({report['n_sentences']} sentences)")
    print(f"reported labels ({len(result.reported)}): {', '.join(result.reported)}")
    print(f"model: {model_dir}")
    return 0
