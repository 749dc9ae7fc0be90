"""Stories stay correct and stable across rebuilds: the incremental build (serve's and the
command line's, short cuts included) writes byte for byte what a clean build of the same
files writes, through edits that join and split stories; and grouping depends neither on
the order of the files nor on which articles came from the build cache."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from broadsheet.build.pipeline import build
from broadsheet.build.request import BuildRequest
from broadsheet.incremental import cache
from broadsheet.incremental.state import BuildState

from conftest import SETTINGS, examples, tree_bytes, write_tree
from edits import (
    NOW,
    STORY_APPENDED,
    append_paragraph,
    apply_story,
    check_incremental_equals_clean,
    front_matter_operations,
    operations,
    same_as_clean,
    story_operations,
    story_pages,
    story_site,
    story_start,
)

BRIDGE, STRIKE = "content/world/story-0.md", "content/business/story-0.md"  # the first report of each
LONE = "content/world/story-3.md"  # the orchard growers, alone
FIRST_STORIES = [
    "crane-collapse-shuts-valmora-harbour-bridge",
    "kestrel-airways-pilots-strike-at-ostrand-230-flights",
]


def test_the_first_site_has_two_stories(tmp_path):
    """What the property test starts from does group (else it could not fail)."""
    site = write_tree(tmp_path / "site", {"broadsheet.yaml": SETTINGS, **story_start()})
    assert build(BuildRequest(site, now=NOW)).ok
    assert story_pages(site / "site") == sorted(FIRST_STORIES)


SEEN: list[int] = []  # stories written by each build the property test checks


def _count_stories(site: Path) -> None:
    SEEN.append(len(story_pages(site / "site")))


@settings(max_examples=examples(10), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.one_of(story_operations(), story_operations(), front_matter_operations(), operations()), st.booleans()
        ),
        min_size=1,
        max_size=8,
    )
)
def test_incremental_equals_clean_as_stories_join_and_split(steps):
    """Reports of two invented events, edited so that stories form, grow, shrink, split and
    vanish: by a summary, a date, a bridging report, `story:` keys, `story: false`, a
    featured lead, a body edit that names an event (which serve's and the command line's
    short cuts must see), mixed with every other edit."""
    first = len(SEEN)
    check_incremental_equals_clean(steps, apply_op=apply_story, check_output=_count_stories, start=story_start())
    assert SEEN[first] == 2  # the start groups, so the edits have stories to join and split


# --- the short cuts: kept when the stories stay, left when they change ------------------


def test_serve_keeps_its_short_cut_for_a_body_edit_that_leaves_the_stories(tmp_path, settled_trees):
    site = story_site(settled_trees)
    request, state = BuildRequest(site, now=NOW), BuildState(keep_last=True)
    assert build(request, state).ok
    append_paragraph(site, BRIDGE, STORY_APPENDED[2])  # words that name no event
    report = build(request, state, changed={BRIDGE})
    assert report.ok and "bodies" in report.stages and "model" not in report.stages
    assert same_as_clean(site, tmp_path, "clean")


def test_serve_builds_in_full_when_a_body_edit_joins_an_article_to_a_story(tmp_path, settled_trees):
    site = story_site(settled_trees)
    request, state = BuildRequest(site, now=NOW), BuildState(keep_last=True)
    assert build(request, state).ok
    before = story_pages(site / "site")
    append_paragraph(
        site, LONE, STORY_APPENDED[0] + " " + STORY_APPENDED[0]
    )  # the growers' report now names the bridge
    report = build(request, state, changed={LONE})
    assert report.ok and "model" in report.stages
    assert story_pages(site / "site") == before  # the same story, one report more
    assert "Orchard growers" in (site / "site/stories" / FIRST_STORIES[0] / "index.html").read_text()
    assert same_as_clean(site, tmp_path, "clean")
    # and the next body edit, which leaves the stories, takes the short cut again
    append_paragraph(site, BRIDGE, STORY_APPENDED[2])
    report = build(request, state, changed={BRIDGE})
    assert report.ok and "bodies" in report.stages
    assert same_as_clean(site, tmp_path, "clean-2")


def _cli(site: Path):
    """One run of `broadsheet build`: the cache loaded, the build, the cache saved."""
    state, _ = cache.load(site, site / "site", lazy=True)
    report = build(BuildRequest(site, now=NOW), state)
    assert not state.notes
    cache.save(site, site / "site", state)
    return report


def test_the_command_line_renders_one_page_for_a_body_edit_that_leaves_the_stories(tmp_path, settled_trees):
    site = story_site(settled_trees)
    assert _cli(site).ok
    append_paragraph(site, BRIDGE, STORY_APPENDED[2])
    report = _cli(site)
    assert report.ok and report.rendered == 1
    assert same_as_clean(site, tmp_path, "clean")


def test_the_command_line_builds_in_full_when_a_body_edit_joins_an_article_to_a_story(tmp_path, settled_trees):
    site = story_site(settled_trees)
    assert _cli(site).ok
    append_paragraph(site, LONE, STORY_APPENDED[0] + " " + STORY_APPENDED[0])
    report = _cli(site)
    assert report.ok and report.rendered > 1  # the story's page and the edition's change too
    assert "Orchard growers" in (site / "site/stories" / FIRST_STORIES[0] / "index.html").read_text()
    assert same_as_clean(site, tmp_path, "clean")


# --- determinism -------------------------------------------------------------------------


def test_the_same_bytes_from_a_clean_build_a_warm_cache_and_files_renamed(tmp_path):
    """Grouping reads no file order and no parse's history: a cached article's terms give
    the stories a fresh parse gives, to the last bit of every cosine sum."""
    files = story_start()
    site = write_tree(tmp_path / "site", {"broadsheet.yaml": SETTINGS, **files})
    assert build(BuildRequest(site, output=tmp_path / "clean", now=NOW)).ok
    clean = tree_bytes(tmp_path / "clean")
    assert len(story_pages(tmp_path / "clean")) == 2

    # A warm cache with half the articles parsed afresh: each of those changed and built,
    # then put back, so the build after parses it again and takes the others from the cache.
    assert _cli(site).ok
    half = sorted(files)[::2]
    for name in half:
        (site / name).write_text(files[name].replace("---\n", "---\nsummary_note_: x\n", 1))
    for name in half:
        os.utime(site / name)
    _cli(site)
    for name in half:
        (site / name).write_text(files[name])
    report = _cli(site)
    assert report.ok and report.parsed == len(half)
    assert tree_bytes(site / "site") == clean

    # The same articles under other file names in the same sections' folders, which sort
    # the other way round (the bundle's folder renamed too).
    names = {name: _renamed(name, n) for n, name in enumerate(sorted(files))}
    renamed = write_tree(tmp_path / "renamed", {"broadsheet.yaml": SETTINGS, **{names[n]: t for n, t in files.items()}})
    assert build(BuildRequest(renamed, now=NOW)).ok
    assert _feed_ids_back(tree_bytes(renamed / "site"), names) == clean


def _renamed(name: str, n: int) -> str:
    path = Path(name)
    if path.name == "index.md":
        return str(path.parent.parent / f"{99 - n:02d}-{path.parent.name}" / "index.md")
    return str(path.parent / f"{99 - n:02d}-{path.name}")


def _feed_id(name: str) -> bytes:
    return name.removeprefix("content/").removesuffix(".md").removesuffix("/index").encode()


def _feed_ids_back(tree: dict[str, bytes], names: dict[str, str]) -> dict[str, bytes]:
    """A feed entry's id is its file's path, by design (it never changes with the title):
    the renamed files' ids put back, so the rest of the feeds can be compared."""
    out = {}
    for path, data in tree.items():
        if path.endswith(("feed.xml", "rss.xml", "feed.json")):
            for old, new in names.items():
                data = data.replace(_feed_id(new), _feed_id(old))
        out[path] = data
    return out
