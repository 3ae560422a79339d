"""A one-minute training run of a tiny model learns a separable toy signal, and resumes."""

from __future__ import annotations

import json
import random

import numpy as np

from slant.models.classifier import SlantClassifier
from slant.training.config import load_config
from slant.training.trainer import train

SUBJECTS = ["the council", "the minister", "the club", "the company", "the mayor", "the union", "the court", "the army"]
VERBS = ["approved", "rejected", "delayed", "announced", "reviewed", "praised", "cancelled", "funded"]
OBJECTS = ["the budget", "a new stadium", "the merger", "the report", "the treaty", "a tax cut", "the election", "the bridge"]


def toy_corpus(path, n: int = 400, seed: int = 0):
    """Sentences are hedged exactly when they start with 'sources say'.

    Both classes have the same length distribution: the trainer batches by length, and a
    length cue would make the toy problem trivial in the wrong way.
    """
    rng = random.Random(seed)
    with open(path, "w") as f:
        for i in range(n):
            hedged = i % 2 == 0
            body = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}" + " again" * rng.randint(0, 3)
            text = f"sources say {body} ." if hedged else f"officials confirmed {body} ."
            labels = ["hedged_attribution"] if hedged else []
            f.write(json.dumps({"id": f"d{i}", "text": text, "labels": labels}) + "\n")
    return path


def tiny_config(tmp_path, tiny_model_dir, data, **extra):
    overrides = [
        f"model.base_encoder={tiny_model_dir}",
        "model.max_length=32",
        f"data.extra_files=[{data}]",
        "data.gold_file=",
        "data.weak_labels=false",
        "data.test_fraction=0.2",
        "data.validation_fraction=0.2",
        "train.epochs=6",
        "train.batch_size=16",
        "train.learning_rate=0.003",
        "train.freeze_embeddings=false",
        "train.early_stopping_patience=8",
        f"train.output_dir={tmp_path / 'run'}",
        "train.threads=1",  # tiny matrices: extra threads only add contention
    ] + [f"{k}={v}" for k, v in extra.items()]
    return load_config(None, overrides)


def test_tiny_training_learns_a_separable_signal(tmp_path, tiny_model_dir):
    data = toy_corpus(tmp_path / "toy.jsonl")
    result = train(tiny_config(tmp_path, tiny_model_dir, data))

    report = result.reports["test"]
    assert report["per_label"]["hedged_attribution"]["f1"] > 0.95
    assert report["per_label"]["hedged_attribution"]["support"] > 10
    # The saved folder carries the tuned thresholds and is what was evaluated.
    config = json.loads((result.model_dir / "config.json").read_text())
    assert set(config["thresholds"]) == set(config["id2label"].values())
    classifier = SlantClassifier.from_pretrained(result.model_dir)
    probabilities = classifier.predict_proba(["sources say the club funded the bridge .", "officials confirmed the club funded the bridge ."])
    j = classifier.labels.index("hedged_attribution")
    assert probabilities[0, j] > classifier.thresholds["hedged_attribution"] > probabilities[1, j]
    assert probabilities[0, j] - probabilities[1, j] > 0.5


def test_training_is_seeded(tmp_path, tiny_model_dir):
    data = toy_corpus(tmp_path / "toy.jsonl", n=80)
    first = train(tiny_config(tmp_path / "a", tiny_model_dir, data, **{"train.max_steps": 6}))
    second = train(tiny_config(tmp_path / "b", tiny_model_dir, data, **{"train.max_steps": 6}))
    a = SlantClassifier.from_pretrained(first.model_dir).predict_proba(["sources say the court delayed the treaty ."])
    b = SlantClassifier.from_pretrained(second.model_dir).predict_proba(["sources say the court delayed the treaty ."])
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_training_resumes_from_its_last_checkpoint(tmp_path, tiny_model_dir, caplog):
    data = toy_corpus(tmp_path / "toy.jsonl", n=80)
    train(tiny_config(tmp_path, tiny_model_dir, data, **{"train.max_steps": 4}))
    checkpoints = list((tmp_path / "run" / "checkpoints").glob("checkpoint-*"))
    assert checkpoints, "a checkpoint is written during training"
    with caplog.at_level("INFO", logger="slant.training.trainer"):
        train(tiny_config(tmp_path, tiny_model_dir, data, **{"train.max_steps": 8}))
    assert any("resuming from" in message for message in caplog.messages)
