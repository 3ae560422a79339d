"""Small corpora shared by the scoring tests."""

from __future__ import annotations

import json

# Texts that exercise the splitter and the offsets: abbreviations, quotes, bylines, CRLF,
# decomposed accents (NFD), a BOM, emoji outside the BMP and Unicode line separators.
TEXTS = {
    "byline": "By JOHN SMITH\nWASHINGTON (Reuters) - Dr. Smith said the U.S. economy grew 2.5% in Q1. "
              '"It is serious," he said.',
    "quotes": "He said: \u201cWe won.\u201d Then they left! Did they? Yes.",
    "nfd": "Cafe\u0301 owners in Montre\u0301al protested.\r\nThe mayor re\u0301pondit quickly.",
    "emoji": "\ufeffThe \U0001F600 crowd cheered. Critics\u2028were not amused\u2029at all.",
    "plain": "A plain sentence without an ending",
}


def write_jsonl(path, records, mode="w"):
    with open(path, mode, encoding="utf-8") as file:
        for record in records:
            file.write((record if isinstance(record, str) else json.dumps(record, ensure_ascii=False)) + "\n")
    return path


def assert_same_scores(got, want, atol=1e-5):
    """Two sentence tables (pandas) hold the same rows: probabilities equal to float precision,
    and the same labels wherever a probability is not within `atol` of its threshold (other
    batch mates change padding, which can move a value by ~1e-7)."""
    import numpy as np

    prob = [c for c in want.columns if c.startswith("prob_")]
    got, want = got.reset_index(drop=True), want.reset_index(drop=True)
    assert got.drop(columns=prob + ["labels"]).equals(want.drop(columns=prob + ["labels"]))
    assert np.allclose(got[prob].values, want[prob].values, atol=atol)
    for g, w, p in zip(got["labels"], want["labels"], want[prob].values):
        uncertain = {c[len("prob_"):] for c, v in zip(prob, p) if abs(v - 0.5) < atol}
        assert set(g) - uncertain == set(w) - uncertain
