"""Terminal rendering: the draft as written, flagged sentences numbered and coloured, trigger words
marked, notes per paragraph, a summary; colour only when asked for or on a terminal."""

from __future__ import annotations

import io
import re

import pytest

from slant.inference.explain import Trigger
from slant.inference.render import render_document, use_color
from slant.models.results import DocumentResult, SentenceResult

LABELS = ["loaded_language", "doubt", "slogans"]
NAMES = {"loaded_language": "Loaded language", "doubt": "Doubt", "slogans": "Slogans"}
ANSI = re.compile(r"\033\[[0-9;]*m")

TEXT = (
    "The destabilizing influence of the post-Maidan government grows. Rain is expected.\n\n"
    "Can we really trust them? Make it great."
)


def sentence(index, text, labels, scores, triggers=None):
    start = TEXT.index(text)
    row = SentenceResult(index, start, start + len(text), text, labels,
                         {label: scores.get(label, 0.01) for label in LABELS})
    row.triggers = triggers or {}
    return row


def trigger(text):
    start = TEXT.index(text)
    return Trigger(start, start + len(text), text, 1.0)


@pytest.fixture
def result():
    return DocumentResult([
        sentence(0, "The destabilizing influence of the post-Maidan government grows.", ["loaded_language"],
                 {"loaded_language": 0.91},
                 {"loaded_language": [trigger("destabilizing"), trigger("post-Maidan government")]}),
        sentence(1, "Rain is expected.", [], {}),
        sentence(2, "Can we really trust them?", ["doubt", "loaded_language"],
                 {"doubt": 0.8, "loaded_language": 0.55}, {"doubt": [trigger("really trust")], "loaded_language": []}),
        sentence(3, "Make it great.", [], {"slogans": 0.3}),
    ])


def test_plain_rendering_keeps_the_text_and_marks_triggers(result):
    out = render_document(TEXT, result, NAMES, color=False)
    assert ANSI.search(out) is None
    assert out == (
        "The *destabilizing* influence of the *post-Maidan government* grows. [1] Rain is expected.\n"
        '    [1] Loaded language 0.91: "destabilizing", "post-Maidan government"\n'
        "\n"
        "Can we *really trust* them? [2] Make it great.\n"
        '    [2] Doubt 0.80: "really trust"\n'
        "        Loaded language 0.55\n"
        "\n"
        "2 of 4 sentences flagged: Loaded language 2, Doubt 1\n"
    )


def test_colour_rendering_has_the_same_text_under_the_codes(result):
    coloured = render_document(TEXT, result, NAMES, color=True)
    assert ANSI.search(coloured)
    plain = render_document(TEXT, result, NAMES, color=False)
    assert ANSI.sub("", coloured) == plain.replace("*", "")
    assert "\033[1;4;31mdestabilizing\033[0m" in coloured  # bold, underlined, the label's colour


def test_unflagged_documents_and_unknown_names_render(result):
    for row in result.sentences:
        row.labels = []
    out = render_document(TEXT, result, color=False)
    assert out.startswith(TEXT.split("\n")[0])
    assert out.endswith("0 of 4 sentences flagged\n")
    assert render_document("", DocumentResult([]), color=False) == "0 of 0 sentences flagged\n"


class FakeTerminal(io.StringIO):
    def __init__(self, tty):
        super().__init__()
        self.tty = tty

    def isatty(self):
        return self.tty


def test_use_color_follows_mode_terminal_and_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert use_color("auto", FakeTerminal(True)) is True
    assert use_color("auto", FakeTerminal(False)) is False
    assert use_color("always", FakeTerminal(False)) is True
    assert use_color("never", FakeTerminal(True)) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert use_color("auto", FakeTerminal(True)) is False
