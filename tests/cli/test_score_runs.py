"""`slant score` runs that cannot lose or mix work: each case runs the command (in-process or as a
real process), then checks its exit code, its one-line message, and the output folder afterwards."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from slant.cli.main import main
from slant.inference.sinks import MANIFEST, ChunkedWriter, read_frame, read_manifest

ENGLISH = "Critics say the reform is a disaster. Number {i} is here."


def write_corpus(path: Path, n: int, bad: dict[int, dict] | None = None) -> Path:
    with open(path, "w", encoding="utf-8") as file:
        for i in range(n):
            record = (bad or {}).get(i, {"id": f"d{i}", "text": ENGLISH.format(i=i)})
            file.write(json.dumps(record) + "\n")
    return path


def files(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes (what "nothing lost, nothing changed" compares)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def one_line_error(captured, command: str, code: str) -> str:
    assert captured.err.startswith(f"slant {command}: error: [{code}]"), captured.err
    assert captured.err.count("\n") == 1, captured.err
    return captured.err


@pytest.fixture
def corpus(tmp_path):
    return write_corpus(tmp_path / "corpus.jsonl", 6)


def score(corpus, out, model, *extra) -> int:
    return main(["score", str(corpus), "--out", str(out), "--model", str(model), "--quiet", "--chunk-size", "2",
                 *map(str, extra)])


def test_out_naming_a_file_is_one_line_and_exit_2(corpus, tmp_path, tiny_model_dir, capsys):
    target = tmp_path / "scores.txt"
    target.write_text("mine")
    assert score(corpus, target, tmp_path / "no-model-yet") == 2  # refused before any model loads
    error = one_line_error(capsys.readouterr(), "score", "E109")
    assert f"--out {target} is a file" in error
    assert target.read_text() == "mine"


def test_overwrite_deletes_nothing_when_it_cannot_run(corpus, tmp_path, tiny_model_dir, capsys):
    out = tmp_path / "scores"
    assert score(corpus, out, tiny_model_dir) == 0
    (out / "notes.txt").write_text("the user's")
    (out / "documents" / "my-extract.csv").write_text("the user's too")
    before = files(out)
    capsys.readouterr()
    assert score(corpus, out, tiny_model_dir, "--overwrite", "--threshold", "0.3") == 2
    error = one_line_error(capsys.readouterr(), "score", "E111")
    assert "documents/my-extract.csv" in error and "--overwrite replaces only a Slant run" in error
    assert files(out) == before  # nothing deleted, nothing changed

    (out / "notes.txt").unlink()
    (out / "documents" / "my-extract.csv").unlink()
    assert score(corpus, out, tiny_model_dir, "--overwrite", "--threshold", "0.3") == 0
    assert read_manifest(out).settings["thresholds"]["doubt"] == 0.3
    assert read_frame(out, "documents").doc_id.tolist() == [f"d{i}" for i in range(6)]


def test_a_resumed_run_keeps_the_files_of_the_user(corpus, tmp_path, tiny_model_dir, capsys):
    out = tmp_path / "scores"
    assert score(corpus, out, tiny_model_dir) == 0
    (out / "sentences" / "README").write_text("kept")
    assert score(corpus, out, tiny_model_dir) == 0
    assert (out / "sentences" / "README").read_text() == "kept"
    assert "already holds this run, complete" not in capsys.readouterr().err  # --quiet says nothing


def test_every_record_rejected_exits_1_with_the_first_reason(tmp_path, tiny_model_dir, capsys):
    corpus = tmp_path / "bad.jsonl"
    corpus.write_text('{"id": "a", "text": ""}\n{not json\n{"id": "c"}\n', encoding="utf-8")
    out = tmp_path / "scores"
    assert score(corpus, out, tiny_model_dir) == 1
    captured = capsys.readouterr()
    assert captured.out == "read 3 = scored 0 + rejected 3 (0 sentences)\n"
    error = one_line_error(captured, "score", "E112")
    assert "all 3 were rejected, the first at line 1 (empty_text: text is empty or whitespace)" in error
    assert read_frame(out, "rejects").code.tolist() == ["empty_text", "bad_record", "missing_field"]

    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert score(empty, tmp_path / "none", tiny_model_dir) == 1
    error = one_line_error(capsys.readouterr(), "score", "E112")
    assert error.rstrip().endswith(f"no record of {empty} could be scored: it holds no records")


def test_a_changed_input_is_named_first(corpus, tmp_path, tiny_model_dir, capsys):
    out = tmp_path / "scores"
    assert score(corpus, out, tiny_model_dir) == 0
    before = files(out)
    write_corpus(corpus, 7)
    capsys.readouterr()
    assert score(corpus, out, tiny_model_dir) == 2
    error = one_line_error(capsys.readouterr(), "score", "E103")
    assert error.startswith(f"slant score: error: [E103] the input {corpus.resolve()} changed since that run began (")
    assert "bytes" in error and "mtime_ns" not in error and "use another --out folder, or --overwrite" in error
    assert files(out) == before


def test_a_second_run_into_the_same_folder_is_refused_at_once(corpus, tmp_path, tiny_model_dir, capsys):
    out = tmp_path / "scores"
    assert score(corpus, out, tiny_model_dir) == 0
    before = files(out)
    with ChunkedWriter(out, read_manifest(out).settings):  # a run holding the folder (here: this process)
        capsys.readouterr()
        started = time.monotonic()
        assert score(corpus, out, tmp_path / "no-model-yet", "--overwrite") == 2  # before any model loads
        assert time.monotonic() - started < 30  # at once: no work redone
        error = one_line_error(capsys.readouterr(), "score", "E110")
        assert f"{out} is in use by another `slant score` run (process {os.getpid()})" in error
    assert files(out) == before


# -- real processes: two at once, Ctrl-C, resume ----------------------------------------------
def committed(out: Path) -> int:
    try:
        return json.loads((out / MANIFEST).read_text())["chunks"][-1]["last_record"]
    except (OSError, ValueError, IndexError, KeyError):
        return 0


def start(command: list[str]) -> subprocess.Popen:
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false"}
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def wait_for(process: subprocess.Popen, out: Path, records: int, timeout: float = 240):
    deadline = time.monotonic() + timeout
    while committed(out) < records:
        assert process.poll() is None, process.communicate()[1][-2000:]
        assert time.monotonic() < deadline
        time.sleep(0.05)


@pytest.mark.integration
def test_two_runs_ctrl_c_and_resume_as_processes(tmp_path, tiny_model_dir):
    n = 3000
    corpus = write_corpus(tmp_path / "big.jsonl", n, bad={10: {"id": "empty", "text": ""}})
    out = tmp_path / "scores"
    command = [sys.executable, "-m", "slant.cli.main", "score", str(corpus), "--out", str(out),
               "--model", str(tiny_model_dir), "--chunk-size", "10", "--threads", "1"]
    first = start(command)
    try:
        wait_for(first, out, 20)
        # A second run into the same folder is refused at once, naming it; the first goes on.
        second = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert second.returncode == 2 and second.stdout == ""
        assert second.stderr.startswith(f"slant score: error: [E110] {out} is in use by another `slant score` run "
                                        f"(process {first.pid})")
        assert second.stderr.count("\n") == 1
        assert first.poll() is None
        # Ctrl-C: the run stops and says how to resume.
        first.send_signal(signal.SIGINT)
        _, stderr = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 130
    stopped_at = read_manifest(out).last_record
    assert 0 < stopped_at < n
    assert stderr.rstrip().endswith(f"slant score: interrupted; {stopped_at:,} records are committed in {out}; "
                                    "run the same command again to resume from there")

    # The same command resumes, says so and how much is left, and finishes exactly once per record.
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    notes = resumed.stderr.splitlines()
    assert notes[0].startswith(f"resuming the run in {out}: records 1-{stopped_at:,} are committed (")
    assert notes[0].endswith(" left") and " of " in notes[0]
    assert resumed.stdout.startswith(f"read {n:,} = scored {n - 1:,} + rejected 1 (")
    documents = read_frame(out, "documents")
    assert documents.record_no.tolist() == [r for r in range(1, n + 1) if r != 11]
    assert documents.doc_id.is_unique
    assert read_frame(out, "rejects").doc_id.tolist() == ["empty"]
    sentences = read_frame(out, "sentences")
    assert not sentences.duplicated(["record_no", "sentence_index"]).any()
    assert set(sentences.record_no) == set(documents.record_no)
