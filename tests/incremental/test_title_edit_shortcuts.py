"""The short cuts a serve session's title edit takes, each against its rule: the last model's
terms taken while every article names the same ones (the same source homepage too), and
the article files' cache keys remembered while the parse settings stay the same. Each test
compares the output with a clean build."""

from __future__ import annotations

from pathlib import Path

from broadsheet.build.pipeline import build
from broadsheet.build.request import BuildRequest
from broadsheet.incremental.state import BuildState

from conftest import SETTINGS, article
from edits import clean_equals, serve_like


def wire(title: str, day: int, homepage: str) -> str:
    return article(title, f"2025-06-{day} 10:00", source=f"{{name: Wire, url: '{homepage}'}}", tags="[Energy]")


def test_a_source_s_homepage_edit_in_a_serve_session_is_a_clean_build_s(make_site, tmp_path):
    """The same names at every place, but a source's first-given homepage changed: the
    terms are made again (a test of names alone would keep the old homepage)."""
    files = {
        "content/a.md": wire("First", 16, "https://a.example/"),
        "content/b.md": wire("Second", 17, "https://b.example/"),
    }
    site = make_site(files)
    request, state = serve_like(site)
    assert "https://a.example/" in (site / "site/sources/wire/index.html").read_text()
    (site / "content/a.md").write_text(wire("First, retitled", 16, "https://c.example/"))
    assert build(request, state, changed={"content/a.md"}).ok
    assert "https://c.example/" in (site / "site/sources/wire/index.html").read_text()
    clean_equals(site, tmp_path, "clean")


def test_a_title_edit_keeps_the_terms_and_a_tag_edit_makes_them_again(make_site, tmp_path):
    files = {f"content/a{i}.md": article(f"Story {i}", f"2025-06-1{i} 10:00", tags="[Energy, AI]") for i in range(4)}
    site = make_site(files)
    request, state = serve_like(site)
    assert state.last is not None
    terms = state.last[1].model.terms_from
    assert terms is not None
    (site / "content/a1.md").write_text(article("Story one, retitled", "2025-06-11 10:00", tags="[Energy, AI]"))
    assert build(request, state, changed={"content/a1.md"}).ok
    assert state.last is not None and state.last[1].model.terms_from is not None
    assert state.last[1].model.terms_from[1] is terms[1]  # taken over: the same names at every place
    clean_equals(site, tmp_path, "clean-1")
    (site / "content/a2.md").write_text(article("Story 2", "2025-06-12 10:00", tags="[Energy, Nuclear]"))
    assert build(request, state, changed={"content/a2.md"}).ok
    assert state.last is not None and state.last[1].model.terms_from is not None
    assert ("tags", "Nuclear") in state.last[1].model.terms_from[1]
    clean_equals(site, tmp_path, "clean-2")


def test_a_reading_speed_edit_in_a_serve_session_parses_the_articles_again(make_site, tmp_path):
    """The cache keys a session remembers are the settings' own: new parse settings, new
    keys, so no article is taken from the cache with the old reading time."""
    words = " ".join(["word"] * 600)
    files = {f"content/a{i}.md": article(f"Story {i}", f"2025-06-1{i} 10:00", body=words) for i in range(3)}
    site = make_site(files)
    request, state = serve_like(site)
    page = site / "site/2025/06/10/story-0/index.html"
    before = page.read_bytes()
    (site / "broadsheet.yaml").write_text(SETTINGS + "words_per_minute: 60\n")
    assert build(request, state, changed={"broadsheet.yaml"}).ok
    assert page.read_bytes() != before  # ten minutes to read, not three
    clean_equals(site, tmp_path, "clean")


def test_a_spelling_that_becomes_the_most_used_renames_the_term_on_every_page(make_site, tmp_path):
    """Entries of articles nobody edited are kept with their terms only while the terms are
    the last model's: here one edit makes "NATO" the most used spelling, a new term for
    the articles that still write "nato"."""
    files = {
        "content/a.md": article("First", "2025-06-16 10:00", tags="[nato]"),
        "content/b.md": article("Second", "2025-06-17 10:00", tags="[nato]"),
        "content/c.md": article("Third", "2025-06-18 10:00", tags="[NATO]"),
        "content/d.md": article("Fourth", "2025-06-19 10:00", tags="[Energy]"),
    }
    site = make_site(files)
    request, state = serve_like(site)
    (site / "content/d.md").write_text(article("Fourth", "2025-06-19 10:00", tags="[NATO]"))
    assert build(request, state, changed={"content/d.md"}).ok
    assert ">NATO<" in (site / "site/2025/06/16/first/index.html").read_text()
    clean_equals(site, tmp_path, "clean")


FORTY = {
    f"content/a{i}.md": article(f"Story {i}", f"2025-06-{10 + i % 10} 1{i % 10}:00", tags=f"[Common, T{i % 4}]")
    for i in range(40)
}


def retitle(site: Path, request: BuildRequest, state: BuildState, n: int) -> None:
    (site / "content/a7.md").write_text(article(f"Story seven, take {n}", "2025-06-17 17:00", tags="[Common, T3]"))
    assert build(request, state, changed={"content/a7.md"}).ok


def test_pages_carried_over_a_title_edit_are_made_again_after_a_template_edit(make_site, tmp_path):
    """The last build's very pages are carried with their fingerprints only while every
    template's digest is the one those fingerprints were made with."""
    site = make_site(FORTY, settings=SETTINGS + "per_page: 5\n")
    request, state = serve_like(site)
    retitle(site, request, state, 1)
    assert state.memo.fingerprinted_with is not None
    (site / "templates").mkdir(exist_ok=True)
    (site / "templates/_footer.html").write_text("<footer>A new footer</footer>\n")
    report = build(request, state, changed={"templates/_footer.html"})
    assert report.ok and report.rendered == report.pages  # every page includes the footer
    assert "A new footer" in (site / "site/2025/06/10/story-0/index.html").read_text()
    clean_equals(site, tmp_path, "clean")


def test_pages_carried_over_a_title_edit_are_made_again_after_a_stylesheet_edit(make_site, tmp_path):
    """... and while the site-wide digest is (the stylesheet's fingerprinted name is in every page)."""
    theme_css = Path(__file__).parents[2] / "broadsheet/theme/static/css/broadsheet.css"
    site = make_site({**FORTY, "static/css/broadsheet.css": theme_css.read_text()}, settings=SETTINGS + "per_page: 5\n")
    request, state = serve_like(site)
    retitle(site, request, state, 1)
    page = site / "site/2025/06/10/story-0/index.html"
    before = page.read_bytes()
    (site / "static/css/broadsheet.css").write_text(theme_css.read_text() + "\nbody { color: navy; }\n")
    assert build(request, state, changed={"static/css/broadsheet.css"}).ok
    assert page.read_bytes() != before  # the stylesheet's new name
    retitle(site, request, state, 2)
    clean_equals(site, tmp_path, "clean")


def test_a_page_changed_by_hand_is_not_carried(make_site, tmp_path):
    """... and while the file is as the last build left it."""
    site = make_site(FORTY, settings=SETTINGS + "per_page: 5\n")
    request, state = serve_like(site)
    retitle(site, request, state, 1)
    page = site / "site/2025/06/10/story-0/index.html"
    page.write_text("changed by hand")
    (site / "content/a7.md").write_text(article("Story seven, take 2", "2025-06-17 17:00", tags="[Common, T3]"))
    assert build(request, state).ok  # not told what changed: the output is looked at
    assert page.read_text() != "changed by hand"
    clean_equals(site, tmp_path, "clean")


def test_a_context_is_carried_only_while_it_is_the_very_one_and_nothing_changed_in_place():
    from broadsheet.incremental.fingerprint import ContextHasher

    hasher, context = ContextHasher(), {"page_url": "/a/", "title": "A"}
    hasher.start()
    hasher.context_digest("a/index.html", context)
    hasher.start()
    assert not hasher.carry_context("a/index.html", dict(context))  # an equal one is compared, not carried
    assert hasher.carry_context("a/index.html", context)
    assert hasher.derived("a/index.html") == {}
    hasher.changed_in_place()
    hasher.start()
    assert hasher.deep and not hasher.carry_context("a/index.html", context)
