"""The model card renders from the label registry, the model's config and calibration/quality dicts
shaped like docs/calibration.json and docs/quality.json (small synthetic ones here)."""

from __future__ import annotations

import json

import pytest

from slant.models.card import FRONT_MATTER, render_card
from slant.models.labels import load_labels

BODY = "# Slant\n\nHand-written sections.\n"


def per_label(labels, support):
    return {label: {"support": support.get(label, 0), "precision": 0.5, "recall": 0.25, "f1": 1 / 3} for label in labels}


@pytest.fixture
def model_dir(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"thresholds": {"loaded_language": 0.325, "doubt": 0.7}}))
    return tmp_path


@pytest.fixture
def calibration():
    labels = load_labels().ids
    return {
        "reported_labels": ["loaded_language"],
        "reports": {"ptc_heldout": {"micro_f1": 0.41234, "macro_f1": 0.2, "binary_f1": 0.6, "n_sentences": 1234},
                    "custom_set": {"micro_f1": 0.1, "macro_f1": 0.1, "binary_f1": 0.1, "n_sentences": 7}},
        "quality": {
            "loaded_language": {"precision": 0.61, "recall": 0.52, "f1": 0.56, "support": 90, "flagged": 77,
                                "mean_shown_probability": 0.58, "confidence_gap": -0.034},
            "doubt": {"precision": 0.2, "recall": 0.1, "f1": 0.13, "support": 12, "flagged": 6,
                      "mean_shown_probability": 0.4, "confidence_gap": None},
        },
        "calibration": {label: {"threshold": 0.3} for label in labels},
    }


def test_the_card_lists_every_label_with_its_threshold(model_dir):
    card = render_card(model_dir, {}, "configs/ptc-minilm.yaml", BODY)
    assert card.startswith(FRONT_MATTER) and "Hand-written sections." in card
    labels = load_labels()
    for technique in labels.techniques:
        assert f"| `{technique.id}` | {technique.name} |" in card
    assert "| `loaded_language` | Loaded language | 0.325 |" in card
    assert "| `repetition` | Repetition | 0.500 |" in card  # not in the config: the default
    assert "## Calibrated" not in card and "## Evaluation" not in card  # neither given
    assert card.endswith("\n") and not card.endswith("\n\n\n")


def test_the_calibration_section(model_dir, calibration):
    card = render_card(model_dir, {}, "configs/ptc-minilm.yaml", BODY, calibration=calibration)
    assert "`reported_labels` (shown by `slant check` and `slant serve` by default): `loaded_language`." in card
    assert "| PTC held-out articles (out of fold) | 0.412 | 0.200 | 0.600 | 1234 |" in card
    assert "| custom_set | 0.100 | 0.100 | 0.100 | 7 |" in card  # an unnamed set keeps its key
    assert "| loaded_language | reported | 0.300 | 0.61 | 0.52 | 0.56 | 90 | 77 | 0.58 | -0.03 |" in card
    assert "| doubt | experimental | 0.300 | 0.20 | 0.10 | 0.13 | 12 | 6 | 0.40 | - |" in card
    assert "| repetition |" not in card.split("## Calibrated")[1]  # no quality row: left out
    assert "all PTC" not in card  # no population estimates given

    calibration["population_estimates"] = {"hedged_attribution": {"precision": 0.456, "recall": 0.5, "f1": 0.477}}
    calibration["reported_labels"] = []
    card = render_card(model_dir, {}, "configs/ptc-minilm.yaml", BODY, calibration=calibration)
    assert "| hedged_attribution | 0.46 | 0.50 | 0.48 |" in card
    assert "by default): none." in card


def test_the_evaluation_section_compares_models_on_labels_with_support(model_dir):
    labels = load_labels().ids
    run = {"per_label": per_label(labels, {"loaded_language": 40, "doubt": 3}),
           "micro_f1": 0.5, "macro_f1": 0.25, "binary_f1": 0.75}
    quality = {"PTC held-out": {"slant": run, "tfidf": run}}
    card = render_card(model_dir, quality, "configs/mine.yaml", BODY)
    evaluation = card.split("## Evaluation")[1]
    assert "--config configs/mine.yaml" in evaluation
    assert "### PTC held-out" in evaluation
    assert "| technique | support | slant P / R / F1 | tfidf P / R / F1 |" in evaluation
    assert "| loaded_language | 40 | 0.50 / 0.25 / **0.33** | 0.50 / 0.25 / **0.33** |" in evaluation
    assert "| doubt | 3 |" in evaluation
    assert "| repetition |" not in evaluation  # no support: no row
    assert "| micro f1 | | **0.500** | **0.500** |" in evaluation
