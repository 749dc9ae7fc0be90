"""Every link and asset URL resolves inside the output, also under a sub-path base_url."""

import pytest

from conftest import article, copy_demo, run_cli
from linkcheck import broken_links, links_of


@pytest.fixture
def demo_copy(tmp_path):
    return copy_demo(tmp_path / "demo")


@pytest.mark.parametrize(
    "base_url, base_path", [("https://example.org/", "/"), ("https://x.github.io/digest/", "/digest/")]
)
def test_every_internal_link_of_the_demo_resolves(demo_copy, base_url, base_path):
    result = run_cli("build", "--site", demo_copy, "--base-url", base_url)
    assert result.code == 0, result.err
    output = demo_copy / "site"
    origin = base_url[: base_url.index("/", len("https://"))]
    assert broken_links(output, origin, base_path) == []
    pages = list(output.rglob("*.html"))
    assert len(pages) > 50
    for page in pages:  # every root-relative link carries the sub-path
        for url in links_of(page.read_text(encoding="utf-8")):
            if url.startswith("/"):
                assert url.startswith(base_path), f"{page}: {url}"


def test_link_checker_catches_a_broken_link(make_site):
    """The checker itself must be able to fail."""
    site = make_site({"content/a.md": article("A", "2025-06-19", body="[x](/nowhere/)")})
    assert run_cli("build", "--site", site).code == 0
    assert "/2025/06/19/a/: /nowhere/" in broken_links(site / "site", "https://example.org", "/")


def test_links_between_articles_by_file_path(make_site):
    site = make_site({
        "content/world/a.md": article("First story", "2025-06-18", body="See [the next one](../business/b.md#details)."),
        "content/business/b.md": article("Second story", "2025-06-19", body="## Details\n\nText."),
    })  # fmt: skip
    result = run_cli("build", "--site", site, "--base-url", "https://example.org/digest/")
    assert result.code == 0, result.err
    html = (site / "site/2025/06/18/first-story/index.html").read_text()
    assert 'href="/digest/2025/06/19/second-story/#details"' in html
    assert 'id="details"' in (site / "site/2025/06/19/second-story/index.html").read_text()


def test_a_bundle_summary_shown_on_list_pages_keeps_its_image_and_notes(make_site):
    """The summary is the article's first paragraph, written for its own page: on the
    front page, editions and tag pages its relative URLs must still reach the bundle."""
    site = make_site({
        "content/science/chart/index.md": article("Chart story", "2025-06-19", tags="[Climate]", body="![A chart](chart.svg) Rising lines.[^1]\n\n[^1]: A note."),
        "content/science/chart/chart.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>',
    })  # fmt: skip
    assert run_cli("build", "--site", site, "--base-url", "https://example.org/digest/").code == 0
    for page in ("index.html", "2025/06/19/index.html", "tags/climate/index.html"):
        html = (site / "site" / page).read_text()
        assert 'src="/digest/2025/06/19/chart-story/chart.svg"' in html, page
    assert broken_links(site / "site", "https://example.org", "/digest/") == []
