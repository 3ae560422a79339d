"""The Scorer API and the local engine: batching, exact offsets, tables, every input format, CLI."""

from __future__ import annotations

import csv
import gzip
import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scoring_data import TEXTS, assert_same_scores, write_jsonl

from slant.cli.main import main
from slant.inference.batch import Scorer
from slant.inference.predictor import Predictor
from slant.inference.sinks import read_frame, read_table
from slant.models.errors import SlantError

GERMAN = "Die Regierung hat die Steuern erhöht, und die Opposition spricht von einem Verrat an den Bürgern."


def test_score_text_matches_the_predictor_and_offsets_are_exact(scorer, tiny_model_dir):
    predictor = Predictor.load(str(tiny_model_dir))
    for text in TEXTS.values():
        result = scorer.score_text(text)
        expected = predictor.analyse(text)
        assert [(s.start, s.end) for s in result.sentences] == [(s.start, s.end) for s in expected.sentences]
        for got, want in zip(result.sentences, expected.sentences):
            assert text[got.start : got.end] == got.text
            assert got.scores == pytest.approx(want.scores, abs=1e-5)
            assert got.labels == [label for label in scorer.labels if got.scores[label] >= scorer.classifier.thresholds[label]]


def test_offsets_point_into_the_original_text_through_unicode_edge_cases(scorer):
    nfd = TEXTS["nfd"]
    sentences = scorer.score_text(nfd).sentences
    assert [s.text for s in sentences] == ["Cafe\u0301 owners in Montre\u0301al protested.", "The mayor re\u0301pondit quickly."]
    assert nfd[sentences[1].start : sentences[1].end] == sentences[1].text  # after a CRLF and NFD accents
    emoji = scorer.score_text(TEXTS["emoji"]).sentences
    assert [s.text for s in emoji] == ["\ufeffThe \U0001F600 crowd cheered.", "Critics", "were not amused", "at all."]
    assert emoji[1].start == TEXTS["emoji"].index("Critics")  # code points, the emoji counts once


def test_score_texts_and_score_iter_keep_order_and_ids(scorer):
    texts = list(TEXTS.values())
    results = scorer.score_texts(texts, ids=list(TEXTS))
    assert [r.doc_id for r in results] == list(TEXTS)
    assert [r.text_length for r in results] == [len(t) for t in texts]
    streamed = list(scorer.score_iter(((k, v) for k, v in TEXTS.items()), chunk_size=2))
    assert [r.doc_id for r in streamed] == list(TEXTS)
    for got, want in zip(streamed, results):  # other batch mates, other padding: equal to float precision
        assert np.allclose([list(s.scores.values()) for s in got.sentences],
                           [list(s.scores.values()) for s in want.sentences], atol=1e-5)


def test_bad_inputs_to_the_api_are_one_line_errors(scorer):
    with pytest.raises(SlantError, match=r"^\[E055\] document 2: expected text, got int"):
        scorer.score_texts(["fine", 3])
    with pytest.raises(SlantError, match="E051"):
        Scorer(scorer.classifier, max_chars=10).score_text("x" * 11)
    # the same lines as `slant check` and the web API
    with pytest.raises(SlantError, match=r"^\[E050\] text is empty"):
        scorer.score_text("   ")
    with pytest.raises(SlantError, match=r"^\[E053\] text holds an unpaired surrogate \(U\+D800\) at character 4"):
        scorer.score_text("Bad \ud800 text.")
    with pytest.raises(SlantError, match=r"^\[E052\] text is in German \(de\)"):
        scorer.score_text(GERMAN)
    assert Scorer(scorer.classifier, any_language=True).score_text(GERMAN).sentences
    with pytest.raises(SlantError, match=r"^\[E023\] bad argument ids='1 ids': expected one per text \(2\)"):
        scorer.score_texts(["a", "b"], ids=["only one"])


def test_to_frame_gives_the_sentence_and_document_tables(scorer):
    results = scorer.score_texts(list(TEXTS.values()), ids=list(TEXTS))
    sentences = scorer.to_frame(results, "sentences")
    assert len(sentences) == sum(len(r.sentences) for r in results)
    assert {"doc_id", "sentence_index", "start", "end", "text", "labels"} <= set(sentences.columns)
    assert [c for c in sentences.columns if c.startswith("prob_")] == [f"prob_{label}" for label in scorer.labels]
    documents = scorer.to_frame(results, "documents")
    assert documents.doc_id.tolist() == list(TEXTS)
    for label in scorer.labels:
        per_doc = sentences.groupby("doc_id", sort=False)["labels"].apply(lambda ls: sum(label in l for l in ls))
        assert documents.set_index("doc_id")[f"count_{label}"].to_dict() == per_doc.to_dict()
    n_flagged = sentences.groupby("doc_id", sort=False)["labels"].apply(lambda ls: sum(len(l) > 0 for l in ls))
    assert (documents.set_index("doc_id").flagged_share * documents.set_index("doc_id").n_sentences).round().to_dict() \
        == n_flagged.astype(float).to_dict()
    strongest = documents.strongest[0]
    probabilities = [s["probability"] for s in strongest]
    assert probabilities == sorted(probabilities, reverse=True) and len(strongest) == 3
    assert isinstance(scorer.to_frame(results, "documents", as_arrow=True), pa.Table)


def _write_formats(folder):
    """The same corpus in every input format; returns {format: path}."""
    # Without the BOM: a .txt file's leading BOM is an encoding mark and is not part of the text.
    records = [{"id": k, "text": v.lstrip("\ufeff")} for k, v in TEXTS.items()]
    paths = {"jsonl": write_jsonl(folder / "c.jsonl", records)}
    with gzip.open(folder / "c.csv.gz", "wt", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, ["id", "text"])
        writer.writeheader()
        writer.writerows(records)
    paths["csv"] = folder / "c.csv.gz"
    pq.write_table(pa.Table.from_pylist(records), folder / "c.parquet")
    paths["parquet"] = folder / "c.parquet"
    (folder / "txt").mkdir()
    for record in records:
        (folder / "txt" / f"{record['id']}.txt").write_bytes(record["text"].encode("utf-8"))
    paths["txt"] = folder / "txt"
    return paths


def test_every_input_format_gives_the_same_scores(scorer, tmp_path):
    paths = _write_formats(tmp_path)
    tables = {}
    for fmt, path in paths.items():
        totals = scorer.score_file(path, tmp_path / f"out-{fmt}")
        assert (totals.read, totals.scored, totals.rejected) == (len(TEXTS), len(TEXTS), 0)
        tables[fmt] = read_frame(tmp_path / f"out-{fmt}", "sentences").sort_values(["doc_id", "sentence_index"])
    for fmt, table in tables.items():
        assert_same_scores(table.drop(columns="record_no"), tables["jsonl"].drop(columns="record_no"))
        for row in table.itertuples():
            assert TEXTS[row.doc_id].lstrip("\ufeff")[row.start : row.end] == row.text


def test_cli_scores_reports_rejects_and_is_idempotent(tiny_model_dir, tmp_path, capsys):
    corpus = write_jsonl(tmp_path / "c.jsonl", [{"id": "a", "text": TEXTS["byline"]}, {"id": "b", "text": ""},
                                                 "not json", {"id": "c", "text": TEXTS["quotes"]}])
    out = tmp_path / "scores"
    args = ["score", str(corpus), "--out", str(out), "--model", str(tiny_model_dir), "--quiet", "--chunk-size", "2",
            "--format", "jsonl"]
    assert main(args) == 0
    assert capsys.readouterr().out.strip() == "read 4 = scored 2 + rejected 2 (7 sentences)"
    rejects = [json.loads(line) for part in sorted((out / "rejects").iterdir()) for line in part.read_text().splitlines()]
    assert [(r["record_no"], r["location"], r["code"]) for r in rejects] == [
        (2, "line 2", "empty_text"), (3, "line 3", "bad_record")]
    assert main(args) == 0  # already complete: nothing is scored twice
    assert capsys.readouterr().out.strip() == "read 4 = scored 2 + rejected 2 (7 sentences)"
    assert read_table(out, "documents").column("doc_id").to_pylist() == ["a", "c"]
    assert main(args[:-2] + ["--format", "parquet"]) == 2
    assert "E103" in capsys.readouterr().err
