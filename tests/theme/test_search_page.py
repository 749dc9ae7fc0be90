"""/search/ in a real headless Chromium, served over HTTP: the demo built under a sub-path,
and a small newsroom written here whose right answers can be worked out by hand.

search.js is the only query engine there is, so these tests are the only check of what a
reader gets: queries are typed into the page and the titles it lists compared, in order,
with lists written out below.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from browser import build_demo, console_errors, require_browser, serving
from conftest import SETTINGS, article, run_cli, write_tree

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


def test_a_linked_query_marks_its_words_and_links_under_the_sub_path(page, site_url):
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


# --- a newsroom small enough to answer by hand ----------------------------------------------

HARBOUR = "Harbour bridge reopens"
COUNCIL = "Council debates the bridge budget"
FESTIVAL = "River festival draws crowds"
BRIGHT = "Bright spells for the weekend"
CAFE_SANCHEZ = "Café Sánchez wins an award"
OLD_BRIDGE = "Old bridge closes for repairs"
MOST = "Мост через реку открыт"
SANCHEZ_CAFE = "Sanchez family opens a cafe"
SPELLING = "Spelled many ways"

# Newest first, one a day. "bridge" is in four titles and one body (the festival's, newer
# than the old bridge); "bright" shares its first letters; the two cafés spell Sánchez and
# café with and without accents; the last story holds words that fold differently.
NEWSROOM = {
    "content/local/harbour.md": article(HARBOUR, "2025-06-20", body="Traffic flows across the river again after repairs."),
    "content/local/council.md": article(COUNCIL, "2025-06-19", body="Councillors argued until midnight."),
    "content/local/festival.md": article(FESTIVAL, "2025-06-18", body="Boats gathered under the bridge at dusk."),
    "content/local/weather.md": article(BRIGHT, "2025-06-17", body="Sunshine after morning rain."),
    "content/local/cafe.md": article(CAFE_SANCHEZ, "2025-06-16", body="The judges praised its coffee."),
    "content/local/old-bridge.md": article(OLD_BRIDGE, "2025-06-15", body="Engineers found cracks."),
    "content/local/most.md": article(MOST, "2025-06-14", body="Ремонт моста закончен в срок.", lang="ru", slug="most"),
    "content/local/sanchez.md": article(SANCHEZ_CAFE, "2025-06-13", body="Fresh loaves every day."),
    "content/local/spelling.md": article(SPELLING, "2025-06-12", body="Straße, ΟΔΟΣ, ﬁnal, snake_case, Ёлка, Zoë."),
}  # fmt: skip


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory):
    """NEWSROOM built in a temporary folder; returns its output folder."""
    site = write_tree(tmp_path_factory.mktemp("newsroom"), {"broadsheet.yaml": SETTINGS, **NEWSROOM})
    result = run_cli("build", "--site", site)
    assert result.code == 0, result.err
    return site / "site"


@pytest.fixture(scope="module")
def newsroom_url(newsroom):
    with serving(newsroom) as url:
        yield url


# The page has answered `text` once the address holds it (search.js writes ?q= just before
# it searches) and the status is neither empty nor "Loading…" (the index may arrive after
# the last key). Waiting for the address matters: on a loaded machine the keys come slowly
# and a half-typed word is answered first.
ANSWERED = """text => new URLSearchParams(location.search).get("q") === text
    && !/^(Loading|$)/.test(document.getElementById("search-status").textContent)"""


def typed(page, site_url: str, text: str) -> list[str]:
    """The titles /search/ lists once `text` has been typed into it, key by key."""
    page.goto(site_url + "search/")
    page.get_by_label("Search every story").press_sequentially(text)
    page.wait_for_function(ANSWERED, arg=text)
    return results(page)


def answers(page, site_url: str, expected: dict[str, list[str]]) -> dict[str, list[str]]:
    """What the page lists for each query of `expected`, each typed into a fresh load: compared
    whole, so a failure shows every query that went wrong."""
    return {text: typed(page, site_url, text) for text in expected}


def status(page) -> str:
    return page.locator("#search-status").inner_text()


def test_every_word_must_match(page, newsroom_url):
    expected = {
        "bridge river": [HARBOUR, FESTIVAL],  # one has the bridge in its title, the other the river
        "river bridge": [HARBOUR, FESTIVAL],  # the order of the words is not the order of the stories
        "bridge weekend": [],  # both words are in the index, never in one story
    }
    assert answers(page, newsroom_url, expected) == expected


def test_only_the_last_word_is_a_prefix_and_a_space_ends_it(page, newsroom_url):
    expected = {
        "bri": [HARBOUR, COUNCIL, BRIGHT, OLD_BRIDGE, FESTIVAL],  # bridge and bright: still being typed
        "brid": [HARBOUR, COUNCIL, OLD_BRIDGE, FESTIVAL],
        "bri ": [],  # the space finishes the word, and there is no word "bri"
        "bri river": [],  # an earlier word is always whole
        "bridge ": [HARBOUR, COUNCIL, OLD_BRIDGE, FESTIVAL],
    }
    assert answers(page, newsroom_url, expected) == expected


def test_title_matches_rank_first_then_newest_first(page, newsroom_url):
    # The festival is newer than the old bridge but has the bridge only in its body.
    assert typed(page, newsroom_url, "bridge") == [HARBOUR, COUNCIL, OLD_BRIDGE, FESTIVAL]
    assert status(page) == "4 results"
    # Both words in the old bridge's title outrank one word in the newer harbour's.
    assert typed(page, newsroom_url, "bridge repairs") == [OLD_BRIDGE, HARBOUR]


def test_accents_and_case_do_not_matter(page, newsroom_url):
    # Every spelling finds both stories, one written with accents and one without; both are
    # title matches, so the newer comes first.
    both = [CAFE_SANCHEZ, SANCHEZ_CAFE]
    expected = {
        text: both for text in ["Sánchez", "sanchez", "SANCHEZ", "SÁNCHEZ", "sánch", "café", "CAFE", "cafe sanchez"]
    }
    assert answers(page, newsroom_url, expected) == expected


def test_cyrillic_words_are_words(page, newsroom_url):
    # Found whole, as a prefix and in any case; "закончен" ends at its full stop, as English words do.
    expected = {text: [MOST] for text in ["мост", "МОСТ ", "Мос", "моста", "ремонт", "закончен ", "срок"]}
    assert answers(page, newsroom_url, expected) == expected
    assert page.locator("#search-results li").first.get_attribute("lang") == "ru"  # read in a Russian voice


# Each way of typing a word, and the term search.py made of the story's spelling of it.
FOLDED = {
    "strasse": "strasse", "STRAẞE": "strasse", "straße": "strasse",  # the story has "Straße"
    "ΟΔΟΣ": "οδοσ", "οδος ": "οδοσ",  # Σ lowers to ς at a word's end; both sides fold ς to σ
    "final": "final", "ﬁnal": "final", "FINAL": "final",  # the story has the ligature "ﬁ"
    "snake case": "case", "snake_case": "case",  # "_" joins no words
    "ёлка": "елка", "ЕЛКА": "елка",  # the story has "Ёлка"
    "zoe": "zoe", "Zoë": "zoe",
}  # fmt: skip


def test_the_browser_folds_words_as_the_index_does(page, newsroom, newsroom_url):
    """search.py folds the story's words into the index's terms; search.js must fold what
    is typed into the same terms, or the story could never be found."""
    index = json.loads((newsroom / "search/index.json").read_text(encoding="utf-8"))
    spelling = [d["title"] for d in index["docs"]].index(SPELLING)
    assert {term: index["terms"].get(term) for term in FOLDED.values()} == {
        term: [spelling] for term in FOLDED.values()
    }
    expected = {text: [SPELLING] for text in FOLDED}
    assert answers(page, newsroom_url, expected) == expected


def test_no_results_says_so_and_punctuation_asks_nothing(page, newsroom_url):
    assert typed(page, newsroom_url, "zzz") == []
    assert status(page) == "No results for “zzz”."
    assert typed(page, newsroom_url, "bri ") == []
    assert status(page) == "No results for “bri”."  # the query as typed, trimmed
    page.get_by_label("Search every story").fill(" ,. ")  # no word at all: nothing asked, nothing answered
    page.wait_for_function("new URLSearchParams(location.search).get('q') === ' ,. '")
    assert results(page) == [] and status(page) == ""


def test_a_query_in_the_url_is_searched_on_load(page, newsroom_url):
    expected = {
        "bridge river": [HARBOUR, FESTIVAL],
        "bri": [
            HARBOUR,
            COUNCIL,
            BRIGHT,
            OLD_BRIDGE,
            FESTIVAL,
        ],  # a half-typed search, shared, shows what its sender saw
        "café": [CAFE_SANCHEZ, SANCHEZ_CAFE],
    }
    shown = {}
    for text in expected:
        page.goto(newsroom_url + "search/?" + urlencode({"q": text}))
        page.wait_for_function(ANSWERED, arg=text)
        assert page.get_by_label("Search every story").input_value() == text
        shown[text] = results(page)
    assert shown == expected


# --- stories (issue 20): a hit shows the story it belongs to ---------------------------------

FERRY_WIRE = "Ferry strike ends after talks"
FERRY_DAILY = "Ferry crews back at work"
FERRY_ALONE = "Ferry timetable for the summer"


def test_a_hit_shows_its_story_linking_to_the_story_page(browser, tmp_path):
    files = {
        "content/a.md": article(FERRY_WIRE, "2025-06-18 09:00", source="Wire", story="ferry-strike",
                                story_title="The ferry strike ends"),
        "content/b.md": article(FERRY_DAILY, "2025-06-18 13:00", source="Daily", story="ferry-strike"),
        "content/c.md": article(FERRY_ALONE, "2025-06-19 10:00"),
    }  # fmt: skip
    site = write_tree(tmp_path, {"broadsheet.yaml": SETTINGS + "stories:\n  auto: false\n", **files})
    assert run_cli("build", "--site", site, "--base-url", BASE_URL).code == 0
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(5000)
    errors = console_errors(page)
    try:
        with serving(site / "site", "/digest/") as url:
            assert typed(page, url, "ferry") == [FERRY_ALONE, FERRY_DAILY, FERRY_WIRE]
            hits = page.locator("#search-results li")
            assert hits.nth(0).locator(".search-story").count() == 0  # an article alone
            for n in (1, 2):
                line = hits.nth(n).locator(".search-story")
                assert line.inner_text() == "Story: The ferry strike ends"
                assert line.locator("a").get_attribute("href") == "/digest/stories/ferry-strike/"
            hits.nth(1).locator(".search-story a").click()
            page.wait_for_url(url + "stories/ferry-strike/")
            assert "The ferry strike ends" in page.locator("h1").inner_text()
    finally:
        context.close()
    assert errors == [], f"console errors: {errors}"
