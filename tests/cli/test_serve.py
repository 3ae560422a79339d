"""`slant serve`: starts on loopback, reports its port, answers; a taken port is a one-line error."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from slant.cli.main import main


@pytest.mark.integration
def test_serve_binds_loopback_on_a_free_port_and_answers(tiny_model_dir, tmp_path):
    log = tmp_path / "serve.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "slant.cli.main", "serve", "--model", str(tiny_model_dir), "--port", "0",
         "--max-chars", "1234"],
        stdout=open(log, "wb"), stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while not (match := re.search(r"open http://127\.0\.0\.1:(\d+)/", log.read_text())):
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "slant serve did not report its address"
            time.sleep(0.2)
        url = f"http://127.0.0.1:{match.group(1)}"
        for _ in range(50):
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
                    health = json.load(response)
                break
            except OSError:
                time.sleep(0.1)
        assert health == {"status": "ok", "model": str(tiny_model_dir), "max_chars": 1234}
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_a_taken_port_is_a_one_line_error(capsys, tiny_model_dir):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--model", str(tiny_model_dir), "--port", str(port)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"slant serve: error: [E201] cannot listen on 127.0.0.1:{port}")
    assert error.count("\n") == 1  # before the model is loaded, so no progress bars either
