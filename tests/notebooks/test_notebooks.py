"""The notebooks are stored clean and run top to bottom on tiny data (papermill, kernel `python3`).

A notebook that raises fails its test. The kernel is the `python3` kernel spec of the environment
running the tests (`python -m ipykernel install --sys-prefix` provides it).
"""

from __future__ import annotations

from pathlib import Path

import mlflow
import nbformat
import pytest

from fixtures.tiny import write_ptc
from fixtures.toy_retrain import write_toy_retrain_data

papermill = pytest.importorskip("papermill")

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NAMES = ["01_corpus", "02_error_analysis", "03_thresholds", "04_prevalence"]


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_stored_without_outputs_and_with_a_parameters_cell(name):
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(not cell.outputs and cell.execution_count is None for cell in code)
    tagged = [cell for cell in code if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1 and code.index(tagged[0]) == 0


def execute(name: str, folder: Path, **parameters) -> nbformat.NotebookNode:
    output = folder / f"{name}.out.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOKS / f"{name}.ipynb"), str(output), parameters=parameters, kernel_name="python3",
        cwd=str(folder), progress_bar=False, execution_timeout=300,
    )
    return nbformat.read(output, as_version=4)


def texts(notebook) -> str:
    """All text the notebook printed or displayed."""
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.append(output.get("data", {}).get("text/plain", ""))
            parts.append(output.get("data", {}).get("text/markdown", ""))
    return "\n".join(parts)


def images(notebook) -> int:
    return sum("image/png" in output.get("data", {}) for cell in notebook.cells for output in cell.get("outputs", []))


@pytest.mark.integration
def test_corpus_notebook(tmp_path):
    articles, labels = write_ptc(
        tmp_path / "ptc",
        {
            "1": "The plan is a total disaster.\nEveryone agrees it must stop.\n\nWe love our great nation.\n",
            "2": "The bridge opens in May.\nThe council met on Monday.\n",
        },
        [("1", "Loaded_Language", 12, 28), ("1", "Bandwagon,Reductio_ad_hitlerum", 30, 59),
         ("1", "Flag-Waving", 61, 85), ("1", "Loaded_Language", 61, 85)],
    )
    notebook = execute("01_corpus", tmp_path, articles_dir=str(articles), labels_path=str(labels),
                       examples_per_technique=2)
    out = texts(notebook)
    assert "2 articles, 5 sentences, 60.0% with at least one technique" in out
    assert "We love our great nation." in out  # an example of flag_waving
    assert images(notebook) == 3  # distribution, co-occurrence, lengths


@pytest.fixture(scope="module")
def retrain_run(tmp_path_factory, tiny_model_dir):
    """One tiny `slant retrain` run whose challenger met a champion: (tracking URI, run id)."""
    from slant.training.retrain import load_retrain_config, retrain

    root = tmp_path_factory.mktemp("notebook-run")
    toy = write_toy_retrain_data(root / "data")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        patch.chdir(root)
        mlflow.set_tracking_uri(uri)
        overrides = [
            f"model.base_encoder={tiny_model_dir}", "model.max_length=32",
            f"data.extra_files=[{toy['previous']}]", "data.gold_file=", "data.weak_labels=false",
            "data.test_fraction=0", "train.max_steps=20", "train.batch_size=16", "train.threads=1",
            f"train.output_dir={root / 'runs'}", f"retrain.annotations=[{toy['annotations']}]",
            f"evaluation.data={toy['evaluation']}", "retrain.init=base",
        ]
        import torch

        threads = torch.get_num_threads()
        retrain(load_retrain_config(None, overrides))
        result = retrain(load_retrain_config(None, overrides))
        torch.set_num_threads(threads)
        yield uri, result.run_id
        mlflow.set_tracking_uri(None)


@pytest.mark.integration
@pytest.mark.parametrize("model", ["challenger", "champion"])
def test_error_analysis_notebook(tmp_path, retrain_run, model):
    uri, run_id = retrain_run
    notebook = execute("02_error_analysis", tmp_path, run_id=run_id, tracking_uri=uri, model=model, top_k=5)
    out = texts(notebook)
    assert f"run {run_id} (retrain), {model}: 40 evaluation sentences" in out
    assert "micro F1" in out and "hedged_attribution" in out
    assert "most confident false positives" in out and "most confident false negatives" in out


@pytest.mark.integration
def test_thresholds_notebook(tmp_path, retrain_run):
    uri, run_id = retrain_run
    notebook = execute("03_thresholds", tmp_path, run_id=run_id, tracking_uri=uri)
    out = texts(notebook)
    assert "average_precision" in out and "flag_waving" in out
    assert "not drawn (fewer than 1 annotated positives): name_calling_labeling" in out
    assert images(notebook) == 1


@pytest.mark.integration
def test_prevalence_notebook(tmp_path):
    from fixtures.prevalence_data import write_scored_corpus

    data = write_scored_corpus(tmp_path, docs_per_group=120)
    notebook = execute("04_prevalence", tmp_path, scores_dir=str(data.folder), by=["outlet"], time_field="date",
                       freq="month", error_rates=str(data.rates), bootstrap=300)
    out = texts(notebook)
    assert "240 documents" in out  # 2 outlets x 120
    assert "corrected: 4 of 16 techniques (doubt, flag_waving, loaded_language, name_calling_labeling)" in out
    assert "error_rates_too_uncertain" in out and "herald" in out
    assert "corrected differences exclude zero" in out
    assert images(notebook) == 3  # per group, over time, differences


@pytest.mark.integration
def test_a_broken_notebook_fails(tmp_path, retrain_run):
    uri, _ = retrain_run
    with pytest.raises(papermill.PapermillExecutionError, match="E305"):
        execute("02_error_analysis", tmp_path, run_id="0" * 32, tracking_uri=uri)
