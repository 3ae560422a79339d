"""Text that is not English is never scored as if it were: the detector, its per-document rule,
and what `slant check`, the web API, `slant score` and the Python API do with such text."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from scoring_data import TEXTS, write_jsonl

from slant.cli.main import main
from slant.inference.language import MIN_LETTERS, detect
from slant.inference.predictor import Predictor
from slant.inference.server import create_app
from slant.inference.sinks import read_frame

GERMAN = ("Die Regierung hat die Steuern erhöht, und die Opposition spricht von einem Verrat an den Bürgern. "
          "Der Minister wies die Kritik am Dienstag zurück.")
FRENCH = "Le gouvernement a augmenté les impôts et l'opposition parle d'une trahison envers les citoyens."
RUSSIAN = "Правительство повысило налоги, а оппозиция называет это предательством граждан."
ENGLISH = "Critics say the reform is a disaster. The minister rejected the criticism on Tuesday."
W052 = "[W052] text is in German (de), not English"


@pytest.mark.parametrize(("text", "code"), [(GERMAN, "de"), (FRENCH, "fr"), (RUSSIAN, "ru"), (ENGLISH, "en")])
def test_detects_the_language_of_a_document(text, code):
    language = detect(text)
    assert language.code == code and language.supported == (code == "en")
    assert language.probability > 0.9


@pytest.mark.parametrize("text", ["Why?", "Number 17.", "First text.", "x", "12345 678", *TEXTS.values()])
def test_short_or_unclear_english_is_treated_as_english(text):
    """Too short to tell (under MIN_LETTERS letters) or not sure: scored as English, never refused."""
    assert detect(text).code == "en"
    assert sum(c.isalpha() for c in "Why?") < MIN_LETTERS


def test_one_decision_per_document_by_most_of_its_text():
    mostly_english = " ".join([ENGLISH] * 4 + ["Die Regierung hat die Steuern erhöht."])
    mostly_german = " ".join([GERMAN] * 3 + ["Critics say the reform is a disaster."])
    assert detect(mostly_english).code == "en"
    assert detect(mostly_german).code == "de"


def test_a_long_document_is_judged_from_a_sample_quickly():
    import time

    text = ENGLISH * 20_000  # 1.7 million characters
    started = time.perf_counter()
    assert detect(text).code == "en"
    assert time.perf_counter() - started < 2.0


# -- slant check -------------------------------------------------------------------------------
def test_check_json_gains_language_and_labels_nothing_in_german(tmp_path, tiny_model_dir, capsys):
    draft = tmp_path / "de.txt"
    draft.write_text(GERMAN, encoding="utf-8")
    assert main(["check", str(draft), "--model", str(tiny_model_dir), "--format", "json", "--threshold", "0"]) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document["language"] == "de" and document["sentences"] == []
    assert document["warning"].startswith(W052)
    assert captured.err == f"slant check: warning: {document['warning']}\n"  # one line

    english = tmp_path / "en.txt"
    english.write_text(ENGLISH, encoding="utf-8")
    assert main(["check", str(english), "--model", str(tiny_model_dir), "--format", "json", "--threshold", "0"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["language"] == "en" and document["warning"] is None and len(document["sentences"]) == 2


def test_check_text_prints_the_draft_unlabelled_and_any_language_labels_it(tmp_path, tiny_model_dir, capsys):
    draft = tmp_path / "de.txt"
    draft.write_text(GERMAN, encoding="utf-8")
    assert main(["check", str(draft), "--model", str(tiny_model_dir), "--color", "never", "--threshold", "0"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(GERMAN) and out.rstrip().endswith("not labelled: the text is in German (de), not English")
    assert main(["check", str(draft), "--model", str(tiny_model_dir), "--format", "json", "--threshold", "0",
                 "--any-language", "--no-triggers"]) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document["language"] == "de" and document["warning"] is None and document["sentences"]
    assert all(s["labels"] for s in document["sentences"]) and captured.err == ""


# -- the web API and the Python API ------------------------------------------------------------
def test_api_answers_language_and_warning(tiny_model_dir):
    client = TestClient(create_app(Predictor.load(str(tiny_model_dir))))
    body = client.post("/api/analyse", json={"text": GERMAN, "threshold": 0}).json()
    assert body["language"] == "de" and body["sentences"] == [] and body["warning"].startswith(W052)
    assert body["summary"] == {"sentences": 0, "flagged": 0, "by_label": {}}
    anyway = client.post("/api/analyse", json={"text": GERMAN, "threshold": 0, "any_language": True}).json()
    assert anyway["warning"] is None and anyway["sentences"]
    english = client.post("/api/analyse", json={"text": ENGLISH}).json()
    assert english["language"] == "en" and english["warning"] is None


def test_predictor_says_the_same_as_check(tiny_model_dir):
    result = Predictor.load(str(tiny_model_dir)).analyse(GERMAN)
    assert result.language == "de" and result.sentences == [] and result.warning.startswith(W052)


# -- slant score -------------------------------------------------------------------------------
def test_score_rejects_other_languages_with_the_language_unless_any_language(tmp_path, tiny_model_dir, capsys):
    mostly_english = " ".join([ENGLISH] * 4 + ["Die Regierung hat die Steuern erhöht."])
    corpus = write_jsonl(tmp_path / "c.jsonl", [
        {"id": "en", "text": ENGLISH}, {"id": "de", "text": GERMAN}, {"id": "ru", "text": RUSSIAN},
        {"id": "mixed", "text": mostly_english}])
    args = ["score", str(corpus), "--model", str(tiny_model_dir), "--quiet", "--format", "jsonl"]
    assert main([*args, "--out", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().out == "read 4 = scored 2 + rejected 2 (11 sentences)\n"
    rejects = read_frame(tmp_path / "out", "rejects")
    assert rejects.doc_id.tolist() == ["de", "ru"]
    assert set(rejects.code) == {"unsupported_language"}
    assert rejects.reason.iloc[0].startswith("detected German (de, probability 1.00)")
    assert rejects.reason.iloc[1].startswith("detected Russian (ru,")
    assert read_frame(tmp_path / "out", "documents").doc_id.tolist() == ["en", "mixed"]

    assert main([*args, "--out", str(tmp_path / "anyway"), "--any-language"]) == 0
    assert read_frame(tmp_path / "anyway", "documents").doc_id.tolist() == ["en", "de", "ru", "mixed"]
    assert read_frame(tmp_path / "anyway", "rejects").empty
