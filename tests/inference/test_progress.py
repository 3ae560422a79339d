"""Progress of long runs: log lines off a terminal, nothing when off, and an ETA from this session's work."""

from __future__ import annotations

import io

import pytest

from slant.inference import progress as progress_module
from slant.inference.progress import Progress, note


class Clock:
    def __init__(self, now: float = 100.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(progress_module.time, "monotonic", clock)
    return clock


def test_log_lines_report_share_counts_rates_and_eta(clock):
    stream = io.StringIO()
    progress = Progress(total=1000, mode="log", interval=0, stream=stream)
    clock.now = 110.0
    progress.update(400, documents=2, sentences=10)
    # 400 of 1000 units in 10 s: 600 left take 15 s more.
    assert progress.eta() == pytest.approx(15.0)
    assert stream.getvalue() == "slant score:  40.0% | 2 docs, 10 sentences | 0.2 docs/s, 1 sentences/s, ETA 0:00:15\n"


def test_log_lines_wait_for_the_interval(clock):
    stream = io.StringIO()
    progress = Progress(total=100, mode="log", interval=30, stream=stream, description="job")
    clock.now = 110.0
    progress.update(10, documents=1, sentences=1)
    assert stream.getvalue() == ""  # 10 s since the start: under the 30 s interval
    clock.now = 131.0
    progress.update(20, documents=1, sentences=1)
    assert stream.getvalue().startswith("job:  20.0% | 2 docs, 2 sentences")
    progress.close()  # a last line with the totals
    assert stream.getvalue().count("\n") == 2


def test_a_resumed_run_counts_only_its_own_work(clock):
    progress = Progress(total=1000, mode="off", start=800)
    clock.now = 120.0
    progress.update(900, documents=5, sentences=5)
    # 100 units in 20 s (the 800 skipped do not count as speed): 100 left take 20 s.
    assert progress.eta() == pytest.approx(20.0)


def test_the_eta_is_unknown_until_work_is_done(clock):
    progress = Progress(total=1000, mode="off")
    assert progress.eta() is None
    clock.now = 105.0
    progress.update(0, documents=0, sentences=0)  # a first update without documents sets the baseline
    assert progress.eta() is None
    clock.now = 110.0
    progress.update(100, documents=0, sentences=0)
    assert progress.eta() == pytest.approx(900 * 5 / 100)


def test_off_writes_nothing_and_auto_logs_off_a_terminal(clock):
    stream = io.StringIO()
    off = Progress(total=10, mode="off", interval=0, stream=stream)
    off.update(10, documents=1, sentences=3)
    off.close()
    note("resuming", mode="off", stream=stream)
    assert stream.getvalue() == ""
    assert Progress(total=10, mode="auto", stream=stream).mode == "log"  # a StringIO is no terminal
    note("resuming at record 5", stream=stream)
    assert stream.getvalue() == "resuming at record 5\n"


def test_a_bar_draws_to_its_stream(clock):
    stream = io.StringIO()
    progress = Progress(total=2048, mode="bar", stream=stream, description="bar")
    clock.now = 101.0
    progress.update(1024, documents=1, sentences=4)
    progress.close()
    assert "bar:  50%" in stream.getvalue() and "sentences/s" in stream.getvalue()
