"""The page marks a span model's technique spans in each flagged sentence (Debian's Chromium)."""

from __future__ import annotations

import pytest
from browsing import serve
from test_page import check

pytestmark = [pytest.mark.browser, pytest.mark.integration]

DRAFT = ("The so-called experts in Brussels have once again lectured ordinary voters. "
         "Shares in the bank fell 12 percent on Tuesday.\n\n"
         "Everyone knows the council rammed through a crippling tax hike on struggling families \N{PILE OF POO}.")


@pytest.fixture(scope="module")
def span_server_url(tiny_span_model_dir):
    from slant.inference.predictor import Predictor
    from slant.inference.server import create_app

    with serve(create_app(Predictor.load(str(tiny_span_model_dir), backend="torch"))) as url:
        yield url


def test_page_marks_the_spans_of_each_flagged_sentence(browser, span_server_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1050})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(span_server_url)
    page.wait_for_selector("#legend-all dt", state="attached")
    expected = check(page, DRAFT, "0")
    assert page.inner_text("#annotated") == DRAFT
    shown = page.locator("#annotated .sentence.flagged")
    spans_seen = 0
    for i, sentence in enumerate(s for s in expected["sentences"] if s["labels"]):
        spans = {DRAFT[s["start"]:s["end"]] for s in sentence["spans"]}
        triggers = {t["text"] for found in sentence["triggers"].values() for t in found}
        marked = set(shown.nth(i).locator("mark.trigger").all_inner_texts())
        assert marked <= spans | triggers
        assert bool(marked) == bool(spans | triggers)
        spans_seen += len(spans)
    assert spans_seen, "the tiny span head finds spans at its cut-off"
    assert not errors
    context.close()
