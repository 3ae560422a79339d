"""The released model folder honours its contract with plain `transformers` users."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from safetensors import safe_open
from tests_contract import EXPECTED_IDS

PIPELINE_SCRIPT = r"""
import json, sys
from transformers import pipeline
folder = sys.argv[1]
classify = pipeline("text-classification", model=folder, top_k=None)
config = json.load(open(folder + "/config.json"))
out = classify([sys.argv[2]])[0]  # one list of {label, score} per input text
scores = {d["label"]: d["score"] for d in out}
print(json.dumps({"scores": scores, "thresholds": config["thresholds"],
                  "slant_imported": any(m.startswith("slant") for m in sys.modules)}))
"""


def test_config_carries_labels_and_thresholds(released_model_dir):
    config = json.loads((released_model_dir / "config.json").read_text())
    assert [config["id2label"][str(i)] for i in range(16)] == EXPECTED_IDS
    assert config["problem_type"] == "multi_label_classification"
    assert set(config["thresholds"]) == set(EXPECTED_IDS)
    assert all(0.0 < t < 1.0 for t in config["thresholds"].values())


def test_weights_are_fp16_and_small(released_model_dir):
    weights = released_model_dir / "model.safetensors"
    assert weights.stat().st_size <= 50 * 1024 * 1024
    with safe_open(str(weights), "pt") as f:
        name = next(k for k in f.keys() if "attention" in k)
        assert str(f.get_tensor(name).dtype) == "torch.float16"


@pytest.mark.integration
def test_plain_transformers_pipeline_flags_hedged_attribution(released_model_dir):
    sentence = "According to sources familiar with the matter, the minister is said to be planning a secret deal."
    out = subprocess.run(
        [sys.executable, "-c", PIPELINE_SCRIPT, str(released_model_dir), sentence],
        capture_output=True, text=True, check=True, timeout=300,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert not result["slant_imported"], "the pipeline must work without Slant"
    assert set(result["scores"]) == set(EXPECTED_IDS)
    assert result["scores"]["hedged_attribution"] >= result["thresholds"]["hedged_attribution"]
