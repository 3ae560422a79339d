"""One contract for every entry point: `slant check`, the web API, `slant score` (local and Ray),
`slant evaluate`, the explainer and the Python API (`Scorer`, `Predictor`, `SlantClassifier`, the
MLflow pyfunc) give the same probabilities for the same sentences as the scoring core, on each
backend, and in input order whatever the order of lengths.

The reference is the core itself (`load_backend(...).predict_proba`) on the sentences the
splitter makes. Entry points batch sentences differently (one draft, a whole corpus), which moves
fp32 scores by float noise only; int8 quantises activations per batch, so its scores move more
with their batch mates and are compared with a looser tolerance, and with torch more loosely
still. `check` and the API print probabilities to 4 decimals.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from slant.cli.main import main
from slant.models.backends import BACKENDS, load_backend
from slant.models.sentences import split_sentences

# Long and short documents in no order of length; one line each, so a draft of all of them
# (one document per line) splits into the same sentences as the documents one by one.
DOCUMENTS = {
    "short": "Why?",
    "long": "Critics say the reckless reform is a total disaster for every family in the country, and only a "
            "fool would still believe the so-called experts who have lied to the nation for years. Rain fell.",
    "medium": "Sources close to the minister say the plan is a shameful betrayal.",
    "three": "Officials confirmed the budget on Monday. Markets were calm. The opposition, which has long warned "
             "that the treaty would ruin farmers, fishermen and small shopkeepers alike, called the vote a catastrophe.",
}
SENTENCES = [span.text for text in DOCUMENTS.values() for span in split_sentences(text)]
SAME = {"torch": 1e-5, "onnx": 1e-5, "onnx-int8": 2e-3}  # entry point vs core, same backend
ROUNDED = 1e-4  # check and the API round to 4 decimals
TO_TORCH = {"torch": 0.0, "onnx": 1e-5, "onnx-int8": 2e-2}  # backend vs torch, same sentences


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory, tiny_model_dir):
    """ONNX exports in a folder of their own, and an int8 copy validated on the contract's sentences
    (labelled with the fp32 model's own decisions, tolerance wide enough to pass)."""
    pytest.importorskip("onnxruntime")
    from slant.models.onnx import validate_int8

    cache = tmp_path_factory.mktemp("onnx-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SLANT_CACHE", str(cache))
        fp32 = load_backend(str(tiny_model_dir), "onnx", threads=1)
        targets = fp32.rule.flags(fp32.predict_proba(SENTENCES))
        assert validate_int8(str(tiny_model_dir), SENTENCES, targets, data="contract sentences", tolerance=1.0).passed
        yield cache


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    if request.param != "torch":
        request.getfixturevalue("onnx_cache")
    return request.param


@pytest.fixture
def core(backend, tiny_model_dir):
    return load_backend(str(tiny_model_dir), backend, threads=1)


@pytest.fixture
def reference(core):
    return core.predict_proba(SENTENCES)


def rows_of(results) -> np.ndarray:
    """Probabilities of every sentence of `DocumentResult`s (or their JSON), label order, documents in order."""
    sentences = [s for r in results for s in (r["sentences"] if isinstance(r, dict) else r.sentences)]
    return np.array([list(s["scores"].values() if isinstance(s, dict) else s.scores.values()) for s in sentences])


def test_the_core_gives_rows_in_input_order_whatever_the_lengths(core, reference, backend):
    order = np.random.default_rng(7).permutation(len(SENTENCES))
    np.testing.assert_allclose(core.predict_proba([SENTENCES[i] for i in order]), reference[order],
                               atol=SAME[backend])
    alone = np.vstack([core.predict_proba([sentence]) for sentence in SENTENCES])
    np.testing.assert_allclose(alone, reference, atol=SAME[backend])  # a row does not depend on its batch mates


def test_every_backend_scores_as_torch(reference, backend, tiny_model_dir):
    torch_scores = load_backend(str(tiny_model_dir), "torch", threads=1).predict_proba(SENTENCES)
    np.testing.assert_allclose(reference, torch_scores, atol=TO_TORCH[backend] + 1e-7)


def test_python_api(core, reference, backend, tiny_model_dir):
    from slant.inference.batch import Scorer
    from slant.inference.explain import OcclusionExplainer
    from slant.inference.predictor import Predictor

    # Scorer, fed the documents shortest first then longest: results come back in input order.
    scorer = Scorer.load(str(tiny_model_dir), backend=backend, threads=1)
    ids = sorted(DOCUMENTS, key=lambda k: len(DOCUMENTS[k]))
    results = scorer.score_texts([DOCUMENTS[k] for k in ids], ids=ids)
    assert [r.doc_id for r in results] == ids
    by_id = {r.doc_id: r for r in results}
    np.testing.assert_allclose(rows_of([by_id[k] for k in DOCUMENTS]), reference, atol=SAME[backend])
    predictor = Predictor.load(str(tiny_model_dir), backend=backend, threads=1)
    assert predictor.classifier.backend.name == backend
    np.testing.assert_allclose(rows_of(predictor.analyse_many(DOCUMENTS.values(), all_labels=True)), reference,
                               atol=SAME[backend])
    # the explainer's logits are the core's, before the sigmoid
    logits = OcclusionExplainer.for_classifier(core).scorer(SENTENCES)
    np.testing.assert_allclose(1 / (1 + np.exp(-logits)), reference, atol=SAME[backend])
    if backend == "torch":
        from slant.models.classifier import SlantClassifier

        np.testing.assert_allclose(SlantClassifier.from_pretrained(tiny_model_dir).predict_proba(SENTENCES),
                                   reference, atol=SAME[backend])


def test_slant_check(backend, reference, tiny_model_dir, tmp_path, capsys):
    draft = tmp_path / "draft.txt"
    draft.write_text("\n".join(DOCUMENTS.values()) + "\n", encoding="utf-8")
    assert main(["check", str(draft), "--model", str(tiny_model_dir), "--backend", backend, "--format", "json",
                 "--all-labels"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [s["text"] for s in document["sentences"]] == SENTENCES
    np.testing.assert_allclose(rows_of([document]), reference, atol=SAME[backend] + ROUNDED)


def test_web_api(backend, reference, tiny_model_dir):
    from fastapi.testclient import TestClient

    from slant.inference.predictor import Predictor
    from slant.inference.server import create_app

    client = TestClient(create_app(Predictor.load(str(tiny_model_dir), backend=backend, threads=1)))
    body = client.post("/api/analyse", json={"text": "\n".join(DOCUMENTS.values()), "all_labels": True}).json()
    assert [s["text"] for s in body["sentences"]] == SENTENCES
    np.testing.assert_allclose(rows_of([body]), reference, atol=SAME[backend] + ROUNDED)


def score_table(out) -> np.ndarray:
    from slant.inference.sinks import read_frame

    table = read_frame(out, "sentences").sort_values(["record_no", "sentence_index"])
    assert table.text.tolist() == SENTENCES
    return table[[c for c in table.columns if c.startswith("prob_")]].to_numpy()


def write_corpus(path):
    path.write_text("".join(json.dumps({"id": k, "text": v}) + "\n" for k, v in DOCUMENTS.items()), encoding="utf-8")
    return path


def test_slant_score_local(backend, reference, tiny_model_dir, tmp_path, capsys):
    from slant.inference.sinks import read_manifest

    out = tmp_path / "scores"
    assert main(["score", str(write_corpus(tmp_path / "c.jsonl")), "--out", str(out), "--model", str(tiny_model_dir),
                 "--backend", backend, "--threads", "1", "--quiet", "--format", "jsonl"]) == 0
    np.testing.assert_allclose(score_table(out), reference, atol=SAME[backend])
    assert read_manifest(out).settings["backend"] == backend


def test_slant_evaluate(backend, reference, core, tiny_model_dir, tmp_path, capsys):
    from slant.training.evaluate import load_evaluation_data, score_dataset

    flags = core.rule.flags(reference)
    data = tmp_path / "labelled.jsonl"
    data.write_text("".join(json.dumps({"text": text, "labels": core.rule.decide(row[None, :])[0]}) + "\n"
                            for text, row in zip(SENTENCES, reference)), encoding="utf-8")
    probabilities, decided = score_dataset(core, load_evaluation_data(str(data)))
    np.testing.assert_allclose(probabilities, reference, atol=SAME[backend])
    assert main(["evaluate", "--model", str(tiny_model_dir), "--backend", backend, "--data", str(data),
                 "--no-track", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    # labelled with the core's own decisions: the command decides every sentence the same way
    assert report["n_sentences"] == len(SENTENCES)
    if flags.any():
        assert report["micro_f1"] == 1.0


def test_the_mlflow_pyfunc(tiny_model_dir):
    """The pyfunc serves the model folder on torch."""
    from types import SimpleNamespace

    import pandas as pd

    from slant.models.pyfunc import SlantPyfunc

    model = SlantPyfunc()
    model.load_context(SimpleNamespace(artifacts={"model": str(tiny_model_dir)}))
    frame = model.predict(None, pd.DataFrame({"text": SENTENCES}))
    reference = load_backend(str(tiny_model_dir), "torch", threads=1).predict_proba(SENTENCES)
    np.testing.assert_allclose(frame[model.classifier.labels].to_numpy(), reference, atol=SAME["torch"])
    assert frame["labels"].tolist() == model.classifier.decide(reference)


@pytest.mark.integration
def test_slant_score_on_ray_with_every_backend(tiny_model_dir, tmp_path, onnx_cache, monkeypatch):
    """One local Ray for all three backends (its start dominates); actors read SLANT_CACHE."""
    ray = pytest.importorskip("ray")
    from slant.inference.ray_engine import score_with_ray

    monkeypatch.setenv("SLANT_CACHE", str(onnx_cache))
    corpus = write_corpus(tmp_path / "c.jsonl")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR",
             configure_logging=False)
    try:
        for backend in BACKENDS:
            reference = load_backend(str(tiny_model_dir), backend, threads=1).predict_proba(SENTENCES)
            out = tmp_path / f"ray-{backend}"
            score_with_ray(corpus, out, model=str(tiny_model_dir), backend=backend, actors=1, threads=1,
                           chunk_size=2, quiet=True)
            np.testing.assert_allclose(score_table(out), reference, atol=SAME[backend], err_msg=backend)
    finally:
        ray.shutdown()


def test_every_command_offers_every_backend(capsys):
    import argparse

    from slant.cli._io import add_backend

    parser = argparse.ArgumentParser()
    add_backend(parser)
    assert parser._option_string_actions["--backend"].choices == ("auto", *BACKENDS)
    for command in ("check", "serve", "score", "evaluate"):
        with pytest.raises(SystemExit) as done:
            main([command, "--help"])
        assert done.value.code == 0 and "--backend {auto,torch,onnx,onnx-int8}" in capsys.readouterr().out
