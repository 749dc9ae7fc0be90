"""Stories in the theme, in a real headless Chromium: the demo's story page, its list of
stories, an edition with a story shown once and an article with its other coverage, on a
320 px phone up to a desktop, in light and dark, with axe-core. The pages are those of
the demo's story joined by hand (`story: kyiv-17-june-2025`), so they do not move when the
automatic grouping is retuned."""

from __future__ import annotations

import pytest

from browser import (
    AXE,
    DEMO_URL,
    NPM_CI,
    axe_violations,
    build_demo,
    console_errors,
    needs_file,
    require_browser,
    serving,
)

require_browser()

STORY = "stories/kyiv-17-june-2025/"
PAGES = {
    "story page": (STORY, "ol.timeline > li > article.story"),
    "stories list": ("stories/", "ul.story-list > li h2 a"),
    "edition with a story": ("2025/06/18/", "article.story p.also a.full-coverage"),
    "article with coverage": (
        "2025/06/17/russian-missile-strike-on-kyiv-apartment-block-kills-dozens/",
        "section.coverage ul.coverage-list > li h3 a",
    ),
}
WIDTHS = (320, 375, 1280)
SCHEMES = ("light", "dark")


@pytest.fixture(scope="module")
def site_url(tmp_path_factory):
    output = build_demo(tmp_path_factory.mktemp("demo"), DEMO_URL)
    with serving(output) as url:
        yield url


@pytest.fixture
def open_page(browser, site_url):
    """open_page(path, width, scheme) -> a loaded page; console errors fail the test."""
    contexts, errors = [], []

    def open_(path: str, width: int = 1280, scheme: str = "light"):
        context = browser.new_context(viewport={"width": width, "height": 800}, color_scheme=scheme)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(5000)
        errors.extend(console_errors(page))
        page.goto(site_url + path)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert errors == [], f"console errors: {errors}"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_story_pages_never_scroll_sideways(open_page, scheme):
    too_wide = []
    for name, (path, shows) in PAGES.items():
        page = open_page(path, WIDTHS[0], scheme)
        assert page.locator(shows).count() >= 1, f"{name} does not show {shows}"
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            scroll, inner = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
            assert inner == width
            if scroll > inner:
                too_wide.append(f"{name} at {width} px, {scheme}: {scroll} px wide")
        page.context.close()
    assert too_wide == []


@needs_file(AXE, NPM_CI)
@pytest.mark.parametrize("scheme", SCHEMES)
def test_axe_finds_no_serious_or_critical_violations_on_the_story_pages(open_page, scheme):
    found = {}
    for name, (path, _) in PAGES.items():
        for width in (320, 1280):
            page = open_page(path, width, scheme)
            violations = axe_violations(page)
            if violations:
                found[f"{name} at {width} px"] = violations
            page.context.close()
    assert found == {}, "\n".join(f"{name}: {v}" for name, vs in found.items() for v in vs)


def test_the_story_lines_keep_their_contrast_in_light_and_dark(open_page):
    """The quieter text of stories (the "Also reported by" line, the story's count and
    outlets, the other coverage's bylines) reads at 4.5:1 or more on the paper in both schemes,
    and the dark scheme really is another one."""
    parts = {
        "edition with a story": ".also-label",
        "story page": ".story-meta",
        "article with coverage": ".coverage-list .byline",
    }
    seen = {}
    for scheme in SCHEMES:
        for name, selector in parts.items():
            page = open_page(PAGES[name][0], 375, scheme)
            ink, paper = page.locator(selector).first.evaluate(
                "el => [getComputedStyle(el).color, getComputedStyle(document.body).backgroundColor]"
            )
            ratio = _contrast(ink, paper)
            assert ratio >= 4.5, f"{name} {selector} in {scheme}: {ratio:.2f}"
            seen[(scheme, name)] = ink
            page.context.close()
    assert all(seen[("light", name)] != seen[("dark", name)] for name in parts)


def test_full_coverage_leads_from_the_edition_to_the_story_and_its_reports(open_page):
    page = open_page("2025/06/18/", 320)
    card = page.locator("article.story", has=page.locator("a.full-coverage")).filter(has_text="Kyiv").first
    outlets = card.locator("p.also a:not(.full-coverage)").all_inner_texts()
    assert outlets == ["Associated Press", "The Kyiv Independent"]
    card.locator("a.full-coverage").click()
    page.wait_for_url("**/" + STORY)
    assert page.locator("h1").inner_text() == "Story: Russia's deadliest attack on Kyiv this year"
    assert page.locator("ol.timeline article.story .byline .source").all_inner_texts() == [
        "Associated Press",
        "The Kyiv Independent",
        "BBC News",
    ]


def _contrast(ink: str, paper: str) -> float:
    light, dark = sorted((_luminance(ink), _luminance(paper)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _luminance(css_colour: str) -> float:
    """Relative luminance (WCAG) of an rgb()/rgba() colour."""
    parts = css_colour[css_colour.index("(") + 1 : -1].replace(",", " ").split()
    r, g, b = (float(p) / 255 for p in parts[:3])
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
