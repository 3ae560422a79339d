"""Training runs arrive in MLflow: params, data digests, per-epoch and per-technique metrics,
a registered pyfunc model that scores text; in the embedded store and on a real server."""

from __future__ import annotations

import mlflow
import pandas as pd
from mlflow import MlflowClient
from test_trainer import tiny_config, toy_corpus

from slant.training.tracking import Tracker
from slant.training.trainer import train


def run_tracked(tmp_path, tiny_model_dir, name):
    data = toy_corpus(tmp_path / "toy.jsonl", n=80)
    config = tiny_config(tmp_path, tiny_model_dir, data, **{"train.max_steps": 4})
    with Tracker(experiment="slant-test", registered_model=name) as tracker:
        result = train(config, tracker=tracker)
    return result


def assert_run_complete(result, name):
    client = MlflowClient()
    run = client.get_run(result.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params["train.max_steps"] == "4"
    assert run.data.tags["data_digest.train"] == result.digests["train"]
    assert "version.torch" in run.data.tags and "git_commit" in run.data.tags
    assert "test_micro_f1" in run.data.metrics and "test_f1_hedged_attribution" in run.data.metrics
    assert client.get_metric_history(result.run_id, "eval_score"), "per-evaluation metrics are logged"
    inputs = {d.dataset.name for d in run.inputs.dataset_inputs}
    assert {"train", "validation", "test"} <= inputs
    version = client.get_model_version(name, result.model_version)
    assert version.run_id == result.run_id
    model = mlflow.pyfunc.load_model(f"models:/{name}/{result.model_version}")
    scored = model.predict(pd.DataFrame({"text": ["sources say the court delayed the treaty .", "Plain."]}))
    assert list(scored.columns[:2]) == ["labels", "loaded_language"] and len(scored) == 2
    assert scored["hedged_attribution"].between(0, 1).all()


def test_training_run_is_tracked_in_the_embedded_store(tmp_path, tiny_model_dir, mlflow_local):
    result = run_tracked(tmp_path, tiny_model_dir, "slant-local")
    assert_run_complete(result, "slant-local")


def test_training_run_arrives_on_a_real_mlflow_server(tmp_path, tiny_model_dir, mlflow_remote):
    assert mlflow.get_tracking_uri().startswith("http://127.0.0.1")
    result = run_tracked(tmp_path, tiny_model_dir, "slant-remote")
    assert_run_complete(result, "slant-remote")
