"""Chunked output: commits, the manifest, clean-up after a crash, and refusing a different run."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

from slant.inference import rows
from slant.inference.sinks import MANIFEST, ChunkedWriter, jsonl_bytes, read_frame, read_manifest, read_table
from slant.inference.sources import Reject
from slant.models.errors import SlantError
from slant.models.sentences import Span

LABELS = ["a", "b"]
SETTINGS = {"input": {"size": 1}, "labels": LABELS, "thresholds": {"a": 0.5, "b": 0.5}}


def chunk(first: int, n_docs: int) -> rows.ScoredChunk:
    """n_docs documents numbered from `first`, two sentences each."""
    spans = [[Span(0, 3, "One"), Span(4, 7, "Two")] for _ in range(n_docs)]
    probabilities = np.tile(np.array([[0.9, 0.1], [0.2, 0.6]], dtype=np.float32), (n_docs, 1))
    return rows.ScoredChunk(doc_ids=[f"d{first + i}" for i in range(n_docs)],
                            record_nos=list(range(first, first + n_docs)), text_lengths=[7] * n_docs,
                            spans=spans, probabilities=probabilities, flags=probabilities >= 0.5, labels=LABELS)


def commit(writer, first, n_docs, rejects=()):
    scored = chunk(first, n_docs)
    last = first + n_docs + len(rejects) - 1
    return writer.commit(last, rows.sentence_table(scored), rows.document_table(scored), rows.reject_table(list(rejects)))


def test_commits_chunks_and_reads_them_back_in_order(tmp_path):
    writer = ChunkedWriter(tmp_path / "out", SETTINGS)
    commit(writer, 1, 2)
    commit(writer, 3, 1, [Reject(4, "line 4", "empty_text", "text is empty")])
    totals = writer.finish()
    assert (totals.read, totals.scored, totals.rejected, totals.sentences) == (4, 3, 1, 6)
    documents = read_frame(tmp_path / "out", "documents")
    assert documents.doc_id.tolist() == ["d1", "d2", "d3"]
    assert documents.count_a.tolist() == [1, 1, 1] and documents.n_flagged.tolist() == [2, 2, 2]
    assert documents.strongest[0][0]["text"] == "One" and documents.strongest[0][0]["label"] == "a"
    sentences = read_table(tmp_path / "out", "sentences")
    assert sentences.column("labels").to_pylist()[:2] == [["a"], ["b"]]
    assert read_table(tmp_path / "out", "rejects").to_pylist() == [
        {"record_no": 4, "location": "line 4", "doc_id": None, "code": "empty_text", "reason": "text is empty"}]
    manifest = read_manifest(tmp_path / "out")
    assert manifest.complete and [c["last_record"] for c in manifest.chunks] == [2, 4]


def test_a_chunk_must_account_for_every_record(tmp_path):
    writer = ChunkedWriter(tmp_path / "out", SETTINGS)
    scored = chunk(1, 2)
    with pytest.raises(RuntimeError, match="exactly one"):
        writer.commit(3, rows.sentence_table(scored), rows.document_table(scored), rows.reject_table([]))


def test_reopening_resumes_and_deletes_uncommitted_parts(tmp_path):
    out = tmp_path / "out"
    writer = ChunkedWriter(out, SETTINGS)
    commit(writer, 1, 2)
    # What a run killed mid-commit leaves: a renamed part the manifest never named, and a temporary file.
    (out / "documents" / "part-000001.parquet").write_bytes(b"partial")
    (out / "sentences" / ".part-000001.parquet.tmp").write_bytes(b"partial")
    writer.close()  # the killed run's lock dies with its process
    resumed = ChunkedWriter(out, SETTINGS)
    assert resumed.last_record == 2 and not resumed.complete
    assert sorted(p.name for p in (out / "documents").iterdir()) == ["part-000000.parquet"]
    assert not list((out / "sentences").glob(".*"))
    commit(resumed, 3, 1)
    resumed.finish()
    assert read_frame(out, "documents").doc_id.tolist() == ["d1", "d2", "d3"]


def test_a_different_run_is_refused_unless_overwritten(tmp_path):
    out = tmp_path / "out"
    with ChunkedWriter(out, SETTINGS) as first:
        commit(first, 1, 1)
    changed = {**SETTINGS, "thresholds": {"a": 0.3, "b": 0.5}}
    with pytest.raises(SlantError, match=r"E103.*thresholds\.a was 0\.5, now 0\.3"):
        ChunkedWriter(out, changed)
    with pytest.raises(SlantError, match="E103.*output format"):
        ChunkedWriter(out, SETTINGS, output_format="jsonl")
    fresh = ChunkedWriter(out, changed, overwrite=True)
    assert fresh.last_record == 0 and not list((out / "documents").iterdir())


def test_a_folder_with_other_files_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(SlantError, match="E104"):
        ChunkedWriter(tmp_path, SETTINGS)


def test_jsonl_output_reads_back_like_parquet(tmp_path):
    for fmt in ("parquet", "jsonl"):
        writer = ChunkedWriter(tmp_path / fmt, SETTINGS, output_format=fmt)
        commit(writer, 1, 2, [Reject(3, "line 3", "bad_record", "blank line")])
        writer.finish()
    assert (tmp_path / "jsonl" / "sentences" / "part-000000.jsonl").exists()
    for table in ("sentences", "documents", "rejects"):
        assert read_table(tmp_path / "jsonl", table).equals(read_table(tmp_path / "parquet", table))


def test_jsonl_keeps_float32_values_short_and_exact():
    table = pa.table({"p": pa.array([0.1, 0.25], pa.float32()), "s": ["x", "é"]})
    lines = jsonl_bytes(table).decode("utf-8").splitlines()
    assert lines == ['{"p": 0.1, "s": "x"}', '{"p": 0.25, "s": "é"}']
    assert np.float32(json.loads(lines[0])["p"]) == table.column("p").to_numpy()[0]


def test_manifest_is_valid_json_after_every_commit(tmp_path):
    writer = ChunkedWriter(tmp_path / "out", SETTINGS)
    for first in (1, 2, 3):
        commit(writer, first, 1)
        data = json.loads((tmp_path / "out" / MANIFEST).read_text())
        assert data["totals"]["read"] == first and data["complete"] is False
