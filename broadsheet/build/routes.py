"""The site model -> every page to write: its path, template and context.

A pure function of the model and settings. Contexts hold plain records only, so a
page's inputs can be fingerprinted later. A context is never changed once made: a page
whose context would hold the very objects the last build's page of that path held (equal
strings and numbers) is that page itself (`plan`'s `last`), so whatever was worked out from
it (its context's digest, what derives from that) is found by identity, not again.
"""

from __future__ import annotations

import math
import operator
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from broadsheet.build.config import Settings
from broadsheet.build.coverage import STORIES_PATH
from broadsheet.build.model import TAXONOMIES, SiteModel
from broadsheet.build.slugs import path_flaw
from broadsheet.problems import Problem

TAXONOMY_TITLES = {"tags": "Tags", "sections": "Sections", "sources": "Sources", "authors": "Authors"}


@dataclass(frozen=True)
class Paginator:
    number: int
    total: int
    previous_url: str | None
    next_url: str | None
    first_url: str


@dataclass(frozen=True)
class Page:
    path: str  # site-relative output file, e.g. "2025/06/19/index.html"
    url: str  # with the base path
    template: str
    context: dict[str, Any]
    # What later stages work out from this page alone (its claim, claims.of_pages), kept
    # with it: a page the next build takes over (plan's `last`) is not worked out again.
    # Each holds the context it was made from: a copy (dataclasses.replace) shares the dict.
    derived: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __reduce__(self) -> tuple[type[Page], tuple[str, str, str, dict[str, Any]]]:
        """Pickled (for serve's render workers) without `derived`: what this process worked
        out (claims, each pickled by Python code: 0.1-0.2 s of a template edit at 10,000)
        is of no use to a worker, which renders the page and works out nothing else."""
        return (Page, (self.path, self.url, self.template, self.context))


def output_file(path: str) -> str:
    """A page path ("a/b/" or "404.html") -> the file that holds it."""
    return path + "index.html" if path == "" or path.endswith("/") else path


def plan(model: SiteModel, settings: Settings, last: Mapping[str, Page] | None = None) -> list[Page]:
    """Every page of the site. `last`: the last build's pages by path (a serve session's),
    each taken again, the same object, wherever the new page would be equal to it and
    hold the same objects (see `_Planner`)."""
    planner = _Planner(settings, last or {})
    page = planner.page
    pages: list[Page] = []
    pages += planner.paginated("", "index.html", model.editions, settings.editions_per_page, "editions", {})
    for ed in model.editions:
        pages.append(page(ed.path, "edition.html", edition=ed, title=ed.key))
    pages += planner.articles(model)
    for kind in TAXONOMIES:
        taxonomy = model.taxonomies[kind]
        pages.append(page(f"{kind}/", "terms.html", taxonomy=taxonomy, title=TAXONOMY_TITLES[kind]))
        for term in taxonomy.terms:
            extra = {"term": term, "title": term.name, "kind": kind}
            pages += planner.paginated(
                f"{kind}/{term.slug}/", "term.html", taxonomy.entries[term.slug], settings.per_page, "entries", extra
            )
    pages += planner.paginated(STORIES_PATH, "stories.html", model.stories, settings.per_page, "stories",
                               {"title": "Stories"})  # fmt: skip
    for site_story in model.stories:
        pages.append(page(site_story.path, "story.html", coverage=site_story, title=site_story.title))
    pages.append(page("archive/", "archive.html", months=_months(model), title="Archive"))
    pages.append(page("search/", "search.html", title="Search"))
    pages.append(page("404.html", "404.html", title="Page not found"))
    return pages


class _Planner:
    """Pages made, or taken from `last` (the last build's, by path) when equal: the same
    path, URL, template and context keys, each value the very object it was, an equal
    string or number, a record equal in value (a paginator), or a new tuple of the very
    objects (a list page's share of a tuple, related stories). Templates read nothing
    else, so such a page renders as the last one did, as long as the records within are
    unchanged: which fingerprints, not this, decide (a body edit changes an entry in place)."""

    def __init__(self, settings: Settings, last: Mapping[str, Page]) -> None:
        self.settings, self.last = settings, last
        self.base = settings.base_path

    def page(self, path: str, template: str, **context: Any) -> Page:
        url = self.base + path
        context = {"page_url": url, **context}
        file = output_file(path)
        old = self.last.get(file)
        if old is not None and old.url == url and old.template == template and _same_context(context, old.context):
            return old
        return Page(file, url, template, context)

    def articles(self, model: SiteModel) -> list[Page]:
        """The articles' pages: each checked against the last without making its context
        first (10,000 of them; nearly all the last build's at a title edit)."""
        pages = []
        last, base, entry = self.last, self.base, model.by_url.get  # as model.entry: no URL is ""
        neighbours, related_urls, story_of = model.neighbours, model.related, model.story_of
        for e in model.entries:
            url = e.url
            older_url, newer_url = neighbours[url]
            older = entry(older_url) if older_url else None
            newer = entry(newer_url) if newer_url else None
            related = tuple(map(entry, related_urls[url]))
            coverage = story_of.get(url)
            old = last.get(output_file(e.path)) if last else None
            if old is not None and old.template == "article.html":
                context = old.context
                if (
                    context.get("entry") is e
                    and context.get("older") is older
                    and context.get("newer") is newer
                    and context.get("coverage") is coverage
                    and _same_items(context.get("related"), related)
                    and context.get("title") == e.article.title  # e.title, without Entry.__getattr__
                    and len(context) == ARTICLE_KEYS
                    and old.url == base + e.path
                ):
                    pages.append(old)
                    continue
            pages.append(
                self.page(e.path, "article.html", entry=e, title=e.article.title, older=older, newer=newer,
                          related=related, coverage=coverage)
            )  # fmt: skip
        return pages

    def paginated(self, path: str, template: str, items: Sequence, per_page: int, name: str, extra: dict) -> list[Page]:
        total = max(1, math.ceil(len(items) / per_page))
        base = self.base

        def page_path(n: int) -> str:
            return path if n == 1 else posixpath.join(path, f"page/{n}/")

        pages = []
        for n in range(1, total + 1):
            paginator = Paginator(
                number=n,
                total=total,
                previous_url=base + page_path(n - 1) if n > 1 else None,
                next_url=base + page_path(n + 1) if n < total else None,
                first_url=base + path,
            )
            chunk = tuple(items[(n - 1) * per_page : n * per_page])
            pages.append(self.page(page_path(n), template, **extra, **{name: chunk, "paginator": paginator}))
        return pages


ARTICLE_KEYS = 7  # page_url, entry, title, older, newer, related, coverage


def _same_context(new: dict[str, Any], old: dict[str, Any]) -> bool:
    if new.keys() != old.keys():
        return False
    for key, value in new.items():
        was = old[key]
        if value is was:
            continue
        kind = type(value)
        if kind is not type(was):
            return False
        if kind is str or kind is int:
            if value != was:
                return False
        elif kind is tuple:
            if not _same_items(value, was):
                return False
        elif kind is Paginator:
            if value != was:  # ints and strings, compared by value
                return False
        else:
            return False
    return True


def _same_items(new: Any, old: Any) -> bool:
    return type(new) is tuple and type(old) is tuple and len(new) == len(old) and all(map(operator.is_, new, old))


def too_long(pages: list[Page], room: int, fine: set[str] | None = None) -> list[Problem]:
    """Names no file system takes (a name over 255 bytes, a path too long for the output
    folder `room` bytes long) or Windows refuses (`aux`, a trailing dot), found before
    anything is written, naming the article and the key they came from. Slugs made from
    names never are such names (slugs.py): these come from article_url or a deep output.
    `fine`: paths already found fine with this `room` (a serve session keeps them), which
    gets the paths found fine now."""
    fine = set() if fine is None else fine
    problems = []
    for page in pages:
        if page.path in fine:
            continue
        flaw = path_flaw(page.path, room)
        if not flaw:
            fine.add(page.path)
        else:
            source, key = _origin(page)
            problems.append(Problem(source, 0, key, f"its page {page.path} {flaw}"))
    return problems


def _origin(page: Page) -> tuple[str, str]:
    """The content file and the key a page's address comes from."""
    if "entry" in page.context:
        return page.context["entry"].article.path, "slug"
    if page.template == "story.html":
        first = page.context["coverage"].entries[0].article
        return first.path, "story" if first.story else "slug"
    entries = page.context.get("entries") or ()
    if "term" in page.context and entries:
        return entries[0].article.path, page.context["kind"]
    return "", ""


@dataclass(frozen=True)
class Month:
    key: str  # "2025-06"
    label: str  # "June 2025"
    editions: tuple


def _months(model: SiteModel) -> tuple[Month, ...]:
    months: dict[str, list] = {}
    for edition in model.editions:  # newest first, so months come out newest first too
        months.setdefault(f"{edition.start:%Y-%m}", []).append(edition)
    return tuple(Month(key, f"{eds[0].start:%B %Y}", tuple(eds)) for key, eds in months.items())
