"""Serve's next build takes over the last build's pages (routes.plan) and, for the sitemap,
the newest change of each long list of entries the model kept: a title edit makes only
the pages that show it, and no page or <lastmod> goes stale."""

from __future__ import annotations

import re
from pathlib import Path

from broadsheet.build.pipeline import build

from conftest import SETTINGS, article
from edits import clean_equals, serve_like

# forty articles of one tag (a long tuple, remembered by identity), over ten days
FORTY = {
    f"content/a{i}.md": article(f"Story {i}", f"2025-06-{10 + i % 10} 1{i % 10}:00", tags=f"[Common, T{i % 4}]")
    for i in range(40)
}


def lastmod(site: Path, path: str) -> str:
    sitemap = (site / "site/sitemap.xml").read_text()
    found = re.search(rf"<loc>https://example.org/{re.escape(path)}</loc>\s*<lastmod>([^<]*)</lastmod>", sitemap)
    assert found is not None, path
    return found.group(1)


def test_a_title_edit_keeps_the_pages_of_articles_it_does_not_reach(make_site, tmp_path):
    site = make_site(FORTY, settings=SETTINGS + "per_page: 5\n")
    request, state = serve_like(site)
    before = dict(state.memo.pages)
    assert before
    (site / "content/a7.md").write_text(article("Story seven, retitled", "2025-06-17 17:00", tags="[Common, T3]"))
    assert build(request, state, changed={"content/a7.md"}).ok
    after = state.memo.pages
    assert after["2025/06/10/story-0/index.html"] is before["2025/06/10/story-0/index.html"]
    assert "2025/06/17/story-7/index.html" not in after
    assert after["2025/06/17/story-seven-retitled/index.html"].context["title"] == "Story seven, retitled"
    assert after["2025/06/17/index.html"] is not before["2025/06/17/index.html"]  # its edition lists it
    assert after["tags/t0/index.html"] is before["tags/t0/index.html"]
    clean_equals(site, tmp_path, "clean")


def test_the_sitemap_s_lastmod_of_a_long_list_follows_an_updated_date(make_site, tmp_path):
    site = make_site(FORTY, settings=SETTINGS + "per_page: 50\n")  # a term's page holds its whole tuple
    request, state = serve_like(site)
    assert lastmod(site, "tags/common/") == lastmod(site, "tags/") == "2025-06-19T19:00:00+01:00"
    # in the long list alone: the list of tags shows it only through that list's tuple
    updated = article("Story 5", "2025-06-15 15:00", tags="[Common]", updated="2025-06-25 09:00")
    (site / "content/a5.md").write_text(updated)
    assert build(request, state, changed={"content/a5.md"}).ok
    assert lastmod(site, "tags/common/") == lastmod(site, "tags/") == "2025-06-25T09:00:00+01:00"
    assert lastmod(site, "tags/t0/") == "2025-06-18T18:00:00+01:00"  # kept, and as it was
    clean_equals(site, tmp_path, "clean")
    (site / "content/a5.md").write_text(article("Story 5", "2025-06-15 15:00", tags="[Common, T1]"))
    assert build(request, state, changed={"content/a5.md"}).ok
    assert lastmod(site, "tags/common/") == "2025-06-19T19:00:00+01:00"
    clean_equals(site, tmp_path, "clean-2")


def test_settings_edits_between_title_edits_give_a_clean_build_s_pages(make_site, tmp_path):
    """A page is taken over by what it holds, whatever changed around it: new settings make
    a new model (no entry is kept), new pages for every list whose pagination moved, and new
    fingerprints for every page (the site's title is in the masthead of each)."""
    site = make_site(FORTY, settings=SETTINGS + "per_page: 5\n")
    request, state = serve_like(site)
    steps = [
        ("content/a3.md", article("Story three, retitled", "2025-06-13 13:00", tags="[Common, T3]")),
        ("broadsheet.yaml", SETTINGS.replace("Test Digest", "Other Digest") + "per_page: 7\n"),
        ("content/a4.md", article("Story four, retitled", "2025-06-14 14:00", tags="[Common, T0]")),
        ("broadsheet.yaml", SETTINGS + "per_page: 7\nedition: week\n"),
    ]
    for n, (rel, text) in enumerate(steps):
        before = dict(state.memo.pages)
        (site / rel).write_text(text)
        assert build(request, state, changed={rel}).ok
        if rel == "broadsheet.yaml":
            assert not any(
                page is before.get(path) for path, page in state.memo.pages.items() if "entry" in page.context
            )
        clean_equals(site, tmp_path, f"clean-{n}")
    assert "Other Digest" not in (site / "site/search/index.html").read_text()
