"""relative_urls: true: the built site opens from the disk (issue 18, item 2).

The truths here are not the code's own: the pages are read with lxml (not the tokenizer
that rewrote them) and every relative URL is looked up as a file on disk; and Chromium
opens a page with file:// and follows a link, as a reader double-clicking index.html would.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.html
import pytest

from broadsheet.build.relative import relative_url

from browser import missing
from conftest import article, copy_demo, run_cli, tree_bytes

URL_ATTRIBUTES = ("href", "src", "action", "poster", "data-search-index")


def demo(dest: Path, relative: bool = True) -> Path:
    copy_demo(dest)
    if relative:
        with (dest / "broadsheet.yaml").open("a") as settings:
            settings.write("relative_urls: true\n")
    return dest


def references(page: Path) -> list[tuple[str, str]]:
    """(tag, URL) of every link, stylesheet, script, image and form of a page, as lxml reads it."""
    tree = lxml.html.fromstring(page.read_bytes())
    found = []
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        for name in URL_ATTRIBUTES:
            if element.get(name) is not None:
                found.append((f"{element.tag} {element.get('rel') or ''}".strip(), element.get(name)))
        for candidate in (element.get("srcset") or "").split(","):
            if candidate.strip():
                found.append((element.tag, candidate.split()[0]))
    return found


def unresolved(output: Path) -> list[str]:
    """Every internal URL of every page (404.html aside) that is not relative, or does not
    lead to a file on disk as file:// would resolve it."""
    bad = []
    for page in sorted(output.rglob("*.html")):
        rel = page.relative_to(output).as_posix()
        if rel == "404.html":
            continue
        for tag, url in references(page):
            parts = urlsplit(url)
            if tag == "link canonical" or parts.scheme or url.startswith("#"):
                continue
            if url.startswith("/"):
                bad.append(f"{rel}: {url} is not relative")
                continue
            target = posixpath.normpath(posixpath.join(posixpath.dirname(rel), unquote(parts.path)))
            if target.startswith("..") or not (output / target).is_file():
                bad.append(f"{rel}: {url} leads to no file")
    return bad


def test_every_link_of_every_page_leads_to_a_file_on_disk(tmp_path):
    site = demo(tmp_path / "demo")
    result = run_cli("build", "--site", site)
    assert result.code == 0, result.err
    assert result.out.rstrip().endswith("Open " + str(site / "site/index.html"))
    output = site / "site"
    pages = list(output.rglob("*.html"))
    assert len(pages) > 50
    assert unresolved(output) == []
    # what says where the site is published stays absolute
    index = lxml.html.fromstring((output / "index.html").read_bytes())
    assert index.xpath("//link[@rel='canonical']/@href") == ["https://example.org/"]
    assert index.xpath("//meta[@property='og:url']/@content") == ["https://example.org/"]
    feed = (output / "feed.xml").read_text()
    assert 'href="https://example.org/' in feed and 'href="../' not in feed
    assert "<loc>https://example.org/" in (output / "sitemap.xml").read_text()
    assert 'href="/' in (output / "404.html").read_text()  # a host shows it at any address


def test_the_default_keeps_site_paths(tmp_path):
    site = demo(tmp_path / "demo", relative=False)
    assert run_cli("build", "--site", site).code == 0
    assert unresolved(site / "site")  # the truth above does see the difference


def test_turning_it_on_and_off_rebuilds_every_page_as_a_clean_build_would(tmp_path):
    site = demo(tmp_path / "demo", relative=False)
    settings = (site / "broadsheet.yaml").read_text()
    assert run_cli("build", "--site", site).code == 0
    off = tree_bytes(site / "site")
    (site / "broadsheet.yaml").write_text(settings + "relative_urls: true\n")
    assert run_cli("build", "--site", site).code == 0
    on = tree_bytes(site / "site")
    clean = demo(tmp_path / "clean")
    assert run_cli("build", "--site", clean, "--no-cache").code == 0
    assert on == tree_bytes(clean / "site")  # same bytes: incremental = clean, and deterministic
    (site / "broadsheet.yaml").write_text(settings)
    assert run_cli("build", "--site", site).code == 0
    assert tree_bytes(site / "site") == off


def test_a_wrong_value_names_the_line(make_site):
    site = make_site({"content/a.md": article("A", "2025-06-19")})
    (site / "broadsheet.yaml").write_text("title: T\nbase_url: https://example.org/\nrelative_urls: sometimes\n")
    result = run_cli("build", "--site", site)
    assert result.code == 1
    assert "broadsheet.yaml:3: relative_urls: expected true or false" in result.err
    assert not (site / "site").exists()


@pytest.mark.parametrize(
    ("url", "page", "expected"),
    [
        ("/digest/", "index.html", "index.html"),
        ("/digest/tags/x/", "2025/06/19/a/index.html", "../../../../tags/x/index.html"),
        ("/digest/css/a.css", "tags/index.html", "../css/a.css"),
        ("/digest/search/?q=a#r", "index.html", "search/index.html?q=a#r"),
        ("/digest", "tags/index.html", "../index.html"),
        ("chart.svg", "2025/06/19/a/index.html", "chart.svg"),
        ("../b/", "2025/06/19/a/index.html", "../b/index.html"),
        ("/elsewhere/", "index.html", "/elsewhere/"),  # not this site's
        ("https://example.org/digest/", "index.html", "https://example.org/digest/"),
        ("//cdn.example/x.js", "index.html", "//cdn.example/x.js"),
        ("#top", "index.html", "#top"),
        ("mailto:a@b.c", "index.html", "mailto:a@b.c"),
    ],
)
def test_relative_url(url, page, expected):
    assert relative_url(url, page, "/digest/") == expected


@pytest.mark.skipif(missing() is not None, reason=str(missing()))
def test_a_page_opened_from_the_disk_has_its_styles_and_its_links_work(tmp_path, browser):
    site = demo(tmp_path / "demo")
    assert run_cli("build", "--site", site, "--base-url", "https://example.org/digest/").code == 0
    page = browser.new_page()
    try:
        page.goto((site / "site/index.html").resolve().as_uri())
        style = page.evaluate(
            "(() => { const s = getComputedStyle(document.body); return [s.marginTop, s.backgroundColor]; })()"
        )
        assert style == ["0px", "rgb(251, 250, 247)"]  # the theme's, not the browser's 8px on white
        link = page.locator("main a[href$='/index.html']").first
        target = link.get_attribute("href")
        link.click()
        page.wait_for_load_state()
        assert page.url.startswith("file://") and page.url.endswith("/index.html"), (target, page.url)
        assert page.locator("h1").count() >= 1  # a page of the site, not a folder listing
        assert page.evaluate("getComputedStyle(document.body).marginTop") == "0px"
    finally:
        page.close()


@pytest.mark.skipif(missing() is not None, reason=str(missing()))
def test_search_results_lead_to_pages_when_served_under_another_path(tmp_path, browser):
    """A relative output copied under a path it was not built for: the index is found from
    the page, and each result links into this copy, not to base_url's path."""
    from browser import serving

    site = demo(tmp_path / "demo")
    assert run_cli("build", "--site", site, "--base-url", "https://x.github.io/digest/").code == 0
    with serving(site / "site", "/elsewhere/") as url:
        page = browser.new_page()
        try:
            page.goto(url + "search/index.html?q=sanchez")
            page.wait_for_selector("#search-results li", timeout=10000)
            link = page.locator("#search-results li h2 a").first
            assert link.get_attribute("href").startswith(url + "2025/")
            link.click()
            page.wait_for_load_state()
            assert page.url.startswith(url + "2025/")
            assert "Spain" in page.locator("h1").first.inner_text() or page.locator("article").count() >= 1
            assert page.evaluate("getComputedStyle(document.body).marginTop") == "0px"
        finally:
            page.close()
