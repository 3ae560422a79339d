"""Readers: every format, record numbering, and a reject (with a reason and a location) for every
kind of bad record."""

from __future__ import annotations

import csv
import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scoring_data import TEXTS, write_jsonl

from slant.inference import sources
from slant.inference.sources import Document, Reject, detect_format, open_source
from slant.models.errors import SlantError


def items(path, **options):
    return list(open_source(path, **options))


def texts_by_id(found):
    return {item.doc_id: item.text for item in found if isinstance(item, Document)}


# -- formats -------------------------------------------------------------------------------
def test_jsonl_reads_every_line_in_order(corpus):
    found = items(corpus)
    assert [item.record_no for item in found] == [1, 2, 3, 4, 5]
    assert texts_by_id(found) == TEXTS
    assert found[0].location == "line 1"


def test_gzip_inputs_read_directly(tmp_path):
    path = tmp_path / "c.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as file:
        for doc_id, text in TEXTS.items():
            file.write(json.dumps({"id": doc_id, "text": text}) + "\n")
    assert texts_by_id(items(path)) == TEXTS


def test_configurable_fields_and_record_number_ids(tmp_path):
    path = write_jsonl(tmp_path / "c.jsonl", [{"key": 7, "body": "One."}, {"key": 8, "body": "Two."}])
    assert texts_by_id(items(path, id_field="key", text_field="body")) == {"7": "One.", "8": "Two."}
    assert texts_by_id(items(path, id_field=None, text_field="body")) == {"1": "One.", "2": "Two."}


def test_csv_with_multiline_quoted_text_and_gzip(tmp_path):
    rows = [("a", "First line.\nSecond line, with a comma."), ("b", 'He said "yes".')]
    for name, opener in (("c.csv", open), ("c.csv.gz", gzip.open)):
        with opener(tmp_path / name, "wt", encoding="utf-8", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(["id", "text"])
            writer.writerows(rows)
        found = items(tmp_path / name)
        assert texts_by_id(found) == dict(rows)
        assert [(i.record_no, i.location) for i in found] == [(1, "line 2"), (2, "line 4")]


def test_tsv_is_tab_separated(tmp_path):
    (tmp_path / "c.tsv").write_text("id\ttext\nx\tTabbed, text.\n", encoding="utf-8")
    assert texts_by_id(items(tmp_path / "c.tsv")) == {"x": "Tabbed, text."}


def test_parquet_reads_rows_and_integer_ids(tmp_path):
    path = tmp_path / "c.parquet"
    pq.write_table(pa.table({"n": [10, 11], "text": ["One.", "Two."], "other": [1, 2]}), path, row_group_size=1)
    found = items(path, id_field="n")
    assert texts_by_id(found) == {"10": "One.", "11": "Two."}
    assert [(i.record_no, i.location) for i in found] == [(1, "row 1"), (2, "row 2")]


def test_text_folder_recursive_sorted_with_gzip_and_bom(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "a.txt").write_text("Alpha.", encoding="utf-8")
    (tmp_path / "b" / "c.txt").write_bytes("\ufeffGamma.".encode("utf-8"))
    (tmp_path / "b" / "d.txt.gz").write_bytes(gzip.compress("Delta.".encode("utf-8")))
    (tmp_path / "notes.md").write_text("not a document")
    found = items(tmp_path)
    assert [(i.record_no, i.doc_id, i.text) for i in found] == [
        (1, "a", "Alpha."), (2, "b/c", "Gamma."), (3, "b/d", "Delta.")]


def test_format_detection_and_errors(tmp_path):
    assert detect_format("x.jsonl.gz") == "jsonl"
    assert detect_format("x.ndjson") == "jsonl"
    assert detect_format("x.CSV") == "csv"
    assert detect_format(tmp_path) == "txt"
    (tmp_path / "x.xml").write_text("<a/>")
    with pytest.raises(SlantError, match="E100"):
        open_source(tmp_path / "x.xml")
    with pytest.raises(SlantError, match="E004"):
        open_source(tmp_path / "missing.jsonl")
    (tmp_path / "c.csv").write_text("id,body\n1,x\n")
    with pytest.raises(SlantError, match=r"E101.*'text'.*--text-field.*id, body"):
        open_source(tmp_path / "c.csv")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SlantError, match="E102"):
        open_source(empty)


# -- rejects -------------------------------------------------------------------------------
def test_every_bad_jsonl_record_is_rejected_with_reason_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    write_jsonl(path, [
        {"id": "ok", "text": "Fine."},            # 1
        {"id": "empty", "text": "  \n "},         # 2
        {"id": "no-text"},                        # 3
        {"text": "No id."},                       # 4
        '{"id": "broken", "text": ',              # 5
        "[1, 2]",                                 # 6
        {"id": "number", "text": 42},             # 7
        {"id": "long", "text": "x" * 101},        # 8
        {"id": "ok", "text": "Same id again."},   # 9
        "",                                       # 10
        '{"id": "surrogate", "text": "bad \\ud800 text"}',  # 11
    ])
    with open(path, "ab") as file:
        file.write(b'{"id": "latin1", "text": "caf\xe9"}\n')  # 12
        file.write(b'{"id": "huge", "text": "' + b"y" * 1_000_000 + b'"}\n')  # 13: over the line limit
        file.write(b'{"id": "last", "text": "Last."}')  # 14: no final newline
    found = items(path, max_chars=100)
    assert [i.record_no for i in found] == list(range(1, 15))
    rejects = {i.record_no: (i.code, i.location) for i in found if isinstance(i, Reject)}
    assert rejects == {
        2: (sources.EMPTY_TEXT, "line 2"), 3: (sources.MISSING_FIELD, "line 3"), 4: (sources.MISSING_FIELD, "line 4"),
        5: (sources.BAD_RECORD, "line 5"), 6: (sources.BAD_RECORD, "line 6"), 7: (sources.BAD_RECORD, "line 7"),
        8: (sources.OVERSIZED, "line 8"), 9: (sources.DUPLICATE_ID, "line 9"), 10: (sources.BAD_RECORD, "line 10"),
        11: (sources.BAD_ENCODING, "line 11"), 12: (sources.BAD_ENCODING, "line 12"), 13: (sources.OVERSIZED, "line 13"),
    }
    assert texts_by_id(found) == {"ok": "Fine.", "last": "Last."}
    reasons = {i.record_no: i.reason for i in found if isinstance(i, Reject)}
    assert "'text'" in reasons[3] and "'id'" in reasons[4] and "record 1" in reasons[9]
    assert "over the limit of 100" in reasons[8]


def test_bad_csv_rows_are_rejected_one_by_one(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"id,text\na,Good.\nb,caf\xe9\nc,\nd\ne,Also good.\n")
    found = items(path)
    assert texts_by_id(found) == {"a": "Good.", "e": "Also good."}
    assert {i.record_no: i.code for i in found if isinstance(i, Reject)} == {
        2: sources.BAD_ENCODING, 3: sources.EMPTY_TEXT, 4: sources.MISSING_FIELD}


def test_bad_parquet_rows_are_rejected(tmp_path):
    path = tmp_path / "bad.parquet"
    text = pa.array([b"Good.", None, b"caf\xe9", b"   "], pa.binary())
    pq.write_table(pa.table({"id": ["a", "b", "c", "d"], "text": text}), path)
    found = items(path)
    assert texts_by_id(found) == {"a": "Good."}
    assert {i.record_no: i.code for i in found if isinstance(i, Reject)} == {
        2: sources.MISSING_FIELD, 3: sources.BAD_ENCODING, 4: sources.EMPTY_TEXT}


def test_bad_text_files_are_rejected(tmp_path):
    (tmp_path / "a.txt").write_text("Good.", encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(b"caf\xe9")
    (tmp_path / "c.txt").write_text("")
    (tmp_path / "d.txt").write_text("z" * 500)
    found = items(tmp_path, max_chars=100)
    assert {i.location: getattr(i, "code", None) for i in found} == {
        "a.txt": None, "b.txt": sources.BAD_ENCODING, "c.txt": sources.EMPTY_TEXT, "d.txt": sources.OVERSIZED}
    # Every reject of a folder names its document: the file's id is known even when it cannot be read.
    (tmp_path / "e").mkdir()
    (tmp_path / "e" / "f.txt.gz").write_bytes(b"not gzip")
    found = items(tmp_path, max_chars=100)
    assert {i.location: i.doc_id for i in found if isinstance(i, Reject)} == {
        "b.txt": "b", "c.txt": "c", "d.txt": "d", "e/f.txt.gz": "e/f"}
