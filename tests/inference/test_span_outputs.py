"""Technique spans in the product: `slant check` JSON and text, the web API, the `spans` table of
`slant score` (exact offsets, kill -9 and resume), and trigger words taken from spans."""

from __future__ import annotations

import json
import sys

import pytest
from scoring_data import write_jsonl

from slant.cli.main import main
from slant.inference.sinks import read_frame, read_manifest

# Accents (NFD and NFC), CRLF line ends, emoji (one of two code points): offsets must stay exact.
TEXT = ("Cafe\u0301 owners call the corrupt elite traitors again.\r\n"
        "The \U0001F621 regime's so-called experts lie! Shares fell 12 percent on Tuesday.\r\n"
        "Na\u00efve voters \U0001F1FA\U0001F1E6 trust them.")


def check_json(capsys, *args) -> dict:
    assert main(["check", *map(str, args), "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def draft(tmp_path):
    path = tmp_path / "draft.txt"
    path.write_bytes(TEXT.encode("utf-8"))  # bytes: keep the CRLFs
    return path


def assert_spans_agree_with_labels(sentence: dict, text: str):
    """Each span lies in its sentence, belongs to one of its labels, and every span-covered label
    either shows a span or says none was found."""
    for span in sentence["spans"]:
        assert sentence["start"] <= span["start"] < span["end"] <= sentence["end"]
        assert span["label"] in sentence["labels"]
        assert text[span["start"] : span["end"]].strip() == text[span["start"] : span["end"]]
    with_span = {span["label"] for span in sentence["spans"]}
    assert not with_span & set(sentence["no_span"])
    assert with_span | set(sentence["no_span"]) == {l for l in sentence["labels"] if l not in
                                                     ("hedged_attribution", "official_narrative_echoing")}


def test_check_json_gives_each_sentence_its_spans(capsys, draft, tiny_span_model_dir):
    document = check_json(capsys, draft, "--model", tiny_span_model_dir, "--all-labels", "--threshold", "0")
    spans = [span for sentence in document["sentences"] for span in sentence["spans"]]
    assert spans, "a random span head over threshold 0.5 finds some spans in three sentences"
    for sentence in document["sentences"]:
        assert TEXT[sentence["start"] : sentence["end"]] == sentence["text"]
        assert_spans_agree_with_labels(sentence, TEXT)
        assert set(sentence["triggers"]) == set(sentence["labels"])  # the explainer still gives trigger words


def test_check_text_marks_spans_without_trigger_words(capsys, draft, tiny_span_model_dir):
    assert main(["check", str(draft), "--model", str(tiny_span_model_dir), "--all-labels", "--threshold", "0",
                 "--no-triggers", "--color", "never"]) == 0
    out = capsys.readouterr().out
    assert "*" in out  # spans are marked (in stars without colour) though no trigger word was asked for


def test_the_api_returns_the_same_spans_as_check(capsys, draft, tiny_span_model_dir):
    from fastapi.testclient import TestClient

    from slant.inference.predictor import Predictor
    from slant.inference.server import create_app

    expected = check_json(capsys, draft, "--model", tiny_span_model_dir, "--all-labels", "--threshold", "0")
    client = TestClient(create_app(Predictor.load(str(tiny_span_model_dir), threads=1)))
    got = client.post("/api/analyse", json={"text": TEXT, "all_labels": True, "threshold": 0.0}).json()
    for a, b in zip(got["sentences"], expected["sentences"]):
        assert [(s["start"], s["end"], s["label"]) for s in a["spans"]] == \
            [(s["start"], s["end"], s["label"]) for s in b["spans"]]
        assert a["no_span"] == b["no_span"]


def test_score_writes_a_spans_table_with_exact_offsets(tmp_path, tiny_span_model_dir):
    from slant.inference.batch import Scorer

    corpus = write_jsonl(tmp_path / "corpus.jsonl", [{"id": "a", "text": TEXT}, {"id": "b", "text": TEXT[::-1]}])
    scorer = Scorer.load(str(tiny_span_model_dir), threads=1)
    scorer.score_file(corpus, tmp_path / "out", chunk_size=1)
    spans = read_frame(tmp_path / "out", "spans")
    assert len(spans) and set(spans.doc_id) <= {"a", "b"}
    texts = {"a": TEXT, "b": TEXT[::-1]}
    for row in spans.itertuples():
        assert texts[row.doc_id][row.start : row.end] == row.text
    sentences = read_frame(tmp_path / "out", "sentences")
    flagged = {(r.doc_id, r.sentence_index): set(r.labels) for r in sentences.itertuples()}
    assert all(row.sentence_flagged == (row.label in flagged[(row.doc_id, row.sentence_index)])
               for row in spans.itertuples())
    # the Python API gives the same spans
    results = scorer.score_texts([TEXT])
    api = sorted((s.start, s.end, s.label) for sentence in results[0].sentences for s in sentence.spans)
    assert api == sorted(zip(spans[spans.doc_id == "a"].start, spans[spans.doc_id == "a"].end,
                             spans[spans.doc_id == "a"].label))
    assert "spans" in read_manifest(tmp_path / "out").settings


@pytest.mark.integration
def test_the_spans_table_survives_kill_9_and_resume(tmp_path, tiny_span_model_dir):
    from test_resume import committed_chunks, run_until

    from slant.inference.batch import Scorer

    corpus = write_jsonl(tmp_path / "corpus.jsonl",
                         [{"id": f"d{i}", "text": TEXT + f" Number {i}."} for i in range(120)])
    out = tmp_path / "scores"
    command = [sys.executable, "-m", "slant.cli.main", "score", str(corpus), "--out", str(out),
               "--model", str(tiny_span_model_dir), "--chunk-size", "2", "--threads", "1", "--quiet"]
    run_until(command, out, chunks=4)
    run_until(command, out, chunks=committed_chunks(out) + 10)
    run_until(command, out, chunks=None)
    spans = read_frame(out, "spans")
    Scorer.load(str(tiny_span_model_dir), threads=1).score_file(corpus, tmp_path / "reference", chunk_size=64)
    reference = read_frame(tmp_path / "reference", "spans")
    key = ["record_no", "sentence_index", "start", "end", "label"]
    assert not spans.duplicated(key).any()
    assert spans[key].values.tolist() == reference[key].values.tolist()


@pytest.mark.integration
@pytest.mark.slow
def test_the_ray_engine_writes_the_same_spans_table(tmp_path, tiny_span_model_dir):
    pytest.importorskip("ray")
    from slant.inference.batch import Scorer
    from slant.inference.ray_engine import score_with_ray

    corpus = write_jsonl(tmp_path / "corpus.jsonl", [{"id": f"d{i}", "text": TEXT + f" {i}."} for i in range(12)])
    Scorer.load(str(tiny_span_model_dir), backend="torch", threads=1).score_file(corpus, tmp_path / "local", chunk_size=5)
    score_with_ray(corpus, tmp_path / "ray", model=str(tiny_span_model_dir), backend="torch", actors=1, threads=1,
                   chunk_size=4, quiet=True)
    assert read_manifest(tmp_path / "ray").settings == read_manifest(tmp_path / "local").settings
    key = ["record_no", "sentence_index", "start", "end", "label", "text"]
    assert read_frame(tmp_path / "ray", "spans")[key].values.tolist() == \
        read_frame(tmp_path / "local", "spans")[key].values.tolist()
