"""Sentence splitting that keeps exact character offsets into the original text.

Line breaks are hard boundaries (paragraphs, bylines, one-sentence-per-line corpora); inside a
line, pysbd's rule-based segmenter handles abbreviations ("Dr.", "U.S."), decimals and quotes.
Every sentence is located in the original string, so `text[start:end] == sentence` always holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pysbd

_LINE = re.compile(r"[^\n\r\u2028\u2029]+")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


@lru_cache(maxsize=4)
def _segmenter(language: str) -> pysbd.Segmenter:
    return pysbd.Segmenter(language=language, clean=False)


def split_sentences(text: str, language: str = "en") -> list[Span]:
    """Sentences of `text` with offsets; whitespace-only pieces are dropped."""
    spans: list[Span] = []
    segmenter = _segmenter(language)
    for line in _LINE.finditer(text):
        if not line.group().strip():
            continue
        cursor = line.start()
        for piece in segmenter.segment(line.group()):
            piece = piece.strip()
            if not piece:
                continue
            start = text.find(piece, cursor, line.end())
            if start < 0:  # pysbd altered the text; fall back to the rest of the line
                start = cursor + (len(text[cursor:line.end()]) - len(text[cursor:line.end()].lstrip()))
                piece = text[start:line.end()].strip()
            end = start + len(piece)
            spans.append(Span(start, end, text[start:end]))
            cursor = end
    return spans
