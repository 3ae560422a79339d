"""A cached ONNX model loads and scores without torch or transformers: `tokenizer.json` through
`tokenizers` and `config.json` as JSON give what the Hugging Face tokenizer and config give."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from slant.models.backends import load_backend
from slant.models.tokenizer import FolderConfig, FolderTokenizer

pytest.importorskip("onnxruntime")

TEXTS = ["Critics say the reform is a disaster.", "", "Caf\u00e9 owners \U0001F621 call them \"traitors\"!",
         "Don't   split\u00a0this -- or that...", "Line one\r\nline two\u2028three", "word " * 300]
CONTEXTS = ["A title.", "x", "", "Another, longer context segment than the sentence itself, by far.", "y",
            "context " * 200]


@pytest.fixture(scope="module")
def hf_tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


@pytest.mark.parametrize("pairs", [False, True])
@pytest.mark.parametrize("max_length", [128, 16])
def test_the_folder_tokenizer_encodes_as_transformers_does(hf_tokenizer, tiny_model_dir, pairs, max_length):
    ours = FolderTokenizer.from_folder(tiny_model_dir, hf_tokenizer.model_input_names)
    assert ours.pad_token_id == hf_tokenizer.pad_token_id
    second = CONTEXTS if pairs else None
    options = dict(truncation=True, max_length=max_length, padding=False, return_attention_mask=False,
                   return_token_type_ids=pairs, return_offsets_mapping=True)
    expected, found = hf_tokenizer(TEXTS, second, **options), ours(TEXTS, second, **options)
    assert found["input_ids"] == expected["input_ids"]
    assert [list(map(tuple, row)) for row in found["offset_mapping"]] == \
        [list(map(tuple, row)) for row in expected["offset_mapping"]]
    for i in range(len(TEXTS)):
        assert found.sequence_ids(i) == expected.sequence_ids(i)
    if pairs:
        assert found["token_type_ids"] == expected["token_type_ids"]


def test_the_folder_config_reads_what_the_core_needs(tiny_model_dir):
    from transformers import AutoConfig

    expected, found = AutoConfig.from_pretrained(tiny_model_dir), FolderConfig.from_folder(tiny_model_dir)
    assert found.id2label == expected.id2label and found.num_labels == expected.num_labels
    assert getattr(found, "thresholds", None) == getattr(expected, "thresholds", None)


def test_a_cached_onnx_model_scores_as_torch_without_importing_either(tiny_model_dir, monkeypatch):
    load_backend(str(tiny_model_dir), "onnx", threads=1)  # exported (torch needed this once)
    reference = load_backend(str(tiny_model_dir), "torch", threads=1)
    expected, settings = reference.logits(TEXTS), (reference.thresholds, reference.max_length, reference.labels)
    for name in ("torch", "transformers"):  # any `import torch` from here on raises ImportError
        monkeypatch.setitem(sys.modules, name, None)
    for backend in ("onnx", None):  # named, and the default
        model = load_backend(str(tiny_model_dir), backend, threads=1)
        assert isinstance(model.tokenizer, FolderTokenizer)
        np.testing.assert_allclose(model.logits(TEXTS), expected, atol=1e-4)
        np.testing.assert_allclose(model.predict_proba(TEXTS), 1 / (1 + np.exp(-expected)), atol=1e-5)
        assert (model.thresholds, model.max_length, model.labels) == settings


def test_token_scores_of_a_span_head_come_without_torch_too(tmp_path, monkeypatch):
    from fixtures.tiny import make_tiny_span_model

    folder = make_tiny_span_model(tmp_path / "model")
    reference = load_backend(str(folder), "torch", threads=1)
    load_backend(str(folder), "onnx", threads=1)
    expected_probabilities, expected_tokens = reference.score(TEXTS, tokens=True)
    for name in ("torch", "transformers"):
        monkeypatch.setitem(sys.modules, name, None)
    model = load_backend(str(folder), "onnx", threads=1)
    probabilities, tokens = model.score(TEXTS, tokens=True)
    np.testing.assert_allclose(probabilities, expected_probabilities, atol=1e-5)
    for found, expected in zip(tokens, expected_tokens):
        assert found.offsets == expected.offsets
        np.testing.assert_allclose(found.probabilities, expected.probabilities, atol=1e-4)


COLD_CHECK = r"""
import sys
from slant.cli.main import main
status = main(["check", sys.argv[1], "--model", sys.argv[2], "--format", "json", "--all-labels"])
heavy = sorted(m for m in ("torch", "transformers") if m in sys.modules)
print("HEAVY", ",".join(heavy) or "-")
sys.exit(status)
"""


@pytest.mark.integration
def test_slant_check_on_a_cached_model_imports_neither_torch_nor_transformers(tiny_model_dir, tmp_path):
    load_backend(str(tiny_model_dir), threads=1)  # the default backend's graph, cached in SLANT_CACHE
    draft = tmp_path / "draft.txt"
    draft.write_text("Critics say the reckless reform is a total disaster. The council met on Monday.\n")
    done = subprocess.run([sys.executable, "-c", COLD_CHECK, str(draft), str(tiny_model_dir)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "HEAVY -", done.stdout[-500:]
