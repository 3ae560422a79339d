"""Metadata travels: each input record's other fields reach the documents table, from every
input format and through the real `slant score` command; `--keep-fields` chooses them."""

from __future__ import annotations

import csv
import datetime
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scoring_data import write_jsonl

from slant.cli.main import main
from slant.inference.sinks import read_frame, read_manifest, read_table
from slant.inference.sources import ALL_FIELDS, Document, Reject, open_source
from slant.models.errors import SlantError

RECORDS = [
    {"id": "a", "text": "The plan is a disaster. Critics agree.", "source": "Daily", "date": "2024-05-01",
     "url": "https://example.org/a", "words": 7, "tags": ["politics", "ü"]},
    {"id": "b", "text": "The bridge opens in May.", "source": "Herald", "date": "2024-05-09"},
]


def metas(path, **options):
    return {item.doc_id: item.meta for item in open_source(path, **options) if isinstance(item, Document)}


def test_jsonl_keeps_every_other_field_as_text_and_nulls_what_a_record_lacks(tmp_path):
    path = write_jsonl(tmp_path / "c.jsonl", RECORDS)
    assert metas(path, keep_fields=ALL_FIELDS) == {
        "a": {"source": "Daily", "date": "2024-05-01", "url": "https://example.org/a", "words": "7",
              "tags": '["politics", "ü"]'},
        "b": {"source": "Herald", "date": "2024-05-09", "url": None, "words": None, "tags": None},
    }
    assert metas(path, keep_fields=["date", "source"]) == {
        "a": {"date": "2024-05-01", "source": "Daily"}, "b": {"date": "2024-05-09", "source": "Herald"}}
    assert metas(path) == {"a": {}, "b": {}}  # the low-level reader keeps nothing unless asked
    with pytest.raises(SlantError, match=r"E101.*'sourse' \(set by --keep-fields\); its columns are: source, date"):
        open_source(path, keep_fields=["sourse"])


def test_csv_and_parquet_keep_their_columns(tmp_path):
    with open(tmp_path / "c.csv", "w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["id", "source", "text", "date"])
        writer.writerow(["a", "Daily", "One.", "2024-05-01"])
    assert metas(tmp_path / "c.csv", keep_fields=ALL_FIELDS) == {"a": {"source": "Daily", "date": "2024-05-01"}}

    table = pa.table({"id": ["a", "b"], "text": ["One.", "Two."], "source": ["Daily", None],
                      "published": [datetime.datetime(2024, 5, 1, 9, 30), None], "words": [7, 8],
                      "tags": [["x"], []]})
    pq.write_table(table, tmp_path / "c.parquet")
    found = metas(tmp_path / "c.parquet", keep_fields=ALL_FIELDS)
    assert found["a"] == {"source": "Daily", "published": "2024-05-01 09:30:00.000000", "words": "7", "tags": '["x"]'}
    assert found["b"] == {"source": None, "published": None, "words": "8", "tags": "[]"}
    assert metas(tmp_path / "c.parquet", keep_fields=["words"]) == {"a": {"words": "7"}, "b": {"words": "8"}}


def test_a_text_folder_has_its_folder_and_the_fields_of_a_json_beside_each_file(tmp_path):
    (tmp_path / "daily" / "2024").mkdir(parents=True)
    (tmp_path / "daily" / "2024" / "a.txt").write_text("One.", encoding="utf-8")
    (tmp_path / "daily" / "2024" / "a.json").write_text('{"date": "2024-05-01", "author": "Kim"}', encoding="utf-8")
    (tmp_path / "b.txt").write_text("Two.", encoding="utf-8")
    (tmp_path / "c.txt").write_text("Three.", encoding="utf-8")
    (tmp_path / "c.json").write_text("[1, 2]", encoding="utf-8")
    found = list(open_source(tmp_path, keep_fields=ALL_FIELDS))
    assert found[0] == Document(1, "b", "Two.", "b.txt", 1, {"folder": "", "date": None, "author": None})
    assert isinstance(found[1], Reject) and found[1].code == "bad_record" and "c.json" in found[1].reason
    assert found[2].meta == {"folder": "daily/2024", "date": "2024-05-01", "author": "Kim"}


def test_unpaired_surrogates_in_a_kept_field_reject_that_record_only(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"id": "a", "text": "One.", "source": "\\ud800"}\n{"id": "b", "text": "Two.", "source": "x"}\n',
                    encoding="utf-8")
    found = list(open_source(path, keep_fields=ALL_FIELDS))
    assert isinstance(found[0], Reject) and found[0].code == "bad_encoding" and "'source'" in found[0].reason
    assert found[1].meta == {"source": "x"}


@pytest.mark.parametrize("output_format", ["parquet", "jsonl"])
def test_slant_score_carries_the_fields_into_the_documents_table(tiny_model_dir, tmp_path, capsys, output_format):
    corpus = write_jsonl(tmp_path / "c.jsonl", RECORDS)
    out = tmp_path / "scores"
    args = ["score", str(corpus), "--out", str(out), "--model", str(tiny_model_dir), "--quiet",
            "--output-format", output_format]
    assert main(args) == 0
    documents = read_table(out, "documents").select(["doc_id", "source", "date", "url", "words", "tags"])
    assert documents.to_pylist() == [
        {"doc_id": "a", "source": "Daily", "date": "2024-05-01", "url": "https://example.org/a", "words": "7",
         "tags": '["politics", "ü"]'},
        {"doc_id": "b", "source": "Herald", "date": "2024-05-09", "url": None, "words": None, "tags": None}]
    assert read_manifest(out).settings["keep_fields"] == ["source", "date", "url", "words", "tags"]
    assert main(args) == 0  # the same command again: complete, nothing rescored
    capsys.readouterr()
    assert main(args + ["--keep-fields", "source"]) == 2  # other fields make another run
    assert "E103" in capsys.readouterr().err

    chosen = tmp_path / "chosen"
    assert main(args[:3] + [str(chosen)] + args[4:] + ["--keep-fields", "date, source"]) == 0
    assert list(read_frame(chosen, "documents").columns[-2:]) == ["date", "source"]
    none = tmp_path / "none"
    assert main(args[:3] + [str(none)] + args[4:] + ["--keep-fields", ""]) == 0
    assert "keep_fields" not in read_manifest(none).settings  # as runs made before fields travelled
    assert "source" not in read_frame(none, "documents").columns


def test_a_field_named_like_a_documents_column_is_a_one_line_error(tiny_model_dir, tmp_path, capsys):
    corpus = write_jsonl(tmp_path / "c.jsonl", [{"id": "a", "text": "One.", "n_sentences": 3, "source": "x"}])
    args = ["score", str(corpus), "--out", str(tmp_path / "s"), "--model", str(tiny_model_dir), "--quiet"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "E150" in err and "'n_sentences'" in err and len(err.strip().splitlines()) == 1
    assert main(args + ["--keep-fields", "source"]) == 0


def test_every_format_reaches_the_same_documents_table_columns(scorer, tmp_path):
    records = [{"id": "a", "text": "One. Two.", "source": "Daily"}, {"id": "b", "text": "Three.", "source": "Herald"}]
    write_jsonl(tmp_path / "c.jsonl", records)
    with open(tmp_path / "c.csv", "w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, ["id", "text", "source"])
        writer.writeheader()
        writer.writerows(records)
    pq.write_table(pa.Table.from_pylist(records), tmp_path / "c.parquet")
    (tmp_path / "txt").mkdir()
    for record in records:
        (tmp_path / "txt" / f"{record['id']}.txt").write_text(record["text"], encoding="utf-8")
        (tmp_path / "txt" / f"{record['id']}.json").write_text(json.dumps({"source": record["source"]}))
    for name in ("c.jsonl", "c.csv", "c.parquet", "txt"):
        scorer.score_file(tmp_path / name, tmp_path / f"out-{name}")
        documents = read_frame(tmp_path / f"out-{name}", "documents")
        assert documents[["doc_id", "source"]].values.tolist() == [["a", "Daily"], ["b", "Herald"]], name


@pytest.mark.integration
def test_the_ray_engine_carries_the_same_fields(scorer, tiny_model_dir, tmp_path):
    pytest.importorskip("ray")
    from slant.inference.ray_engine import score_with_ray

    # `start` is also a sentence column (an integer): the packed Ray blocks must keep them apart
    records = [{"id": f"d{i}", "text": "One. Two.", "source": ["Daily", "Herald"][i % 2], "start": f"2024-05-0{i % 9 + 1}"}
               for i in range(12)]
    corpus = write_jsonl(tmp_path / "c.jsonl", records)
    scorer.score_file(corpus, tmp_path / "local", chunk_size=5)
    score_with_ray(corpus, tmp_path / "ray", model=str(tiny_model_dir), actors=1, threads=1, chunk_size=4, quiet=True)
    local, ray = read_table(tmp_path / "local", "documents"), read_table(tmp_path / "ray", "documents")
    assert ray.select(["doc_id", "source", "start"]).to_pylist() == local.select(["doc_id", "source", "start"]).to_pylist()
    assert ray.column("start").to_pylist()[:2] == ["2024-05-01", "2024-05-02"]
    assert read_manifest(tmp_path / "ray").settings["keep_fields"] == ["source", "start"]
