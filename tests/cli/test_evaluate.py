"""`slant evaluate` honours its JSON contract on PTC folders and JSONL files."""

from __future__ import annotations

import json

from fixtures.tiny import write_ptc

from slant.cli.main import main

TEXT = "A title\n\nThe regime is a total disaster.\nThe council met on Monday.\n"


def check_contract(report: dict):
    assert set(report) >= {"micro_f1", "macro_f1", "binary_f1", "per_label"}
    assert len(report["per_label"]) == 16
    for row in report["per_label"].values():
        assert set(row) == {"precision", "recall", "f1", "support"}


def test_ptc_folder_with_combined_labels(tmp_path, tiny_model_dir, capsys):
    start = TEXT.index("total disaster")
    articles, labels = write_ptc(tmp_path, {"1": TEXT, "2": TEXT}, [("1", "Loaded_Language", start, start + 14)])
    out = tmp_path / "eval.json"
    code = main(["evaluate", "--model", str(tiny_model_dir), "--data", str(articles), "--ptc-labels", str(labels),
                 "--out", str(out), "--no-track"])
    assert code == 0
    report = json.loads(out.read_text())
    check_contract(report)
    assert report["per_label"]["loaded_language"]["support"] == 1
    # The new labels are not annotated in PTC data: no support, so outside micro/macro.
    assert report["per_label"]["hedged_attribution"]["support"] == 0
    assert "| loaded_language |" in capsys.readouterr().out


def test_jsonl_data_alone(tmp_path, tiny_model_dir):
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"text": "Sources say so.", "labels": ["hedged_attribution"]}) + "\n"
                    + json.dumps({"text": "Rain fell.", "labels": []}) + "\n")
    out = tmp_path / "eval.json"
    assert main(["evaluate", "--model", str(tiny_model_dir), "--data", str(data), "--out", str(out), "--no-track"]) == 0
    report = json.loads(out.read_text())
    check_contract(report)
    assert report["n_sentences"] == 2 and report["per_label"]["hedged_attribution"]["support"] == 1


def test_folder_without_labels_is_a_clear_error(tmp_path, tiny_model_dir, capsys):
    articles, _ = write_ptc(tmp_path, {"1": TEXT}, [])
    assert main(["evaluate", "--model", str(tiny_model_dir), "--data", str(articles), "--no-track"]) == 2
    assert "--ptc-labels" in capsys.readouterr().err


def test_evaluate_run_is_tracked(tmp_path, tiny_model_dir, mlflow_local):
    import mlflow

    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"text": "Sources say so.", "labels": ["hedged_attribution"]}) + "\n")
    assert main(["evaluate", "--model", str(tiny_model_dir), "--data", str(data)]) == 0
    runs = mlflow.search_runs(experiment_names=["slant"])
    assert len(runs) == 1 and "metrics.eval_micro_f1" in runs.columns


def test_spans_give_si_flc_and_tc_as_json_and_a_table(tmp_path, tiny_span_model_dir, capsys):
    start = TEXT.index("total disaster")
    articles, labels = write_ptc(tmp_path, {"1": TEXT, "2": TEXT}, [("1", "Loaded_Language", start, start + 14),
                                                                     ("2", "Doubt", 0, 7)])
    out = tmp_path / "eval.json"
    assert main(["evaluate", "--model", str(tiny_span_model_dir), "--backend", "torch", "--data", str(articles),
                 "--ptc-labels", str(labels), "--spans", "--out", str(out), "--no-track"]) == 0
    spans = json.loads(out.read_text())["spans"]
    assert spans["si"]["gold"] == 2 and spans["flc"]["gold"] == 2 and spans["tc"]["spans"] == 2
    for task in ("si", "flc"):
        assert 0 <= spans[task]["f1"] <= 1
    assert 0 <= spans["tc"]["micro_f1"] <= 1
    printed = capsys.readouterr().out
    assert "| SI |" in printed and "| FLC |" in printed and "| TC (micro) |" in printed


def test_spans_need_ptc_data_and_a_span_head(tmp_path, tiny_model_dir, capsys):
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"text": "Sources say so.", "labels": []}) + "\n")
    assert main(["evaluate", "--model", str(tiny_model_dir), "--data", str(data), "--spans", "--no-track"]) == 2
    assert "--spans" in capsys.readouterr().err
    articles, labels = write_ptc(tmp_path, {"1": TEXT}, [])
    assert main(["evaluate", "--model", str(tiny_model_dir), "--data", str(articles), "--ptc-labels", str(labels),
                 "--spans", "--no-track"]) == 2
    assert "E034" in capsys.readouterr().err
