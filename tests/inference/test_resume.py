"""Kill -9 a scoring run mid-way, twice, rerun the same command: every record is in the output
exactly once, and the output equals an uninterrupted run's."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from scoring_data import TEXTS, assert_same_scores, write_jsonl

from slant.inference.sinks import MANIFEST, read_frame, read_manifest

N_DOCS = 200


def committed_chunks(out) -> int:
    try:
        return len(json.loads((out / MANIFEST).read_text())["chunks"])
    except (OSError, ValueError):  # not written yet
        return 0


def run_until(command, out, chunks: int | None):
    """Run `command`; kill -9 it once `chunks` chunks are committed (None: let it finish)."""
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    if chunks is None:
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr.decode()
        return stdout.decode()
    deadline = time.time() + 300
    while committed_chunks(out) < chunks:
        assert process.poll() is None, f"finished before the kill: {process.stderr.read().decode()[-2000:]}"
        assert time.time() < deadline
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return None


@pytest.fixture
def big_corpus(tmp_path):
    texts = list(TEXTS.values())
    records = [{"id": f"doc-{i}", "text": texts[i % len(texts)] + f" Number {i}."} for i in range(N_DOCS)]
    records[17] = {"id": "empty", "text": ""}
    records[150] = "{not json"
    return write_jsonl(tmp_path / "big.jsonl", records)


@pytest.mark.integration
def test_killed_runs_resume_to_exactly_one_row_per_document(big_corpus, tiny_model_dir, scorer, tmp_path):
    out = tmp_path / "scores"
    command = [sys.executable, "-m", "slant.cli.main", "score", str(big_corpus), "--out", str(out),
               "--model", str(tiny_model_dir), "--chunk-size", "3", "--threads", "1", "--quiet"]
    run_until(command, out, chunks=5)
    first = read_manifest(out).last_record
    assert 0 < first < N_DOCS
    run_until(command, out, chunks=committed_chunks(out) + 20)  # the resumed run, killed again
    assert read_manifest(out).last_record > first
    summary = run_until(command, out, chunks=None)
    assert summary.strip() == f"read {N_DOCS} = scored {N_DOCS - 2} + rejected 2 ({read_manifest(out).totals.sentences:,} sentences)"

    documents = read_frame(out, "documents")
    assert documents.record_no.tolist() == [n for n in range(1, N_DOCS + 1) if n not in (18, 151)]
    assert documents.doc_id.is_unique
    assert read_frame(out, "rejects").record_no.tolist() == [18, 151]
    sentences = read_frame(out, "sentences")
    assert not sentences.duplicated(["record_no", "sentence_index"]).any()
    assert set(sentences.record_no) == set(documents.record_no)
    committed = {name for table in ("sentences", "documents", "rejects") for name in read_manifest(out).files(table)}
    on_disk = {f"{p.parent.name}/{p.name}" for p in out.glob("*/*")} | {f"{p.parent.name}/{p.name}" for p in out.glob("*/.*")}
    assert on_disk == committed  # nothing half-written is left behind

    reference = tmp_path / "reference"
    scorer.score_file(big_corpus, reference, chunk_size=64)
    assert_same_scores(sentences, read_frame(reference, "sentences"))
