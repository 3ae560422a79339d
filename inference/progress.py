"""Progress for long scoring runs: a bar on a terminal, plain log lines otherwise, or nothing.

Positions are in the source's units (bytes of a JSONL/CSV file, Parquet rows, files of a folder),
so the ETA is right even when document sizes vary. Rates count this session's work only, so a
resumed run does not report the skipped records as speed.
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from typing import TextIO


class Progress:
    """`mode`: "auto" (bar on a terminal, log lines otherwise), "bar", "log" or "off"."""

    def __init__(self, total: int, unit: str = "B", mode: str = "auto", interval: float = 30.0,
                 stream: TextIO | None = None, description: str = "slant score", start: int = 0):
        """`start`: where a resumed run begins, so that its ETA counts only the work it does."""
        self.stream = stream or sys.stderr
        if mode == "auto":
            mode = "bar" if getattr(self.stream, "isatty", lambda: False)() else "log"
        self.mode, self.total, self.unit, self.interval, self.description = mode, total, unit, interval, description
        self.started = time.monotonic()
        self._last_log = self.started
        self._baseline: tuple[float, int] | None = None  # (time, position) of the first update
        self.documents = self.sentences = 0
        self.position = self._start = start
        self._bar = None
        if mode == "bar":
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, unit=unit, unit_scale=unit == "B", unit_divisor=1024 if unit == "B" else 1000,
                             file=self.stream, desc=description, dynamic_ncols=True,
                             bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}{postfix}]")

    def update(self, position: int, documents: int, sentences: int):
        """Record that input up to `position` is done, with this many more documents and sentences."""
        now = time.monotonic()
        self.documents += documents
        self.sentences += sentences
        if self._baseline is None:
            self._baseline = (self.started, self._start) if documents else (now, position)
        self.position = position
        if self._bar is not None:
            self._bar.n = min(position, self.total)
            self._bar.set_postfix_str(self._rates(now), refresh=True)
        elif self.mode == "log" and now - self._last_log >= self.interval:
            self._last_log = now
            self._log(now)

    def eta(self, now: float | None = None) -> float | None:
        now = now or time.monotonic()
        if self._baseline is None:
            return None
        since, start = self._baseline
        done = self.position - start
        if done <= 0 or now <= since:
            return None
        return (self.total - self.position) * (now - since) / done

    def _rates(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        eta = self.eta(now)
        eta_text = str(timedelta(seconds=round(eta))) if eta is not None else "?"
        docs = f", {self.documents / elapsed:,.1f} docs/s" if self.documents else ""  # `slant check` has one
        return f"{docs}, {self.sentences / elapsed:,.0f} sentences/s, ETA {eta_text}"

    def _log(self, now: float):
        share = 100.0 * self.position / self.total if self.total else 100.0
        docs = f"{self.documents:,} docs, " if self.documents else ""
        print(f"{self.description}: {share:5.1f}% | {docs}{self.sentences:,} sentences"
              f"{self._rates(now).replace(', ', ' | ', 1)}", file=self.stream, flush=True)

    def close(self):
        if self._bar is not None:
            self._bar.close()
        elif self.mode == "log" and (self.documents or self.sentences):
            self._log(time.monotonic())


def note(text: str, mode: str = "auto", stream: TextIO | None = None):
    """One line for the person watching (a run that resumes, say), unless progress is "off"."""
    if text and mode != "off":
        print(text, file=stream or sys.stderr, flush=True)
