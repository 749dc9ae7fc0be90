"""The README's pictures of the theme and the newsletter, taken from this checkout.

    python docs/screenshots.py        (or: make screenshots)

The demo is built into a temporary folder, served by the project's dev server and looked at
in headless Chromium (the system's, as the browser tests use), so the repository gains only
the pictures: docs/screenshots/*.png. A file is rewritten only when its picture changed, so
an unchanged theme leaves `git status` clean. Needs Chromium and the test extras (Playwright).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This checkout's code whichever Broadsheet the interpreter has installed, and the helpers
# the browser tests use (tests/browser.py), so the pictures show what the tests check.
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from browser import ARTICLE, DEMO_URL, build_demo, chromium, missing, open_email, serving  # noqa: E402

SCREENSHOTS = ROOT / "docs" / "screenshots"
PAGES = {  # file: (path on the site, window width, dark colour scheme); the window only
    "front.png": ("", 1280, False),
    "article.png": (ARTICLE, 1280, False),
    "front-phone.png": ("", 375, False),
    "article-phone-dark.png": (ARTICLE, 375, True),
}
EMAIL_WIDTHS = (375, 600)  # email-<width>.png: the whole newsletter


def main() -> int:
    reason = missing()
    if reason:
        print(f"screenshots: {reason}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="broadsheet-screenshots-") as tmp, chromium() as browser:
        output = build_demo(Path(tmp), DEMO_URL)
        changed = [*photograph_pages(browser, output), *photograph_emails(browser, output)]
    print(f"screenshots: {', '.join(changed) or 'none'} changed in {SCREENSHOTS.relative_to(ROOT)}/")
    return 0


def photograph_pages(browser, output: Path) -> list[str]:
    changed = []
    with serving(output) as url:
        for name, (path, width, dark) in PAGES.items():
            context = browser.new_context(
                viewport={"width": width, "height": 800}, color_scheme="dark" if dark else "light"
            )
            page = context.new_page()
            page.goto(url + path)
            changed += save(name, page.screenshot())
            context.close()
    return changed


def photograph_emails(browser, output: Path) -> list[str]:
    changed = []
    for width in EMAIL_WIDTHS:
        page = open_email(browser, output, width)
        changed += save(f"email-{width}.png", page.screenshot(full_page=True))
        page.close()
    return changed


def save(name: str, image: bytes) -> list[str]:
    """Writes the picture unless the file already holds it; returns [name] when it wrote."""
    if len(image) < 10_000:  # a blank or unstyled page compresses to almost nothing
        raise SystemExit(f"screenshots: {name} looks blank ({len(image)} bytes); not written")
    path = SCREENSHOTS / name
    if path.is_file() and path.read_bytes() == image:
        return []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path.write_bytes(image)
    return [name]


if __name__ == "__main__":
    sys.exit(main())
