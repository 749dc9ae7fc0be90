"""The default theme in a real headless Chromium: the demo built, served over HTTP, and
looked at as readers would: on a 320 px phone and a desktop, in light and dark, with
axe-core checking accessibility and the keyboard alone. The README's screenshots are
not taken here (tests write nothing into the repository): `make screenshots` takes them."""

from __future__ import annotations

import re

import pytest

from browser import (
    ARTICLE,
    AXE,
    DEMO_URL,
    NPM_CI,
    ROOT,
    axe_violations,
    build_demo,
    console_errors,
    needs_file,
    require_browser,
    serving,
)
from conftest import article, run_cli

require_browser()

PAGES = {
    "front page": "",
    "edition": "2025/06/19/",
    "article": ARTICLE,
    "tag page": "tags/nato/",
    "search page": "search/?q=nato",
}
WIDTHS = (320, 375, 1280)


@pytest.fixture(scope="module")
def site_url(tmp_path_factory):
    output = build_demo(tmp_path_factory.mktemp("demo"), DEMO_URL)
    with serving(output) as url:
        yield url


@pytest.fixture
def open_page(browser, site_url):
    """open_page(path, width=1280, dark=False) -> a loaded page; console errors fail the test."""
    contexts, errors, elsewhere = [], [], []

    def open_(path: str, width: int = 1280, dark: bool = False, script: bool = True):
        context = browser.new_context(
            viewport={"width": width, "height": 800},
            color_scheme="dark" if dark else "light",
            java_script_enabled=script,
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(5000)
        errors.extend(console_errors(page))
        # Nothing from other hosts: no web fonts, scripts, images or trackers.
        page.on(
            "request",
            lambda request: None if request.url.startswith((site_url, "data:")) else elsewhere.append(request.url),
        )
        page.goto(site_url + path)
        if "?q=" in path:
            page.wait_for_selector("#search-results li")
        return page

    yield open_
    for context in contexts:
        context.close()
    assert errors == [], f"console errors: {errors}"
    assert elsewhere == [], f"requests to other hosts: {elsewhere}"


def test_no_horizontal_scrolling_from_phone_to_desktop(open_page):
    too_wide = []
    for name, path in PAGES.items():
        page = open_page(path, WIDTHS[0])
        for width in WIDTHS:  # media queries apply again as the window changes: no reload needed
            page.set_viewport_size({"width": width, "height": 800})
            scroll, inner = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
            assert inner == width
            if scroll > inner:
                too_wide.append(f"{name} at {width} px: {scroll} px wide")
        page.context.close()
    assert too_wide == []


def test_dark_mode_applies(open_page):
    colours = "[getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color]"
    light = open_page("", dark=False).evaluate(colours)
    dark = open_page("", dark=True).evaluate(colours)
    assert light != dark
    assert _luminance(dark[0]) < 0.1 < 0.8 < _luminance(light[0])  # dark paper, light paper
    assert _luminance(dark[1]) > 0.7  # light ink on the dark paper


def test_one_h1_the_landmarks_and_the_language_on_every_page(open_page):
    for name, path in PAGES.items():
        page = open_page(path)
        assert page.locator("h1").count() == 1, name
        for landmark in ("header", "nav", "main", "footer"):
            assert page.locator(landmark).count() >= 1, (name, landmark)
        assert page.get_attribute("html", "lang") == "en-GB"
        page.context.close()


@needs_file(AXE, NPM_CI)
@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_axe_finds_no_serious_or_critical_violations(open_page, dark):
    found = {}
    for name, path in PAGES.items():
        page = open_page(path, dark=dark)
        violations = axe_violations(page)
        if violations:
            found[name] = violations
        page.context.close()
    assert found == {}, "\n".join(f"{name}: {v}" for name, vs in found.items() for v in vs)


def test_keyboard_reaches_skip_link_then_main_links_in_order(open_page):
    page = open_page("")
    links = page.evaluate("""() => [...document.querySelectorAll('a[href], input, button')]
        .filter(el => el.getClientRects().length && el.tabIndex >= 0)
        .slice(0, 16).map(el => el.getAttribute('href'))""")
    focused = []
    for _ in range(len(links)):
        page.keyboard.press("Tab")
        href, outline = page.evaluate(
            "[document.activeElement.getAttribute('href'), getComputedStyle(document.activeElement).outlineStyle]"
        )
        focused.append(href)
        assert outline != "none", f"no visible focus on {href}"
        if len(focused) == 1:  # the skip link shows itself, with a visible focus ring
            skip = page.locator("a.skip")
            assert skip.evaluate("el => el === document.activeElement")
            box = skip.bounding_box()
            assert box and box["x"] >= 0 and box["y"] >= 0
            assert skip.evaluate("el => getComputedStyle(el).outlineStyle") != "none"
    assert focused == links
    assert focused[0] == "#main" and focused[1] == "/"  # skip link, then the masthead
    nav = page.locator("header nav a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert focused[2 : 2 + len(nav)] == nav  # then the main menu, in order
    page.keyboard.press("Shift+Tab")
    page.goto(page.url)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the skip link moves to the content
    assert page.evaluate("location.hash") == "#main"


def test_everything_reads_without_javascript(open_page):
    for name, path in PAGES.items():
        if name == "search page":
            continue  # the one page that needs a script; test_search_page.py checks what it says without one
        page = open_page(path, 375, script=False)
        assert page.locator("main h1, main h2").first.is_visible(), name
        text = page.locator("main").inner_text()
        assert len(text) > 400 and "min read" in text, name
        page.context.close()
    article = open_page(ARTICLE, script=False)
    assert article.locator("figure img").evaluate("img => img.complete && img.naturalWidth > 0")
    assert article.get_by_role("link", name="Read at The Guardian").is_visible()


def test_search_speaks_the_site_language(browser, make_site):
    site = make_site({
        "content/a.md": article("Саммит открылся", "2025-06-19 09:00"),
        "content/b.md": article("Саммит закрылся", "2025-06-20 09:00"),
    }, "title: Дайджест\nlanguage: ru\n")  # fmt: skip
    assert run_cli("build", "--site", site).code == 0
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(5000)
        with serving(site / "site") as url:
            page.goto(url + "search/?q=саммит")
            page.wait_for_selector("#search-results li")
            assert page.locator("#search-status").inner_text() == "2 результата"
            page.goto(url + "search/?q=zzz")
            page.wait_for_function("document.getElementById('search-status').textContent.startsWith('По запросу')")
            assert page.locator("#search-status").inner_text() == "По запросу «zzz» ничего не найдено."
    finally:
        context.close()


def test_every_screenshot_in_the_readme_is_there():
    """`make screenshots` (docs/screenshots.py) writes them; a test only checks they exist."""
    shown = re.findall(r"\]\((docs/screenshots/[\w.-]+)\)", (ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(shown) >= 5  # the theme's pictures and the newsletter's
    missing = [name for name in shown if not (ROOT / name).is_file()]
    assert missing == [], f"run `make screenshots` for {missing}"


def _luminance(css_colour: str) -> float:
    """Relative luminance (WCAG) of an rgb()/rgba() colour."""
    parts = css_colour[css_colour.index("(") + 1 : -1].replace(",", " ").split()
    r, g, b = (float(p) / 255 for p in parts[:3])
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
