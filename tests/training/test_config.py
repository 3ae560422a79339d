import pytest

from slant.models.errors import SlantError
from slant.training.config import load_config


@pytest.fixture
def data_files(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text('{"text": "x", "labels": []}\n')
    return [f"data.extra_files=[{data}]"]


def test_yaml_plus_overrides(tmp_path, data_files):
    path = tmp_path / "c.yaml"
    path.write_text("train:\n  epochs: 2\n  learning_rate: 5e-5\nmodel:\n  max_length: 64\n")
    config = load_config(path, data_files + ["train.epochs=3", "train.batch_size=8"])
    assert config.train.epochs == 3.0 and isinstance(config.train.epochs, float)
    assert config.train.learning_rate == 5e-5  # YAML 1.1 reads 5e-5 as a string
    assert config.train.batch_size == 8 and config.model.max_length == 64


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["train.epoch=3"], r"\[E022\] unknown config key 'train.epoch'; valid keys: .*train.epochs"),
        (["trian.epochs=3"], r"\[E022\] unknown config key 'trian'"),
        (["train.batch_size=two"], r"\[E021\] bad config value train.batch_size='two': must be an integer"),
        (["train.learning_rate=fast"], r"train.learning_rate='fast': must be a float"),
        (["data.test_fraction=1.5"], r"data.test_fraction=1.5: must be in \[0, 1\)"),
        (["train.resume=maybe"], r"train.resume='maybe': must be true or false"),
        (["epochs=3"], r"overrides look like section.key=value"),
    ],
)
def test_bad_values_are_one_line_errors(data_files, overrides, message):
    with pytest.raises(SlantError, match=message) as error:
        load_config(None, data_files + overrides)
    assert "\n" not in str(error.value)


def test_missing_data_and_paths(tmp_path):
    with pytest.raises(SlantError, match="give data.ptc_articles or data.extra_files"):
        load_config(None, [])
    with pytest.raises(SlantError, match="data.ptc_labels.*needed with data.ptc_articles"):
        load_config(None, [f"data.ptc_articles={tmp_path}"])
    with pytest.raises(SlantError, match=r"data.extra_files='.*nope.jsonl': no such file"):
        load_config(None, [f"data.extra_files=[{tmp_path / 'nope.jsonl'}]"])


def test_broken_yaml_and_missing_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("train: [unclosed\n")
    with pytest.raises(SlantError, match=r"\[E020\] bad config .*bad.yaml"):
        load_config(bad)
    with pytest.raises(SlantError, match=r"\[E004\] no such file"):
        load_config(tmp_path / "missing.yaml")


def test_cli_prints_one_line_and_exits_2(tmp_path, capsys):
    from slant.cli.main import main

    assert main(["train", "train.epoch=1", f"data.extra_files=[{tmp_path}]"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("slant train: error: [E022]") and "\n" not in err


def test_malformed_yaml_gives_line_and_column(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("model:\n  max_length: 128\ntrain:\n  epochs: [3\n  batch_size: 8\n")
    with pytest.raises(SlantError) as error:
        load_config(bad)
    message = str(error.value)
    assert message.startswith(f"[E020] bad config {bad}: line 5, column 13: ")
    assert "\n" not in message
    tabs = tmp_path / "tabs.yaml"
    tabs.write_text("train:\n\tepochs: 3\n")
    with pytest.raises(SlantError, match=r"\[E020\] bad config .*tabs.yaml: line 2, column 1: "):
        load_config(tabs)


@pytest.mark.parametrize(
    "override, message",
    [
        ("model.max_length=4", r"model.max_length=4: must be at least 8$"),
        ("train.epochs=0", r"train.epochs=0: must be greater than 0$"),
        ("data.validation_fraction=1", r"data.validation_fraction=1: must be in \(0, 1\)$"),
        ("train.threads=-1", r"train.threads=-1: must be at least 0$"),
        ("tracking.enabled=1", r"tracking.enabled=1: must be true or false$"),
        ("model.warm_start=3", r"model.warm_start=3: must be a str \(or null\)$"),
        ("data.extra_files=[1]", r"data.extra_files=\[1\]: must be a str$"),
    ],
)
def test_each_key_is_checked_against_its_one_declaration(data_files, override, message):
    with pytest.raises(SlantError, match=r"\[E021\] bad config value " + message):
        load_config(None, data_files + [override])


def test_a_config_built_in_code_is_checked_the_same_way(tmp_path):
    import dataclasses

    from slant.training.config import Config, DataArgs, TrainArgs

    data = tmp_path / "d.jsonl"
    data.write_text('{"text": "x", "labels": []}\n')
    config = Config(data=DataArgs(extra_files=[str(data)]), train=TrainArgs(batch_size=0))
    with pytest.raises(SlantError, match=r"train.batch_size=0: must be at least 1"):
        config.validate()
    assert dataclasses.replace(config, train=TrainArgs()).validate().train.batch_size == 32


def test_realnews_gold_still_needs_ptc_articles(data_files):
    with pytest.raises(SlantError, match=r"data.realnews_gold='builtin': its references point into the PTC articles"):
        load_config(None, data_files + ["data.realnews_gold=builtin"])
