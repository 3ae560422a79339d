"""The editor page in a real browser: Debian's Chromium driven by Playwright.

The server runs in a thread on a free loopback port with a tiny random model whose weights are
scaled up so that scores differ between sentences; the expected highlights are taken from the
API's own answer for the same draft, so the tests check the page, not the model.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from browsing import serve

pytestmark = [pytest.mark.browser, pytest.mark.integration]

ARTIFACTS = Path(os.environ.get("SLANT_ARTIFACTS") or Path(__file__).resolve().parents[1] / "artifacts")
MAX_CHARS = 3000
THRESHOLD = "0.78"

DRAFT = (
    "Critics say the destabilizing influence of the post-Maidan government in Kyiv is obvious. "
    "Shares in the bank fell 12 percent on Tuesday.\n\n"
    "The so-called experts in Brussels have once again lectured ordinary voters. "
    "Everyone knows the council rammed through a crippling tax hike on struggling families \N{PILE OF POO}. "
    "The minister's speech was a shameful surrender to the unions.\n\n"
    "Police removed 40 protesters who were blocking the motorway. "
    "Either we act now or the country is lost forever."
)
HOSTILE = (
    'Breaking: <script>window.__xss = "script"</script> shocked readers. '
    '<img src="x" onerror="window.__xss = \'img\'"> appeared beside <b>bold claims</b> & "quotes".'
)


@pytest.fixture(scope="module")
def server_url(tiny_model_dir):
    import torch

    from slant.inference.predictor import Predictor
    from slant.inference.server import create_app

    predictor = Predictor.load(str(tiny_model_dir), backend="torch")  # its weights are edited below
    with torch.no_grad():  # sharpen the random model: varied scores, words with real effects
        for module in predictor.classifier.model.modules():
            if isinstance(module, torch.nn.Linear):
                module.weight.mul_(10)
    app = create_app(predictor, max_chars=MAX_CHARS)
    with serve(app) as url:
        yield url


@pytest.fixture
def page(browser, server_url):
    """A fresh page on the editor, recording console errors and every URL it requests."""
    context = browser.new_context(viewport={"width": 1400, "height": 1050}, accept_downloads=True)
    page = context.new_page()
    page.errors, page.requested = [], []
    page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("request", lambda request: page.requested.append(request))
    page.goto(server_url)
    page.wait_for_selector("#legend-all dt", state="attached")  # techniques loaded
    yield page
    context.close()


def check(page, text: str, threshold: str = "") -> dict:
    """Type the draft, press Check, wait for the result; return the API's answer for the same input."""
    page.fill("#draft", text)
    page.fill("#threshold", threshold)
    page.click("#analyse")
    page.wait_for_selector("#annotated[data-state=complete]")  # scores first, then trigger words
    body = {"text": text} | ({"threshold": float(threshold)} if threshold else {})
    return page.request.post(page.url.rstrip("/") + "/api/analyse", data=body).json()


def test_page_shows_highlights_tooltips_and_summary(page, server_url):
    expected = check(page, DRAFT, THRESHOLD)
    flagged = [s for s in expected["sentences"] if s["labels"]]
    assert 0 < len(flagged) < len(expected["sentences"]), "the draft should mix flagged and clean sentences"

    # The whole draft comes back, character for character (emoji included), split into sentences.
    assert page.inner_text("#annotated") == DRAFT
    assert page.locator("#annotated .sentence").count() == len(expected["sentences"])
    shown = page.locator("#annotated .sentence.flagged")
    assert shown.count() == len(flagged)
    for i, sentence in enumerate(flagged):
        node = shown.nth(i)
        assert node.inner_text() == sentence["text"]
        assert node.get_attribute("data-labels") == " ".join(sentence["labels"])
        marked = node.locator("mark.trigger").all_inner_texts()
        triggers = {t["text"] for label in sentence["labels"] for t in sentence["triggers"][label]}
        assert set(marked) <= triggers and (marked or not triggers)

    # Summary: the count line and one chip per technique with its count.
    summary = expected["summary"]
    assert page.inner_text("#summary-line") == f"{summary['flagged']} of {summary['sentences']} sentences flagged"
    chips = {
        chip.get_attribute("data-label"): int(chip.locator(".chip-count").inner_text())
        for chip in page.locator("#summary-chips .chip").all()
    }
    assert chips == summary["by_label"]
    assert page.locator("#legend-found dt").count() == len(summary["by_label"])
    assert page.locator("#legend-all dt").count() == 16

    # Tooltip on hover: each technique with its probability and its trigger words.
    target = max(flagged, key=lambda s: sum(len(v) for v in s["triggers"].values()))
    shown.nth(flagged.index(target)).hover()
    tooltip = page.locator("#tooltip")
    tooltip.wait_for(state="visible")
    names = {t["id"]: t["name"] for t in page.request.get(server_url + "/api/techniques").json()}
    rows = tooltip.locator(".tip-row")
    assert rows.count() == min(len(target["labels"]), 5)  # the top five in detail
    for row, label in zip(rows.all(), target["labels"]):
        assert row.locator(".tip-name").inner_text() == names[label]
        assert row.locator(".tip-probability").inner_text() == f"{round(target['scores'][label] * 100)}%"
        assert row.locator(".tip-trigger").all_inner_texts() == [t["text"] for t in target["triggers"][label]]
    for label in target["labels"][5:]:  # the rest by name and probability
        assert f"{names[label]} {round(target['scores'][label] * 100)}%" in tooltip.locator(".tip-more").inner_text()

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "editor-page.png"), full_page=True)

    # Keyboard users get the same tooltip by tabbing to a flagged sentence.
    page.mouse.move(5, 5)
    tooltip.wait_for(state="hidden")
    shown.first.focus()
    tooltip.wait_for(state="visible")

    assert page.errors == []
    assert all(request.url.startswith(server_url) for request in page.requested), page.requested
    # Highlights first, trigger words second.
    posted = [json.loads(r.post_data) for r in page.requested if r.url.endswith("/api/analyse")]
    assert [body["triggers"] for body in posted] == [False, True]


def test_export_downloads_the_analysis_as_json(page):
    expected = check(page, DRAFT, THRESHOLD)
    with page.expect_download() as download:
        page.click("#export")
    assert download.value.suggested_filename == "slant-analysis.json"
    exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert exported == expected


def test_markup_in_a_draft_is_shown_as_text_and_never_runs(page):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    expected = check(page, HOSTILE, "0")  # threshold 0: every sentence flagged, triggers rendered
    assert all(s["labels"] for s in expected["sentences"])

    assert page.inner_text("#annotated") == HOSTILE
    assert "&lt;script&gt;" in page.inner_html("#annotated")
    assert page.locator("#annotated script, #annotated img, #annotated b").count() == 0
    page.locator("#annotated .sentence.flagged").first.hover()
    page.locator("#tooltip").wait_for(state="visible")
    assert page.locator("#tooltip script, #tooltip img, #tooltip b").count() == 0
    assert page.evaluate("window.__xss") is None
    assert dialogs == [] and page.errors == []


def test_text_over_the_limit_gets_a_clear_message(page):
    page.fill("#draft", "word " * (MAX_CHARS // 5 + 1))
    assert "over" in page.get_attribute("#char-count", "class")
    page.click("#analyse")
    message = page.locator("#message")
    message.wait_for(state="visible")
    assert f"over the limit of {MAX_CHARS}" in message.inner_text()


LONG = (
    "The council met on Monday. Shares fell on Tuesday. The mayor spoke on Wednesday. Rain fell on Thursday.\n\n"
    "Everyone knows that the so-called experts in Brussels, who have never once set foot in a real factory or "
    "paid a real bill, have once again lectured ordinary hard-working voters about a crippling tax hike that "
    "will ruin struggling families across the whole country while the elites laugh all the way to the bank. "
    "Police removed 40 protesters."
)


def box(locator_or_rect):
    return locator_or_rect if isinstance(locator_or_rect, dict) else locator_or_rect.bounding_box()


def test_the_tooltip_never_covers_the_next_line(page):
    check(page, LONG, "0")
    sentence = page.locator("#annotated .sentence.flagged").nth(4)
    lines = sentence.evaluate("node => Array.from(node.getClientRects()).map(r => ({x: r.left, y: r.top, "
                              "width: r.width, height: r.height}))")
    assert len(lines) >= 3, "the long sentence should wrap onto several lines"
    tooltip = page.locator("#tooltip")
    for index in range(len(lines) - 1):  # hover each line but the last: the line after it must stay visible
        line, after = lines[index], lines[index + 1]
        page.mouse.move(line["x"] + 20, line["y"] + line["height"] / 2)
        tooltip.wait_for(state="visible")
        tip = box(tooltip)
        assert tip["y"] + tip["height"] <= after["y"] or tip["y"] >= after["y"] + after["height"], (index, tip, after)
        assert tip["y"] + tip["height"] <= line["y"] + 1, (index, tip, line)  # above the line being read
    assert page.errors == []


def test_an_error_clears_the_previous_result(page):
    check(page, DRAFT, THRESHOLD)
    assert page.locator("#annotated .sentence").count() > 0 and page.is_visible("#summary")
    page.fill("#draft", "word " * (MAX_CHARS // 5 + 1))
    page.click("#analyse")
    message = page.locator("#message")
    message.wait_for(state="visible")
    assert "over the limit" in message.inner_text()
    assert page.locator("#annotated .sentence").count() == 0
    assert page.inner_text("#annotated") == "No result: see the message beside the draft."
    assert not page.is_visible("#summary")
    assert page.locator("#legend-found dt").count() == 0
    assert page.is_disabled("#export")
    # A client-side error (an empty draft) clears a result the same way.
    check(page, DRAFT, THRESHOLD)
    page.fill("#draft", "   ")
    page.click("#analyse")
    message.wait_for(state="visible")
    assert "empty" in message.inner_text() and page.locator("#annotated .sentence").count() == 0


def test_text_in_another_language_is_shown_unlabelled_with_a_notice(page):
    german = ("Die Regierung hat die Steuern erhöht, und die Opposition spricht von einem Verrat an den Bürgern. "
              "Der Minister wies die Kritik am Dienstag zurück.")
    page.fill("#draft", german)
    page.click("#analyse")
    page.wait_for_selector("#annotated[data-state=complete]")
    message = page.locator("#message")
    assert message.is_visible() and "notice" in message.get_attribute("class")
    assert message.inner_text().startswith("[W052] text is in German (de), not English")
    assert page.inner_text("#summary-line") == "Not labelled: the text is not in English (detected: de)"
    assert page.inner_text("#annotated") == german
    assert page.locator("#annotated .sentence").count() == 0
