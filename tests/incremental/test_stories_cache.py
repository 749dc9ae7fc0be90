"""`broadsheet build` keeps its story grouping in the build cache (incremental/groupings.py):
the next run restores it and regroups only what changed, and writes, byte for byte, what a
clean build writes. A grouping section that is damaged, from another version or made with
other settings is never restored into other stories: the build groups afresh."""

from __future__ import annotations

import io
from pathlib import Path

import msgpack
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

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
    front_matter_operations,
    operations,
    same_as_clean,
    story_operations,
    story_pages,
    story_site,
    story_start,
)

BRIDGE, LONE = "content/world/story-0.md", "content/world/story-3.md"  # a bridge report; the orchard growers
ARTICLES = len(story_start())


def _cli(site: Path) -> tuple[bool, BuildState, list[str]]:
    """One run of `broadsheet build`: a new process's state, from the build cache alone;
    the build; the cache saved. (ok, the state the build left, the notes on the cache)"""
    state, note = cache.load(site, site / "site", lazy=True)
    report = build(BuildRequest(site, now=NOW), state)
    cache.save(site, site / "site", state)
    return report.ok, state, [n for n in (note, *state.notes) if n]


def test_after_a_body_edit_the_command_line_regroups_that_article_alone(tmp_path, settled_trees):
    site = story_site(settled_trees)
    ok, state, _ = _cli(site)
    assert ok and state.grouping is not None and state.grouping.regrouped == ARTICLES  # the first: afresh
    append_paragraph(site, BRIDGE, STORY_APPENDED[2])  # stories stay: the build of bodies alone
    ok, state, notes = _cli(site)
    assert ok and not notes and state.grouping is not None
    assert state.grouping.regrouped == 1 and len(state.grouping.articles) == ARTICLES
    assert same_as_clean(site, tmp_path, "clean-1")
    append_paragraph(site, LONE, STORY_APPENDED[0] + " " + STORY_APPENDED[0])  # the growers join the bridge's story
    ok, state, notes = _cli(site)
    assert ok and not notes and state.grouping is not None and state.grouping.regrouped == 1
    assert (
        "Orchard growers" in (site / "site/stories/crane-collapse-shuts-valmora-harbour-bridge/index.html").read_text()
    )
    assert same_as_clean(site, tmp_path, "clean-2")


def test_new_grouping_settings_group_afresh(tmp_path, settled_trees):
    site = story_site(settled_trees)
    assert _cli(site)[0]
    # an hour apart at most: the reports of each story are 13 hours apart or more (edits.STORY_DATES)
    write_tree(site, {"broadsheet.yaml": SETTINGS + "stories:\n  window_hours: 1\n"})
    ok, state, _ = _cli(site)
    assert ok and state.grouping is not None and state.grouping.regrouped == ARTICLES
    assert story_pages(site / "site") == []
    assert same_as_clean(site, tmp_path, "clean")


# --- a grouping section not to be trusted ----------------------------------------------

GROUPING = cache.FIELDS.index("grouping")


def _tampered(data: bytes, change) -> bytes:
    """The cache file with its grouping section (as plain lists) changed by `change`."""
    label, *values = msgpack.Unpacker(io.BytesIO(data), raw=False, strict_map_key=False)
    values[GROUPING] = change(values[GROUPING])
    return b"".join(msgpack.packb(value, use_bin_type=True) for value in (label, *values))


def _with(grouping: list, place: int, value) -> list:
    return [*grouping[:place], value, *grouping[place + 1 :]]


def _item(items: list, place: int, value) -> list:
    return [*items[:place], value, *items[place + 1 :]]


def _swapped(items: list, first: int, second: int) -> list:
    items = list(items)
    items[first], items[second] = items[second], items[first]
    return items


# version, settings, ids, keys, times, pairs, shares: see codec.encode_grouping
MALFORMED = {  # the whole cache is not used (as for any part of it): a note, and a build from scratch
    "a map for the grouping": lambda g: {"ids": g[2]},
    "a version that is text": lambda g: _with(g, 0, "2"),
    "settings cut short": lambda g: _with(g, 1, g[1][:3]),
    "an id that is a number": lambda g: _with(g, 2, _item(g[2], 0, 7)),
    "a key less than ids": lambda g: _with(g, 3, g[3][:-1]),
    "a time that is text": lambda g: _with(g, 4, _item(g[4], 0, "2025-06-17")),
    "a link that is text": lambda g: _with(g, 5, _item(g[5], 0, "0")),
    "a share that is a whole number": lambda g: _with(g, 6, _item(g[6], 0, 2)),
    "a field more": lambda g: [*g, []],
}
NOT_THEIRS = {  # well-formed, but not the grouping of these articles: grouped afresh, silently
    "another version of grouping": lambda g: _with(g, 0, g[0] + 1),
    "other settings": lambda g: _with(g, 1, _item(g[1], 2, 0.5)),
    "a key the cache does not hold": lambda g: _with(g, 3, _item(g[3], 0, "0" * 64)),
    "two articles out of time order": lambda g: _with(_with(g, 2, _swapped(g[2], 0, 1)), 3, _swapped(g[3], 0, 1)),
    "a time not the article's": lambda g: _with(g, 4, _item(g[4], 0, g[4][0] - 60.0)),
    "a link under its threshold": lambda g: _with(g, 6, _item(g[6], 0, 0.5)),
    "a link beyond the articles": lambda g: _with(g, 5, _item(g[5], 1, 99)),
    "a share missing": lambda g: _with(g, 6, g[6][1:]),
}


def test_a_damaged_or_foreign_grouping_section_builds_what_a_clean_build_builds(tmp_path, settled_trees):
    site = story_site(settled_trees)
    assert _cli(site)[0]
    path = cache.cache_file(site, site / "site")
    good = path.read_bytes()
    values = list(msgpack.Unpacker(io.BytesIO(good), raw=False, strict_map_key=False))
    assert len(values[1 + GROUPING][6]) >= 2  # the two stories' links, to tamper with
    for n, (what, change) in enumerate([*MALFORMED.items(), *NOT_THEIRS.items()]):
        path.write_bytes(_tampered(good, change))
        append_paragraph(site, LONE, f"Step {n}.")  # work to do, so the build reads the grouping
        ok, state, notes = _cli(site)
        assert ok and state.grouping is not None, what
        if what in MALFORMED:
            assert len(notes) == 1 and "unexpected grouping" in notes[0], (what, notes)
        else:
            assert not notes, (what, notes)
        assert state.grouping.regrouped == ARTICLES, what  # grouped afresh, not restored
        assert same_as_clean(site, tmp_path, f"clean-{n}"), what
        good = path.read_bytes()  # the build saved its own grouping: the next case tampers with that


def test_the_grouping_sections_tampered_with_above_restore_when_left_alone(settled_trees):
    """(so each case above is refused for what was done to it)"""
    site = story_site(settled_trees)
    assert _cli(site)[0]
    path = cache.cache_file(site, site / "site")
    path.write_bytes(_tampered(path.read_bytes(), lambda g: g))
    append_paragraph(site, LONE, "Orchards bloom.")  # words of its own: its terms change
    ok, state, notes = _cli(site)
    assert ok and not notes and state.grouping is not None and state.grouping.regrouped == 1


# --- any edits, through the cache --------------------------------------------------------


def _cli_property(site: Path, out: dict) -> bool:
    ok, state, notes = _cli(site)
    assert not notes
    out["regrouped"] = state.grouping.regrouped if state.grouping is not None else None
    return ok


@hypothesis_settings(max_examples=examples(8), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            story_operations(),
            story_operations(),
            front_matter_operations(),
            operations(),
            st.sampled_from(["0.1", "0.2", "0.5"]).map(lambda t: ("stories", t)),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_the_command_line_through_its_cache_equals_a_clean_build(tmp_path_factory, steps):
    """Every run a new process (the state from the cache alone): after any edits, stories
    joined and split, the grouping settings changed, the output is a clean build's; and
    after a body edit that followed a good build, one article at most was regrouped."""
    root = tmp_path_factory.mktemp("cli")
    site = write_tree(root / "site", {"broadsheet.yaml": SETTINGS, **story_start()})
    seen: dict = {}
    last_ok = _cli_property(site, seen)
    assert seen["regrouped"] == ARTICLES
    for n, op in enumerate(steps):
        if op[0] == "stories":
            write_tree(site, {"broadsheet.yaml": SETTINGS + f"stories:\n  threshold: {op[1]}\n"})
        else:
            apply_story(site, op)
        ok = _cli_property(site, seen)
        clean = root / f"clean-{n}"
        assert ok == build(BuildRequest(site, output=clean, now=NOW)).ok, op
        if ok:
            assert tree_bytes(site / "site") == tree_bytes(clean), op
            if op[0] == "body" and last_ok:  # (None: a body of no file, nothing to do)
                assert seen["regrouped"] is None or seen["regrouped"] <= 1, op
        last_ok = ok
