"""The live-reload script and its error overlay in a real headless Chromium: a rebuild
that fails with an unexpected exception shows in the page, and the next good save
reloads it."""

from __future__ import annotations

from browser import console_errors, require_browser
from conftest import article
from crashing import MARKER, live

require_browser()

SETTINGS = "title: Live\nbase_url: https://example.org/\ntimezone: UTC\n"


def test_an_unexpected_rebuild_failure_shows_in_the_overlay_and_a_fix_reloads(browser, make_site):
    site = make_site(
        {"content/world/a.md": article("First story", "2025-06-19 10:00", body="The first version.")}, SETTINGS
    )
    with live(site) as (server, _):
        page = browser.new_page()
        page.set_default_timeout(15000)
        errors = console_errors(page)
        page.goto(server.url + "2025/06/19/first-story/")
        assert page.locator("#broadsheet-error").count() == 0
        server.wait_for_clients(1, 10)  # the page's event stream is open

        (site / "content/world/a.md").write_text(article("First story", "2025-06-19 10:00", body=MARKER))
        overlay = page.locator("#broadsheet-error")
        overlay.wait_for(state="visible")
        assert "Build failed" in overlay.inner_text()
        assert (
            "a bug in Broadsheet" in overlay.inner_text()
            and "ZeroDivisionError: division by zero" in overlay.inner_text()
        )

        (site / "content/world/a.md").write_text(article("First story", "2025-06-19 10:00", body="The fixed version."))
        page.get_by_text("The fixed version.").wait_for()
        assert page.locator("#broadsheet-error").count() == 0
        page.close()
    assert errors == [], errors
