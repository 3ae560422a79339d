"""Sentence splitting that keeps exact character offsets into the original text.

It lives in `models` because a sentence is the model's unit: training (annotation files,
corpora), scoring and the editor tools must all cut text the same way.

Line breaks are hard boundaries (paragraphs, bylines, one-sentence-per-line corpora); inside a
line, pysbd's rule-based segmenter handles abbreviations ("Dr.", "U.S."), decimals and quotes.
Every sentence is located in the original string, so `text[start:end] == sentence` always holds.
Offsets count Unicode code points (Python `str` indices) of the text exactly as given: nothing is
normalised before splitting, so NFD accents, CRLF line ends or a BOM cannot shift them.

`benchmarks/splitters.py` compares this splitter with NLTK's Punkt on PTC's one-sentence-per-line
articles; docs/scoring.md has the numbers and the reasons for keeping pysbd.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import pysbd

# One line: what lies between line breaks of any kind (CR, LF, U+2028, ...); a hard boundary.
LINE = re.compile(r"[^\n\r\u2028\u2029\x0b\x0c\x85]+")
_TERMINATOR = r".!?\u2026\u203c\u2047-\u2049\u3002\uff01\uff0e\uff1f"
# A line whose only sentence terminators close it (optionally followed by quotes or brackets) is
# one sentence. That is 88% of PTC's lines; skipping pysbd for them halves splitting time and
# avoids pysbd's habit of splitting "(CNN) Text" or a closing quote off as a sentence of its own.
_ONE_SENTENCE = re.compile(rf"[^{_TERMINATOR}]*[{_TERMINATOR}]*[\"'\u201d\u2019)\]\s]*")


@dataclass(frozen=True)
class Span:
    """A sentence: `text == document[start:end]`, offsets in code points."""

    start: int
    end: int
    text: str


_PER_THREAD = threading.local()


def _segmenter(language: str) -> pysbd.Segmenter:
    """One segmenter per thread and language: pysbd keeps the text being split on the object,
    so a shared one mixes up sentences when two threads split at once."""
    cache = _PER_THREAD.__dict__.setdefault("segmenters", {})
    if language not in cache:
        cache[language] = pysbd.Segmenter(language=language, clean=False)
    return cache[language]


def split_sentences(text: str, language: str = "en") -> list[Span]:
    """Sentences of `text` with offsets; whitespace-only pieces are dropped."""
    spans: list[Span] = []
    for line in LINE.finditer(text):
        body = line.group()
        if not body.strip():
            continue
        if _ONE_SENTENCE.fullmatch(body):
            pieces = [body]
        else:
            pieces = _segmenter(language).segment(body)
        cursor = line.start()
        for piece in pieces:
            piece = piece.strip()
            if not piece:
                continue
            start = text.find(piece, cursor, line.end())
            if start < 0:  # pysbd altered the text; fall back to the rest of the line
                rest = text[cursor : line.end()]
                start = cursor + len(rest) - len(rest.lstrip())
                piece = text[start : line.end()].strip()
                if not piece:
                    break
            end = start + len(piece)
            if spans and spans[-1].start >= line.start() and not any(c.isalnum() for c in piece):
                # A stray closing quote, bracket or "..." belongs to the sentence before it.
                start = spans.pop().start
            spans.append(Span(start, end, text[start:end]))
            cursor = end
    return spans
