"""Shared fixtures: a tiny random Slant model (fast, no training) and small PTC-format corpora."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"

from fixtures.tiny import make_tiny_model, make_tiny_span_model, write_ptc  # noqa: E402,F401  (re-exported for old imports)

# A test that works through an MLflow store (a real `mlflow server`, or the embedded SQLite one
# with its model logging and registry) is an integration test: see README, "Run the tests".
MLFLOW_FIXTURES = ("mlflow_server", "mlflow_local")


def pytest_collection_modifyitems(items):
    for item in items:
        if any(name in getattr(item, "fixturenames", ()) for name in MLFLOW_FIXTURES):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session", autouse=True)
def slant_cache(tmp_path_factory) -> Path:
    """ONNX exports of this session in a folder of its own (the default backend exports a model on
    first use): tests neither read nor fill the user's ~/.cache/slant; subprocesses inherit it."""
    folder = tmp_path_factory.mktemp("slant-cache")
    previous = os.environ.get("SLANT_CACHE")
    os.environ["SLANT_CACHE"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("SLANT_CACHE", None)
    else:
        os.environ["SLANT_CACHE"] = previous


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture(scope="session")
def tiny_span_model_dir(tmp_path_factory) -> Path:
    """The tiny model with a random span head sharing its encoder (`model/spans`)."""
    return make_tiny_span_model(tmp_path_factory.mktemp("tiny-span-model") / "model")


@pytest.fixture(scope="session")
def released_model_dir() -> Path:
    from slant.models.encoder import released_model_path

    path = released_model_path()
    if not (path / "config.json").exists():
        pytest.skip("no released model in models/released")
    return path


@pytest.fixture
def mlflow_local(tmp_path, monkeypatch):
    """An isolated embedded MLflow store for one test (artifacts land in tmp_path too)."""
    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    import mlflow

    mlflow.set_tracking_uri(uri)
    yield uri
    mlflow.set_tracking_uri(None)


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory):
    """A real `mlflow server` on loopback with a SQLite backend and proxied artifacts.

    Yields its URI; tests point MLFLOW_TRACKING_URI at it with `monkeypatch`.
    """
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    root = tmp_path_factory.mktemp("mlflow-server")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
         "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
         "--artifacts-destination", str(root / "artifacts"), "--workers", "1"],
        stdout=open(root / "server.log", "wb"), stderr=subprocess.STDOUT,
    )
    uri = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mlflow server exited: {(root / 'server.log').read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{uri}/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(1)
    else:
        process.kill()
        raise RuntimeError("mlflow server did not answer /health within 120 s")
    yield uri
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def mlflow_remote(mlflow_server, monkeypatch):
    """Point MLflow at the real loopback server for one test."""
    import mlflow

    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    mlflow.set_tracking_uri(mlflow_server)
    yield mlflow_server
    mlflow.set_tracking_uri(None)
