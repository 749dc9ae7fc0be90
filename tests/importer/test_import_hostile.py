"""Imported text whose runs of brackets and emphasis, or nesting, would make the build
slow or too deep for Python-Markdown is defused on import: the draft builds in time."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import REPO, SETTINGS, run_cli

DEEP_LIST = "".join("  " * depth + "- level\n" for depth in range(3000))
HOSTILE_TEXT = "\n\n".join(
    [
        "Words of the story.",
        "[" * 12000,
        "[a " * 5000,
        "[a](" * 5000,
        DEEP_LIST,
        "*" * 20000 + "a" + "*" * 20000,
        ">" * 3000 + " deep quote",
    ]
)
HOSTILE_HTML = (
    "<p>Words of the story.</p><p>" + "[" * 12000 + "</p>" + "<blockquote>" * 300 + "deep" + "</blockquote>" * 300
)


def feed(tmp_path):
    items = [
        {
            "id": "https://x.example/1",
            "title": "Text item",
            "content_text": HOSTILE_TEXT,
            "date_published": "2025-06-01T10:00:00+01:00",
        },
        {
            "id": "https://x.example/2",
            "title": "HTML item",
            "content_html": HOSTILE_HTML,
            "date_published": "2025-06-01T11:00:00+01:00",
        },
    ]
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "X", "items": items}))
    return path


def test_hostile_feed_items_import_and_then_build_in_time(make_site, tmp_path):
    site = make_site({}, settings=SETTINGS)
    result = run_cli("import", "--site", site, feed(tmp_path))
    assert result.code == 0, result.err
    assert "Imported 2 articles" in result.out
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    build = subprocess.run(
        [sys.executable, "-m", "broadsheet", "build", "--drafts", "--site", str(site)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert build.returncode == 0, build.stderr  # within the default budget: nothing took too long, nothing too deep
    for slug in ("text-item", "html-item"):
        [page] = (site / "site").rglob(f"{slug}/index.html")
        assert "Words of the story." in page.read_text()
