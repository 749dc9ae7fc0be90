"""`broadsheet check` builds, then finds what a reader would trip over, naming page and source."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import tinycss2

from broadsheet.build.html import srcset_urls
from broadsheet.check.command import SiteRoot, scan_output
from broadsheet.check.pagefacts import css_urls

from conftest import REPO, article, copy_demo, run_cli

SUB_PATH = """\
title: Test Digest
base_url: https://x.github.io/digest/
timezone: Europe/London
"""


@pytest.fixture
def in_site(make_site, monkeypatch):
    """make_site, then work from inside it, so problems read as a user there sees them."""

    def make(files, settings=None):
        site = make_site(files) if settings is None else make_site(files, settings)
        monkeypatch.chdir(site)
        return site

    return make


def lines(text: str) -> list[str]:
    return text.strip().splitlines()


def test_the_demo_checks_clean_with_build_py(tmp_path):
    site = copy_demo(tmp_path / "demo")
    result = subprocess.run(
        [sys.executable, str(REPO / "build.py"), "check", "--site", str(site)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    built, checked = lines(result.stdout)
    assert built.startswith("Built 27 articles into ")
    pages = int(built.split(" into ")[1].split()[0])
    # broadsheet.css and code.css, each plain and fingerprinted
    assert checked == f"Checked {pages} pages and 4 stylesheets: 0 problems"


def test_the_demo_checks_clean_under_a_sub_path(tmp_path):
    site = copy_demo(tmp_path / "demo")
    result = run_cli("check", "--site", site, "--base-url", "https://x.github.io/digest/", "--drafts")
    assert result.code == 0, result.err
    assert lines(result.out)[-1].endswith(" stylesheets: 0 problems")


def test_broken_links_in_an_article_name_the_article_file_and_its_page(in_site):
    in_site({
        "content/world/a.md": article("A", "2025-06-19 10:00", body=(
            "The summary links to [nothing](/missing/).\n\n"
            "The body has [a gap](b.md#nowhere), [the details](b.md#details), [the top](#top), [no such part](#nope), "
            "[the tags](/tags/) and [elsewhere](https://example.com/x/)."
        ), tags="[Trade]"),
        "content/world/b.md": article("B", "2025-06-18", body="## Details\n\nText.", tags="[Trade]"),
    })  # fmt: skip
    result = run_cli("check", "--site", ".")
    assert result.code == 1
    found = lines(result.err)
    page = "site/2025/06/19/a/index.html"
    gap = '<a href="/2025/06/18/b/#nowhere"> does not resolve: 2025/06/18/b/index.html has no element with id="nowhere"'
    missing = '<a href="/missing/"> does not resolve: no missing/index.html in the output'
    # Each names the line of the Markdown file where the link is written.
    assert f"content/world/a.md:8: {page}: {gap}" in found
    assert f"content/world/a.md:6: {page}: {missing}" in found
    assert (
        f'content/world/a.md:8: {page}: <a href="#nope"> does not resolve: 2025/06/19/a/index.html has no element with id="nope"'
        in found
    )
    # The summary is shown on list pages and under related stories too; its link is
    # still the article's to fix.
    assert f"content/world/a.md:6: site/index.html: {missing}" in found
    assert f"content/world/a.md:6: site/sections/world/index.html: {missing}" in found
    assert f"content/world/a.md:6: site/2025/06/18/b/index.html: {missing}" in found
    assert all(line.startswith(("content/world/a.md:6: site/", "content/world/a.md:8: site/")) for line in found)
    assert sum(gap in line for line in found) == 1
    assert lines(result.out)[-1].startswith("Checked ")
    assert lines(result.out)[-1].endswith(f": {len(found)} problems")


def test_image_without_alt_in_a_template_override_names_the_override(in_site):
    in_site({
        "content/a.md": article("A", "2025-06-19"),
        "static/seal.png": b"\x89PNG",
        "templates/archive.html": (
            '{% extends "base.html" %}\n{% block main %}<img src="{{ url_for(\'seal.png\') }}">'
            '<img src="{{ url_for(\'seal.png\') }}" alt="">{% endblock %}\n'
        ),
    })  # fmt: skip
    result = run_cli("check", "--site", ".")
    assert result.code == 1
    # A decorative image (alt="") outside an article is fine.
    assert lines(result.err) == [
        'templates/archive.html: site/archive/index.html: <img src="/seal.png"> has no alt attribute (describe the image, or alt="" if it is decoration)'
    ]


def check_bundle(in_site, title: str, body: str, image: str):
    """`broadsheet check` of a site holding one bundle article with one SVG beside it."""
    in_site({
        "content/a/index.md": article(title, "2025-06-19", body=body),
        f"content/a/{image}": "<svg xmlns='http://www.w3.org/2000/svg' width='4' height='4'/>",
    })  # fmt: skip
    return run_cli("check", "--site", ".")


def test_an_empty_alt_in_an_article_is_a_warning(in_site):
    result = check_bundle(in_site, "A", "Rates held.\n\n![](chart.svg)\n\n![A chart of rates](chart.svg)", "chart.svg")
    assert result.code == 0, result.err
    assert lines(result.err) == [  # the build's own warning about the Markdown, then the check's about the page
        "content/a/index.md:7: warning: image 'chart.svg' has no alt text (say what it shows: ![a flooded street](chart.svg))",
        'content/a/index.md:7: site/2025/06/19/a/index.html: warning: <img src="chart.svg"> in an article has empty alt text, which hides it from screen readers',
    ]
    assert lines(result.out)[-1].endswith(": 0 problems, 1 warning")


def test_a_template_override_without_title_or_description(in_site):
    in_site({
        "content/a.md": article("A", "2025-06-19"),
        "templates/search.html": (
            '{% extends "base.html" %}\n{% block title %} {% endblock %}{% block description %}{% endblock %}'
            "{% block main %}<p>Search</p>{% endblock %}\n"
        ),
        "templates/404.html": "<!DOCTYPE html>\n<html><body><p>Not here.</p></body></html>\n",
    })  # fmt: skip
    result = run_cli("check", "--site", ".")
    assert result.code == 1
    assert lines(result.err) == [
        'templates/404.html: site/404.html: no <meta name="description">',
        "templates/404.html: site/404.html: no <title> in the page's <head>",
        'templates/search.html: site/search/index.html: <meta name="description"> is empty',
        "templates/search.html: site/search/index.html: <title> is empty",
    ]


def test_a_missing_css_asset_names_the_stylesheet(in_site):
    in_site({
        "content/a.md": article("A", "2025-06-19"),
        "static/css/print.css": (
            "/* url(commented-out.png) */\n@import 'base.css';\n"
            "body { background: url(../img/paper.png); }\nh1 { background: url('../img/rule.svg'); }\n"
        ),
        "static/css/base.css": "p { margin: 0 }\n",
        "static/img/rule.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
    })  # fmt: skip
    result = run_cli("check", "--site", ".")
    assert result.code == 1
    found = lines(result.err)
    assert (
        "static/css/print.css: site/css/print.css: url(../img/paper.png) does not resolve: no img/paper.png in the output"
        in found
    )
    assert len(found) == 2  # and its fingerprinted copy, css/print.<hash>.css
    assert found[1].startswith("static/css/print.css: site/css/print.") and "no img/paper.png" in found[1]


def test_a_sub_path_site_checks_links_under_its_path(in_site):
    in_site({
        "content/a.md": article("A", "2025-06-19", body=(
            "Summary.\n\n"
            "[ok](/digest/tags/) [gone](/digest/nothing.pdf) [outside](/other/) "
            "[canonical](https://x.github.io/digest/archive/) [wrong](https://x.github.io/digest/archives/)\n\n"
            '<img src="/digest/a.png" srcset="/digest/a.png 1x, /digest/a@2x.png 2x" alt="A seal">'
        )),
        "static/a.png": b"\x89PNG",
    }, settings=SUB_PATH)  # fmt: skip
    result = run_cli("check", "--site", ".")
    assert result.code == 1
    where = "content/a.md:{}: site/2025/06/19/a/index.html: "
    assert lines(result.err) == [
        where.format(7) + '<a href="/digest/nothing.pdf"> does not resolve: no nothing.pdf in the output',
        where.format(7) + '<a href="/other/"> leads outside the site: its path is not under /digest/',
        where.format(7)
        + '<a href="https://x.github.io/digest/archives/"> does not resolve: no archives/index.html in the output',
        where.format(9) + '<img srcset="/digest/a@2x.png"> does not resolve: no a@2x.png in the output',
    ]


def test_a_link_to_a_file_that_is_not_there_names_its_line_in_the_markdown(in_site):
    in_site({
        "content/world/a.md": article("A", "2025-06-19 10:00", body="Intro.\n\nThe [notes](notes.txt) and\n[the data](../data/figures.csv)."),
    })  # fmt: skip
    result = run_cli("check", "--site", ".")
    assert result.code == 1 and "Traceback" not in result.err
    page = "site/2025/06/19/a/index.html"
    assert lines(result.err) == [
        f'content/world/a.md:7: {page}: <a href="notes.txt"> does not resolve: no 2025/06/19/a/notes.txt in the output',
        f'content/world/a.md:8: {page}: <a href="../data/figures.csv"> does not resolve: no 2025/06/19/data/figures.csv in the output',
    ]


def test_a_failed_build_is_reported_as_build_does_and_nothing_is_checked(in_site):
    site = in_site({"content/a.md": "---\ntitle: A\ndate: someday\n---\nText.\n"})
    result = run_cli("check", "--site", ".")
    assert result.code == 1
    assert "content/a.md:3: date: unknown date format" in result.err
    assert "Build failed: 1 error" in result.err
    assert "Checked" not in result.out
    assert not (site / "site").exists()


def test_srcset_candidates():
    assert srcset_urls("a.jpg") == ["a.jpg"]
    assert srcset_urls(" a.jpg 1x,b.jpg 2x , c.jpg, d.jpg 640w") == ["a.jpg", "b.jpg", "c.jpg", "d.jpg"]
    assert srcset_urls("a,b.jpg 1x") == ["a,b.jpg"]  # a comma inside a URL is part of it
    assert srcset_urls("data:image/png;base64,AAA= 1x") == ["data:image/png;base64,AAA="]


def test_css_urls_skip_comments_and_read_strings_where_css_reads_urls():
    css = (
        '/* url(no.png) */ @import "a.css"; @import url(b.css) screen;\n'
        "@media print { p { background: url( c.png ) } }\n"
        'q { background-image: image-set("d.png" 1x, url(e.png) 2x); content: "url(not.png)"; }\n'
    )
    assert css_urls(tinycss2.parse_stylesheet(css, True, True)) == ["a.css", "b.css", "c.png", "d.png", "e.png"]


def test_reading_across_worker_processes_finds_the_same(make_site):
    site = make_site({
        "content/world/a.md": article("A", "2025-06-19", body="[nothing](/missing/) and [a gap](b.md#nowhere)"),
        "content/world/b.md": article("B", "2025-06-18", body='<img src="/b.png">'),
    })  # fmt: skip
    assert run_cli("build", "--site", site).code == 0
    root = SiteRoot.of("https://example.org/")
    alone = scan_output(site / "site", root, workers=1)
    forked = scan_output(site / "site", root, workers=2)
    assert (alone.workers, forked.workers) == (1, 2)
    assert alone.findings and forked.findings == alone.findings
    assert (forked.pages, forked.stylesheets) == (alone.pages, alone.stylesheets)
    assert any('id="nowhere"' in finding.flaw.message for finding in forked.findings)


def test_an_article_that_opens_with_its_picture_still_has_a_description(in_site):
    """No text before the image: the summary is empty, so the page describes itself by its title."""
    result = check_bundle(in_site, "Flooded streets in the old town", "![A flooded street](street.svg)", "street.svg")
    assert result.code == 0, result.err
    html = Path("site/2025/06/19/flooded-streets-in-the-old-town/index.html").read_text()
    assert '<meta name="description" content="Flooded streets in the old town">' in html
