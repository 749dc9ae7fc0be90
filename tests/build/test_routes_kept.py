"""routes.plan takes the last build's page itself wherever the new one would hold the very
same objects (serve's next build): never where anything a page shows differs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from broadsheet.build import claims, routes
from broadsheet.build.pipeline import load_model
from broadsheet.build.request import BuildRequest
from broadsheet.incremental.fingerprint import ContextHasher

from conftest import SETTINGS
from edits import NOW, story_start


def site_model(make_site, settings: str = SETTINGS + "per_page: 2\neditions_per_page: 2\n"):
    site: Path = make_site(story_start(), settings=settings)
    loaded, model, problems = load_model(BuildRequest(site, now=NOW))
    assert model is not None, problems
    assert model.stories, "the site must group for these tests to mean anything"
    return loaded, model


def by_path(pages: list[routes.Page]) -> dict[str, routes.Page]:
    return {page.path: page for page in pages}


def planned(model, settings, last: dict[str, routes.Page]) -> dict[str, routes.Page]:
    """plan() given the last pages, held to a plan made from nothing: equal, page for page."""
    pages = routes.plan(model, settings, last)
    assert pages == routes.plan(model, settings)
    return by_path(pages)


def test_the_same_model_gives_the_last_pages_themselves(make_site):
    settings, model = site_model(make_site)
    first = routes.plan(model, settings)
    again = planned(model, settings, by_path(first))
    reused = [path for path, page in again.items() if page is by_path(first)[path]]
    # every page but the archive's, whose months are made anew each time
    assert sorted(reused) == sorted(p.path for p in first if p.template != "archive.html")
    assert {p.template for p in first} >= {"article.html", "term.html", "edition.html", "story.html", "index.html"}


def article_page(pages: dict[str, routes.Page], model, n: int) -> routes.Page:
    return pages[routes.output_file(model.entries[n].path)]


def test_an_article_page_is_made_again_when_a_neighbour_related_story_or_story_differs(make_site):
    settings, model = site_model(make_site)
    last = by_path(routes.plan(model, settings))
    middle = model.entries[3]
    story = next(s for s in model.stories if middle.url not in {e.url for e in s.entries})
    variants = {
        "older": dataclasses.replace(
            model, neighbours={**model.neighbours, middle.url: (None, model.neighbours[middle.url][1])}
        ),
        "newer": dataclasses.replace(
            model, neighbours={**model.neighbours, middle.url: (model.neighbours[middle.url][0], None)}
        ),
        "related": dataclasses.replace(model, related={**model.related, middle.url: (model.entries[1].url,)}),
        "story": dataclasses.replace(model, story_of={**model.story_of, middle.url: story}),
    }
    for name, variant in variants.items():
        pages = planned(variant, settings, last)
        assert article_page(pages, variant, 3) is not article_page(last, model, 3), name
        assert article_page(pages, variant, 5) is article_page(last, model, 5), name


def test_a_page_is_made_again_when_its_title_or_url_differs(make_site):
    settings, model = site_model(make_site)
    last = by_path(routes.plan(model, settings))
    path = routes.output_file(model.entries[2].path)
    old = last[path]
    retitled = {**last, path: dataclasses.replace(old, context={**old.context, "title": "An older title"})}
    assert planned(model, settings, retitled)[path] is not retitled[path]
    edition = last["2025/06/17/index.html"]
    retitled = {**last, edition.path: dataclasses.replace(edition, context={**edition.context, "title": "Old"})}
    assert planned(model, settings, retitled)[edition.path] is not retitled[edition.path]
    moved = dataclasses.replace(settings, base_url="https://example.org/digest/")
    assert not any(page is last[page.path] for page in planned(model, moved, last).values())


def test_list_pages_are_made_again_when_their_share_of_the_list_or_their_paginator_differs(make_site):
    settings, model = site_model(make_site)
    last = by_path(routes.plan(model, settings))
    sources = model.taxonomies["sources"]
    slug = next(slug for slug, entries in sources.entries.items() if len(entries) > 2)
    shuffled = {**sources.entries, slug: sources.entries[slug][::-1]}
    variant = dataclasses.replace(
        model, taxonomies={**model.taxonomies, "sources": dataclasses.replace(sources, entries=shuffled)}
    )
    claims.of_pages(last.values())  # remembered by each page: a page made again makes its own
    pages = planned(variant, settings, last)
    assert pages[f"sources/{slug}/index.html"] is not last[f"sources/{slug}/index.html"]
    assert claims.of_pages(pages.values()) == claims.of_pages(routes.plan(variant, settings))
    assert claims.of_pages([pages[f"sources/{slug}/index.html"]])[0].source == shuffled[slug][0].article.path
    # a copy of a claimed page with other values shares its `derived`, never its claim
    first = pages[f"sources/{slug}/index.html"]
    copy = dataclasses.replace(first, path="elsewhere/index.html", context={**first.context, "entries": ()})
    assert claims.of_pages([copy]) == [claims.Claim("elsewhere/index.html", first.derived["claim"][1].what)]
    other = next(s for s in sources.entries if s != slug)
    assert pages[f"sources/{other}/index.html"] is last[f"sources/{other}/index.html"]
    # the same first two, but no second page: only the first page's paginator differs
    shorter = {**sources.entries, slug: sources.entries[slug][:2]}
    variant = dataclasses.replace(
        model, taxonomies={**model.taxonomies, "sources": dataclasses.replace(sources, entries=shorter)}
    )
    page = planned(variant, settings, last)[f"sources/{slug}/index.html"]
    assert page is not last[f"sources/{slug}/index.html"] and page.context["paginator"].next_url is None
    # three to a page: the first page's share and every paginator differ
    pages = planned(model, dataclasses.replace(settings, per_page=3), last)
    assert pages[f"sources/{slug}/index.html"] is not last[f"sources/{slug}/index.html"]
    assert pages["2025/06/17/index.html"] is last["2025/06/17/index.html"]  # an edition: not paginated


def test_the_very_context_keeps_its_digest_only_while_nothing_was_changed_in_place():
    @dataclasses.dataclass(frozen=True)
    class Record:
        text: str

    hasher, record = ContextHasher(), Record("old")
    context = {"entry": record, "title": "T"}
    first = hasher.context_digest("a/", context)
    hasher.start()
    assert hasher.context_digest("a/", context) == first  # taken over without a look
    object.__setattr__(record, "text", "new")  # serve's short cut for body edits
    hasher.changed_in_place()
    hasher.start()
    assert hasher.context_digest("a/", context) == ContextHasher().digest({"entry": Record("new"), "title": "T"})
