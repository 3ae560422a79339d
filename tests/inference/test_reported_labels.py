"""`reported_labels` in config.json decides what `slant check` and the API show by default."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from slant.cli.main import main
from slant.inference.predictor import Predictor
from slant.inference.server import create_app
from slant.models.classifier import SlantClassifier

TEXT = "The council rammed through a crippling tax hike. Critics say the reform is a disaster."
REPORTED = ["loaded_language", "hedged_attribution"]


@pytest.fixture(scope="module")
def restricted_model(tiny_model_dir, tmp_path_factory):
    classifier = SlantClassifier.from_pretrained(tiny_model_dir)
    classifier.reported_labels = REPORTED
    classifier.thresholds = {label: 0.0 for label in classifier.labels}  # everything over threshold
    return classifier.save_pretrained(tmp_path_factory.mktemp("restricted"), half=False)


def _labels(document):
    return {label for sentence in document["sentences"] for label in sentence["labels"]}


def test_check_shows_reported_labels_by_default_and_all_with_all_labels(restricted_model, capsys):
    path = restricted_model / "draft.txt"
    path.write_text(TEXT, encoding="utf-8")
    assert main(["check", str(path), "--model", str(restricted_model), "--format", "json", "--no-triggers"]) == 0
    default = json.loads(capsys.readouterr().out)
    assert _labels(default) == set(REPORTED)
    assert len(default["sentences"][0]["scores"]) == 16  # still scored
    assert main(["check", str(path), "--model", str(restricted_model), "--format", "json", "--no-triggers",
                 "--all-labels"]) == 0
    assert len(_labels(json.loads(capsys.readouterr().out))) == 16


def test_api_shows_reported_labels_by_default_and_marks_them_in_techniques(restricted_model):
    client = TestClient(create_app(Predictor.load(str(restricted_model))))
    body = {"text": TEXT, "triggers": False}
    assert _labels(client.post("/api/analyse", json=body).json()) == set(REPORTED)
    assert len(_labels(client.post("/api/analyse", json={**body, "all_labels": True}).json())) == 16
    marked = {t["id"] for t in client.get("/api/techniques").json() if t["reported"]}
    assert marked == set(REPORTED)
