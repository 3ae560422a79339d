"""Terminal rendering of a checked draft: the text as written, flagged sentences in colour,
trigger words marked, and under each paragraph a note per flagged sentence with its techniques,
probabilities and trigger words.

    The destabilizing influence of the post-Maidan government in Kyiv grows. [1]
        [1] Loaded language 0.91: "destabilizing", "post-Maidan government"

Without colour, flagged sentences are still numbered and trigger words are wrapped in *stars*.
"""

from __future__ import annotations

import os
from typing import TextIO

from slant.models.results import DocumentResult, SentenceResult

# Foreground colours readable on dark and light backgrounds; techniques cycle through them by
# their position in the registry, so a technique keeps its colour between runs.
_PALETTE = (31, 33, 35, 36, 32, 34, 91, 93, 95, 96, 92, 94)
_RESET = "\033[0m"


def use_color(mode: str, stream: TextIO) -> bool:
    """Whether to emit ANSI colours: `always`, `never`, or `auto` (a terminal, and no NO_COLOR)."""
    if mode == "always":
        return True
    if mode == "never":
        return False
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return hasattr(stream, "isatty") and stream.isatty()


class _Style:
    def __init__(self, labels: list[str], color: bool):
        self.index = {label: i for i, label in enumerate(labels)}
        self.color = color

    def _wrap(self, text: str, *codes: int) -> str:
        if not self.color or not text:
            return text
        return f"\033[{';'.join(map(str, codes))}m{text}{_RESET}"

    def label_color(self, label: str) -> int:
        return _PALETTE[self.index.get(label, 0) % len(_PALETTE)]

    def sentence(self, text: str, label: str) -> str:
        return self._wrap(text, self.label_color(label))

    def trigger(self, text: str, label: str) -> str:
        if not self.color:
            return f"*{text}*"
        return self._wrap(text, 1, 4, self.label_color(label))

    def technique(self, name: str, label: str) -> str:
        return self._wrap(name, 1, self.label_color(label))

    def dim(self, text: str) -> str:
        return self._wrap(text, 2)


def render_document(
    text: str, result: DocumentResult, names: dict[str, str] | None = None, color: bool = False
) -> str:
    """The annotated draft as one string; `names` maps label ids to display names."""
    names = names or {}
    labels = list(result.sentences[0].scores) if result.sentences else []
    style = _Style(labels, color)
    out: list[str] = []
    notes: list[str] = []
    cursor, number = 0, 0
    for sentence in result.sentences:
        gap = text[cursor : sentence.start]
        if notes and ("\n" in gap or "\r" in gap):
            out.append("\n" + "\n".join(notes))
            notes = []
        out.append(gap)
        if sentence.labels:
            number += 1
            out.append(_highlight(text, sentence, style) + " " + style.dim(f"[{number}]"))
            notes.extend(_notes(sentence, number, names, style))
        else:
            out.append(sentence.text)
        cursor = sentence.end
    if notes:
        out.append("\n" + "\n".join(notes))
    out.append("\n\n" + _summary(result, names, style) + "\n")
    return "".join(out).lstrip("\n")


def _ranked(sentence: SentenceResult) -> list[str]:
    """The sentence's labels, most probable first."""
    return sorted(sentence.labels, key=lambda label: -sentence.scores[label])


def _highlight(text: str, sentence: SentenceResult, style: _Style) -> str:
    """The sentence in its top technique's colour, with its technique spans and trigger words
    marked (a span model's spans are marked even without trigger words)."""
    top = _ranked(sentence)[0]
    spans = {(span.start, span.end, span.label) for span in sentence.shown_spans()}
    for label in _ranked(sentence):  # (start, end, label), earliest first, overlaps dropped below
        for trigger in sentence.triggers.get(label, []):
            spans.add((_get(trigger, "start"), _get(trigger, "end"), label))
    spans = sorted(spans)
    pieces, cursor = [], sentence.start
    for start, end, label in spans:
        if start < cursor:
            continue
        pieces.append(style.sentence(text[cursor:start], top))
        pieces.append(style.trigger(text[start:end], label))
        cursor = end
    pieces.append(style.sentence(text[cursor : sentence.end], top))
    return "".join(pieces)


def _notes(sentence: SentenceResult, number: int, names: dict[str, str], style: _Style) -> list[str]:
    lines = []
    for i, label in enumerate(_ranked(sentence)):
        marker = f"[{number}]" if i == 0 else " " * len(f"[{number}]")
        name = style.technique(names.get(label, label), label)
        line = f"    {style.dim(marker)} {name} {sentence.scores[label]:.2f}"
        triggers = sentence.triggers.get(label, [])
        shown = triggers or [{"text": text} for text in _span_texts(sentence, label)]
        if shown:
            line += ": " + ", ".join(f'"{_get(t, "text")}"' for t in shown)
        elif label in sentence.no_span:
            line += style.dim(" (no span found)")
        lines.append(line)
    return lines


def _span_texts(sentence: SentenceResult, label: str) -> list[str]:
    return [sentence.text[s.start - sentence.start : s.end - sentence.start]
            for s in sentence.shown_spans() if s.label == label]


def _summary(result: DocumentResult, names: dict[str, str], style: _Style) -> str:
    counts = result.counts()
    flagged = sum(1 for s in result.sentences if s.labels)
    line = f"{flagged} of {len(result.sentences)} sentences flagged"
    if counts:
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        line += ": " + ", ".join(f"{style.technique(names.get(k, k), k)} {n}" for k, n in ranked)
    return line


def _get(trigger, key: str):
    """Triggers are `Trigger` objects from the explainer or plain dicts from JSON."""
    return trigger[key] if isinstance(trigger, dict) else getattr(trigger, key)
