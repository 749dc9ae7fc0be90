"""The search index (search/index.json) on real builds, and the query answering that the
browser's search.js mirrors (tests/test_browser.py runs the JavaScript side)."""

from __future__ import annotations

import json

import pytest

from broadsheet.outputs import search
from conftest import copy_demo, article, run_cli

INDEX = "site/search/index.json"
SPAIN_NATO = "content/world/nato-summit-preview.md"


@pytest.fixture
def demo(tmp_path):
    """The repository's demo digest, copied, built under a sub-path: (site folder, index)."""
    site = copy_demo(tmp_path / "demo")
    result = run_cli("build", "--site", site, "--base-url", "https://x.github.io/digest/")
    assert result.code == 0, result.err
    return site, json.loads((site / INDEX).read_text(encoding="utf-8"))


def url_of(index: dict, title_start: str) -> str:
    [url] = [d["url"] for d in index["docs"] if d["title"].startswith(title_start)]
    return url


def test_index_holds_every_published_article_and_no_draft(make_site):
    site = make_site({
        "content/world/a.md": article("Summit opens", "2025-06-18", tags="[NATO]", source="Reuters"),
        "content/world/b.md": article("Talks stall", "2025-06-19", body="Negotiators left Geneva.", summary="Nothing agreed."),
        "content/world/draft.md": article("Secret draft", "2025-06-19", draft="true"),
        "content/world/later.md": article("Future story", "2999-01-01"),
    })  # fmt: skip
    result = run_cli("build", "--site", site, "--base-url", "https://x.github.io/digest/")
    assert result.code == 0, result.err
    index = json.loads((site / INDEX).read_text(encoding="utf-8"))
    assert [d["title"] for d in index["docs"]] == ["Talks stall", "Summit opens"]  # newest first
    assert [d["url"] for d in index["docs"]] == ["/digest/2025/06/19/talks-stall/", "/digest/2025/06/18/summit-opens/"]
    talks = index["docs"][0]
    assert talks["date"] == "June 19, 2025" and talks["iso"].startswith("2025-06-19T00:00:00")
    assert talks["text"] == "Nothing agreed. Negotiators left Geneva."
    for word in ("secret", "draft", "future"):
        assert word not in index["terms"]
    # title, summary, body, tag and source are all searchable
    for text, title in [("summit", "Summit opens"), ("agreed", "Talks stall"), ("geneva", "Talks stall"),
                        ("nato", "Summit opens"), ("reuters", "Summit opens")]:  # fmt: skip
        assert search.query(index, text) == [url_of(index, title)], text


def test_the_demo_index_covers_the_demo_under_a_sub_path(demo):
    site, index = demo
    pages = {p.parent.relative_to(site / "site").as_posix() for p in (site / "site").glob("20*/*/*/*/index.html")}
    assert {d["url"] for d in index["docs"]} == {f"/digest/{p}/" for p in pages}
    assert len(index["docs"]) == len(pages) > 10
    assert all(d["url"].startswith("/digest/20") for d in index["docs"])
    search_page = (site / "site/search/index.html").read_text(encoding="utf-8")
    assert 'data-search-index="/digest/search/index.json"' in search_page
    assert '<input id="search-q" type="search" name="q"' in search_page


@pytest.mark.parametrize("text", ["Sánchez", "sanchez", "SANCHEZ", "sánch", "Pedro Sánchez"])
def test_accents_and_case_do_not_matter(demo, text):
    _, index = demo
    assert url_of(index, "Spain balks at NATO") in search.query(index, text)


@pytest.mark.parametrize("text", ["Решетников", "решетников", "РЕШЕТ", "рецессии", "Набиуллина", "вёл", "вел"])
def test_cyrillic_words_are_words(demo, text):
    _, index = demo
    assert search.query(index, text) == [url_of(index, "Решетников на ПМЭФ")]


def test_every_word_must_match_and_only_the_last_is_a_prefix(demo):
    _, index = demo
    spain = url_of(index, "Spain balks at NATO")
    assert spain in search.query(index, "nato sánchez")
    assert search.query(index, "sánchez kyiv") == []
    assert spain in search.query(index, "sanch")  # still typing
    assert search.query(index, "sanch ") == []  # a finished word is matched whole
    assert search.query(index, "") == search.query(index, " ,. ") == []


def test_title_matches_come_first(demo):
    _, index = demo
    found = search.query(index, "putin")
    titles = {d["url"]: d["title"] for d in index["docs"]}
    in_title = ["putin" in search.tokens(titles[url]) for url in found]
    assert len(found) >= 3 and in_title == sorted(in_title, reverse=True) and in_title[0]


def test_normalise_matches_what_the_browser_does():
    assert search.tokens("Sánchez's NATO-plan, 5%!") == ["sanchez", "s", "nato", "plan", "5"]
    assert search.tokens("Ёлка и «ЕЛКА»") == ["елка", "и", "елка"]
    assert search.tokens("Straße ΟΔΟΣ ﬁnal") == ["strasse", "οδοσ", "final"]
    assert search.tokens("snake_case") == ["snake", "case"]


def test_the_index_is_deterministic(demo, tmp_path):
    site, _ = demo
    first = (site / INDEX).read_bytes()
    assert run_cli("build", "--site", site, "--output", tmp_path / "again", "--base-url", "https://x.github.io/digest/").code == 0
    assert (tmp_path / "again/search/index.json").read_bytes() == first
    assert json.dumps(json.loads(first), ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode() + b"\n" == first
