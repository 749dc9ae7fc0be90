"""`broadsheet build` after edits of articles' bodies alone: what the build cache knows
lets it render only the edited articles' own pages (and the feeds and the search index),
and the output is still, byte for byte, what a clean build makes."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from broadsheet.build.pipeline import build
from broadsheet.build.request import BuildRequest
from broadsheet.incremental import cache
from broadsheet.incremental.articles import SETTLE_NS

from conftest import SETTINGS, article, run_cli, tree_bytes, write_tree

NOW = datetime(2025, 6, 20, 12, tzinfo=UTC)
PAGE_OF_3 = "2025/06/13/story-3/index.html"


def _site_files() -> dict[str, str]:
    files = {
        f"content/world/s{i}.md": article(
            f"Story {i}",
            f"2025-06-{10 + i % 9} 12:00",
            body=f"First paragraph {i}.",
            summary=f"Summary {i}",
            tags=f"[T{i % 3}]",
        )
        for i in range(12)
    }
    files["content/world/plain.md"] = article("Plain", "2025-06-18 12:00", body="The first paragraph.\n\nThe second.")
    return {"broadsheet.yaml": SETTINGS, **files}


def _keyed_story_files() -> dict[str, str]:
    """Four stories, two of them one story by key: their search documents name it."""
    keyed = {"story": "rates"}
    files = {
        f"content/world/s{i}.md": article(
            f"Story {i}", f"2025-06-1{i} 12:00", f"Words {i}.", **(keyed if i < 2 else {})
        )
        for i in range(4)
    }
    return {"broadsheet.yaml": SETTINGS, **files}


@pytest.fixture(scope="module")
def settled_sites(tmp_path_factory):
    """Sites of one kind made eight at a time, then one wait for all eight to be older
    than the build's racy-clean margin (a wait a test, 2.2 s each, was most of this
    module's time)."""
    ready: dict[object, list[Path]] = {}

    def take(files=_site_files) -> Path:
        pool = ready.setdefault(files, [])
        if not pool:
            pool.extend(write_tree(tmp_path_factory.mktemp("settled") / "site-src", files()) for _ in range(8))
            time.sleep(SETTLE_NS / 1e9 + 0.2)
        return pool.pop()

    return take


@pytest.fixture
def site(settled_sites):
    """Twelve stories with summaries of their own, and one whose summary is its first
    paragraph; older than the build's racy-clean margin."""
    return settled_sites()


def cli_like(site):
    """One run of the command: load the cache (its head only, as `build` does), build, save."""
    state, _ = cache.load(site, site / "site", lazy=True)
    report = build(BuildRequest(site, now=NOW), state)
    assert not state.notes
    cache.save(site, site / "site", state)
    return report


def append(site, name: str, text: str) -> None:
    with (site / name).open("a", encoding="utf-8") as file:
        file.write(text)


def same_as_clean(site, tmp_path) -> bool:
    clean = tmp_path / "clean"
    tmp_path.mkdir(exist_ok=True)
    assert build(BuildRequest(site, output=clean, now=NOW)).ok
    return tree_bytes(site / "site") == tree_bytes(clean)


def test_a_body_edit_renders_its_own_page_alone(site, tmp_path):
    first = cli_like(site)
    append(site, "content/world/s3.md", "\nA second paragraph, with *emphasis*.\n")
    report = cli_like(site)
    assert report.ok and report.rendered == 1 and "model" in report.stages
    assert PAGE_OF_3 in report.changed and "search/index.json" in report.changed
    assert not any(path.endswith(".html") and path != PAGE_OF_3 for path in report.changed)
    assert (report.articles, report.pages) == (first.articles, first.pages)
    assert same_as_clean(site, tmp_path)
    assert cli_like(site).changed == ()  # and the build after it has nothing to do


def test_a_body_edit_writes_the_feeds_that_carry_it_and_keeps_the_others(site, tmp_path):
    """The feeds of a tag the edited article does not have are kept unlooked at; those that
    carry it (the site's, its tag's, section's) are made again with the new body."""
    cli_like(site)
    feeds = tree_bytes(site / "site")
    append(site, "content/world/s3.md", "\nA paragraph only the feeds and the page show.\n")
    report = cli_like(site)
    assert report.rendered == 1
    carrying = {
        f"{folder}{name}"
        for folder in ("", "tags/t0/", "sections/world/")
        for name in ("feed.xml", "rss.xml", "feed.json")
    }
    assert carrying <= set(report.changed)
    assert not any(path.startswith("tags/t1/") or path.startswith("tags/t2/") for path in report.changed)
    assert feeds["tags/t1/feed.xml"] == tree_bytes(site / "site")["tags/t1/feed.xml"]
    assert same_as_clean(site, tmp_path)


def test_the_command_line_after_two_edits_between_builds(site, tmp_path):
    assert run_cli("build", "--site", site, "--quiet").code == 0
    append(site, "content/world/s3.md", "\nMore of story three.\n")
    append(site, "content/world/s4.md", "\nMore of story four.\n")
    run = run_cli("build", "--site", site)
    assert run.code == 0 and "0 removed" in run.out, run.err
    assert same_as_clean(site, tmp_path)
    append(site, "content/world/s3.md", "\nAnd more.\n")
    assert run_cli("build", "--site", site, "--quiet").code == 0
    assert same_as_clean(site, tmp_path / "again")


def test_two_edits_between_builds_render_two_pages(site, tmp_path):
    cli_like(site)
    append(site, "content/world/s3.md", "\nMore of story three.\n")
    append(site, "content/world/s4.md", "\nMore of story four.\n")
    report = cli_like(site)
    assert report.ok and report.rendered == 2
    assert same_as_clean(site, tmp_path)


@pytest.mark.parametrize(
    "name, text",
    [
        ("content/world/plain.md", None),  # the first paragraph, which is the summary
        ("content/world/s3.md", "\n" + "word " * 900 + "\n"),  # the reading time
        ("content/world/s3.md", "\nA link to [story four](s4.md).\n"),  # a link to another article
    ],
)
def test_edits_that_show_beyond_the_page_take_the_full_build(site, tmp_path, name, text):
    cli_like(site)
    if text is None:
        (site / name).write_text(article("Plain", "2025-06-18 12:00", body="A new first paragraph.\n\nThe second."))
    else:
        append(site, name, text)
    report = cli_like(site)
    assert report.ok and report.rendered > 1
    assert same_as_clean(site, tmp_path)


@pytest.mark.parametrize("damage", ["truncate", "version"])
def test_a_body_edit_with_a_cache_that_cannot_be_used(site, tmp_path, damage):
    cli_like(site)
    path = cache.cache_file(site, site / "site")
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    else:
        path.write_bytes(data.replace(b"broadsheet build cache", b"broadsheet build cachf", 1))
    append(site, "content/world/s3.md", "\nA second paragraph.\n")
    state, note = cache.load(site, site / "site", lazy=True)
    if damage == "truncate":  # the head is whole: the rest is found cut short when read
        assert note is None
    report = build(BuildRequest(site, now=NOW), state)
    assert note or state.notes
    assert report.ok and report.rendered > 1
    assert same_as_clean(site, tmp_path)


def test_a_body_edit_of_an_article_whose_page_was_deleted_by_hand(site, tmp_path):
    cli_like(site)
    (site / "site" / PAGE_OF_3).unlink()
    (site / "site/2025/06/14/story-4/index.html").unlink()
    append(site, "content/world/s3.md", "\nA second paragraph.\n")
    report = cli_like(site)
    assert report.ok and (site / "site" / PAGE_OF_3).exists()
    assert same_as_clean(site, tmp_path)


def test_a_save_that_copies_unchanged_articles_writes_what_encoding_them_writes(site):
    cli_like(site)
    append(site, "content/world/s3.md", "\nA second paragraph.\n")
    (site / "content/world/s5.md").write_text(article("Story 5, retitled", "2025-06-15 12:00", summary="Summary 5"))
    cli_like(site)  # saved copying the bytes of the eleven articles it did not parse
    path = cache.cache_file(site, site / "site")
    copied = path.read_bytes()
    state, _ = cache.load(site, site / "site", lazy=True)
    state.read_rest()
    documents = state.memo.kept(("search document",))
    assert state.spans is not None and len(state.spans.where) == 13 + len(documents)  # the articles and documents
    state.spans = None  # every record encoded afresh
    assert cache.save(site, site / "site", state) is None
    assert path.read_bytes() == copied


def test_a_failed_build_between_is_no_base_for_a_build_of_bodies_alone(site, tmp_path):
    """The articles a failed build parsed are not those the output shows: an edit of a body
    after it is measured against the output's, here a title changed since."""
    state, _ = cache.load(site, site / "site")
    (site / "content/world/s6.md").write_text(article("Story 6", "2025-06-16 12:00", body="![](pic.svg)", summary="S"))
    assert build(BuildRequest(site, now=NOW), state).ok  # a warning: an image without alt text
    title = article("Story 6, retitled", "2025-06-16 12:00", body="![](pic.svg)", summary="S")
    (site / "content/world/s6.md").write_text(title)
    told = {"content/world/s6.md"}  # as the dev server is told, so it trusts its record of the output
    assert build(BuildRequest(site, now=NOW, strict=True), state, changed=told).changed == ()  # the warning fails it
    (site / "content/world/s6.md").write_text(title + "\nA second paragraph.\n")
    assert build(BuildRequest(site, now=NOW), state, changed=told).ok
    assert same_as_clean(site, tmp_path)


def _aliased_files() -> dict[str, str]:
    """The twelve stories, one with an alias that is a tag's page: a warning every build."""
    files = _site_files()
    files["content/world/s5.md"] = article("Story 5", "2025-06-15 12:00", summary="S5", aliases="[/tags/t0/]")
    return files


def test_a_body_edit_after_a_build_with_a_path_warning_reports_it_again(settled_sites, tmp_path):
    """The whole-site checks of paths are left out only after a build that reported
    nothing: after this one, which warned of an alias that is a page, they run, so the
    warning is said again and the alias stays the page, as in a clean build."""
    site = settled_sites(_aliased_files)
    warned = [p for p in cli_like(site).problems if "/tags/t0/ is not written" in p.message]
    assert len(warned) == 1
    append(site, "content/world/s3.md", "\nA second paragraph.\n")
    report = cli_like(site)
    assert report.ok and report.rendered == 1 and warned[0] in report.problems
    assert same_as_clean(site, tmp_path)


def test_a_body_edit_after_a_build_without_problems_reports_none(site, tmp_path):
    cli_like(site)
    append(site, "content/world/s3.md", "\nA second paragraph.\n")
    report = cli_like(site)
    assert report.ok and report.rendered == 1 and report.problems == []
    assert same_as_clean(site, tmp_path)


def restored_index(site):
    """The last build's search index as the next run of the command line takes it from the
    build cache and the live file (None: it made the index afresh)."""
    state, _ = cache.load(site, site / "site", lazy=True)
    state.read_rest()
    return None if state.search_previous is None else state.search_previous()


def test_the_search_index_is_made_over_from_the_one_on_disk(site, tmp_path):
    """The cache says where the index's pieces lie in its file; the next run takes the last
    index from there and replaces the edited article's document, reading the postings of
    the terms that changed alone."""
    cli_like(site)
    restored = restored_index(site)
    assert restored is not None and restored.postings == {}  # nothing decoded until a change asks
    assert restored.encode() == (site / "site/search/index.json").read_bytes()
    append(site, "content/world/s3.md", "\nA paragraph of zebras and quinces.\n")
    report = cli_like(site)
    assert "search/index.json" in report.changed
    assert same_as_clean(site, tmp_path)
    assert restored_index(site) is not None  # the index just written, for the run after


def changed_section(site, change) -> None:
    """The cache file with its search index section changed by `change` (a list of fields)."""
    import io

    import msgpack

    path = cache.cache_file(site, site / "site")
    values = list(msgpack.Unpacker(io.BytesIO(path.read_bytes()), raw=False, strict_map_key=False))
    section = values[1 + cache.FIELDS.index("search index")]
    change(section)
    path.write_bytes(b"".join(msgpack.packb(v, use_bin_type=True) for v in values))


def shift(lengths: list, by: int = 1) -> None:
    lengths[0] += by
    lengths[1] -= by


@pytest.mark.parametrize(
    "damage",
    [
        lambda s: s.__setitem__(1, bytes(16)),  # another file's digest
        lambda s: shift(s[3]),  # documents' boundaries moved
        lambda s: shift(s[5]),  # terms' boundaries moved
        lambda s: s[4].reverse(),  # the terms out of order
        lambda s: s[4].__setitem__(0, "zzz"),  # a term that is not its piece's
        lambda s: s[2].__setitem__(next(n for n, story in enumerate(s[2]) if story), []),  # a story dropped
        lambda s: s[2].__setitem__(0, ["A story", "/stories/a/"]),  # a story added
    ],
    ids=["digest", "documents", "terms", "order", "term", "story dropped", "story added"],
)
def test_a_search_index_section_that_does_not_fit_the_file_is_not_used(settled_sites, tmp_path, damage):
    site = settled_sites(_keyed_story_files)
    cli_like(site)
    assert restored_index(site) is not None
    changed_section(site, damage)
    assert restored_index(site) is None
    append(site, "content/world/s3.md", "\nA paragraph of zebras and quinces.\n")
    assert cli_like(site).ok
    assert same_as_clean(site, tmp_path)


def test_a_search_index_file_changed_since_is_not_used(site, tmp_path):
    """A file other than the one the cache describes (here written by hand, of the same
    length) gives the index made afresh, not pieces of it."""
    cli_like(site)
    path = site / "site/search/index.json"
    data = path.read_bytes()
    path.write_bytes(data.replace(b"Story 3", b"Story X", 1))
    assert restored_index(site) is None
    path.write_bytes(data)
    append(site, "content/world/s3.md", "\nA paragraph of zebras and quinces.\n")
    assert cli_like(site).ok
    assert same_as_clean(site, tmp_path)


def test_the_cache_keeps_what_the_templates_say_and_a_template_edit_is_seen(site, tmp_path):
    """The templates each template names and whether bodies stay on their own pages are
    kept in the build cache, so the next run parses no template to know them; an edited
    template is another source, so the answers for the old one are not taken for it."""
    cli_like(site)
    state, _ = cache.load(site, site / "site")
    assert any(names and "base.html" in names for names in state.memo.templates.values())
    assert state.memo.kept(("bodies stay",)) == {}  # a build with no edit did not ask
    append(site, "content/world/s3.md", "\nA second paragraph.\n")
    assert cli_like(site).rendered == 1
    state, _ = cache.load(site, site / "site")
    assert list(state.memo.kept(("bodies stay",)).values()) == [True]
    # a list page that now shows every body: a body edit shows beyond its own page
    theme = Path(__file__).resolve().parents[2] / "broadsheet/theme/templates"
    index = (theme / "index.html").read_text()
    assert "{% block main %}" in index
    (site / "templates").mkdir(exist_ok=True)
    shows = '{% block main %}{% for e in editions %}{{ e.body_html | default("") }}{% endfor %}'
    (site / "templates/index.html").write_text(index.replace("{% block main %}", shows, 1))
    cli_like(site)
    append(site, "content/world/s4.md", "\nA second paragraph.\n")
    assert cli_like(site).rendered > 1
    assert same_as_clean(site, tmp_path)


def related_section(site, change=None):
    """The build cache's related lists section ([key, digest, lists]), changed by `change`
    when given (it gets the section as a list, its lists as a list of lists)."""
    import io

    import msgpack

    path = cache.cache_file(site, site / "site")
    values = list(msgpack.Unpacker(io.BytesIO(path.read_bytes()), raw=False, strict_map_key=False))
    section = values[1 + cache.FIELDS.index("related")]
    if change is not None:
        change(section)
        path.write_bytes(b"".join(msgpack.packb(v, use_bin_type=True) for v in values))
    return section


def place_of(site, rel: str) -> int:
    from broadsheet.build.pipeline import load_model

    _, site_model, _ = load_model(BuildRequest(site, now=NOW))
    assert site_model is not None
    return [e.article.path for e in site_model.entries].index(rel)


def test_the_related_lists_are_kept_and_taken_while_the_tags_are_the_same(site):
    """The model's related lists by place are in the cache, and the next run's model takes
    them, the same lists, instead of working them out."""
    from broadsheet.build import model
    from broadsheet.build.pipeline import load_model

    cli_like(site)
    key, _, lists = related_section(site)
    state, _ = cache.load(site, site / "site")
    assert state.stored_related == (key, tuple(map(tuple, lists)))
    _, site_model, _ = load_model(BuildRequest(site, now=NOW))
    assert site_model is not None and site_model.related_places == state.stored_related
    articles = [e.article for e in site_model.entries]
    again, _ = model.build_model(articles, settings_of(site), model.BuildOptions(now=NOW), related=state.stored_related)
    assert again.related_places is state.stored_related and again.related == site_model.related


def settings_of(site):
    from broadsheet.build.config import load_settings

    settings, problems = load_settings(site)
    assert not problems
    return settings


def test_related_lists_of_other_tags_are_not_taken(site, tmp_path):
    """A tag changed: the kept lists' key is not the new model's, so they are worked out again."""
    cli_like(site)
    before = related_section(site)[0]
    path = site / "content/world/s3.md"
    path.write_text(path.read_text().replace("tags: [T0]", "tags: [T1]"))
    assert cli_like(site).ok
    assert related_section(site)[0] != before
    assert same_as_clean(site, tmp_path)


def test_a_related_list_changed_in_the_cache_is_refused(site, tmp_path):
    """Other valid places in the edited article's list, the digest left as it was: the lists
    are worked out again, and its page shows the right ones."""
    cli_like(site)
    place = place_of(site, "content/world/s3.md")

    def change(section):
        lists = section[2]
        others = [n for n in range(len(lists)) if n != place]
        lists[place] = others[-len(lists[place]) :] if lists[place] != others[-len(lists[place]) :] else others[:3]

    related_section(site, change)
    state, _ = cache.load(site, site / "site")
    assert state.stored_related is None and not state.notes
    append(site, "content/world/s3.md", "\nA second paragraph.\n")
    assert cli_like(site).rendered == 1
    assert same_as_clean(site, tmp_path)


@pytest.mark.parametrize(
    "damage",
    [
        lambda s: s[2].__setitem__(0, [len(s[2])]),  # a place past the end
        lambda s: s[2].__setitem__(0, [0]),  # an entry related to itself
        lambda s: s[2].__setitem__(1, [0, 0]),  # one place twice
        lambda s: s[2].__setitem__(0, ["1"]),  # not a place
    ],
    ids=["past the end", "itself", "twice", "not a number"],
)
def test_a_related_section_of_the_wrong_shape_is_refused(site, tmp_path, damage):
    cli_like(site)
    related_section(site, damage)
    state, _ = cache.load(site, site / "site", lazy=True)
    append(site, "content/world/s3.md", "\nA second paragraph.\n")
    report = build(BuildRequest(site, now=NOW), state)
    assert state.notes and "related list" in state.notes[0]
    assert report.ok and same_as_clean(site, tmp_path)
