"""The site model -> every page to write: its path, template and context.

A pure function of the model and settings. Contexts hold plain records only, so a
page's inputs can be fingerprinted later.
"""

from __future__ import annotations

import math
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
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


def output_file(path: str) -> str:
    """A page path ("a/b/" or "404.html") -> the file that holds it."""
    return path + "index.html" if path == "" or path.endswith("/") else path


def plan(model: SiteModel, settings: Settings) -> list[Page]:
    pages: list[Page] = []
    pages += _paginated(settings, "", "index.html", model.editions, settings.editions_per_page, "editions", {})
    for ed in model.editions:
        pages.append(_page(settings, ed.path, "edition.html", edition=ed, title=ed.key))
    for e in model.entries:
        older, newer = model.neighbours[e.url]
        pages.append(
            _page(settings, e.path, "article.html", entry=e, title=e.title,
                  older=model.entry(older), newer=model.entry(newer),
                  related=tuple(model.entry(u) for u in model.related[e.url]),
                  coverage=model.story_of.get(e.url))
        )  # fmt: skip
    for kind in TAXONOMIES:
        taxonomy = model.taxonomies[kind]
        pages.append(_page(settings, f"{kind}/", "terms.html", taxonomy=taxonomy, title=TAXONOMY_TITLES[kind]))
        for term in taxonomy.terms:
            extra = {"term": term, "title": term.name, "kind": kind}
            pages += _paginated(
                settings,
                f"{kind}/{term.slug}/",
                "term.html",
                taxonomy.entries[term.slug],
                settings.per_page,
                "entries",
                extra,
            )
    pages += _paginated(settings, STORIES_PATH, "stories.html", model.stories, settings.per_page, "stories",
                        {"title": "Stories"})  # fmt: skip
    for site_story in model.stories:
        pages.append(_page(settings, site_story.path, "story.html", coverage=site_story, title=site_story.title))
    pages.append(_page(settings, "archive/", "archive.html", months=_months(model), title="Archive"))
    pages.append(_page(settings, "search/", "search.html", title="Search"))
    pages.append(_page(settings, "404.html", "404.html", title="Page not found"))
    return pages


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


def _page(settings: Settings, path: str, template: str, **context: Any) -> Page:
    url = settings.base_path + path
    return Page(output_file(path), url, template, {"page_url": url, **context})


def _paginated(
    settings: Settings, path: str, template: str, items: Sequence, per_page: int, name: str, extra: dict
) -> list[Page]:
    total = max(1, math.ceil(len(items) / per_page))

    def page_path(n: int) -> str:
        return path if n == 1 else posixpath.join(path, f"page/{n}/")

    pages = []
    for n in range(1, total + 1):
        paginator = Paginator(
            number=n,
            total=total,
            previous_url=settings.base_path + page_path(n - 1) if n > 1 else None,
            next_url=settings.base_path + page_path(n + 1) if n < total else None,
            first_url=settings.base_path + path,
        )
        chunk = tuple(items[(n - 1) * per_page : n * per_page])
        pages.append(_page(settings, page_path(n), template, **extra, **{name: chunk, "paginator": paginator}))
    return pages
