"""The registry: list versions, promote and roll back the champion alias, load `models:/slant@champion`."""

from __future__ import annotations

import json

import mlflow
import numpy as np
import pytest
from mlflow import MlflowClient

from slant.cli.main import main
from slant.models.classifier import SlantClassifier
from slant.models.errors import SlantError
from slant.training.registry import Registry

TEXTS = ["Critics say the plan is a disaster.", "The bridge opens in May."]

pytestmark = pytest.mark.integration  # every test works through an MLflow store and its registry


@pytest.fixture(scope="module")
def logged_model(tmp_path_factory, tiny_model_dir):
    """The tiny model logged once, as Slant logs models, in a store kept for this module's tests."""
    from slant.training.tracking import Tracker

    root = tmp_path_factory.mktemp("registry")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        patch.chdir(root)  # the embedded store puts artifacts in ./mlruns
        mlflow.set_tracking_uri(uri)
        with Tracker("registry-test", "tiny", "tiny-source") as tracker:
            mlflow.log_metrics({"test_micro_f1": 0.25, "test_macro_f1": 0.125})
            tracker.log_model(tiny_model_dir)
        yield MlflowClient().get_model_version("tiny-source", "1")
        mlflow.set_tracking_uri(None)


@pytest.fixture
def three_versions(logged_model, request):
    """A registered model of this test's own with three versions of the tiny model."""
    name = f"slant-{request.node.name}"
    client = MlflowClient()
    client.create_registered_model(name)
    for _ in range(3):
        client.create_model_version(name, logged_model.source, run_id=logged_model.run_id,
                                    model_id=logged_model.model_id)
    return Registry(name)


def test_promote_and_rollback_walk_the_history(three_versions):
    registry = three_versions
    assert registry.champion() is None

    assert registry.promote("1", reason="first") is None
    assert registry.promote("3") == "1"
    assert registry.promote("2") == "3"
    assert registry.champion() == "2"
    assert registry.history() == ["1", "3", "2"]
    tags = MlflowClient().get_model_version(registry.name, "1").tags
    assert tags["promotion_reason"] == "first" and "promoted_at" in tags

    assert registry.rollback() == ("2", "3")
    assert registry.rollback(reason="bad week") == ("3", "1")
    assert registry.champion() == "1"
    assert MlflowClient().get_model_version(registry.name, "3").tags["rollback_reason"] == "bad week"
    with pytest.raises(SlantError, match=rf"\[E303\] cannot roll back '{registry.name}': no champion before version 1"):
        registry.rollback()


def test_rollback_after_the_alias_was_moved_outside_slant(three_versions):
    registry = three_versions
    registry.promote("1")
    MlflowClient().set_registered_model_alias(registry.name, "champion", "3")  # e.g. in the MLflow UI
    registry.promote("2")
    assert registry.rollback() == ("2", "3")
    assert registry.rollback() == ("3", "1")


def test_errors_name_the_model_and_version(three_versions):
    registry = three_versions
    with pytest.raises(SlantError, match=rf"\[E302\] registered model '{registry.name}' has no version 9"):
        registry.promote("9")
    with pytest.raises(SlantError, match=r"\[E303\].*no @champion version"):
        registry.rollback()
    with pytest.raises(SlantError, match=r"\[E304\] no registered model 'other'"):
        Registry("other").versions()
    assert Registry("other").champion() is None


def test_champion_uri_loads_the_same_model_as_the_folder(three_versions, tiny_model_dir):
    three_versions.promote("1")
    uri = three_versions.champion_uri
    assert uri == f"models:/{three_versions.name}@champion"
    by_alias = SlantClassifier.from_pretrained(uri)
    by_folder = SlantClassifier.from_pretrained(tiny_model_dir)
    assert by_alias.name == uri
    np.testing.assert_allclose(by_alias.predict_proba(TEXTS), by_folder.predict_proba(TEXTS), atol=1e-6)
    with pytest.raises(SlantError, match=r"\[E030\] cannot load model 'models:/slant@nobody'"):
        SlantClassifier.from_pretrained("models:/slant@nobody")


def test_cli_serves_from_the_champion_alias(three_versions, tmp_path, capsys):
    three_versions.promote("1")
    draft = tmp_path / "draft.txt"
    draft.write_text(" ".join(TEXTS))
    uri = three_versions.champion_uri
    assert main(["check", str(draft), "--model", uri, "--format", "json"]) == 0
    assert f'"model": "{uri}"' in capsys.readouterr().out


def test_score_and_serve_load_the_champion_alias(three_versions, tmp_path, capsys):
    """`slant score --model models:/NAME@champion` scores a corpus; `slant serve` loads the model
    the same way (`Predictor.load`), so its app answers with the alias as the model name."""
    from fastapi.testclient import TestClient

    from slant.inference.predictor import Predictor
    from slant.inference.server import create_app

    three_versions.promote("1")
    uri = three_versions.champion_uri
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"id": f"d{i}", "text": text}) + "\n" for i, text in enumerate(TEXTS)))
    assert main(["score", str(corpus), "--out", str(tmp_path / "scores"), "--model", uri,
                 "--output-format", "jsonl", "--quiet"]) == 0
    assert (tmp_path / "scores" / "sentences").is_dir()

    client = TestClient(create_app(Predictor.load(uri)))
    body = client.post("/api/analyse", json={"text": TEXTS[0]}).json()
    assert body["model"] == uri and body["sentences"]


def test_cli_list_promote_rollback(three_versions, capsys):
    name = ["--name", three_versions.name]
    assert main(["models", "promote", "2", "--reason", "looks good", *name]) == 0
    assert f"{three_versions.champion_uri} -> version 2 (was no champion)" in capsys.readouterr().out
    assert main(["models", "promote", "1", *name]) == 0
    capsys.readouterr()

    assert main(["models", "list", *name]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["version", "aliases", "created", "run"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {"1", "2", "3"}
    assert "champion" in rows["1"] and "champion" not in rows["2"]
    assert "test micro F1 0.250" in rows["1"] and "test macro F1 0.125" in rows["1"]

    assert main(["models", "rollback", *name]) == 0
    assert "-> version 2 (rolled back from version 1)" in capsys.readouterr().out
    assert main(["models", "promote", "7", *name]) == 2
    assert "[E302]" in capsys.readouterr().err
