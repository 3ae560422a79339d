"""`report.html` in a real browser (Debian's Chromium via Playwright): it renders its plots from
the file alone, offline, without requesting anything, and shows group names as text."""

from __future__ import annotations

import pytest
from fixtures.prevalence_data import write_scored_corpus

pytestmark = [pytest.mark.browser, pytest.mark.integration]

HOSTILE = '<img src="https://example.org/x.png" onerror="window.__xss=1"> $x^2$ & Co'


@pytest.fixture(scope="module")
def page_file(tmp_path_factory):
    from slant.inference.report import build_report, write_report

    root = tmp_path_factory.mktemp("report-page")
    data = write_scored_corpus(root, docs_per_group=120, prevalence={
        "Daily": {"loaded_language": 0.1, "doubt": 0.03, "flag_waving": 0.02},
        HOSTILE: {"loaded_language": 0.3, "doubt": 0.05, "flag_waving": 0.02},
    })
    report = build_report(data.folder, by=["outlet"], time_field="date", freq="month", error_rates=data.rates,
                          n_boot=300)
    write_report(report, root / "report")
    return root / "report" / "report.html"


def test_the_report_page_renders_offline_without_any_request(browser, page_file):
    context = browser.new_context(viewport={"width": 1300, "height": 900}, offline=True)
    page = context.new_page()
    requested, errors = [], []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(page_file.as_uri())
    page.wait_for_load_state("load")

    assert requested == [page_file.as_uri()], requested  # the file itself, nothing else
    assert errors == []
    headings = page.locator("h2").all_inner_texts()
    assert headings[:3] == ["Prevalence per group", "Over time", "Differences between groups"]
    figures = page.locator("figure svg")
    assert figures.count() == 3
    for i in range(3):
        box = figures.nth(i).bounding_box()
        assert box["width"] > 400 and box["height"] > 150  # drawn, not empty
        assert figures.nth(i).locator("path").count() > 20
    # the difference in loaded language between the two outlets is marked
    marked = page.locator("tr.mark")
    assert marked.count() >= 1 and "loaded_language" in marked.first.inner_text()
    # a group name is text, never markup
    assert HOSTILE in page.locator("table").first.inner_text()
    assert page.locator("body img").count() == 0 and page.evaluate("window.__xss") is None
    # techniques the model cannot correct are marked as raw in the table
    assert page.locator("tr.raw").count() > 0 and "error_rates_too_uncertain" in page.locator("tr.raw").first.inner_text()
    context.close()
