"""Peak memory stays bounded however large the corpus (slow: generates a large JSONL file).

SLANT_MEMORY_TEST_MB sets the corpus size (default 256 MB; docs/scoring.md reports a 1 GB run).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

LIMIT_MB = 2048


def generate(path, megabytes: int) -> int:
    """Long documents of long lines: many bytes per sentence, so the test is IO- not model-bound."""
    line = ("The committee said the plan would cost more than expected and " * 150).strip()  # ~9 KB
    text = "\n".join(f"{line} {i}." for i in range(10))
    written = n = 0
    with open(path, "w", encoding="utf-8") as file:
        while written < megabytes << 20:
            record = json.dumps({"id": f"doc-{n}", "text": text}) + "\n"
            file.write(record)
            written += len(record)
            n += 1
    return n


@pytest.mark.slow
def test_peak_rss_stays_bounded_on_a_large_corpus(tiny_model_dir, tmp_path):
    megabytes = int(os.environ.get("SLANT_MEMORY_TEST_MB", "256"))
    corpus = tmp_path / "large.jsonl"
    n_docs = generate(corpus, megabytes)
    # A small wrapper whose only child is the scorer reports that child's peak RSS (ru_maxrss
    # also counts what a child inherits at fork, so the wrapper must stay small: it imports nothing).
    wrapper = (
        "import resource, subprocess, sys\n"
        "code = subprocess.call(sys.argv[1:])\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)\n"
        "sys.exit(code)\n"
    )
    command = [sys.executable, "-c", wrapper, sys.executable, "-m", "slant.cli.main", "score", str(corpus),
               "--out", str(tmp_path / "out"), "--model", str(tiny_model_dir), "--quiet", "--chunk-size", "64"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    assert done.returncode == 0, done.stderr[-2000:]
    summary, peak_mb = done.stdout.strip().splitlines()
    assert summary.startswith(f"read {n_docs:,} = scored {n_docs:,} + rejected 0")
    print(f"{megabytes} MB corpus, {n_docs:,} documents: peak RSS {peak_mb} MB")
    assert int(peak_mb) < LIMIT_MB
