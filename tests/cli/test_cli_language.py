"""One command-line language: help on every command and option, one flag name per meaning, and
the training configuration declared once (shown by `slant train --print-config` and `--help`)."""

from __future__ import annotations

import argparse
import dataclasses

import pytest
import yaml

from slant.cli.main import build_parser, main


def commands(parser=None, path=("slant",)):
    """(path, parser) for the top parser and every sub-command, depth first."""
    parser = parser or build_parser()
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                assert helps.get(name), f"{' '.join(path)} {name} has no help line"
                yield from commands(sub, (*path, name))


def options(parser) -> dict[str, argparse.Action]:
    return {s: a for a in parser._actions for s in a.option_strings}


def test_every_command_and_option_has_help():
    for path, parser in commands():
        if len(path) > 1:
            assert parser.description, f"{' '.join(path)} has no description"
        for action in parser._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            assert action.help and action.help != argparse.SUPPRESS, f"{' '.join(path)} {action.option_strings or action.dest}"


def test_one_flag_name_per_meaning():
    found = {" ".join(path[1:]): options(parser) for path, parser in commands()}
    # Output formats are --format everywhere; no command keeps a --json flag.
    for command in ("check", "labels", "annotations validate", "models list", "evaluate", "score"):
        assert "--format" in found[command], command
    assert not any("--json" in opts for opts in found.values())
    # --labels means techniques, and only techniques: the PTC span files of evaluate are --ptc-labels.
    assert [c for c, opts in found.items() if "--labels" in opts] == ["check"]
    assert "--ptc-labels" in found["evaluate"]
    # Every command that logs to MLflow can be told not to, the same way.
    for command in ("train", "evaluate", "calibrate", "retrain"):
        assert "--no-track" in found[command], command
    # Progress can be silenced the same way where there is progress.
    for command in ("check", "score"):
        assert {"--quiet", "-q"} <= set(found[command]), command
    # The same limit, the same name.
    for command in ("check", "serve", "score"):
        assert "--max-chars" in found[command], command


def test_print_config_is_a_config_file_that_loads_back(tmp_path, capsys):
    from slant.training.config import Config, load_config

    assert main(["train", "--print-config", "train.epochs=2", "data.realnews_gold=builtin"]) == 0
    text = capsys.readouterr().out
    assert "  # Passes over the training data. Must be greater than 0. (number)\n  epochs: 2.0\n" in text
    assert "Real-news gold references into the PTC articles" in text
    path = tmp_path / "printed.yaml"
    path.write_text(text)
    printed = load_config(path, validate=False)
    expected = load_config(None, ["train.epochs=2", "data.realnews_gold=builtin"], validate=False)
    assert printed == expected
    assert {f.name for f in dataclasses.fields(Config)} == set(yaml.safe_load(text))


def test_train_help_lists_every_config_key(capsys):
    from slant.training.config import describe_keys

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    for name, _, _, text in describe_keys():
        assert f"  {name} (" in out and text.split(".")[0] in out, name
    assert "data.realnews_gold (text or null, default null)" in out
    assert "model.max_length (integer, default 128): Tokens per sentence; longer ones are cut. Must be at least 8." in out


def test_retrain_prints_its_config_and_refuses_no_track(capsys):
    assert main(["retrain", "--print-config"]) == 0
    sections = yaml.safe_load(capsys.readouterr().out)
    assert {"model", "data", "train", "tracking", "retrain", "evaluation", "promotion"} == set(sections)
    assert main(["retrain", "--no-track"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("slant retrain: error: [E023] bad argument --no-track=True: retraining compares")
    assert err.count("\n") == 1
