"""Real-browser tests: Debian's Chromium driven by Playwright, the demo served over HTTP.

A test module that needs the browser starts with ``require_browser()``: on a machine
without Chromium or Playwright the whole module is skipped, and pytest's summary says
what to install. A test that also needs a tool from npm (axe-core, vnu-jar) is marked
``@needs_file(...)``, so only that test is skipped without it. Playwright's own browser
downloads are never used (``playwright install`` needs the network and a supported
distribution); the system Chromium is.

docs/screenshots.py (``make screenshots``) builds and photographs the demo with these same
helpers outside a test run: pytest and conftest are imported as plain modules (pytest comes
with the test extras, as Playwright does), but nothing here may need a running test session.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from broadsheet.serve.server import DevServer

from conftest import copy_demo, run_cli

DEMO_URL = "https://example.org/"  # the demo's base_url (broadsheet.yaml)
ARTICLE = "2025/06/19/world-has-about-three-years-of-emissions-left-for-1-5degc/"  # a bundle with an image
EDITION = "2025-06-19"  # the demo's fullest edition, with the one story that has an image

CHROMIUM = Path(os.environ.get("BROADSHEET_CHROMIUM", "/usr/bin/chromium"))
# Headless in a container or CI: no sandbox (often unavailable as root), no GPU, and none
# of the browser's own traffic (updates, sync, first-run pages) to slow a test or fail it.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def missing() -> str | None:
    """Why browser tests cannot run here, or None when they can."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"Chromium not found at {CHROMIUM}: apt-get install chromium"
    if importlib.util.find_spec("playwright") is None:
        return "Playwright not installed: pip install -e '.[test]' (or pip install playwright)"
    return None


def require_browser() -> None:
    """Call at module level: skips the whole module, with the reason, when there is no browser."""
    reason = missing()
    if reason:
        pytest.skip(reason, allow_module_level=True)


@contextmanager
def chromium() -> Iterator:
    """A headless Chromium (a playwright Browser), closed afterwards."""
    from playwright.sync_api import sync_playwright  # only once require_browser() said it is there

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def build_demo(dest: Path, base_url: str) -> Path:
    """A copy of the repository's demo digest built with base_url; returns its output folder."""
    copy_demo(dest)
    result = run_cli("build", "--site", dest, "--base-url", base_url)
    assert result.code == 0, result.err
    return dest / "site"


@contextmanager
def serving(output: Path, base_path: str = "/") -> Iterator[str]:
    """The output folder on a real HTTP server on 127.0.0.1 (a free port); yields its URL.

    The project's dev server, so the base path is honoured as a host would; it adds its
    live-reload script to pages, which only opens an event stream.
    """
    server = DevServer(output, base_path, "127.0.0.1", 0)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def console_errors(page) -> list[str]:
    """A list that fills with the page's console errors and uncaught exceptions.

    The browser's own request for /favicon.ico at the host's root is not the page's doing
    (the theme links no icon), so its 404 is left out.
    """
    errors: list[str] = []

    def on_console(message) -> None:
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(f"{message.text} ({message.location.get('url', '')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
VNU = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"


NPM_CI = "run `npm ci` in the repository (make test does it when npm is installed)"


def needs_file(path: Path, how: str) -> pytest.MarkDecorator:
    """A mark that skips one test, saying how to get the file, when a test tool is not installed.

    A mark rather than a module-level skip: the module's other tests do not need the tool.
    """
    return pytest.mark.skipif(not path.is_file(), reason=f"{path.relative_to(ROOT)} not found: {how}")


def axe_violations(page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """axe-core's violations of the page as it stands, of the given impacts, one line each."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(str(n['target']) for n in v['nodes'][:3])}"
        for v in result["violations"]
        if v["impact"] in impacts
    ]


def open_email(browser, output: Path, width: int, scheme: str = "light"):
    """The demo's published newsletter of EDITION in a new page of the given width.

    The site's origin is answered from the built files, as the host would answer the mail
    client's requests for images; requests anywhere else are aborted.
    """
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)

    def from_output(route) -> None:
        path = route.request.url.removeprefix(DEMO_URL).split("?")[0]
        file = output / (path + "index.html" if path.endswith("/") or not path else path)
        if file.is_file():
            route.fulfill(path=str(file))
        else:
            route.fulfill(status=404, body="not found")

    page.route(DEMO_URL + "**", from_output)
    page.route(re.compile(f"^(?!{re.escape(DEMO_URL)}).*"), lambda route: route.abort())  # nothing leaves the machine
    page.goto(f"{DEMO_URL}{EDITION.replace('-', '/')}/email.html")
    page.wait_for_load_state("load")
    return page
