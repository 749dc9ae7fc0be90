"""The demo's newsletter in a real headless Chromium: it fits a phone without sideways
scrolling, its images load from their absolute URLs, dark mode keeps its colours, and the
README's screenshots at 375 and 600 px come from here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from browser import chromium, require_browser
from conftest import REPO, copy_demo, run_cli

require_browser()

EDITION = "2025-06-19"  # the demo's fullest edition, with the one story that has an image
SCREENSHOTS = REPO / "docs" / "screenshots"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """The demo built (its settings publish the newsletters) and its newsletter written."""
    site = copy_demo(tmp_path_factory.mktemp("demo"))
    assert run_cli("build", "--site", site).code == 0
    assert run_cli("email", "--site", site, EDITION).code == 0
    return site


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def open_email(browser, demo: Path, width: int, scheme: str = "light"):
    """The published newsletter, with the site's origin answered from the built files, as
    the mail client's requests for images would be answered by the host."""
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
    output = demo / "site"

    def from_output(route) -> None:
        path = re.sub(r"^https://example\.org/", "", route.request.url).split("?")[0]
        file = output / (path + "index.html" if path.endswith("/") or not path else path)
        if file.is_file():
            route.fulfill(path=str(file))
        else:
            route.fulfill(status=404, body="not found")

    page.route("https://example.org/**", from_output)
    page.route(re.compile(r"^(?!https://example\.org/).*"), lambda route: route.abort())  # nothing leaves the machine
    page.goto(f"https://example.org/{EDITION.replace('-', '/')}/email.html")
    page.wait_for_load_state("load")
    return page


@pytest.mark.parametrize("width", [375, 600])
def test_email_fits_the_width_and_its_screenshot_is_in_the_readme(browser, demo, width):
    page = open_email(browser, demo, width)
    scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert scroll <= client, f"{scroll - client}px of sideways scrolling at {width}px"
    card = page.locator(".card").bounding_box()
    assert card["width"] == min(width, 600)
    image = page.locator("img.image")
    assert image.count() == 1 and image.get_attribute("alt")
    assert page.evaluate("img => img.naturalWidth > 0 && img.getBoundingClientRect().right <= innerWidth", image.element_handle())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"email-{width}.png"), full_page=True)
    page.close()
    assert f"docs/screenshots/email-{width}.png" in (REPO / "README.md").read_text(encoding="utf-8")


def test_dark_mode_keeps_readable_colours(browser, demo):
    """A client in dark mode that honours color-scheme keeps the inline colours: text stays
    dark on its own light background instead of dark on a dark canvas."""
    page = open_email(browser, demo, 375, scheme="dark")
    for selector in (".story-title a", ".summary p", ".byline", ".read a"):
        colour, background = page.evaluate(
            """selector => {
                const element = document.querySelector(selector);
                let box = element;
                while (getComputedStyle(box).backgroundColor === 'rgba(0, 0, 0, 0)') box = box.parentElement;
                return [getComputedStyle(element).color, getComputedStyle(box).backgroundColor];
            }""",
            selector,
        )
        assert contrast(colour, background) >= 4.5, f"{selector}: {colour} on {background}"
    page.close()


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two rgb() colours."""

    def luminance(colour: str) -> float:
        channels = [int(c) / 255 for c in re.findall(r"\d+", colour)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
