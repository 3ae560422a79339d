"""A `models:/name@alias` model is recorded in a run's manifest as the name, version and weights
it resolved to, so that a run can never hold the scores of two models."""

from __future__ import annotations

import json

import pytest
from fixtures.tiny import make_tiny_model, register_models

from slant.cli.main import main
from slant.inference.sinks import read_frame, read_manifest
from slant.models.encoder import model_digest
from slant.training.registry import Registry

NAME = "slant-alias-test"


@pytest.fixture
def two_versions(mlflow_local, tmp_path):
    """Versions 1 and 2 of NAME: two tiny models with different weights; @champion on 1."""
    folders = [make_tiny_model(tmp_path / f"model-{seed}", seed=seed) for seed in (0, 1)]
    assert register_models(NAME, folders) == ["1", "2"]
    Registry(NAME).promote("1")
    return folders


def files(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_moved_alias_never_mixes_two_models_into_one_run(two_versions, tmp_path, capsys):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"id": f"d{i}", "text": f"The council met on day {i}."}) + "\n"
                              for i in range(5)))
    out = tmp_path / "scores"
    command = ["score", str(corpus), "--out", str(out), "--model", f"models:/{NAME}@champion", "--quiet"]
    assert main(command) == 0
    settings = read_manifest(out).settings
    assert settings["model"] == f"models:/{NAME}@champion"
    assert (settings["registered_name"], settings["registered_version"]) == (NAME, "1")
    assert settings["weights"] == model_digest(two_versions[0]) != model_digest(two_versions[1])
    before = files(out)

    Registry(NAME).promote("2")  # the alias moves
    capsys.readouterr()
    assert main(command) == 2
    captured = capsys.readouterr()
    assert captured.err == (
        f"slant score: error: [E103] --model models:/{NAME}@champion now resolves to version 2 of '{NAME}', "
        f"but that run was scored with version 1 (finish it with --model models:/{NAME}/1); "
        f"{out} holds that earlier run: use another --out folder, or --overwrite to discard it\n")
    assert files(out) == before

    # The version it names is the same weights: accepted as the same run.
    assert main(command[:-2] + [f"models:/{NAME}/1", "--quiet"]) == 0
    assert files(out) == before
    assert read_frame(out, "documents").doc_id.tolist() == [f"d{i}" for i in range(5)]


def test_resolving_an_alias_pins_the_version(two_versions):
    from slant.models.encoder import resolve_model

    resolved = resolve_model(f"models:/{NAME}@champion")
    assert (resolved.registered_name, resolved.registered_version) == (NAME, "1")
    assert model_digest(resolved.path) == model_digest(two_versions[0])
