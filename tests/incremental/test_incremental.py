"""The invariant: after any sequence of changes, the incremental rebuild's output is
byte-for-byte a clean full build of the same files."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings, strategies as st

from broadsheet.build.pipeline import build
from broadsheet.build.request import BuildRequest
from broadsheet.incremental.state import BuildState

from conftest import SETTINGS, article, examples, tree_bytes, write_tree
from edits import (
    EDITION_WITH_BODIES,
    NOW,
    check_incremental_equals_clean,
    check_names,
    front_matter_operations,
    naming_operations,
    operations,
    serve_like,
)


@settings(max_examples=examples(12), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(operations(), st.booleans()), min_size=1, max_size=10))
def test_incremental_equals_clean(steps):
    check_incremental_equals_clean(steps)


@settings(max_examples=examples(8), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.one_of(naming_operations(), operations()), st.booleans()), min_size=1, max_size=10))
def test_incremental_equals_clean_with_names_that_collide(steps):
    """Slugs that collide with listing pages and with each other, tags that differ only by
    punctuation, names over a file system's limit: where the build must refuse (two pages
    at one address, an impossible slug), the incremental and clean builds refuse alike;
    where it builds, every name is one any machine takes and distinct tags stay apart."""
    check_incremental_equals_clean(steps, check_output=check_names)


def test_body_edit_renders_only_the_pages_that_show_it(make_site):
    files = {
        f"content/world/s{i}.md": article(f"Story {i}", f"2025-06-{10 + i % 9} 12:00", tags=f"[T{i % 4}]")
        for i in range(40)
    }
    site = make_site(files)
    state = BuildState()
    first = build(BuildRequest(site), state)
    assert first.ok and first.rendered == first.pages
    assert build(BuildRequest(site), state).rendered == 0
    (site / "content/world/s7.md").write_text(
        article("Story 7", "2025-06-17 12:00", body="Body text.\n\nA second paragraph.", tags="[T3]")
    )
    report = build(BuildRequest(site), state)
    assert report.ok and 0 < report.rendered < first.pages // 3
    pages = [path for path in report.changed if path.endswith(".html")]
    assert pages == ["2025/06/17/story-7/index.html"]  # feeds with full content change too


def test_template_edit_renders_the_pages_that_use_it(make_site):
    site = make_site({f"content/s{i}.md": article(f"Story {i}", f"2025-06-1{i} 12:00", tags="[A]") for i in range(5)})
    state = BuildState()
    first = build(BuildRequest(site), state)
    write_tree(site, {"templates/archive.html": "{% extends 'base.html' %}{% block main %}Archive!{% endblock %}"})
    report = build(BuildRequest(site), state)
    assert report.rendered == 1 and report.changed == ("archive/index.html",)
    write_tree(site, {"templates/_footer.html": "<footer>New footer</footer>"})
    assert build(BuildRequest(site), state).rendered == first.pages  # every page includes the footer


def test_a_failed_build_does_not_stand_in_for_the_disk(make_site, tmp_path):
    """A failed build renders pages it never writes: the next build must not take them
    as what is on disk."""
    site = make_site({"content/a.md": article("Alpha", "2025-06-19"), "content/b.md": article("Beta", "2025-06-19")})
    state = BuildState()
    assert build(BuildRequest(site), state).ok
    (site / "content/a.md").write_text("---\ntitle: [broken\n---\n")
    assert not build(BuildRequest(site), state).ok
    (site / "content/a.md").unlink()
    assert build(BuildRequest(site), state).ok
    assert build(BuildRequest(site, output=tmp_path / "clean")).ok
    assert tree_bytes(site / "site") == tree_bytes(tmp_path / "clean")


@settings(max_examples=examples(12), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.one_of(front_matter_operations(), operations()), st.booleans()), min_size=1, max_size=10))
def test_incremental_equals_clean_after_titles_tags_and_dates_change(steps):
    """Serve's builds take over the last model's entries, terms and editions, and their
    digests, where nothing they hold changed: titles that move URLs (and neighbours'
    links, related lists, every list showing the story), tags, dates, mixed with every
    other edit, body edits changing entries in place among them."""
    check_incremental_equals_clean(steps)


def test_serve_applies_an_edit_of_a_body_alone_to_its_page_feeds_and_index(make_site, tmp_path):
    files = {
        f"content/world/s{i}.md": article(f"Story {i}", f"2025-06-{10 + i % 9} 12:00", tags=f"[T{i % 4}]")
        for i in range(40)
    }
    site = make_site(files)
    request, state = serve_like(site)
    (site / "content/world/s7.md").write_text(
        article("Story 7", "2025-06-17 12:00", body="Body text.\n\nZeppelins in a second paragraph.", tags="[T3]")
    )
    report = build(request, state, changed={"content/world/s7.md"})
    assert report.ok and report.rendered == 1 and "bodies" in report.stages and "model" not in report.stages
    assert "search/index.json" in report.changed and "feed.xml" in report.changed
    assert build(BuildRequest(site, output=tmp_path / "clean", now=NOW)).ok
    assert tree_bytes(site / "site") == tree_bytes(tmp_path / "clean")
    (site / "content/world/s7.md").write_text(files["content/world/s7.md"])  # back, built as the command line would
    assert build(request, state).ok
    assert build(BuildRequest(site, output=tmp_path / "clean2", now=NOW)).ok
    assert tree_bytes(site / "site") == tree_bytes(tmp_path / "clean2")


def test_edits_of_bodies_in_a_row_each_take_the_short_cut(make_site, tmp_path):
    """Every save in a row, not every other one: the short cut takes in all it is told of,
    so the next build may trust the watcher's list as well."""
    site = make_site({f"content/s{i}.md": article(f"Story {i}", "2025-06-19 12:00") for i in range(3)})
    request, state = serve_like(site)
    # Words, not figures: "Edit 0." would share the figure 0 with "Story 0", a story of
    # two, which rightly gets the full build (test_stories_incremental.py).
    for word in ("apples", "pears", "plums"):
        (site / "content/s1.md").write_text(article("Story 1", "2025-06-19 12:00", body=f"Body text.\n\nOf {word}."))
        report = build(request, state, changed={"content/s1.md"})
        assert report.ok and "bodies" in report.stages and "model" not in report.stages, word
    assert build(BuildRequest(site, output=tmp_path / "clean", now=NOW)).ok
    assert tree_bytes(site / "site") == tree_bytes(tmp_path / "clean")


def test_front_matter_edits_and_list_templates_that_show_bodies_get_the_full_build(make_site):
    site = make_site({f"content/s{i}.md": article(f"Story {i}", "2025-06-19 12:00") for i in range(3)})
    request, state = serve_like(site)
    (site / "content/s1.md").write_text(article("Story 1, retitled", "2025-06-19 12:00"))
    assert "model" in build(request, state, changed={"content/s1.md"}).stages
    write_tree(site, {"templates/edition.html": EDITION_WITH_BODIES})
    assert build(request, state, changed={"templates/edition.html"}).ok
    (site / "content/s2.md").write_text(
        article("Story 2", "2025-06-19 12:00", body="Body text.\n\nZeppelins over the edition page.")
    )
    report = build(request, state, changed={"content/s2.md"})
    assert "model" in report.stages and "2025/06/19/index.html" in report.changed
    assert "Zeppelins" in (site / "site/2025/06/19/index.html").read_text()


def test_the_clock_ends_the_short_cut_when_an_article_comes_out(make_site):
    site = make_site(
        {"content/a.md": article("Now", "2025-06-19 12:00"), "content/b.md": article("Later", "2025-06-19 18:00")}
    )
    state = BuildState(keep_last=True)
    assert build(BuildRequest(site, now=datetime(2025, 6, 19, 15, tzinfo=UTC)), state).ok
    (site / "content/a.md").write_text(article("Now", "2025-06-19 12:00", body="Body text.\n\nEdited."))
    report = build(BuildRequest(site, now=datetime(2025, 6, 19, 19, tzinfo=UTC)), state, changed={"content/a.md"})
    assert "model" in report.stages and (site / "site/2025/06/19/later/index.html").exists()


def test_import_rules_in_the_settings_render_no_page(make_site):
    site = make_site({"content/a.md": article("Alpha", "2025-06-19")})
    state = BuildState()
    assert build(BuildRequest(site), state).ok
    write_tree(site, {"broadsheet.yaml": SETTINGS + "import:\n  drop: ['^Listen to this story']\n"})
    report = build(BuildRequest(site), state)
    assert report.ok and report.rendered == 0 and report.changed == ()


def test_serve_puts_right_a_hand_edit_of_the_output_after_a_short_cut(make_site, tmp_path):
    """Builds told what changed trust their record of the output; the live session walks it
    after each rebuild and, finding a hand edit, builds in full, which repairs it."""
    from broadsheet.serve.server import DevServer
    from broadsheet.serve.session import LiveSite

    site = make_site({f"content/s{i}.md": article(f"Story {i}", "2025-06-19 12:00") for i in range(3)})
    server = DevServer(site / "site", "/", "127.0.0.1", 0)
    server.start()
    try:
        live = LiveSite(BuildRequest(site, now=NOW), server, out=io.StringIO())
        assert live.rebuild().ok
        (site / "site/archive/index.html").write_text("edited by hand")
        (site / "content/s1.md").write_text(article("Story 1", "2025-06-19 12:00", body="Body text.\n\nMore."))
        assert live.rebuild({"content/s1.md"}).ok
    finally:
        server.stop()
    assert build(BuildRequest(site, output=tmp_path / "clean", now=NOW)).ok
    assert tree_bytes(site / "site") == tree_bytes(tmp_path / "clean")


def test_a_build_told_what_changed_after_one_that_stopped_before_its_scan(make_site, tmp_path):
    """Found by the property test: a build that failed on its settings never looked at
    content/, so a file replaced meanwhile (same size, older time: a rename over it) stayed
    unknown, and the next build, told only that the settings changed, kept the old article."""
    site = make_site(
        {"content/a.md": article("Start 0", "2025-06-18 10:00"), "content/b.md": article("Start 7", "2025-06-19 10:00")}
    )
    state, request = BuildState(keep_last=True), BuildRequest(site, now=NOW)
    assert build(request, state).ok
    (site / "broadsheet.yaml").write_text(SETTINGS + "title: Twice\n")
    assert not build(request, state).ok  # stops at the settings, before looking at content/
    (site / "content/a.md").replace(site / "content/b.md")  # "Start 0" over "Start 7": same size
    assert not build(request, state, changed={"content/a.md", "content/b.md"}).ok
    (site / "broadsheet.yaml").write_text(SETTINGS)
    assert build(request, state, changed={"broadsheet.yaml"}).ok
    assert build(BuildRequest(site, output=tmp_path / "clean", now=NOW)).ok
    assert tree_bytes(site / "site") == tree_bytes(tmp_path / "clean")
