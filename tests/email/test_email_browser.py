"""The demo's newsletter in a real headless Chromium: it fits a phone without sideways
scrolling, its images load from their absolute URLs, and dark mode keeps its colours. The
README's screenshots of it are taken by `make screenshots`, not here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from browser import DEMO_URL, EDITION, build_demo, open_email, require_browser
from conftest import run_cli

require_browser()


@pytest.fixture(scope="module")
def output(tmp_path_factory) -> Path:
    """The demo built (its settings publish the newsletters), and its newsletter written."""
    output = build_demo(tmp_path_factory.mktemp("demo"), DEMO_URL)
    assert run_cli("email", "--site", output.parent, EDITION).code == 0
    return output


@pytest.mark.parametrize("width", [375, 600])
def test_email_fits_the_width(browser, output, width):
    page = open_email(browser, output, width)
    scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert scroll <= client, f"{scroll - client}px of sideways scrolling at {width}px"
    card = page.locator(".card").bounding_box()
    assert card["width"] == min(width, 600)
    image = page.locator("img.image")
    assert image.count() == 1 and image.get_attribute("alt")
    assert page.evaluate(
        "img => img.naturalWidth > 0 && img.getBoundingClientRect().right <= innerWidth", image.element_handle()
    )
    page.close()


def test_dark_mode_keeps_readable_colours(browser, output):
    """A client in dark mode that honours color-scheme keeps the inline colours: text stays
    dark on its own light background instead of dark on a dark canvas."""
    page = open_email(browser, output, 375, scheme="dark")
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
