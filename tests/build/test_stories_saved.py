"""A story index saved as plain data (`StoryIndex.saved`) and restored (`StoryIndex.restored`)
is the index it was: its stories, and its stories after any edit, are a fresh grouping's.
What cannot be that index (other settings, another version, other articles, links no index
makes) is refused, at once or when an edit reaches the article that is not the one saved,
never restored into other stories."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from broadsheet.build.stories import (
    VERSION,
    Features,
    NotRestorable,
    SavedIndex,
    StoryEntry,
    StoryIndex,
    StorySettings,
    features,
    group,
)
from broadsheet.incremental import codec
from broadsheet.incremental.groupings import StoredGrouping

from conftest import examples
from test_stories import ENTRIES, LABELLED

FEATURES = {e.id: features(e) for e in ENTRIES}
# The labels of the labelled set's stories (two articles or more), so a drawn site groups.
STORIES = sorted({label for _, label in LABELLED if sum(1 for _, other in LABELLED if other == label) > 1})
SETTINGS = [
    StorySettings(),
    StorySettings(threshold=0.3),
    StorySettings(window_hours=30.0),
    StorySettings(across_languages=1.0),
    StorySettings(auto=False),
]


def through_the_cache(saved: SavedIndex) -> SavedIndex:
    """`saved` as the build cache writes and reads it (codec.py, MessagePack)."""
    stored = StoredGrouping(saved, tuple(f"key-{n}" for n in range(len(saved.ids))))
    data = msgpack.packb(codec.encode_grouping(stored), use_bin_type=True)
    back = codec.decode_grouping(msgpack.unpackb(data, raw=False, use_list=False, strict_map_key=True))
    assert back is not None and back.keys == stored.keys
    return back.index


def source_of(entries: list[StoryEntry], feats=FEATURES):
    """An index's source: each id's entry and features as they were saved."""
    by_id = {e.id: e for e in entries}

    def source(entry_id: str) -> tuple[StoryEntry, Features]:
        if entry_id not in by_id or entry_id not in feats:
            raise NotRestorable(entry_id)
        return by_id[entry_id], feats[entry_id]

    return source


def restore(index: StoryIndex, entries: list[StoryEntry], settings: StorySettings) -> StoryIndex:
    return StoryIndex.restored(through_the_cache(index.saved()), source_of(entries), settings)


def read_all(index: StoryIndex) -> None:
    """Every article of a restored index read, as edits everywhere would."""
    for when in sorted(set(index.times.values())):
        index._read_around(when)


def test_a_restored_index_is_the_index_that_was_saved():
    index = StoryIndex(ENTRIES, cache=FEATURES)
    restored = restore(index, ENTRIES, StorySettings())
    assert restored.stories() == index.stories() == group(ENTRIES)
    assert len(restored.stories()) > 30
    assert not restored.feats  # nothing read: no edit came near
    read_all(restored)
    assert (restored.order, restored.postings, restored.links) == (index.order, index.postings, index.links)
    assert (restored.entries, restored.feats, restored.times) == (index.entries, index.feats, index.times)


@st.composite
def sites(draw):
    """Entries of a few labelled stories (some keyed or kept alone by hand), settings, and
    edits to make after the restore: new dates, titles and summaries, removals, additions."""
    labels = draw(st.lists(st.sampled_from(STORIES), min_size=2, max_size=10, unique=True))
    chosen = [e for e, label in LABELLED if label in labels]
    entries = {}
    for entry in chosen:
        hand = draw(st.sampled_from([None, None, None, None, False, "by-hand"]))
        entries[entry.id] = dataclasses.replace(entry, story=hand)
    settings = draw(st.sampled_from(SETTINGS))
    edits = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["date", "title", "summary", "remove", "add", "alone"]),
                st.integers(0, 10_000),
                st.integers(0, len(ENTRIES) - 1),
            ),
            max_size=6,
        )
    )
    return list(entries.values()), settings, edits


def _edited(entries: dict[str, StoryEntry], edit: tuple[str, int, int]) -> StoryEntry | str | None:
    """The edit applied to `entries`: the entry changed or added, the id removed, or None."""
    kind, which, other = edit
    donor = ENTRIES[other]
    if kind == "add":
        if donor.id in entries:
            return None
        entries[donor.id] = donor
        return donor
    if not entries:
        return None
    entry = entries[sorted(entries)[which % len(entries)]]
    if kind == "remove":
        del entries[entry.id]
        return entry.id
    changed = {
        "date": lambda: dataclasses.replace(entry, date=entry.date + timedelta(hours=which % 100 - 50)),
        "title": lambda: dataclasses.replace(entry, title=donor.title),
        "summary": lambda: dataclasses.replace(entry, summary=donor.summary),
        "alone": lambda: dataclasses.replace(entry, story=None if entry.story is False else False),
    }[kind]()
    entries[changed.id] = changed
    return changed


@hypothesis_settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sites())
def test_a_restored_index_groups_as_a_fresh_one_through_any_edits(site):
    entries, settings, edits = site
    index = StoryIndex(entries, settings, FEATURES)
    restored = restore(index, entries, settings)
    assert restored.stories() == group(entries, settings)
    current = {e.id: e for e in entries}
    for edit in edits:
        done = _edited(current, edit)
        if isinstance(done, str):
            restored.remove(done)
        elif done is not None:  # features as the build hands them in (from its cache), or made by the index
            restored.replace(done, features(done) if edit[1] % 2 else None)
        assert restored.stories() == group(current.values(), settings), edit


@given(st.sampled_from(SETTINGS), st.sampled_from(SETTINGS))
def test_other_settings_refuse_the_saved_index(saved_with, now):
    entries = [e for e, label in LABELLED if label in STORIES[:6]]
    saved = through_the_cache(StoryIndex(entries, saved_with, FEATURES).saved())
    if now == saved_with:
        assert StoryIndex.restored(saved, source_of(entries), now).stories() == group(entries, now)
    else:
        with pytest.raises(NotRestorable):
            StoryIndex.restored(saved, source_of(entries), now)


def _saved() -> tuple[list[StoryEntry], SavedIndex]:
    entries = [e for e, label in LABELLED if label in STORIES[:6]]
    saved = StoryIndex(entries, cache=FEATURES).saved()
    assert len(saved.shares) >= 4  # links to tamper with
    return entries, saved


def _shares(saved: SavedIndex, first: float) -> tuple[float, ...]:
    return (first, *saved.shares[1:])


def tampered():
    """(what was done, the entries the source gives, the saved index) that no index of them is."""
    entries, saved = _saved()
    swap = lambda t, i, j: (*t[:i], t[j], *t[i + 1 : j], t[i], *t[j + 1 :])  # noqa: E731
    last = len(saved.ids) - 1  # all automatic: the latest, more than a window after the first
    yield "another version", entries, dataclasses.replace(saved, version=VERSION + 1)
    yield "an article less", entries[1:], saved
    yield "another article's id", entries, dataclasses.replace(saved, ids=("other", *saved.ids[1:]))
    yield "an id twice", entries, dataclasses.replace(saved, ids=(saved.ids[1], *saved.ids[1:]))
    yield "out of time order", entries, dataclasses.replace(saved, times=swap(saved.times, 0, 5))
    yield "two articles' places swapped", entries, dataclasses.replace(saved, ids=swap(saved.ids, 0, 5))
    yield (
        "a time that is not the article's",
        entries,
        dataclasses.replace(saved, times=(saved.times[0] - 1, *saved.times[1:])),
    )
    yield "a time that is no number", entries, dataclasses.replace(saved, times=(float("nan"), *saved.times[1:]))
    yield "more times than articles", entries, dataclasses.replace(saved, times=(*saved.times, 1e12))
    yield "a link to nowhere", entries, dataclasses.replace(saved, pairs=(0, len(saved.ids) + 3, *saved.pairs[2:]))
    yield (
        "a link backwards",
        entries,
        dataclasses.replace(saved, pairs=(saved.pairs[1], saved.pairs[0], *saved.pairs[2:])),
    )
    yield (
        "a link to itself",
        entries,
        dataclasses.replace(saved, pairs=(saved.pairs[0], *saved.pairs[:1], *saved.pairs[2:])),
    )
    yield "a link twice", entries, dataclasses.replace(saved, pairs=(*saved.pairs[2:4], *saved.pairs[2:]))
    yield "a link under its threshold", entries, dataclasses.replace(saved, shares=_shares(saved, 0.5))
    yield "a link that is no number", entries, dataclasses.replace(saved, shares=_shares(saved, float("nan")))
    yield "a share missing", entries, dataclasses.replace(saved, shares=saved.shares[1:])
    yield "a link beyond the window", entries, dataclasses.replace(saved, pairs=(0, last, *saved.pairs[2:]))
    yield "an article keyed by hand since", [dataclasses.replace(entries[0], story="k"), *entries[1:]], saved
    hand = [dataclasses.replace(entries[0], story="k"), *entries[1:]]
    by_hand = StoryIndex(hand, cache=FEATURES).saved()
    yield "an article grouped by hand no more", entries, by_hand


@pytest.mark.parametrize(("what", "entries", "saved"), list(tampered()), ids=lambda v: v if isinstance(v, str) else "")
def test_what_no_index_of_these_articles_is_refused(what, entries, saved):
    """Refused at once, or when edits reach the article that is not the one saved."""
    with pytest.raises(NotRestorable):
        read_all(StoryIndex.restored(saved, source_of(entries), StorySettings()))


def test_the_untampered_index_of_the_cases_above_restores():
    """(so each case above is refused for what was done to it, not for something else)"""
    entries, saved = _saved()
    index = StoryIndex.restored(saved, source_of(entries), StorySettings())
    read_all(index)
    assert index.stories() == group(entries)
    assert max(entries, key=lambda e: e.date).date - min(entries, key=lambda e: e.date).date > timedelta(hours=72)


def test_an_edit_that_finds_the_wrong_article_leaves_the_index_as_it_was():
    """So that the caller, told NotRestorable, may drop it: nothing half changed meanwhile."""
    entries, saved = _saved()
    wrong = [dataclasses.replace(entries[0], date=entries[0].date + timedelta(minutes=1)), *entries[1:]]
    index = StoryIndex.restored(saved, source_of(wrong), StorySettings())
    before = (dict(index.times), list(index.order), {i: dict(links) for i, links in index.links.items()})
    with pytest.raises(NotRestorable):
        index.replace(dataclasses.replace(entries[0], title="Edited"), FEATURES[entries[0].id])
    assert (index.times, index.order, index.links) == before


def test_an_edit_reads_every_article_its_relinking_reaches():
    """An edit relinks the articles within a window of it, and their links reach a window
    further: a story spread over days must keep its links two windows from an edit."""
    story = [e for e, label in LABELLED if label == "fed-cut"]
    start = min(e.date for e in story)
    spread = [dataclasses.replace(e, date=start + timedelta(hours=12 * n)) for n, e in enumerate(story)]
    lone = next(e for e, label in LABELLED if label not in STORIES)
    lone = dataclasses.replace(lone, date=start - timedelta(hours=60))
    entries = [*spread, lone]
    feats = {**FEATURES, **{e.id: features(e) for e in entries}}
    index = StoryIndex(entries, cache=feats)
    assert [len(s.ids) for s in index.stories()] == [5]  # over 48 hours (the Russian report in since the sixth round)
    restored = StoryIndex.restored(index.saved(), source_of(entries, feats), StorySettings())
    edited = dataclasses.replace(lone, title=lone.title + " again")
    restored.replace(edited, features(edited))
    assert restored.stories() == group([*spread, edited])
