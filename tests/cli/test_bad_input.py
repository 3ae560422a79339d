"""Every bad input gets one clear line, the same across `check`, `serve`, `score` and the Python API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from fastapi.testclient import TestClient

from slant.cli.main import main
from slant.inference.batch import Scorer
from slant.inference.predictor import Predictor
from slant.inference.server import create_app
from slant.models.errors import SlantError


def error_line(captured, command: str) -> str:
    """The one line a command printed on stderr, without its `slant CMD: error: ` prefix."""
    assert captured.out == "" and captured.err.count("\n") == 1, captured
    prefix = f"slant {command}: error: "
    assert captured.err.startswith(prefix), captured.err
    return captured.err[len(prefix):].rstrip("\n")


@pytest.fixture(scope="module")
def client(tiny_model_dir):
    return TestClient(create_app(Predictor.load(str(tiny_model_dir)), max_chars=1000), raise_server_exceptions=False)


def test_lone_surrogate_is_a_422_with_the_line_of_the_python_api(client, tiny_model_dir):
    response = client.post("/api/analyse", content=b'{"text": "Bad \\ud800 news for the council."}',
                           headers={"content-type": "application/json"})
    assert response.status_code == 422
    body = response.json()
    assert body == {"code": "E053", "detail": "[E053] text holds an unpaired surrogate (U+D800) at character 4; "
                                              "send valid Unicode text"}
    with pytest.raises(SlantError) as predictor_error:
        Predictor.load(str(tiny_model_dir)).analyse("Bad \ud800 news for the council.")
    with pytest.raises(SlantError) as scorer_error:
        Scorer.load(str(tiny_model_dir), threads=1).score_text("Bad \ud800 news for the council.")
    assert str(predictor_error.value) == str(scorer_error.value) == body["detail"]


@pytest.mark.parametrize("text", ["", "  \n\t "])
def test_empty_input_is_the_same_line_in_check_and_the_api(client, tmp_path, tiny_model_dir, capsys, text):
    draft = tmp_path / "empty.txt"
    draft.write_text(text)
    assert main(["check", str(draft), "--model", str(tiny_model_dir)]) == 2
    line = error_line(capsys.readouterr(), "check")
    response = client.post("/api/analyse", json={"text": text})
    assert response.status_code == 422 and response.json() == {"code": "E050", "detail": line}
    assert line == "[E050] text is empty or only whitespace; give some text to check"


def test_a_30_mb_document_is_refused_at_once_by_check(tmp_path, capsys):
    big = tmp_path / "big.txt"
    big.write_bytes(b"The council rammed through a crippling tax hike. " * 640_000)  # 31 MB
    started = time.monotonic()
    assert main(["check", str(big), "--model", "/no/model/needed/yet"]) == 2
    assert time.monotonic() - started < 5  # before the model loads
    line = error_line(capsys.readouterr(), "check")
    assert line == (f"[E054] {big} has 31,360,000 bytes, more than 100,000 characters (--max-chars) can take; "
                    "raise --max-chars or split the text")
    within_bytes = tmp_path / "long.txt"
    within_bytes.write_text("x" * 1001)
    assert main(["check", str(within_bytes), "--max-chars", "1000"]) == 2
    assert error_line(capsys.readouterr(), "check") == "[E051] text has 1001 characters, over the limit of 1000"


def test_stdin_over_the_limit_is_refused_too(capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"y" * 500)))
    assert main(["check", "-", "--max-chars", "100"]) == 2
    assert error_line(capsys.readouterr(), "check").startswith("[E054] <stdin> has over 400 bytes")


def test_a_long_check_shows_progress_unless_quiet(tmp_path, tiny_model_dir, capsys):
    draft = tmp_path / "long.txt"
    draft.write_text("The council met again on Tuesday. " * 300)
    assert main(["check", str(draft), "--model", str(tiny_model_dir), "--threshold", "1", "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert len(json.loads(captured.out)["sentences"]) == 300
    assert "slant check: scoring sentences: 100.0% | 300 sentences" in captured.err
    assert main(["check", str(draft), "--model", str(tiny_model_dir), "--threshold", "1", "--quiet"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("command", ["check", "score"])
def test_a_model_path_that_does_not_exist_is_named(tmp_path, capsys, command):
    draft = tmp_path / "draft.jsonl"
    draft.write_text('{"id": 1, "text": "The council met."}\n')
    missing = tmp_path / "runs" / "nope" / "model"
    args = [command, str(draft), "--model", str(missing)] + (["--out", str(tmp_path / "out")] if command == "score" else [])
    assert main(args) == 2
    line = error_line(capsys.readouterr(), command)
    assert line.startswith(f"[E030] cannot load model '{missing}': no such folder: {missing}")
    assert "Repo id" not in line
    empty = tmp_path / "empty-model"
    empty.mkdir()
    args[3] = str(empty)
    assert main(args) == 2
    assert error_line(capsys.readouterr(), command) == (
        f"[E030] cannot load model '{empty}': {empty} has no config.json, so it is not a model folder "
        "(give the folder that holds config.json)")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_labels_into_a_closed_pipe_exits_quietly():
    # `| head -1`: whether head has closed the pipe before slant writes the rest is a race, so
    # the exit status is 0 or 141; the point is that nothing is said.
    command = f"{sys.executable} -m slant.cli.main labels | head -1"
    result = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, timeout=60)
    assert result.stdout.startswith("loaded_language") and result.stderr == ""
    assert result.returncode in (0, 141)
    # A pipe whose reader is already gone: the write fails for sure.
    read, write = os.pipe()
    os.close(read)
    try:
        closed = subprocess.run([sys.executable, "-m", "slant.cli.main", "labels"], stdout=write,
                                stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(write)
    assert closed.stderr == ""  # no BrokenPipeError traceback, no "Exception ignored" either
    assert closed.returncode == 141  # as a process SIGPIPE ended: what shells expect of `cmd | head`


def test_version(capsys):
    from importlib import metadata

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"slant {metadata.version('slant')}\n"


def test_models_list_on_an_empty_registry_says_so_and_creates_no_store(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    import mlflow

    mlflow.set_tracking_uri(None)
    mlflow.set_registry_uri(None)
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"no versions yet: no MLflow store at sqlite:///{tmp_path}/mlflow.db;")
    assert main(["models", "list", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["models", "promote", "1"]) == 2
    assert error_line(capsys.readouterr(), "models").startswith("[E307] no MLflow store at")
    draft = tmp_path / "d.txt"
    draft.write_text("The council met.")
    assert main(["check", str(draft), "--model", "models:/slant@champion"]) == 2
    assert error_line(capsys.readouterr(), "check").startswith("[E032] no MLflow store at")
    assert os.listdir(tmp_path) == ["d.txt"]  # no mlflow.db, no mlruns


def test_models_list_on_a_store_without_the_model_exits_0(mlflow_local, capsys):
    from mlflow import MlflowClient

    MlflowClient().search_experiments()  # the store exists now
    assert main(["models", "list", "--name", "nothing-here"]) == 0
    assert capsys.readouterr().out.startswith("no versions yet: no model 'nothing-here' is registered in")
