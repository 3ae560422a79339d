"""The page marks a span model's technique spans in each flagged sentence (Debian's Chromium)."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from test_page import CHROMIUM, CHROMIUM_ARGS, check  # noqa: F401  (shared browser helpers)

pytestmark = [pytest.mark.browser, pytest.mark.integration]

DRAFT = ("The so-called experts in Brussels have once again lectured ordinary voters. "
         "Shares in the bank fell 12 percent on Tuesday.\n\n"
         "Everyone knows the council rammed through a crippling tax hike on struggling families \N{PILE OF POO}.")


@pytest.fixture(scope="module")
def span_server_url(tiny_span_model_dir):
    import uvicorn

    from slant.inference.predictor import Predictor
    from slant.inference.server import create_app

    app = create_app(Predictor.load(str(tiny_span_model_dir), backend="torch"))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)
    listener.close()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}; install Debian's with `apt-get install -y chromium`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


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
