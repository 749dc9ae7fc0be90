"""The persistent build cache: used across runs, ignored when stale, safe to delete, kept
in the site folder per output, and plain data that can never run code when loaded."""

import io
import os
import pickle
import subprocess
import sys
import time

import msgpack

from broadsheet.build.content import Article
from broadsheet.build.pipeline import build
from broadsheet.build.request import BuildRequest
from broadsheet.incremental import cache, codec
from broadsheet.incremental.articles import SETTLE_NS
from broadsheet.outputs.search_pieces import JoinedTerms

from conftest import article, run_cli, tree_bytes, write_tree

EXTRA = "{n: 12, big: 123456789012345678901234567890, f: 1.5, when: 2025-06-01, at: 2025-06-01 10:00:00+02:00, list: [1, x], none: null}"
STORIES = {
    "content/world/a.md": article("Story A", "2025-06-19 09:30", "Body *one*.", tags="[Rates, Banks]", author="Ann"),
    "content/world/b.md": article("Story B", "2025-06-18T08:00:00+03:00", "Body two. [A](a.md)", summary="Short."),
    # front matter of every kind safe YAML makes: kept in `extra` and given back as it was
    "content/c.md": article("Story C", "2025-06-17", extra=EXTRA),
    "content/d.md": article(
        "Story D",
        "2025-06-16",
        "With an image.",
        image="{src: /i.jpg, alt: An image}",
        source="{name: Wire}",
        updated="2025-06-17",
    ),
    "static/i.jpg": b"not really a photo",
    "content/broken.md": article("Broken", "2025-02-30"),  # a problem, cached with its article (None)
}
SETTINGS = "title: T\nbase_url: https://example.org/\ntimezone: Europe/London\n"


class Planted:
    """A pickle that, when loaded, makes a marker folder: what an attacker would plant."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def planted_pickle(marker) -> bytes:
    return pickle.dumps(((("0.1.0",), {}, {}), Planted(marker)))


def fine_site(make_site):
    return make_site({k: v for k, v in STORIES.items() if "broken" not in k}, SETTINGS)  # a site that builds


def test_second_run_parses_nothing_and_gives_the_same_site(make_site, tmp_path):
    site = make_site({f"content/a{i}.md": article(f"Story {i}", "2025-06-19") for i in range(5)})
    output = site / "site"
    first = build(BuildRequest(site), cache.load(site, output)[0])
    assert first.parsed == 5
    state, note = cache.load(site, output)  # nothing saved yet: build() alone does not write the cache
    assert state.parsed == {} and note is None
    assert run_cli("build", "--site", site).code == 0
    assert cache.cache_file(site, output).is_file()
    assert cache.cache_file(site, output).is_relative_to(site / ".broadsheet/cache")
    again = build(BuildRequest(site), cache.load(site, output)[0])
    assert again.ok and again.parsed == 0
    (site / "content/a1.md").write_text(article("Story one, changed", "2025-06-19"))
    changed = build(BuildRequest(site), cache.load(site, output)[0])
    assert changed.parsed == 1
    assert run_cli("build", "--site", site, "--no-cache", "--output", tmp_path / "clean").code == 0
    assert run_cli("build", "--site", site).code == 0
    assert tree_bytes(output) == tree_bytes(tmp_path / "clean")


def test_every_record_comes_back_equal(make_site):
    """Articles with every kind of field and front matter value, problems, stamps, the
    outcome and the memo: saved and loaded, the state equals the one the build left."""
    site = make_site(STORIES, SETTINGS)
    for broken in (True, False):  # with the broken article: its problem; without: the outcome and memo
        if not broken:
            (site / "content/broken.md").unlink()
        state, _ = cache.load(site, site / "site")
        assert build(BuildRequest(site), state).ok is not broken
        assert cache.save(site, site / "site", state) is None
        loaded, note = cache.load(site, site / "site")
        assert note is None
        for name in ("parsed", "files", "settled_before", "fingerprints", "stamps", "produced", "outcome"):
            assert getattr(loaded, name) == getattr(state, name), name
        assert loaded.memo.kept(("search document",)) == state.memo.kept(("search document",))
    assert loaded.outcome is not None and loaded.memo.kept(("search document",)) != {}
    c = next(a for a, _ in loaded.parsed.values() if a.title == "Story C")
    assert c.extra["extra"]["big"] == 123456789012345678901234567890
    assert str(c.extra["extra"]["at"].tzinfo) == "UTC+02:00" and str(c.date.tzinfo) == "Europe/London"


def test_a_planted_pickle_where_the_cache_used_to_be_runs_no_code(make_site, tmp_path):
    """The old cache lived beside the output: in /tmp for `--output /tmp/site`. A pickle
    planted there is never read, by `build`, `check` or `email`."""
    site = fine_site(make_site)
    (site / "broadsheet.yaml").write_text(SETTINGS + "email:\n  from: T <t@example.org>\n")
    assert run_cli("build", "--site", site, "--output", tmp_path / "clean", "--no-cache").code == 0
    marker, out = tmp_path / "pwned", tmp_path / "out"
    write_tree(tmp_path, {".broadsheet-cache/out.pickle": planted_pickle(marker)})  # beside --output out
    write_tree(site, {".broadsheet-cache/site.pickle": planted_pickle(marker)})  # beside the default output
    for command in (
        ["build", "--output", out],
        ["check", "--output", out],
        ["email", "--output", tmp_path / "x.eml"],
        ["build"],
    ):
        result = run_cli(command[0], "--site", site, *command[1:])
        assert not marker.exists(), command
        assert result.code == 0 and "Traceback" not in result.err, (command, result.err)
        assert notes(result.err) == []  # the old place is not looked at at all
    assert tree_bytes(out) == tree_bytes(tmp_path / "clean") == tree_bytes(site / "site")


def test_a_planted_file_at_the_new_place_runs_no_code_and_is_noted(make_site, tmp_path):
    site = fine_site(make_site)
    assert run_cli("build", "--site", site, "--output", tmp_path / "clean", "--no-cache").code == 0
    marker = tmp_path / "pwned"
    path = cache.cache_file(site, site / "site")
    write_tree(path.parent, {path.name: planted_pickle(marker)})
    result = run_cli("build", "--site", site)
    assert not marker.exists()
    assert result.code == 0 and "Traceback" not in result.err
    assert notes(result.err) == [
        f"note: build cache at {path} unreadable (not a build cache file); building from scratch"
    ]
    assert tree_bytes(site / "site") == tree_bytes(tmp_path / "clean")


def notes(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("note:")]


def unpacked(data: bytes) -> tuple[dict, dict]:
    """A cache file's label and fields, as plain data."""
    label, *values = msgpack.Unpacker(io.BytesIO(data), raw=False, strict_map_key=False)
    assert len(values) == len(cache.FIELDS)
    return label, dict(zip(cache.FIELDS, values))


def packed(label: dict, body: dict) -> bytes:
    return b"".join(msgpack.packb(value, use_bin_type=True) for value in (label, *body.values()))


def tampered_caches(good: bytes):
    """(what was done, the bytes) for caches that must not be used."""
    _, body = unpacked(good)
    key = next(k for k, (a, *_) in body["parsed"].items() if a and a[1] == "Story A")

    def edit(change):
        label, body = unpacked(good)
        change(label, body)
        return packed(label, body)

    def setitem(record, index, value):
        record[index] = value

    yield "truncated", good[: len(good) // 2]
    yield "cut at the end", good[:-1]
    yield "empty", b""
    yield "a title that is a number", edit(lambda s, b: setitem(b["parsed"][key][0], 1, 42))
    yield "an article too short", edit(lambda s, b: b["parsed"][key][0].pop())
    yield "a date that is not one", edit(lambda s, b: setitem(b["parsed"][key][0][2], 0, "2025-02-30T10:00:00"))
    yield "an unknown time zone", edit(lambda s, b: setitem(b["parsed"][key][0][2], 2, ["key", "../../etc/passwd"]))
    yield "a tag that is bytes", edit(lambda s, b: setitem(b["parsed"][key][0], 7, [b"x"]))
    yield "an object in front matter", edit(lambda s, b: setitem(b["parsed"][key][0], 20, msgpack.ExtType(1, b"x")))
    yield "a stamp that is text", edit(lambda s, b: setitem(b["stamps"], next(iter(b["stamps"])), "big"))
    yield "files as a list", edit(lambda s, b: setitem(b, "files", []))
    yield "a map of articles that is a list", edit(lambda s, b: setitem(b, "parsed", []))
    yield "terms that are numbers", edit(lambda s, b: setitem(next(iter(b["search documents"].values())), 1, [1, 2]))
    yield "a search index's lengths that are text", edit(lambda s, b: setitem(b["search index"], 3, ["12"]))
    yield "a search index's story of one name", edit(lambda s, b: setitem(b["search index"][2], 0, ["Rates"]))
    yield "templates as a list", edit(lambda s, b: setitem(b, "templates", []))
    yield (
        "a template that names a number",
        edit(lambda s, b: setitem(b["templates"][0], next(iter(b["templates"][0])), [7])),
    )
    yield "a missing field", edit(lambda s, b: b.pop("outcome"))
    yield "another version", edit(lambda s, b: setitem(s, "broadsheet", "0.0.1"))
    yield "another format", edit(lambda s, b: setitem(s, "format", 99))
    yield "another layout of records", edit(lambda s, b: setitem(s["layout"], 0, [*s["layout"][0], "new_field"]))
    yield "no label", packed(None, body)
    yield "a forged length", msgpack.packb(unpacked(good)[0]) + b"\xdd\xff\xff\xff\xff"  # an array of 4 billion
    yield "trailing bytes", good + b"\x00"


def test_a_truncated_tampered_or_foreign_cache_is_noted_and_ignored(make_site, tmp_path):
    def edited_by_hand(output):  # the build must not trust what the cache says of the output
        (output / "index.html").write_text("edited by hand")

    assert refused_one_by_one(fine_site(make_site), tmp_path, tampered_caches, edited_by_hand) == 24


def refused_one_by_one(site, tmp_path, cases_of, touch_output, reason: str = "") -> int:
    """Each damaged cache that `cases_of` makes of the good one's bytes, written in turn,
    the output touched so that the build has work: one note (with `reason`, if given), no
    traceback, a clean build's bytes, a good cache saved again. The number of cases."""
    assert run_cli("build", "--site", site, "--output", tmp_path / "clean", "--no-cache").code == 0
    expected = tree_bytes(tmp_path / "clean")
    output = site / "site"
    assert run_cli("build", "--site", site).code == 0
    path = cache.cache_file(site, output)
    cases = list(cases_of(path.read_bytes()))
    for what, data in cases:
        path.write_bytes(data)
        touch_output(output)
        result = run_cli("build", "--site", site)
        assert result.code == 0 and "Traceback" not in result.err, (what, result.err)
        [note] = notes(result.err)
        assert note.startswith(f"note: build cache at {path} unreadable ({reason}") and note.endswith(
            "); building from scratch"
        ), what
        assert tree_bytes(output) == expected, what
        assert cache.load(site, output)[1] is None, what  # the build saved a good cache again
    return len(cases)


def test_a_cache_for_another_output_is_foreign(make_site, tmp_path):
    site = fine_site(make_site)
    a, b = tmp_path / "a", tmp_path / "b"
    assert run_cli("build", "--site", site, "--output", a).code == 0
    cache.folder(site, b).mkdir(parents=True)
    cache.cache_file(site, b).write_bytes(cache.cache_file(site, a).read_bytes())
    result = run_cli("build", "--site", site, "--output", b)
    assert result.code == 0
    assert notes(result.err) == [
        f"note: build cache at {cache.cache_file(site, b)} unreadable (made for the output {a}); building from scratch"
    ]
    assert tree_bytes(a) == tree_bytes(b)


def test_each_output_has_its_own_cache_keyed_by_its_path(make_site, tmp_path):
    site = fine_site(make_site)
    a, b = tmp_path / "x/out", tmp_path / "y/out"
    for output in (a, b):
        assert run_cli("build", "--site", site, "--output", output).code == 0
    assert cache.folder(site, a) != cache.folder(site, b)
    assert cache.folder(site, a).parent == cache.folder(site, b).parent == site / ".broadsheet/cache"
    assert cache.folder(site, a).name.startswith("out-")
    assert cache.cache_file(site, a).is_file() and cache.cache_file(site, b).is_file()
    for output in (a, b):  # each build finds its own cache
        assert build(BuildRequest(site, output), cache.load(site, output)[0]).parsed == 0
    assert not (tmp_path / "x/.broadsheet-cache").exists() and not (tmp_path / ".broadsheet").exists()


def test_the_key_is_the_outputs_place_not_where_its_symlink_points(make_site, tmp_path):
    """The output may become a symlink that each build points at another tree."""
    site = fine_site(make_site)
    (tmp_path / "real").mkdir()
    (tmp_path / "linked").symlink_to(tmp_path / "real")
    output = tmp_path / "linked/site"
    key = cache.folder(site, output)
    (tmp_path / "one").mkdir(), (tmp_path / "two").mkdir()
    output.symlink_to(tmp_path / "one")
    assert cache.folder(site, output) == key
    output.unlink()
    output.symlink_to(tmp_path / "two")
    assert cache.folder(site, output) == key == cache.folder(site, tmp_path / "real/site")
    assert cache.folder(site, output) != cache.folder(site, tmp_path / "two")


def test_no_cache_neither_reads_nor_writes_it(make_site, tmp_path):
    site = fine_site(make_site)
    assert run_cli("build", "--site", site, "--no-cache").code == 0
    assert not (site / ".broadsheet").exists()
    assert run_cli("build", "--site", site).code == 0
    cache.cache_file(site, site / "site").write_bytes(b"junk")
    result = run_cli("build", "--site", site, "--no-cache")
    assert result.code == 0 and notes(result.err) == []
    assert cache.cache_file(site, site / "site").read_bytes() == b"junk"


def test_email_and_check_read_the_cache_and_note_a_bad_one(make_site, tmp_path):
    site = fine_site(make_site)
    (site / "broadsheet.yaml").write_text(SETTINGS + "email:\n  from: T <t@example.org>\n")
    assert run_cli("email", "--site", site, "--output", tmp_path / "first.eml").code == 0
    assert run_cli("build", "--site", site).code == 0
    assert run_cli("email", "--site", site, "--output", tmp_path / "cached.eml").code == 0
    assert (tmp_path / "first.eml").read_bytes() == (tmp_path / "cached.eml").read_bytes()
    checked = run_cli("check", "--site", site)
    assert checked.code == 0 and notes(checked.err) == [], checked.err
    path = cache.cache_file(site, site / "site")
    path.write_bytes(path.read_bytes()[:100])
    result = run_cli("email", "--site", site, "--output", tmp_path / "noted.eml")
    assert result.code == 0 and len(notes(result.err)) == 1 and "Traceback" not in result.err
    assert (tmp_path / "noted.eml").read_bytes() == (tmp_path / "first.eml").read_bytes()
    checked = run_cli("check", "--site", site)
    assert checked.code == 0 and len(notes(checked.err)) == 1, checked.err


def test_settings_that_change_parsing_miss_the_cache(make_site):
    site = make_site({"content/a.md": article("Story", "2025-06-19 23:30")})
    assert run_cli("build", "--site", site).code == 0
    (site / "broadsheet.yaml").write_text("title: T\nbase_url: https://example.org/\ntimezone: UTC\n")
    report = build(BuildRequest(site), cache.load(site, site / "site")[0])
    assert report.parsed == 1 and report.ok


def test_deleting_the_cache_is_safe(make_site):
    site = make_site({"content/a.md": article("Story", "2025-06-19")})
    assert run_cli("build", "--site", site).code == 0
    before = tree_bytes(site / "site")
    cache.cache_file(site, site / "site").unlink()
    assert run_cli("build", "--site", site).code == 0
    assert tree_bytes(site / "site") == before


def test_git_ignores_the_cache_and_the_output_of_a_new_site(tmp_path):
    target = tmp_path / "digest"
    assert run_cli("init", target).code == 0
    assert run_cli("build", "--site", target).code == 0
    assert (target / ".broadsheet/cache").is_dir()
    subprocess.run(["git", "init", "-q", str(target)], check=True)
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=target,
        capture_output=True,
        text=True,
        check=True,
    )
    assert sorted(line[3:] for line in status.stdout.splitlines()) == [
        ".gitignore",
        "broadsheet.yaml",
        "content/news/welcome.md",
    ]


def test_the_repositorys_gitignore_covers_the_cache():
    from conftest import REPO  # the repository is itself a site: the demo digest

    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "--no-index", ".broadsheet/cache/site-0123/state.msgpack"], cwd=REPO, check=False
    )
    assert ignored.returncode == 0


def settled(site):
    """Files older than the build's racy-clean margin: their stamps then prove them unchanged."""
    time.sleep(SETTLE_NS / 1e9 + 0.2)
    return site


def test_a_build_with_nothing_to_do_reads_only_the_head_and_a_build_with_work_reads_the_rest(make_site, tmp_path):
    """The parsed articles are most of the file and a build with nothing to do needs none
    of them: damaged, they are not even noticed then; the next build with work to do finds
    the damage, says so in one note and builds from scratch."""
    site = settled(fine_site(make_site))
    output = site / "site"
    assert run_cli("build", "--site", site).code == 0
    path = cache.cache_file(site, output)
    label, body = unpacked(path.read_bytes())
    key = next(k for k, (a, *_) in body["parsed"].items() if a and a[1] == "Story A")
    body["parsed"][key][0][1] = 42  # a title that is a number
    path.write_bytes(packed(label, body))
    before = tree_bytes(output)
    quiet = run_cli("build", "--site", site)
    assert quiet.code == 0 and notes(quiet.err) == [], quiet.err
    assert tree_bytes(output) == before
    (site / "content/world/a.md").write_text(article("Story A, edited", "2025-06-19 09:30", "Body *one*."))
    result = run_cli("build", "--site", site)
    assert result.code == 0 and "Traceback" not in result.err
    assert notes(result.err) == [f"note: build cache at {path} unreadable (unexpected article); building from scratch"]
    assert run_cli("build", "--site", site, "--no-cache", "--output", tmp_path / "clean").code == 0
    assert tree_bytes(output) == tree_bytes(tmp_path / "clean")
    assert cache.load(site, output)[1] is None  # saved whole again


def test_a_cache_replaced_between_its_head_and_the_rest_is_not_mixed(make_site, tmp_path):
    """Another build may replace the file after this one read its head: the rest is then
    not read from the new file (another build's articles and fingerprints), the build
    starts afresh and still makes what a clean build makes."""
    site = fine_site(make_site)
    output = site / "site"
    assert run_cli("build", "--site", site).code == 0
    state, note = cache.load(site, output, lazy=True)
    assert note is None and state.parsed == {}  # the head only
    (site / "content/world/a.md").write_text(article("Story A, edited", "2025-06-19 09:30", "Body *one*."))
    assert run_cli("build", "--site", site).code == 0  # replaces the cache file
    (site / "content/world/b.md").write_text(article("Story B, edited", "2025-06-18", "Body two."))
    report = build(BuildRequest(site), state)
    path = cache.cache_file(site, output)
    assert report.ok and report.parsed == 4
    assert state.notes == [f"build cache at {path} unreadable (replaced since it was read); building from scratch"]
    assert run_cli("build", "--site", site, "--no-cache", "--output", tmp_path / "clean").code == 0
    assert tree_bytes(output) == tree_bytes(tmp_path / "clean")


def test_story_terms_are_unpacked_only_when_read_and_damaged_ones_are_made_again(make_site, tmp_path):
    """An article's story terms come back packed, read only when grouping asks for them
    (after one edit, a few articles' in thousands); packed bytes that are not terms give
    the terms made from the article's text, as parsing made them, so what the build reads
    is never malformed and the site is what a clean build makes."""
    from broadsheet.build.coverage import terms_of

    site = fine_site(make_site)
    assert run_cli("build", "--site", site).code == 0
    output = site / "site"
    path = cache.cache_file(site, output)
    loaded, _ = cache.load(site, output)
    a = next(a for a, _ in loaded.parsed.values() if a and a.title == "Story A")
    assert a.story_terms.packed is not None  # not unpacked by loading
    fresh = terms_of(a.title, a.summary_text, a.body_html)
    assert a.story_terms == fresh and a.story_terms.packed is None  # read: unpacked, checked, equal
    label, body = unpacked(path.read_bytes())
    for record, *_ in body["parsed"].values():
        if record:
            record[-2] = msgpack.packb([["rates", "high"], [], 1.0, []])  # a weight that is text (the last: as_written)
    path.write_bytes(packed(label, body))
    loaded, note = cache.load(site, output)
    a = next(a for a, _ in loaded.parsed.values() if a and a.title == "Story A")
    assert note is None and a.story_terms == fresh
    (site / "content/world/b.md").write_text(article("Story B", "2025-06-18T08:00:00+03:00", "Body two, longer."))
    assert run_cli("build", "--site", site).code == 0
    assert run_cli("build", "--site", site, "--no-cache", "--output", tmp_path / "clean").code == 0
    assert tree_bytes(output) == tree_bytes(tmp_path / "clean")


def test_search_documents_keep_their_terms_as_one_string(make_site):
    """A document's terms (a hundred words) are stored as one string, split when read: the
    cache's largest count of values, a tenth of them to unpack; read back, the same list."""
    site = fine_site(make_site)
    assert run_cli("build", "--site", site).code == 0
    path = cache.cache_file(site, site / "site")
    _, body = unpacked(path.read_bytes())
    stored = list(body["search documents"].values())
    assert stored and all(type(terms) is str and "\n" in terms for _, terms in stored)
    loaded, _ = cache.load(site, site / "site")
    documents = loaded.memo.kept(("search document",)).values()
    assert sorted(list(terms) for _, terms in documents) == sorted(terms.split("\n") for _, terms in stored)


def test_search_documents_terms_are_split_only_when_read_and_equal_the_list(make_site):
    """A loaded document's terms stay one string until read (a body edit reads a few of
    10,000); unsplit or split, they are equal to the list they were made as, and unequal
    to another, whichever side of the comparison they are on (the index made over compares
    documents so); stored again, the same string."""
    site = fine_site(make_site)
    assert run_cli("build", "--site", site).code == 0
    loaded, _ = cache.load(site, site / "site")
    terms = [terms for _, terms in loaded.memo.kept(("search document",)).values()]
    assert terms and all(isinstance(t, JoinedTerms) and t._split is None for t in terms)
    made = terms[0].joined.split("\n")
    assert terms[0] == made and made == terms[0] and (made, 1) == (terms[0], 1)
    assert terms[0] != [*made, "more"] and [*made[:-1]] != terms[0] and terms[0] != made[0]
    assert len(terms[0]) == len(made) and list(terms[0]) == made and terms[0][-1] == made[-1]
    assert codec.encode_search_document(({}, terms[0]))[1] == terms[0].joined == "\n".join(made)
    assert JoinedTerms("") == [] and len(JoinedTerms("")) == 0


def test_articles_texts_are_read_only_when_asked_for_and_equal_the_parsed_ones(make_site):
    """The texts of the cache's articles (summary and body, most of its bytes) are passed
    over when the build with work reads the cache, and read from the file when first asked
    for: then each article equals the one a full read gives, whichever side of `==` it is
    on, and pickles (for a render worker) as a plain Article with its texts."""
    site = fine_site(make_site)
    assert run_cli("build", "--site", site).code == 0
    output = site / "site"
    whole, _ = cache.load(site, output)
    lazy, note = cache.load(site, output, lazy=True)
    lazy.read_rest()
    assert note is None and lazy.notes == [] and lazy.parsed.keys() == whole.parsed.keys()
    articles = [a for a, _ in lazy.parsed.values()]
    assert all(type(a) is codec._CachedArticle and "body_html" not in vars(a) for a in articles)
    assert all(type(a) is Article for a, _ in whole.parsed.values())  # a full read (serve, email): plain ones
    sent = pickle.loads(pickle.dumps(articles[0]))
    assert type(sent) is Article and "body_html" in vars(articles[0])  # read for the pickle
    assert sent == articles[0] and articles[0] == sent
    for key, entry in whole.parsed.items():
        assert lazy.parsed[key] == entry and entry == lazy.parsed[key]
    assert all(vars(a).keys() >= set(codec.TEXT_FIELDS) for a in articles)


def emptied(output):
    """The output's files deleted (its folders left): the next build makes every one again."""
    for path in sorted(output.resolve().rglob("*"), reverse=True):
        if path.is_file():
            path.unlink()


def damaged_texts(good: bytes):
    """(what was done, the bytes) for caches whose only damage is in one article's texts,
    which a build passes over until it shows them."""
    _, body = unpacked(good)
    key = next(k for k, (a, *_) in body["parsed"].items() if a and a[1] == "Story A")

    def texts(value):
        label, body = unpacked(good)
        body["parsed"][key][2] = value
        return packed(label, body)

    yield "a body that is a number", texts(["<p>Summary</p>", "Summary", 42])
    yield "a body that is bytes", texts(["<p>Summary</p>", "Summary", b"<p>Body</p>"])
    yield "two texts", texts(["<p>Summary</p>", "Summary"])
    yield "no texts", texts(None)


def test_damaged_texts_are_found_when_shown_and_the_build_starts_afresh(make_site, tmp_path):
    """Texts the build passed over are checked when read: damaged, the build that read them
    stops before it writes anything, says so in one note and builds again from scratch."""
    # every page made again, from the cache's articles: Story A's texts shown
    refused = refused_one_by_one(fine_site(make_site), tmp_path, damaged_texts, emptied, "unexpected article texts)")
    assert refused == 4


def test_texts_are_not_read_from_a_cache_file_changed_in_place_since_it_was_opened(make_site):
    """Another build replaces the file (a new one), which leaves the texts where they were
    read from; a change of the file in place since the build opened it is refused."""
    site = fine_site(make_site)
    assert run_cli("build", "--site", site).code == 0
    output = site / "site"
    path = cache.cache_file(site, output)
    state, _ = cache.load(site, output, lazy=True)
    state.read_rest()
    first, second = [a for a, _ in state.parsed.values()][:2]
    (site / "content/world/a.md").write_text(article("Story A, edited", "2025-06-19 09:30", "Body *one*."))
    assert run_cli("build", "--site", site).code == 0  # replaces the file
    assert first.body_html.startswith("<p>")  # read from the file it replaced, still open
    data = path.read_bytes()
    state, _ = cache.load(site, output, lazy=True)
    state.read_rest()
    [cached] = [a for a, _ in state.parsed.values() if a.path == second.path]
    with path.open("r+b") as file:  # the same bytes written again, in place: a new modification time
        file.write(data)
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    try:
        text = cached.body_html
    except cache.TextsLost as lost:
        assert str(lost) == "changed since it was read"
    else:
        raise AssertionError(f"texts read from a file changed in place: {text}")


def test_an_entry_shares_its_articles_texts_only_where_the_model_shows_them_as_written(make_site, tmp_path):
    """An entry of a cached article reads its body and summary from the article (so they
    stay unread until shown) only where the model shows them as written: not where a link
    to another article is resolved, nor where a summary's relative URL is made absolute for
    list pages. With the cache's articles alone making every page, a clean build's bytes."""
    site = make_site(
        {
            "content/a.md": article("Plain", "2025-06-19", "Words alone."),
            "content/b.md": article("Linking", "2025-06-18", "See [the plain one](a.md)."),
            "content/c/index.md": article("Bundle", "2025-06-17", "![A chart](chart.svg)\n\nMore words."),
            "content/c/chart.svg": "<svg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/>",
        },
        SETTINGS,
    )
    assert run_cli("build", "--site", site, "--output", tmp_path / "clean", "--no-cache").code == 0
    output = site / "site"
    assert run_cli("build", "--site", site).code == 0
    state, _ = cache.load(site, output, lazy=True)
    state.read_rest()
    shown = {a.title: a.texts_as_written for a, _ in state.parsed.values()}
    assert shown == {"Plain": True, "Linking": False, "Bundle": False}
    emptied(output)  # every page made again from the cache's articles
    assert run_cli("build", "--site", site).code == 0
    assert tree_bytes(output) == tree_bytes(tmp_path / "clean")


def test_texts_are_read_where_the_system_has_no_pread_too(make_site, monkeypatch):
    """os.pread is POSIX only: without it the texts are read by a seek and a read."""
    site = fine_site(make_site)
    assert run_cli("build", "--site", site).code == 0
    whole, _ = cache.load(site, site / "site")
    lazy, _ = cache.load(site, site / "site", lazy=True)
    lazy.read_rest()
    monkeypatch.delattr(os, "pread")
    assert [type(a) for a, _ in lazy.parsed.values()] == [codec._CachedArticle] * len(whole.parsed)
    assert lazy.parsed == whole.parsed


def test_a_pipe_where_the_cache_is_is_noted_and_never_waited_on(make_site, tmp_path):
    """Opening a FIFO waits for a writer: a pipe planted where the cache file goes is said
    in one note, and the build goes on from scratch."""
    site = make_site({"content/a.md": article("Alpha", "2025-06-19 10:00")})
    assert run_cli("build", "--site", site).code == 0
    path = cache.cache_file(site, site / "site")
    path.unlink()
    os.mkfifo(path)
    done = subprocess.run(
        [sys.executable, "-m", "broadsheet", "build", "--site", str(site)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("note: build cache at ") and "regular file" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
