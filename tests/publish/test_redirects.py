"""Redirects for moved stories, written by the build: `aliases:` and the record of published
URLs (published-urls.json) -> a redirect page at each old path and `_redirects`. Real builds
through the command line in temporary folders; pages read with a real HTML parser."""

from __future__ import annotations

import json
import os
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

from broadsheet.problems import display_path

from conftest import article, run_cli, tree_bytes

SETTINGS = """\
title: Test Digest
base_url: https://example.org/digest/
timezone: UTC
"""
NOW = "2025-06-20T12:00:00+00:00"
NEW = "https://example.org/digest/2025/06/19/new-slug/"


def site_with(make_site, **keys: str) -> Path:
    return make_site({
        "content/a.md": article("A story", "2025-06-19 09:00", "Text.", slug="new-slug", **keys),
        "content/b.md": article("Other story", "2025-06-18 09:00", "Other text.", tags="[Energy]"),
    }, SETTINGS)  # fmt: skip


def build(site: Path, *more: str) -> object:
    result = run_cli("build", "--site", site, "--now", NOW, *more)
    return result


def targets(page: Path) -> tuple[str, str, str]:
    """(canonical href, meta refresh URL, the visible link's href) of a redirect page."""
    tree = LexborHTMLParser(page.read_text(encoding="utf-8"))
    canonical = tree.css_first('link[rel="canonical"]').attributes["href"]
    refresh = tree.css_first('meta[http-equiv="refresh"]').attributes["content"]
    delay, _, url = refresh.partition("; url=")
    assert delay == "0"
    return canonical, url, tree.css_first("body a").attributes["href"]


def test_an_alias_becomes_a_redirect_page_and_a_line_of_redirects(make_site):
    site = site_with(make_site, aliases="[/2025/06/19/old-slug/, /old/story.html, /older]")
    result = build(site)
    assert result.code == 0, result.err
    out = site / "site"
    for page in ("2025/06/19/old-slug/index.html", "old/story.html", "older/index.html"):
        assert targets(out / page) == (NEW, NEW, NEW)
    assert (out / "_redirects").read_text(encoding="utf-8") == (
        "/digest/2025/06/19/old-slug/ /digest/2025/06/19/new-slug/ 301\n"
        "/digest/old/story.html /digest/2025/06/19/new-slug/ 301\n"
        "/digest/older/ /digest/2025/06/19/new-slug/ 301\n"
    )
    listed = b"".join(
        (out / name).read_bytes() for name in ("sitemap.xml", "feed.xml", "rss.xml", "feed.json", "search/index.json")
    )
    assert b"old-slug" not in listed and b"older" not in listed and b"story.html" not in listed
    checked = run_cli("check", "--site", site, "--now", NOW)
    assert checked.code == 0, checked.out + checked.err


def test_no_redirects_no_file(make_site):
    site = site_with(make_site)
    assert build(site).code == 0
    assert not (site / "site" / "_redirects").exists()


def test_an_alias_that_is_a_page_stays_that_page_with_a_warning(make_site):
    site = site_with(make_site, aliases="[/tags/energy/, /2025/06/18/other-story/, /gone/]")
    before = (site / "content/a.md").read_text(encoding="utf-8")
    assert "aliases:" in before.splitlines()[4]
    result = build(site)
    assert result.code == 0, result.err
    assert (
        "content/a.md:5: aliases: warning: the redirect from alias /tags/energy/ is not written: tags/energy/index.html is the page of tag Energy"
        in result.err
    )
    assert (
        "content/a.md:5: aliases: warning: the redirect from alias /2025/06/18/other-story/ is not written"
        in result.err
    )
    assert "the article (content/b.md" in result.err
    out = site / "site"
    assert "Other text." in (out / "2025/06/18/other-story/index.html").read_text(encoding="utf-8")
    assert "Energy" in (out / "tags/energy/index.html").read_text(encoding="utf-8")
    assert (out / "_redirects").read_text(encoding="utf-8") == "/digest/gone/ /digest/2025/06/19/new-slug/ 301\n"


def test_bad_aliases_are_errors_naming_file_line_and_key(make_site):
    site = site_with(make_site)
    assert build(site).code == 0
    good = tree_bytes(site / "site")
    for value, said in [
        ("[https://evil.example/x/]", "is not a path starting with /"),
        ("[//evil.example/x/]", "is not a path starting with /"),
        ("[/a/../../b/]", "'..'"),
        ("[/a?b=1]", "holds a character"),
        ("[/]", "the front page"),
        ("5", "expected a list of paths"),
        ("[[/a/]]", "expected a path"),
    ]:
        text = article("A story", "2025-06-19 09:00", "Text.", slug="new-slug", aliases=value)
        (site / "content/a.md").write_text(text, encoding="utf-8")
        result = build(site)
        assert result.code == 1, value
        assert "content/a.md:5: aliases: " in result.err and said in result.err, (value, result.err)
        assert "Traceback" not in result.err
        assert tree_bytes(site / "site") == good


def test_a_slug_changed_after_a_publish_redirects_from_the_recorded_url(make_site):
    from datetime import datetime

    from broadsheet.build.pipeline import build as build_site
    from broadsheet.build.request import BuildRequest
    from broadsheet.publish.history import record_published

    site = site_with(make_site)
    report = build_site(BuildRequest(site, now=datetime.fromisoformat(NOW)))
    assert report.ok
    record_published(site, report)  # what publish does after a successful publish
    record = (site / "published-urls.json").read_text(encoding="utf-8")
    assert record == '{\n  "/2025/06/18/other-story/": "content/b.md",\n  "/2025/06/19/new-slug/": "content/a.md"\n}\n'

    (site / "content/a.md").write_text(
        article("A story", "2025-06-19 09:00", "Text.", slug="newer-slug"), encoding="utf-8"
    )
    result = build(site)
    assert result.code == 0, result.err
    newer = "https://example.org/digest/2025/06/19/newer-slug/"
    assert targets(site / "site/2025/06/19/new-slug/index.html") == (newer, newer, newer)
    assert (site / "site/_redirects").read_text(
        encoding="utf-8"
    ) == "/digest/2025/06/19/new-slug/ /digest/2025/06/19/newer-slug/ 301\n"
    assert (site / "published-urls.json").read_text(encoding="utf-8") == record  # a build records nothing

    # moved again after the next publish: both old URLs go straight to the newest
    record_published(site, build_site(BuildRequest(site, now=datetime.fromisoformat(NOW))))
    (site / "content/a.md").write_text(article("A story", "2025-06-19 09:00", "Text.", slug="newest"), encoding="utf-8")
    assert build(site).code == 0
    newest = "https://example.org/digest/2025/06/19/newest/"
    for old in ("new-slug", "newer-slug"):
        assert targets(site / f"site/2025/06/19/{old}/index.html")[0] == newest
    assert run_cli("check", "--site", site, "--now", NOW).code == 0


def test_a_recorded_url_now_another_articles_page_is_not_redirected(make_site):
    site = site_with(make_site)
    (site / "published-urls.json").write_text('{\n  "/2025/06/18/other-story/": "content/a.md"\n}\n', encoding="utf-8")
    result = build(site)
    assert result.code == 0, result.err
    assert (
        "published-urls.json:2: warning: the redirect from /2025/06/18/other-story/ to /digest/2025/06/19/new-slug/ is not written"
        in result.err
    )
    assert "Other text." in (site / "site/2025/06/18/other-story/index.html").read_text(encoding="utf-8")


def test_a_bad_record_is_an_error_with_its_line(make_site):
    site = site_with(make_site)
    (site / "published-urls.json").write_text(
        '{\n  "/a/": "content/a.md",\n  "https://x.example/": "content/a.md"\n}\n', encoding="utf-8"
    )
    result = build(site)
    assert result.code == 1
    assert "published-urls.json:3: 'https://x.example/' is not a path starting with /" in result.err
    (site / "published-urls.json").write_text('{\n  "/a/": "content/a.md",\n', encoding="utf-8")
    result = build(site)
    assert result.code == 1 and "published-urls.json:3: not valid JSON" in result.err
    assert "Traceback" not in result.err


def test_two_builds_make_the_same_bytes(make_site, tmp_path):
    site = site_with(make_site, aliases="[/x/, /y/, /a/b/c/]")
    (site / "published-urls.json").write_text(json.dumps({"/2025/06/19/was/": "content/a.md"}), encoding="utf-8")
    assert build(site, "--output", tmp_path / "one", "--no-cache").code == 0
    assert build(site, "--output", tmp_path / "two", "--no-cache").code == 0
    assert tree_bytes(tmp_path / "one") == tree_bytes(tmp_path / "two")
    assert len((tmp_path / "one" / "_redirects").read_text().splitlines()) == 4


def test_incremental_builds_follow_aliases_and_the_record(make_site, tmp_path):
    """Adding, changing and removing an alias, writing and editing the record: each cached
    build equals a cold build of the same files."""
    site = site_with(make_site)
    assert build(site).code == 0  # fills the build cache

    def same_as_cold() -> None:
        cold = tmp_path / f"cold-{same_as_cold.n}"
        same_as_cold.n += 1
        assert build(site, "--output", cold, "--no-cache").code == 0
        assert tree_bytes(site / "site") == tree_bytes(cold)

    same_as_cold.n = 0
    steps = [
        lambda: (site / "content/a.md").write_text(
            article("A story", "2025-06-19 09:00", "Text.", slug="new-slug", aliases="[/old/]"), encoding="utf-8"
        ),
        lambda: (site / "content/a.md").write_text(
            article("A story", "2025-06-19 09:00", "Text.", slug="new-slug", aliases="[/older/]"), encoding="utf-8"
        ),
        lambda: (site / "content/a.md").write_text(
            article("A story", "2025-06-19 09:00", "Text.", slug="new-slug"), encoding="utf-8"
        ),
        lambda: (site / "published-urls.json").write_text(
            '{\n  "/2025/06/19/was/": "content/a.md"\n}\n', encoding="utf-8"
        ),
        lambda: (site / "published-urls.json").write_text(
            '{\n  "/2025/06/19/was-too/": "content/a.md"\n}\n', encoding="utf-8"
        ),
        lambda: (site / "published-urls.json").unlink(),
    ]
    expected = [
        "old/index.html",
        "older/index.html",
        None,
        "2025/06/19/was/index.html",
        "2025/06/19/was-too/index.html",
        None,
    ]
    for step, redirect in zip(steps, expected):
        step()
        _bump(site)
        result = build(site)
        assert result.code == 0, result.err
        same_as_cold()
        pages = sorted(
            p.relative_to(site / "site").as_posix()
            for p in (site / "site").rglob("index.html")
            if b"http-equiv" in p.read_bytes()
        )
        assert pages == ([redirect] if redirect else [])


def _bump(site: Path) -> None:
    """Files written within one clock tick of the last build look unchanged to a stat: the
    build's racy-clean rule handles that, but a test should not lean on timing either way."""
    for path in [site / "content/a.md", site / "published-urls.json"]:
        if path.exists():
            st = path.stat()
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def test_build_notes_the_next_scheduled_story(make_site):
    site = site_with(make_site)
    (site / "content/later.md").write_text(article("Later news", "2025-06-21 06:00", "Soon."), encoding="utf-8")
    (site / "content/latest.md").write_text(article("Latest news", "2025-07-01 06:00", "Later."), encoding="utf-8")
    result = build(site)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("Built 2 articles")
    assert (
        lines[1]
        == f'note: next scheduled story "Later news" is due 2025-06-21 06:00 UTC ({display_path(site / "content/later.md")})'
    )
    again = build(site)  # nothing to do: the same note from the last build's record
    assert again.out.splitlines()[1] == lines[1]
    assert "note:" not in build(site, "--future").out
    (site / "content/later.md").unlink()
    (site / "content/latest.md").unlink()
    assert "note:" not in build(site).out


def test_record_published_merges_and_leaves_an_unchanged_record_alone(make_site):
    from broadsheet.publish.history import record_published

    site = site_with(make_site)
    record_published(site, {"/b/": "content/b.md", "/a/": "content/a.md"})
    path = site / "published-urls.json"
    assert path.read_text(encoding="utf-8") == '{\n  "/a/": "content/a.md",\n  "/b/": "content/b.md"\n}\n'
    os.utime(path, ns=(0, 0))
    record_published(site, {"/a/": "content/a.md"})  # nothing new: not rewritten (a file the user commits)
    assert path.stat().st_mtime_ns == 0
    record_published(site, {"/a2/": "content/a.md", "/b/": "content/a.md"})  # /b/ is a's now
    assert json.loads(path.read_text(encoding="utf-8")) == {
        "/a/": "content/a.md",
        "/a2/": "content/a.md",
        "/b/": "content/a.md",
    }
    assert [p.name for p in site.iterdir() if p.name.startswith(".published")] == []


def test_one_alias_in_two_articles_is_an_error(make_site):
    site = site_with(make_site, aliases="[/same/]")
    (site / "content/b.md").write_text(
        article("Other story", "2025-06-18 09:00", "Other.", aliases="[/same/]"), encoding="utf-8"
    )
    result = build(site)
    assert result.code == 1
    assert "aliases: writes same/index.html, which the redirect from alias /same/" in result.err


def test_a_static_redirects_file_replaces_the_generated_one(make_site):
    site = site_with(make_site, aliases="[/old/]")
    (site / "static").mkdir()
    (site / "static/_redirects").write_text("/x /y 302\n", encoding="utf-8")
    result = build(site)
    assert result.code == 0, result.err
    assert (site / "site/_redirects").read_text(encoding="utf-8") == "/x /y 302\n"
    assert targets(site / "site/old/index.html")[0] == NEW


def test_a_story_page_moved_after_a_publish_redirects_to_where_its_story_is_now(make_site):
    from datetime import datetime

    from broadsheet.build.pipeline import build as build_site
    from broadsheet.build.request import BuildRequest
    from broadsheet.publish.history import record_published

    def write(a_keys: dict[str, str], b_keys: dict[str, str]) -> None:
        (site / "content/a.md").write_text(
            article("Port strike begins", "2025-06-19 09:00", "Dockers walked out.", **a_keys), encoding="utf-8"
        )
        (site / "content/b.md").write_text(
            article("Ships wait offshore", "2025-06-19 15:00", "Eleven ships queue.", **b_keys), encoding="utf-8"
        )

    site = make_site({"content/a.md": "", "content/b.md": ""}, SETTINGS)
    write({"story": "port-strike"}, {"story": "port-strike"})
    report = build_site(BuildRequest(site, now=datetime.fromisoformat(NOW)))
    assert report.ok
    record_published(site, report)  # what publish does: the story page is recorded under its first article
    record = json.loads((site / "published-urls.json").read_text(encoding="utf-8"))
    assert record["/stories/port-strike/"] == "content/a.md"

    write({"story": "dock-strike"}, {"story": "dock-strike"})  # the editor renames the key
    result = build(site)
    assert result.code == 0, result.err
    moved = "https://example.org/digest/stories/dock-strike/"
    assert targets(site / "site/stories/port-strike/index.html") == (moved, moved, moved)
    assert "/digest/stories/port-strike/ /digest/stories/dock-strike/ 301\n" in (site / "site/_redirects").read_text(
        encoding="utf-8"
    )
    assert "Ships wait offshore" in (site / "site/stories/dock-strike/index.html").read_text(encoding="utf-8")

    write({"story": "false"}, {"story": "false"})  # no story any more: the old page leads to its first article
    result = build(site)
    assert result.code == 0, result.err
    first = "https://example.org/digest/2025/06/19/port-strike-begins/"
    assert targets(site / "site/stories/port-strike/index.html") == (first, first, first)
    assert not (site / "site/stories/dock-strike").exists()  # never published: no redirect, rightly gone
    assert run_cli("check", "--site", site, "--now", NOW).code == 0
