"""The search index (search/index.json) on real builds: what it holds, read as JSON.

Queries are answered by search.js alone; tests/theme/test_search_page.py types them into the real
page."""

from __future__ import annotations

import json
import unicodedata

import pytest
from hypothesis import example, given, settings, strategies as st

from broadsheet.build import pipeline, pool
from broadsheet.build.request import BuildRequest
from broadsheet.outputs import search
from broadsheet.theme.localise import Localiser

from conftest import article, copy_demo, run_cli

INDEX = "site/search/index.json"


@pytest.fixture
def demo(tmp_path):
    """The repository's demo digest, copied, built under a sub-path: (site folder, index)."""
    site = copy_demo(tmp_path / "demo")
    result = run_cli("build", "--site", site, "--base-url", "https://x.github.io/digest/")
    assert result.code == 0, result.err
    return site, json.loads((site / INDEX).read_text(encoding="utf-8"))


def test_index_holds_every_published_article_and_no_draft(make_site):
    site = make_site({
        "content/world/a.md": article("Summit opens", "2025-06-18", tags="[NATO]", source="Reuters"),
        "content/world/b.md": article("Talks stall", "2025-06-19", body="Negotiators left Geneva.", summary="Nothing agreed."),
        "content/world/draft.md": article("Secret draft", "2025-06-19", draft="true"),
        "content/world/later.md": article("Future story", "2199-01-01"),
    })  # fmt: skip
    result = run_cli("build", "--site", site, "--base-url", "https://x.github.io/digest/")
    assert result.code == 0, result.err
    index = json.loads((site / INDEX).read_text(encoding="utf-8"))
    assert [d["title"] for d in index["docs"]] == ["Talks stall", "Summit opens"]  # newest first
    assert [d["url"] for d in index["docs"]] == ["/digest/2025/06/19/talks-stall/", "/digest/2025/06/18/summit-opens/"]
    talks = index["docs"][0]
    assert talks["date"] == "June 19, 2025" and talks["iso"].startswith("2025-06-19T00:00:00")
    assert talks["text"] == "Nothing agreed. Negotiators left Geneva."
    # Every word of the title, summary, body, tags, section and source, and no other: nothing
    # from the draft or the future story. Postings are doc numbers, the first whole and the
    # rest as gaps: "world" is in doc 0 and doc 0 + 1.
    assert index["terms"] == {
        "agreed": [0], "geneva": [0], "left": [0], "negotiators": [0], "nothing": [0], "stall": [0], "talks": [0],
        "body": [1], "nato": [1], "opens": [1], "reuters": [1], "summit": [1], "text": [1],
        "world": [0, 1],
    }  # fmt: skip
    assert list(index["terms"]) == sorted(index["terms"])


def test_documents_made_across_worker_processes_are_those_made_here(tmp_path):
    """A big site's documents are made in forked workers (two here, for the demo's 18):
    the same documents and terms, in the same order."""
    site = copy_demo(tmp_path / "demo")
    settings, model, problems = pipeline.load_model(BuildRequest(site))
    assert model is not None and len(model.entries) > 10, problems
    words, entries = Localiser(settings.language), list(model.entries)
    here = search.index_all(entries, words, per_worker=len(entries) + 1)
    assert pool.usable(pool.count(len(entries), 4)) == 2  # what the call below gets on this machine
    assert search.index_all(entries, words, per_worker=4) == here
    assert [terms for _, terms in here].count([]) == 0 and here[0][1] == sorted(set(here[0][1]))


def test_the_demo_index_covers_the_demo_under_a_sub_path(demo):
    site, index = demo
    pages = {p.parent.relative_to(site / "site").as_posix() for p in (site / "site").glob("20*/*/*/*/index.html")}
    assert {d["url"] for d in index["docs"]} == {f"/digest/{p}/" for p in pages}
    assert len(index["docs"]) == len(pages) > 10
    assert all(d["url"].startswith("/digest/20") for d in index["docs"])
    search_page = (site / "site/search/index.html").read_text(encoding="utf-8")
    assert 'data-search-index="/digest/search/index.json"' in search_page
    assert '<input id="search-q" type="search" name="q"' in search_page


def test_tokens_fold_case_accents_and_ligatures():
    """The index's half of the agreement with search.js; test_search_page.py types these very
    spellings into the page to check the other half."""
    assert search.tokens("Sánchez's NATO-plan, 5%!") == ["sanchez", "s", "nato", "plan", "5"]
    assert search.tokens("Ёлка и «ЕЛКА»") == ["елка", "и", "елка"]
    assert search.tokens("Straße ΟΔΟΣ ﬁnal") == ["strasse", "οδοσ", "final"]
    assert search.tokens("snake_case") == ["snake", "case"]


def normalised_char_by_char(text: str) -> str:
    """normalise() as its docstring says, one character at a time: what its short cuts must give."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    kept = "".join(c for c in decomposed if not unicodedata.category(c).startswith("M"))
    return kept.replace("ß", "ss").replace("ς", "σ")


@settings(max_examples=500)
@given(st.text())
@example("Cafe\u0301 “quoted” — Straße ΟΔΟΣ")  # a mark among punctuation, and both folds
@example("ǅ\u0345ẞ")  # lower() makes a mark (iota subscript) and a sharp s
def test_normalise_drops_every_mark_and_folds_what_casefold_would(text):
    assert search.normalise(text) == normalised_char_by_char(text)


@settings(max_examples=500)
@given(st.text())
@example("it’s “the” plan — snake_case ½ ﬁnal")  # ASCII words among other characters
@example("Café naïve Ёлка ΟΔΟΣ 東京 ٣")  # letters and digits beyond ASCII
def test_tokens_are_the_word_runs_of_the_normalised_text(text):
    assert search.tokens(text) == search.WORD.findall(normalised_char_by_char(text))


def test_word_characters_are_the_alphanumeric_ones():
    """tokens() finds WORD's runs by str.isalnum() when it can: the two must agree on every character."""
    assert [c for c in map(chr, range(0x110000)) if bool(search.WORD.match(c)) != c.isalnum()] == []


def test_the_index_is_deterministic(demo, tmp_path):
    site, _ = demo
    first = (site / INDEX).read_bytes()
    assert (
        run_cli(
            "build", "--site", site, "--output", tmp_path / "again", "--base-url", "https://x.github.io/digest/"
        ).code
        == 0
    )
    assert (tmp_path / "again/search/index.json").read_bytes() == first
    assert (
        json.dumps(json.loads(first), ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode() + b"\n"
        == first
    )


def test_documents_name_their_story_and_follow_its_changes(make_site):
    """A report of a story carries the story's title and page (for the result to show),
    which are not searched; a report joining later changes the others' documents too,
    however the index was remembered."""
    settings = "title: T\nbase_url: https://x.github.io/digest/\ntimezone: Europe/London\nstories:\n  auto: false\n"
    site = make_site({
        "content/world/a.md": article("Ferry strike ends", "2025-06-18 09:00", source="Wire", story="ferry"),
        "content/world/b.md": article("Crews return to the ferries", "2025-06-18 13:00", source="Daily", story="ferry"),
        "content/world/c.md": article("Lighthouse repainted", "2025-06-19 10:00"),
    }, settings)  # fmt: skip
    assert run_cli("build", "--site", site).code == 0
    index = json.loads((site / INDEX).read_text(encoding="utf-8"))
    story = {"title": "Ferry strike ends", "url": "/digest/stories/ferry/"}
    assert {d["title"]: d.get("story") for d in index["docs"]} == {
        "Lighthouse repainted": None, "Crews return to the ferries": story, "Ferry strike ends": story,
    }  # fmt: skip
    assert "stories" not in index["terms"] and "ferry" in index["terms"]  # the story's URL is not searched
    # a new report leads (featured) and so names the story: the others' documents follow
    (site / "content/world/d.md").write_text(
        article("Ferries sail again after the strike", "2025-06-18 17:00", story="ferry", featured="true")
    )
    assert run_cli("build", "--site", site).code == 0  # with the cache: the documents of a and b remembered
    index = json.loads((site / INDEX).read_text(encoding="utf-8"))
    titles = {d["title"]: d.get("story", {}).get("title") for d in index["docs"]}
    assert titles == {
        "Lighthouse repainted": None, "Ferries sail again after the strike": "Ferries sail again after the strike",
        "Crews return to the ferries": "Ferries sail again after the strike",
        "Ferry strike ends": "Ferries sail again after the strike",
    }  # fmt: skip
    assert run_cli("build", "--site", site, "--no-cache", "--output", site / "clean").code == 0
    assert (site / INDEX).read_bytes() == (site / "clean/search/index.json").read_bytes()


@settings(max_examples=300)
@given(st.text(), st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, unique=True).map(sorted))
@example('a "quoted" \\ term\u2028', [1, 5, 9])
def test_a_term_is_encoded_as_json_dumps_encodes_it(term, numbers):
    """The index's terms skip json.dumps' per-call set-up, never its bytes (surrogates,
    quotes, control and separator characters included)."""
    gaps = [n - p for p, n in zip([0, *numbers], numbers)]
    expected = f"{json.dumps(term, ensure_ascii=False)}:{json.dumps(gaps, separators=(',', ':'))}"
    assert search._encode_term(term, numbers) == expected


def test_an_index_restored_from_its_file_changes_as_the_index_does(make_site):
    """The build cache keeps where an index's pieces lie in its file (`stored`, with the
    digest of the very bytes written); restored from those bytes it is the same index,
    decodes no postings until a change asks, and a change gives the bytes the same change
    of the original gives."""
    import dataclasses
    import hashlib

    site = make_site({
        f"content/world/a{i}.md": article(f"Story {i}", f"2025-06-1{i}", body=f"Harbour words {i}.", tags="[Ports]")
        for i in range(4)
    })  # fmt: skip
    _, model, _ = pipeline.load_model(BuildRequest(site))
    index = search.SearchIndex.build(model)
    data = index.encode(remember_digest=True)
    stored = index.stored()
    assert stored.digest == hashlib.blake2b(data, digest_size=16).digest() == index.digest
    restored = search.SearchIndex.restored(stored, index.indexed, data)
    assert restored is not None and restored.encode() == data and restored.postings == {}
    assert search.SearchIndex.restored(stored, index.indexed, data.replace(b"Harbour", b"Harbous", 1)) is None
    edited = dataclasses.replace(model.entries[1], body_html="<p>Zebras in the harbour.</p>")
    index.replace(1, edited)
    restored.replace(1, edited)
    assert index.digest is None  # changed since it was written
    assert restored.encode() == index.encode() and sorted(restored.postings) == [
        "in",
        "the",
        "zebras",
    ]  # the new words alone


def test_an_index_changed_after_it_was_encoded_encodes_as_one_made_afresh(make_site):
    """Once encoded, an index keeps its pieces' bytes and joins the file from them: a
    document replaced (a body edit: words come, words go) and an index made over from it
    (a title edit) must give the bytes of an index made from nothing, the first left as it was."""
    import dataclasses

    site = make_site({
        f"content/world/a{i}.md": article(f"Story {i}", f"2025-06-1{i}", body=f"Harbour words {i}, café.\n\n"
                                          + "Lighthouse keepers." * (i == 1), tags="[Ports]")
        for i in range(4)
    })  # fmt: skip
    _, model, _ = pipeline.load_model(BuildRequest(site))
    index = search.SearchIndex.build(model)
    before = set(json.loads(index.encode())["terms"])

    def edited(model, number, **fields):
        entries = list(model.entries)
        entries[number] = dataclasses.replace(entries[number], **fields)
        return dataclasses.replace(model, entries=tuple(entries))

    one = next(n for n, entry in enumerate(model.entries) if entry.title == "Story 1")
    body_edit = edited(model, one, body_html="<p>Harbour words 1, café.</p>\n<p>Zebras … in the Straße.</p>")
    index.replace(one, body_edit.entries[one])
    data = index.encode()
    assert data == search.SearchIndex.build(body_edit).encode()
    after = set(json.loads(data)["terms"])
    assert after - before == {"zebras", "in", "the", "strasse"} and before - after == {"lighthouse", "keepers"}
    title_edit = edited(body_edit, 2, article=dataclasses.replace(body_edit.entries[2].article, title="Ferry news"))
    made_over = search.SearchIndex.build(title_edit, previous=index)
    assert made_over.encode() == search.SearchIndex.build(title_edit).encode() != data
    assert index.encode() == data


@pytest.mark.parametrize("docs", [0, 1, 2, 3])
@pytest.mark.parametrize("terms", [0, 1, 2, 3])
def test_the_file_joined_in_one_go_is_the_pieces_between_commas(docs, terms):
    pieces = [f'{{"n":{n}}}'.encode() for n in range(docs)], [f'"t{n}":[1]'.encode() for n in range(terms)]
    data = search._joined(*pieces)
    assert json.loads(data) == {
        "docs": [{"n": n} for n in range(docs)],
        "terms": {f"t{n}": [1] for n in range(terms)},
        "version": search.INDEX_VERSION,
    }
