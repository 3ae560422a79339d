"""Retraining: config checks, the promotion rule, the comparison report, a full retrain cycle against a
real MLflow server, and reproducibility of two runs with the same seed."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
import torch
from fixtures.toy_retrain import write_jsonl, write_toy_retrain_data
from mlflow import MlflowClient

from slant.cli.main import main
from slant.models.errors import SlantError
from slant.training.compare import PromotionRule, compare, judge, plot
from slant.training.data import digest
from slant.training.evaluate import load_evaluation_data
from slant.training.retrain import load_retrain_config, retrain

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def keep_torch_threads():
    """`train.threads=1` below sets torch's global thread count; give it back after each test."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def toy(tmp_path):
    return write_toy_retrain_data(tmp_path / "data")


def overrides(tmp_path, toy, base, *extra) -> list[str]:
    """A tiny, fast retrain: the random tiny model as base encoder, single-threaded, 40 steps."""
    return [
        f"model.base_encoder={base}", "model.max_length=32",
        f"data.extra_files=[{toy['previous']}]", "data.gold_file=", "data.weak_labels=false",
        "data.test_fraction=0", "data.validation_fraction=0.25",
        "train.max_steps=40", "train.batch_size=16", "train.learning_rate=0.003",
        "train.freeze_embeddings=false", "train.threads=1", f"train.output_dir={tmp_path / 'runs'}",
        f"retrain.annotations=[{toy['annotations']}]", f"evaluation.data={toy['evaluation']}",
        "promotion.min_support=5", *extra,
    ]


# -- config ------------------------------------------------------------------------------
def test_example_config_is_valid(tmp_path, toy):
    config = load_retrain_config(REPO / "configs" / "retrain-example.yaml", [
        f"data.ptc_articles={tmp_path}", f"data.ptc_labels={toy['previous']}",
        f"retrain.annotations=[{toy['annotations']}]", f"evaluation.data={tmp_path}", f"evaluation.labels={toy['previous']}",
    ])
    assert config.retrain.init == "champion" and config.evaluation.held_out == 0.2
    assert config.promotion == PromotionRule(micro_f1_tolerance=0.0, max_technique_drop=0.05, min_support=20)


@pytest.mark.parametrize("override, message", [
    ("retrain.init=scratch", r"\[E021\] bad config value retrain.init='scratch': must be one of champion, base"),
    ("retrain.annotations=[]", r"\[E021\] bad config value retrain.annotations=\[\]: give at least one"),
    ("retrain.annotations=[nowhere.jsonl]", r"retrain.annotations='nowhere.jsonl': no such file"),
    ("tracking.registered_model=", r"tracking.registered_model=None: retraining needs"),
    ("evaluation.data=missing.jsonl", r"evaluation.data='missing.jsonl': no such file or folder"),
    ("evaluation.held_out=1", r"evaluation.held_out=1.0: must be in \[0, 1\)"),
    ("promotion.max_technique_drop=-0.1", r"promotion.max_technique_drop=-0.1: must be in \[0, 1\]"),
    ("promotion.min_supprt=3", r"\[E022\] unknown config key 'promotion.min_supprt'"),
])
def test_config_errors_are_one_line(tmp_path, toy, override, message):
    with pytest.raises(SlantError, match=message):
        load_retrain_config(None, overrides(tmp_path, toy, tmp_path) + [override])


# -- the promotion rule and the report ------------------------------------------------------
def report(micro: float, f1: dict[str, tuple[float, int]]) -> dict:
    per_label = {label: {"precision": 0.0, "recall": 0.0, "f1": value, "support": support}
                 for label, (value, support) in f1.items()}
    return {"micro_f1": micro, "macro_f1": micro, "binary_f1": micro, "n_sentences": 100, "per_label": per_label}


def test_promotion_rule():
    rule = PromotionRule(micro_f1_tolerance=0.0, max_technique_drop=0.05, min_support=20)
    champion = report(0.60, {"doubt": (0.50, 40), "slogans": (0.80, 5), "repetition": (0.0, 0)})

    same = judge(compare(champion, champion), rule)
    assert same.promote and same.reasons[0] == "micro F1 0.600 -> 0.600 (+0.000)"
    assert "none of the 1 techniques with support >= 20" in same.reasons[1]

    worse_micro = judge(compare(report(0.59, {"doubt": (0.6, 40), "slogans": (0.8, 5), "repetition": (0, 0)}), champion), rule)
    assert not worse_micro.promote
    assert worse_micro.reasons == ("micro F1 fell 0.600 -> 0.590 (-0.010), beyond the tolerance of 0",)

    # Micro F1 improves, but a well-supported technique falls by more than the margin.
    worse_doubt = judge(compare(report(0.70, {"doubt": (0.40, 40), "slogans": (0.8, 5), "repetition": (0, 0)}), champion), rule)
    assert not worse_doubt.promote
    assert worse_doubt.reasons == ("doubt F1 fell 0.500 -> 0.400 (-0.100, support 40), beyond the margin of 0.05",)
    assert str(worse_doubt).startswith("keep the champion: doubt F1 fell")

    # A technique below min_support may fall freely; a drop within the margin is fine.
    small = judge(compare(report(0.61, {"doubt": (0.46, 40), "slogans": (0.1, 5), "repetition": (0, 0)}), champion), rule)
    assert small.promote

    tolerant = PromotionRule(micro_f1_tolerance=0.02, max_technique_drop=0.05, min_support=20)
    assert judge(compare(report(0.59, {"doubt": (0.5, 40), "slogans": (0.8, 5), "repetition": (0, 0)}), champion), tolerant).promote
    demanding = PromotionRule(micro_f1_tolerance=-0.05)
    verdict = judge(compare(report(0.62, {"doubt": (0.5, 40), "slogans": (0.8, 5), "repetition": (0, 0)}), champion), demanding)
    assert verdict.reasons == ("micro F1 0.600 -> 0.620 (+0.020) did not gain the required 0.05",)

    first = judge(compare(champion, None), rule)
    assert first.promote and first.reasons == ("there is no champion yet",)


def test_a_refused_drop_shows_enough_digits_to_be_seen():
    """A drop smaller than 0.0005 once read "0.141 -> 0.141 (-0.000)": refused for no visible reason."""
    rule = PromotionRule(micro_f1_tolerance=0.0)
    champion = report(0.14103, {"doubt": (0.5, 40)})
    verdict = judge(compare(report(0.14098, {"doubt": (0.5, 40)}), champion), rule)
    assert verdict.reasons == ("micro F1 fell 0.14103 -> 0.14098 (-0.00005), beyond the tolerance of 0",)
    drop = judge(compare(report(0.2, {"doubt": (0.43211, 40)}), report(0.2, {"doubt": (0.5, 40)})),
                 PromotionRule(max_technique_drop=0.0678))
    assert drop.reasons == ("doubt F1 fell 0.5000 -> 0.4321 (-0.0679, support 40), beyond the margin of 0.0678",)


def test_comparison_table_and_chart(tmp_path):
    champion = report(0.60, {"doubt": (0.50, 40), "slogans": (0.80, 5), "repetition": (0.0, 0)})
    challenger = report(0.65, {"doubt": (0.55, 40), "slogans": (0.70, 5), "repetition": (0.0, 0)})
    comparison = compare(challenger, champion, evaluation_digest="abc123")
    table = comparison.to_markdown("v1", "v2")
    assert "| technique | support | v1 F1 | v2 F1 | change |" in table
    assert "| doubt | 40 | 0.500 | 0.550 | +0.050 |" in table
    assert "| slogans | 5 | 0.800 | 0.700 | -0.100 |" in table
    assert "not compared): repetition." in table and "`abc123`" in table
    png = plot(comparison, tmp_path / "chart.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    assert comparison.to_dict()["techniques"][0] == {
        "label": "doubt", "support": 40, "champion_f1": 0.5, "challenger_f1": 0.55, "delta": pytest.approx(0.05)}


# -- failures before any training ------------------------------------------------------------
def test_bad_annotations_stop_the_run_before_training(tmp_path, toy, tiny_model_dir, mlflow_local, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"text": "fine.", "labels": []}, {"text": "x", "labels": ["nope"]}])
    config = load_retrain_config(None, overrides(tmp_path, toy, tiny_model_dir, f"retrain.annotations=[{bad}]",
                                                 "retrain.init=base"))
    with pytest.raises(SlantError, match=rf"\[E300\] 1 problem\(s\).*first: {bad}:2: unknown label 'nope'"):
        retrain(config)
    assert mlflow.search_runs(search_all_experiments=True).empty


def test_annotations_from_the_evaluation_set_are_refused(tmp_path, toy, tiny_model_dir, mlflow_local, monkeypatch):
    monkeypatch.chdir(tmp_path)
    leaking = write_jsonl(tmp_path / "leak.jsonl", [json.loads(toy["evaluation"].read_text().splitlines()[3])])
    config = load_retrain_config(None, overrides(tmp_path, toy, tiny_model_dir, f"retrain.annotations=[{leaking}]",
                                                 "retrain.init=base"))
    with pytest.raises(SlantError, match=r"\[E306\] 1 annotated sentence\(s\) are also in the evaluation set"):
        retrain(config)


def test_warm_start_needs_a_champion(tmp_path, toy, tiny_model_dir, mlflow_local, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_retrain_config(None, overrides(tmp_path, toy, tiny_model_dir, "retrain.init=champion"))
    with pytest.raises(SlantError, match=r"\[E301\] registered model 'slant' has no @champion version"):
        retrain(config)


# -- full cycles ----------------------------------------------------------------------------
def test_retrain_cycle_against_a_real_tracking_server(tmp_path, toy, tiny_model_dir, mlflow_remote, capsys):
    """First retrain: no champion, so the challenger is promoted. Second (CLI, warm start from the
    champion, a rule that demands a gain): the champion is kept and the run says why."""
    name = "slant-server-test"
    common = overrides(tmp_path, toy, tiny_model_dir, f"tracking.registered_model={name}",
                       "tracking.experiment=retrain-server-test")
    client = MlflowClient()

    first = retrain(load_retrain_config(None, common + ["retrain.init=base"]))
    assert mlflow.get_tracking_uri().startswith("http://127.0.0.1:")
    assert first.promoted and first.champion_version is None
    assert client.get_model_version_by_alias(name, "champion").version == first.model_version

    assert main(["retrain", *common, "retrain.init=champion", "promotion.micro_f1_tolerance=-1"]) == 0
    out = capsys.readouterr().out
    assert f"compared with: version {first.model_version}" in out
    assert "decision: keep the champion: micro F1" in out and "did not gain the required 1" in out
    assert client.get_model_version_by_alias(name, "champion").version == first.model_version

    second = client.get_model_version(name, str(int(first.model_version) + 1))
    assert second.tags["retrain.decision"].startswith("keep the champion")
    run = client.get_run(second.run_id)
    tags = run.data.tags
    assert tags["retrain.decision"] == "kept champion" and tags["retrain.init"] == "champion"
    assert tags["retrain.champion_version"] == first.model_version
    # Reproducibility: package versions and the git commit are on the run.
    for package in ("torch", "transformers", "mlflow", "datasets"):
        assert tags[f"version.{package}"]
    if (REPO / ".git").exists():
        assert len(tags["git_commit"].removesuffix("-dirty")) == 40

    # The fixed evaluation set is a dataset input, with the digest of what was scored.
    expected = digest(load_evaluation_data(str(toy["evaluation"])))
    inputs = {d.dataset.name: d.dataset.digest for d in run.inputs.dataset_inputs}
    assert inputs["evaluation"] == expected and "annotations" in inputs and "train" in inputs
    assert second.tags["eval.digest"] == expected

    # The comparison report, side by side with a chart, and both models' scores as metrics.
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "comparison")}
    assert artifacts == {"comparison/comparison.md", "comparison/comparison.json", "comparison/comparison.png"}
    local = Path(mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="comparison"))
    summary = json.loads((local / "comparison.json").read_text())
    assert summary["decision"]["promote"] is False
    assert summary["champion_version"] == first.model_version
    assert [row["label"] for row in summary["techniques"]] == ["loaded_language", "flag_waving", "hedged_attribution"]
    assert all(row["support"] == 10 for row in summary["techniques"])
    assert "| **micro F1** | 40 |" in (local / "comparison.md").read_text()
    metrics = run.data.metrics
    assert {"challenger_micro_f1", "champion_micro_f1", "challenger_f1_flag_waving"} <= set(metrics)

    # `slant models list` shows both versions, the alias and the evaluation scores.
    assert main(["models", "list", "--name", name]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:]}
    assert "champion" in rows[first.model_version] and "champion" not in rows[second.version]
    assert f"on eval {expected}" in rows[second.version]


def test_same_seed_and_data_give_the_same_metrics(tmp_path, toy, tiny_model_dir, mlflow_local, monkeypatch):
    """Two retrains from the base encoder: the second meets the first as champion on the same set,
    and every score and probability agrees."""
    monkeypatch.chdir(tmp_path)
    config = overrides(tmp_path, toy, tiny_model_dir, "retrain.init=base")
    first = retrain(load_retrain_config(None, config))
    second = retrain(load_retrain_config(None, config))

    assert second.champion_version == first.model_version
    a, b = first.comparison.challenger, second.comparison.challenger
    for key in ("micro_f1", "macro_f1", "binary_f1"):
        assert b[key] == pytest.approx(a[key], abs=1e-6)
        assert second.comparison.champion[key] == pytest.approx(a[key], abs=1e-6)
    for label in a["per_label"]:
        assert b["per_label"][label]["f1"] == pytest.approx(a["per_label"][label]["f1"], abs=1e-6)
    assert all(abs(row.delta) < 1e-6 for row in second.comparison.rows)

    def probabilities(result):
        path = mlflow.artifacts.download_artifacts(run_id=result.run_id, artifact_path="predictions/challenger.jsonl")
        frame = pd.read_json(path, lines=True)
        return frame[[c for c in frame.columns if c.startswith("p_")]].to_numpy()

    np.testing.assert_allclose(probabilities(first), probabilities(second), atol=1e-6)
    assert second.promoted  # equal is not worse
