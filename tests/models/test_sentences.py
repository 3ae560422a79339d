"""Sentence offsets stay exact on tricky text: `text[start:end] == sentence` always holds."""

from __future__ import annotations

import unicodedata

import pytest

from slant.models.sentences import split_sentences

TRICKY = {
    "abbreviations and decimals": "Dr. Smith met U.S. officials on Jan. 5. Shares rose 3.5 percent.",
    "BOM and CRLF": "\ufeffFirst line.\r\nSecond line!\r\n\r\nThird?",
    "NFD accents": unicodedata.normalize("NFD", "Café owners protested. Résumés piled up."),
    "quotes": 'He said "Stop!" Then he left. "Why?" she asked.',
    "astral characters and Unicode line breaks": "Emoji \U0001F600 first. Then \U0001D518\U0001D52B math.\u2028Next line\u2029Last one",
    "blank lines and padding": "  \t  \n   \nOnly sentence here.   ",
    "stray ellipsis": "Wait... what?! Really. \u2026",
    "other line breaks": "Line one\x0bline two\x0cline three\x85line four",
    "no terminator": "a headline without a full stop",
}


def spans(text):
    return [(s.start, s.end, s.text) for s in split_sentences(text)]


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_offsets_index_the_text_as_given(name):
    text = TRICKY[name]
    found = split_sentences(text)
    assert found, name
    for sentence in found:
        assert text[sentence.start : sentence.end] == sentence.text
        assert sentence.text == sentence.text.strip() and sentence.text
    assert [s.start for s in found] == sorted(s.start for s in found)
    assert all(a.end <= b.start for a, b in zip(found, found[1:]))  # no overlaps


def test_abbreviations_and_decimals_do_not_end_sentences():
    assert [s for _, _, s in spans(TRICKY["abbreviations and decimals"])] == [
        "Dr. Smith met U.S. officials on Jan. 5.", "Shares rose 3.5 percent."]


def test_line_breaks_are_hard_boundaries_and_offsets_count_code_points():
    assert spans(TRICKY["BOM and CRLF"]) == [(0, 12, "\ufeffFirst line."), (14, 26, "Second line!"), (30, 36, "Third?")]
    # The emoji and the mathematical letters are one code point each (two UTF-16 units).
    assert spans(TRICKY["astral characters and Unicode line breaks"]) == [
        (0, 14, "Emoji \U0001F600 first."), (15, 28, "Then \U0001D518\U0001D52B math."),
        (29, 38, "Next line"), (39, 47, "Last one")]
    assert [s for _, _, s in spans(TRICKY["other line breaks"])] == ["Line one", "line two", "line three", "line four"]


def test_decomposed_accents_are_not_normalised():
    text = TRICKY["NFD accents"]
    assert [(start, end) for start, end, _ in spans(text)] == [(0, 23), (24, 43)]
    assert unicodedata.is_normalized("NFD", split_sentences(text)[0].text)


def test_whitespace_is_dropped_and_a_stray_ellipsis_joins_the_sentence_before():
    assert spans(TRICKY["blank lines and padding"]) == [(10, 29, "Only sentence here.")]
    assert spans(TRICKY["stray ellipsis"]) == [(0, 14, "Wait... what?!"), (15, 24, "Really. \u2026")]
    assert split_sentences("") == [] and split_sentences(" \n\t\r\n ") == []
