"""Token targets from character spans, the span folder written from a trained head, and a tiny
joint (sentence + span) training run."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from slant.training.spans import token_targets

LABELS = ["loaded_language", "doubt"]


def test_a_token_carries_every_technique_whose_span_overlaps_it():
    # sentence at offset 100 of its document; tokens relative to the sentence
    offsets = [(0, 0), (0, 3), (4, 8), (9, 12), (0, 0)]
    spans = [("loaded_language", 104, 112), ("doubt", 110, 130), ("slogans", 100, 103)]
    target = token_targets(offsets, 100, spans, LABELS)
    assert target.tolist() == [[0, 0], [0, 0], [1, 0], [1, 1], [0, 0]]


def test_touching_is_not_overlapping():
    target = token_targets([(0, 4), (4, 8)], 0, [("doubt", 4, 8)], LABELS)
    assert target[:, 1].tolist() == [0, 1]


@pytest.mark.integration
def test_span_folder_loads_with_plain_transformers_and_matches_slant(tmp_path, tiny_model_dir):
    """The released span folder's contract: `AutoModelForTokenClassification` in a process
    without Slant gives the token probabilities Slant computes from the shared encoder."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from slant.models.spans import load_span_head, save_span_folder

    model = AutoModelForSequenceClassification.from_pretrained(tiny_model_dir)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    rng = np.random.default_rng(0)
    weight, bias = rng.normal(size=(2, 32)).astype(np.float32), rng.normal(size=2).astype(np.float32)
    save_span_folder(model, weight, bias, tokenizer, tmp_path / "spans", LABELS, {"loaded_language": 0.4,
                                                                               "doubt": 0.6}, half=False)
    text = "Only a fool would believe the corrupt regime."
    script = (
        "import json, sys, torch\n"
        "from transformers import AutoModelForTokenClassification, AutoTokenizer\n"
        "assert 'slant' not in sys.modules\n"
        f"m = AutoModelForTokenClassification.from_pretrained({str(tmp_path / 'spans')!r})\n"
        f"t = AutoTokenizer.from_pretrained({str(tmp_path / 'spans')!r})\n"
        f"p = torch.sigmoid(m(**t({text!r}, return_tensors='pt')).logits)[0]\n"
        "print(json.dumps({'p': p.tolist(), 'labels': m.config.id2label, 'cut': m.config.span_thresholds,\n"
        "                  'problem': m.config.problem_type}))\n"
    )
    out = json.loads(subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True,
                                    check=True, cwd=tmp_path, timeout=120).stdout)
    assert out["labels"] == {"0": "loaded_language", "1": "doubt"}
    assert out["cut"] == {"loaded_language": 0.4, "doubt": 0.6}
    assert out["problem"] == "multi_label_classification"
    head = load_span_head(tmp_path)
    with torch.inference_mode():
        hidden = model(**tokenizer(text, return_tensors="pt"), output_hidden_states=True).hidden_states[-1][0]
    assert np.allclose(head.probabilities(hidden.numpy()), np.array(out["p"]), atol=1e-5)
    assert head.thresholds.tolist() == pytest.approx([0.4, 0.6])


def test_joint_training_writes_a_span_folder_sharing_the_sentence_encoder(tmp_path, tiny_model_dir):
    """model.spans=true: one run trains both heads; model/spans holds the span head, with the same
    encoder as the sentence model (so one forward pass serves both) and a tuned threshold."""
    import torch
    from fixtures.tiny import write_ptc
    from transformers import AutoModelForSequenceClassification, AutoModelForTokenClassification

    from slant.models.spans import SPAN_FOLDER, encoder_digest, load_span_head
    from slant.training.config import load_config
    from slant.training.trainer import train

    articles, spans = {}, []
    for i in range(12):
        text = f"Article {i}\n\nThe corrupt elite lied again.\nThe council met on Tuesday.\n"
        articles[str(100 + i)] = text
        start = text.index("corrupt")
        spans.append((str(100 + i), "Loaded_Language", start, start + len("corrupt")))
    articles_dir, labels_file = write_ptc(tmp_path, articles, spans)
    config = load_config(None, [
        f"model.base_encoder={tiny_model_dir}", "model.max_length=32", "model.spans=true",
        f"data.ptc_articles={articles_dir}", f"data.ptc_labels={labels_file}", "data.gold_file=",
        "data.weak_labels=false", "data.test_fraction=0.2", "data.validation_fraction=0.25",
        "train.epochs=1", "train.batch_size=8", f"train.output_dir={tmp_path / 'run'}", "train.threads=1",
        "tracking.enabled=false",
    ])
    result = train(config)
    folder = result.model_dir / SPAN_FOLDER
    head = load_span_head(result.model_dir)
    assert head is not None and head.labels[0] == "loaded_language" and len(head.labels) == 14
    sentence_model = AutoModelForSequenceClassification.from_pretrained(result.model_dir, dtype=torch.float32)
    token_model = AutoModelForTokenClassification.from_pretrained(folder, dtype=torch.float32)
    assert head.encoder_digest == encoder_digest(sentence_model.base_model) == encoder_digest(token_model.base_model)
