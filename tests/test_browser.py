"""/search/ in a real headless Chromium, on the demo built under a sub-path and served over HTTP."""

from __future__ import annotations

import json

import pytest

from broadsheet.outputs import search
from browser import build_demo, console_errors, require_browser, serving

require_browser()

BASE_URL = "https://x.github.io/digest/"
PUTIN_NATO = "Putin says NATO's 5% spending push is no threat to Russia"
RESHETNIKOV = "Решетников на ПМЭФ"
SPAIN_NATO = "Spain balks at NATO's 5% spending goal"


@pytest.fixture(scope="module")
def output(tmp_path_factory):
    return build_demo(tmp_path_factory.mktemp("demo"), BASE_URL)


@pytest.fixture(scope="module")
def site_url(output):
    with serving(output, "/digest/") as url:
        yield url


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(5000)
    errors = console_errors(page)
    yield page
    context.close()
    assert errors == [], f"console errors: {errors}"


def results(page) -> list[str]:
    return page.locator("#search-results li h2").all_inner_texts()


def test_typing_finds_and_highlights(page, site_url):
    page.goto(site_url + "search/")
    assert not page.locator(".search-noscript").is_visible()
    page.get_by_label("Search every story").press_sequentially("Putin")
    # On a slow machine a pause between keys shows the results for "Pu" first: wait for the whole word.
    page.wait_for_function("new URLSearchParams(location.search).get('q') === 'Putin'")
    page.wait_for_selector("#search-results li")
    assert any(title.startswith(PUTIN_NATO) for title in results(page))
    assert page.locator("#search-results li").first.locator("mark").first.inner_text() == "Putin"
    assert page.locator("#search-status").inner_text().endswith("results")
    assert "q=Putin" in page.url  # the search is linkable as it stands


def test_cyrillic_prefix_and_no_results(page, site_url):
    page.goto(site_url + "search/")
    box = page.get_by_label("Search every story")
    box.press_sequentially("решетн")  # lowercase and half typed: a prefix of "Решетников"
    page.wait_for_selector("#search-results li")
    assert [t for t in results(page) if t.startswith(RESHETNIKOV)]
    assert "Решетников" in page.locator("#search-results mark").all_inner_texts()
    assert page.locator("#search-results li").first.get_attribute("lang") == "ru"
    box.fill("zzzqqq")
    page.wait_for_function("document.getElementById('search-status').textContent.startsWith('No results')")
    assert results(page) == []


def test_query_in_the_url_is_searched_on_load(page, site_url):
    page.goto(site_url + "search/?q=sanchez")  # no accent: matches "Sánchez"
    page.wait_for_selector("#search-results li")
    assert page.get_by_label("Search every story").input_value() == "sanchez"
    assert any(title.startswith(SPAIN_NATO) for title in results(page))
    assert "Sánchez" in page.locator("#search-results mark").all_inner_texts()
    link = page.locator("#search-results li h2 a").first
    assert link.get_attribute("href").startswith("/digest/2025/")


def test_without_javascript_the_page_points_to_the_archive(browser, site_url):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(site_url + "search/")
        message = page.locator(".search-noscript")  # get_by_text() never looks inside <noscript>
        assert message.is_visible() and "Search needs JavaScript" in message.inner_text()
        archive = page.locator(".search-noscript a")
        assert archive.is_visible() and archive.get_attribute("href") == "/digest/archive/"
        assert page.get_by_label("Search every story").is_visible()
    finally:
        context.close()


def test_the_browser_answers_as_search_py_does(page, site_url, output):
    """search.js mirrors search.query(): same words, same matches, same order."""
    index = json.loads((output / "search/index.json").read_text(encoding="utf-8"))
    for text in ["SÁNCHEZ", "рецесс", "nato spend", "the", "Ёлка", "putin "]:
        page.goto(site_url + "search/?q=" + text.replace(" ", "+"))
        page.wait_for_function("!/^(Loading|$)/.test(document.getElementById('search-status').textContent)")
        hrefs = page.locator("#search-results li h2 a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        assert hrefs == search.query(index, text)[:50], text
