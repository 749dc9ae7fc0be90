"""Serve's next build takes over from the last model the entries, terms and editions that
did not change (the same objects), and from the last build the digests of the records
it takes over: never one that carries stale data."""

from __future__ import annotations

from dataclasses import dataclass

from broadsheet.build.pipeline import build
from broadsheet.incremental.fingerprint import ContextHasher
from broadsheet.incremental.state import BuildState

from conftest import article
from edits import clean_equals, serve_like


def entries(state: BuildState) -> dict:
    assert state.last is not None
    return {e.article.path: e for e in state.last[1].model.entries}


FILES = {
    "content/a.md": article("Alpha", "2025-06-18 12:00", body="See [the other](b.md).", tags="[T1]"),
    "content/b.md": article("Beta", "2025-06-19 12:00", tags="[T1, T2]"),
    "content/c.md": article("Gamma", "2025-06-20 12:00", tags="[T2]"),
    "content/d.md": article("Delta", "2025-06-15 12:00", tags="[T3]"),
}


def test_a_title_edit_keeps_the_entries_nothing_changed_and_remakes_those_that_show_the_new_url(make_site, tmp_path):
    site = make_site(FILES)
    request, state = serve_like(site)
    before = entries(state)
    (site / "content/b.md").write_text(article("Beta, retitled", "2025-06-19 12:00", tags="[T1, T2]"))
    assert build(request, state, changed={"content/b.md"}).ok
    after = entries(state)
    assert after["content/d.md"] is before["content/d.md"]  # nothing of it changed
    assert after["content/c.md"] is before["content/c.md"]  # only its neighbour's URL: not in the entry
    assert after["content/a.md"] is not before["content/a.md"]  # its body links to b, which moved
    assert "/beta-retitled/" in after["content/a.md"].body_html
    assert state.last is not None  # c's related stories, taken over by place, name b at its new URL
    assert state.last[1].model.related[after["content/c.md"].url] == (after["content/b.md"].url,)
    assert "/beta-retitled/" in (site / "site/2025/06/20/gamma/index.html").read_text()  # b is c's older neighbour
    assert "/beta-retitled/" in (site / "site/2025/06/18/alpha/index.html").read_text()
    clean_equals(site, tmp_path, "clean")


def test_an_entry_changed_in_place_by_a_body_edit_is_digested_again(make_site, tmp_path):
    site = make_site(FILES)
    request, state = serve_like(site)
    (site / "content/c.md").write_text(
        article("Gamma", "2025-06-20 12:00", body="Body text.\n\nZeppelins in a second paragraph.", tags="[T2]")
    )
    report = build(request, state, changed={"content/c.md"})
    assert report.ok and "bodies" in report.stages  # the short cut: the entry changed in place
    (site / "content/d.md").write_text(article("Delta, retitled", "2025-06-15 12:00", tags="[T3]"))
    assert "model" in build(request, state, changed={"content/d.md"}).stages
    assert "Zeppelins" in entries(state)["content/c.md"].body_html
    clean_equals(site, tmp_path, "clean")


def test_a_tag_and_a_date_edit_change_related_stories_and_neighbours(make_site, tmp_path):
    site = make_site(FILES)
    request, state = serve_like(site)
    (site / "content/d.md").write_text(article("Delta", "2025-06-21 12:00", tags="[T2]"))
    assert build(request, state, changed={"content/d.md"}).ok
    assert "/delta/" in (site / "site/2025/06/20/gamma/index.html").read_text()
    clean_equals(site, tmp_path, "clean")
    (site / "content/d.md").write_text(article("Delta", "2025-06-14 12:00", tags="[T9]"))
    assert build(request, state, changed={"content/d.md"}).ok
    clean_equals(site, tmp_path, "clean2")


@dataclass(frozen=True)
class Record:
    text: str


@dataclass(frozen=True)
class Holder:
    records: tuple[Record, ...]


def test_a_record_changed_in_place_between_builds_gets_a_new_digest_and_so_do_records_holding_it():
    hasher = ContextHasher()
    inner = Record("old")
    outer = Holder((inner,))
    first = hasher.digest({"outer": outer}), hasher.digest(inner)
    hasher.start()
    assert (hasher.digest({"outer": outer}), hasher.digest(inner)) == first  # taken over, unchanged
    object.__setattr__(inner, "text", "new")  # as model.put_body does to an entry (serve's short cut)...
    hasher.changed_in_place()  # ...which says so (rebuild._apply_body_edits)
    hasher.start()
    assert hasher.digest(inner) != first[1]
    assert hasher.digest({"outer": outer}) != first[0]
    assert hasher.digest({"outer": outer}) == ContextHasher().digest({"outer": Holder((Record("new"),))})


def test_a_record_holding_a_changed_record_gets_a_new_digest_even_when_asked_first():
    hasher = ContextHasher()
    inner = Record("old")
    outer = Holder((inner,))
    first = hasher.digest(outer)
    object.__setattr__(inner, "text", "new")
    hasher.changed_in_place()
    hasher.start()
    assert hasher.digest(outer) != first
    assert hasher.digest(outer) == ContextHasher().digest(Holder((Record("new"),)))


def test_a_long_tuple_is_remembered_by_identity_and_digested_again_when_a_record_in_it_changed_in_place():
    hasher = ContextHasher()
    records = tuple(Record(str(n)) for n in range(40))  # past fingerprint.LONG
    first = hasher.digest({"all": records})
    assert first == ContextHasher().digest({"all": tuple(Record(str(n)) for n in range(40))})
    hasher.start()
    assert hasher.digest({"all": records}) == first
    object.__setattr__(records[7], "text", "new")
    hasher.changed_in_place()
    hasher.start()
    again = hasher.digest({"all": records})
    assert again != first
    assert again == ContextHasher().digest({"all": (*records[:7], Record("new"), *records[8:])})


@dataclass(frozen=True)
class Numbered:
    number: int | bool


def test_a_page_context_keeps_its_digest_only_while_it_holds_the_same_objects():
    hasher = ContextHasher()
    kept, other = Record("kept"), Record("other")

    def context(record: Record, number: int | bool = 1) -> dict:  # new containers each time, as routes.plan makes
        return {"records": (record,), "title": "T", "page": Numbered(number), "holder": Holder((record,))}

    first = hasher.context_digest("a/", context(kept))
    assert first == ContextHasher().digest(context(kept))
    hasher.start()
    assert hasher.context_digest("a/", context(kept)) == first  # taken over
    hasher.start()
    assert hasher.context_digest("a/", context(other)) == ContextHasher().digest(context(other))
    hasher.start()
    assert hasher.context_digest("a/", context(other, True)) == ContextHasher().digest(context(other, True))  # not 1
    hasher.start()
    assert hasher.context_digest("b/", context(kept)) == first  # another page: digested, equal in value
    object.__setattr__(kept, "text", "new")  # serve's short cut for body edits changes an entry in place
    hasher.changed_in_place()
    hasher.start()
    assert hasher.context_digest("b/", context(kept)) == ContextHasher().digest(context(Record("new")))
    hasher.start()  # nothing changed in place since: taken over again
    assert hasher.context_digest("b/", context(kept)) == ContextHasher().digest(context(Record("new")))


TEN_DAYS = {
    f"content/s{i % 3}/a{i}.md": article(f"Story {i}", f"2025-06-{10 + i % 10} 1{i % 10}:00", tags=f"[T{i % 4}]")
    for i in range(40)
}


def test_title_edits_in_a_row_change_every_list_feed_sitemap_and_search_document_as_a_clean_build(make_site, tmp_path):
    """Pages whose contexts hold the same objects keep their fingerprints unhashed, and the
    search index is made over from the last one: each title edit (new URL, a place in
    lists, paginated term pages, neighbours, related stories) still gives a clean build's
    bytes, and the last build's index is left as it was."""
    from conftest import SETTINGS

    site = make_site(TEN_DAYS, settings=SETTINGS + "per_page: 3\neditions_per_page: 2\n")
    request, state = serve_like(site)
    for n, (rel, date, tags) in enumerate(
        [
            ("content/s1/a7.md", "2025-06-17 17:00", "[T3]"),
            ("content/s1/a7.md", "2025-06-17 17:00", "[T3]"),  # again: the last build's pages are the same objects
            ("content/s0/a12.md", "2025-06-12 12:00", "[T0]"),
            ("content/s2/a35.md", "2025-06-15 15:00", "[T3]"),
        ]
    ):
        assert state.last is not None and state.last[1].search is not None
        old_index = state.last[1].search
        old_docs = list(old_index.docs)
        (site / rel).write_text(article(f"Renamed {n} story", date, tags=tags))
        report = build(request, state, changed={rel})
        assert report.ok and "model" in report.stages
        assert old_index.docs == old_docs  # the last build's index, left as it was
        index = state.last[1].search
        assert index is not None and index is not old_index and index.borrowed  # made over from the last one
        assert f"renamed-{n}-story" in (site / "site/sitemap.xml").read_text()
        tag = tags.strip("[]").lower()
        assert f"Renamed {n} story" in (site / f"site/tags/{tag}/feed.xml").read_text()
        assert f"Renamed {n} story" in (site / "site/search/index.json").read_text()
        clean_equals(site, tmp_path, f"clean-{n}")


def _cards_hold_the_model_s_own(site_model) -> None:
    """Every card of every edition names the model's own entries and stories (by identity):
    a kept edition never carries the last model's records."""
    for edition in site_model.editions:
        for card in edition.cards:
            assert card.entry is site_model.by_url[card.entry.url], edition.key
            if card.story is not None:
                assert card.story is site_model.story_of[card.entry.url], edition.key
                assert all(e is site_model.by_url[e.url] for e in (card.story.lead, *card.story.entries, *card.also))


def test_a_title_edit_in_a_story_remakes_the_editions_that_show_the_story_and_keeps_the_others(make_site, tmp_path):
    """Reports of one event over two days: retitling the second changes the card of the
    first day's edition (its "Also reported by"), not the edition of a day without it."""
    from edits import story_start

    site = make_site(story_start())
    request, state = serve_like(site)
    assert state.last is not None
    old = state.last[1].model
    assert old.stories, "the site must group for this test to mean anything"
    retitled = "content/world/story-1.md"  # the bridge's second report, a day after the first
    (site / retitled).write_text((site / retitled).read_text().replace("14 injured", "fourteen hurt"))
    assert build(request, state, changed={retitled}).ok
    new = state.last[1].model
    old_editions, new_editions = {ed.key: ed for ed in old.editions}, {ed.key: ed for ed in new.editions}
    assert new_editions["2025-06-19"] is old_editions["2025-06-19"]  # no report of the bridge that day
    assert new_editions["2025-06-17"] is not old_editions["2025-06-17"]  # its card names the retitled report
    _cards_hold_the_model_s_own(new)
    bridge = new.story_of[entries(state)[retitled].url]
    assert "fourteen hurt" in bridge.entries[1].title
    assert "fourteen-hurt" in (site / "site/2025/06/17/index.html").read_text()
    clean_equals(site, tmp_path, "clean")
    # A title edit outside the stories: the stories are kept, the same objects, and so are
    # the editions whose cards name them (equal in value is not enough: see _same_edition).
    chess = "content/business/story-3.md"
    (site / chess).write_text((site / chess).read_text().replace("Chess club", "Draughts club"))
    assert build(request, state, changed={chess}).ok
    newer = state.last[1].model
    assert all(a is b for a, b in zip(newer.stories, new.stories, strict=True))
    assert {ed.key: ed for ed in newer.editions}["2025-06-17"] is new_editions["2025-06-17"]
    _cards_hold_the_model_s_own(newer)
    clean_equals(site, tmp_path, "clean-2")


def test_equal_data_has_one_digest_however_its_strings_are_shared():
    """A title two fields hold as one string, and as two equal strings (as another process,
    or one whose caches handed the same string out before, may hold it): one digest, or a
    page's fingerprint, or a stored card's, does not match from one process to the next."""
    title = "".join(["Flood ", "warning"])
    twin = "".join(["Flood warn", "ing"])
    assert title == twin and title is not twin
    shared = {"title": title, "heading": title, "record": Record(title)}
    apart = {"title": title, "heading": twin, "record": Record(twin)}
    assert ContextHasher().digest(shared) == ContextHasher().digest(apart)
    assert ContextHasher().record_digest(Holder((Record(title), Record(title)))) == ContextHasher().record_digest(
        Holder((Record(title), Record(twin)))
    )
