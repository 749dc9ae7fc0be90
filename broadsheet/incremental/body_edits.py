"""After a save in `serve`: edits that changed only articles' bodies are applied to the
last build's model in place. Each article's own page, the feeds that carry it and the
search index are made again; nothing else can show a body, so nothing else is looked at
(milliseconds at 10,000 articles, where a full rebuild takes seconds).

That holds only while the templates keep bodies on their own pages, which is checked
when the snapshot is taken (fingerprint.bodies_stay_on_their_page), and while the
stories stay as they were: a body's opening feeds story grouping, so the edited articles
are regrouped (one window each, in the model's kept `grouping`) and an edit that joins or
splits stories gets the full build. So does everything else: a file created, deleted
or renamed, a change of front matter, summary or reading time, a template, static file or
the settings, a new problem, and the moment an article's publication or news-sitemap status changes with the clock.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2

from broadsheet.build import content, coverage, model, render
from broadsheet.build.config import Settings
from broadsheet.build.content import Article, Parsed
from broadsheet.build.markup import MarkdownRenderer
from broadsheet.build.model import Entry, SiteModel  # by name: Snapshot's field `model` hides the module
from broadsheet.build.routes import Page
from broadsheet.build.scan import SourceFile
from broadsheet.incremental.fingerprint import BODY_FIELDS, bodies_stay_on_their_page
from broadsheet.outputs import feeds
from broadsheet.outputs.search import INDEX_PATH, SearchIndex
from broadsheet.outputs.sitemaps import NEWS_WINDOW
from broadsheet.problems import Problem


@dataclass
class Snapshot:
    """What a serve session keeps of its last full build. The maps by file and by URL are
    made from the build's lists when first asked for (`ready`), not while the browser
    waits for the build: a serve session asks once it has told the browser to reload."""

    site_dir: Path
    settings: Settings
    env: jinja2.Environment
    common: dict[str, Any]
    model: SiteModel
    source_list: list[SourceFile]  # every article file, drafts too
    article_list: list[Article]
    page_list: list[Page]  # every page of the build
    page_count: int  # pages of the whole site
    problems: list[Problem]  # the build's, all of them
    static: frozenset[str]  # output paths that static files take (a generated file there is dropped)
    search: SearchIndex | None  # None when the build reused the index file from disk
    valid_until: datetime | None  # the next moment the clock changes what is published
    renderer: MarkdownRenderer = dataclasses.field(default_factory=MarkdownRenderer)
    # Set when `apply` changed an entry of the model in place, which digests taken over from
    # the build that made it must not hide (fingerprint.ContextHasher.changed_in_place)
    changed_in_place: bool = False

    @functools.cached_property
    def sources(self) -> dict[str, SourceFile]:
        """Every article file, drafts too, by site-relative path."""
        return {s.rel: s for s in self.source_list}

    @functools.cached_property
    def articles(self) -> dict[str, Article]:
        """Article file -> its article (`apply` puts an edited one in)."""
        return {a.path: a for a in self.article_list}

    @functools.cached_property
    def entries(self) -> dict[str, Entry]:
        """Article file -> its entry (published ones)."""
        return {e.article.path: e for e in self.model.entries}

    @functools.cached_property
    def pages(self) -> dict[str, Page]:
        """Article file -> its page."""
        return {p.context["entry"].article.path: p for p in self.page_list if "entry" in p.context}

    @functools.cached_property
    def urls(self) -> dict[str, str]:
        """Article file -> its output folder."""
        return {e.article.path: e.path for e in self.model.entries}

    @functools.cached_property
    def numbers(self) -> dict[str, int]:
        """Entry URL -> its place in the model's order (and the search index's)."""
        return {e.url: n for n, e in enumerate(self.model.entries)}


@dataclass
class BodyEdits:
    outputs: dict[str, bytes]  # output files made again
    parsed: Mapping[str, tuple[str, Parsed]]  # article file -> its new cache key and parse
    rendered: int


@dataclass(frozen=True)
class Made:
    """What a full build made, as the pipeline hands it over for the next build to build on."""

    settings: Settings
    env: jinja2.Environment
    common: dict[str, Any]
    model: SiteModel
    sources: list[SourceFile]
    articles: list[Article]
    pages: list[Page]  # every page, newsletter pages too
    problems: list[Problem]
    static: frozenset[str]  # output paths that static files take
    now: datetime


def take(
    site_dir: Path,
    made: Made,
    search: SearchIndex | None,
    until: datetime | None,
    stay: Callable[[], bool] | None = None,
) -> Snapshot | None:
    """A snapshot of a build, or None when its templates may show a body elsewhere;
    `until`: valid_until of the build's articles; `stay`: bodies_stay of the build's pages
    when the caller remembers it. Its maps are made when first asked for (`ready`)."""
    pages = made.pages
    if not (stay() if stay is not None else bodies_stay(made.env, pages)):
        return None
    return Snapshot(
        site_dir, made.settings, made.env, made.common, made.model, made.sources, made.articles, pages,
        page_count=len(pages), problems=made.problems, static=made.static, search=search,
        valid_until=until,
    )  # fmt: skip


def ready(snapshot: Snapshot) -> None:
    """Make the snapshot's maps now, so the next body edit need not (a serve session calls
    this once the browser has been told to reload: at 10,000 articles the maps cost a
    title edit 40 ms before the reload otherwise)."""
    for name in ("sources", "articles", "entries", "pages", "urls", "numbers"):
        getattr(snapshot, name)


def bodies_stay(
    env: jinja2.Environment,
    pages: list[Page],
    reads: dict[tuple[str, bool], bool] | None = None,
    known: dict[str, set[str] | None] | None = None,
) -> bool:
    """Whether these pages' templates show an article's body on its own page alone (see
    fingerprint.bodies_stay_on_their_page, and its `reads` and `known`); False when a
    template cannot be read."""
    entry_templates = {p.template for p in pages if "entry" in p.context}
    other_templates = {p.template for p in pages if "entry" not in p.context}
    try:
        return bodies_stay_on_their_page(env, entry_templates, other_templates, reads, known)
    except (jinja2.TemplateError, OSError):
        return False


def valid_until(articles: list[Article], now: datetime) -> datetime | None:
    """When an article comes out (future-dated) or leaves the news sitemap's window."""
    moments = (m for a in articles for m in (a.date, a.date + NEWS_WINDOW) if m > now)
    return min(moments, default=None)


def apply(snapshot: Snapshot, changed: set[str], now: datetime) -> BodyEdits | None:
    """The files that change when `changed` (site-relative paths) were edited in their
    bodies only; None when anything else changed, and the full build must run."""
    if not changed or not changed <= snapshot.sources.keys():
        return None
    if snapshot.valid_until is not None and now >= snapshot.valid_until:
        return None
    edits = _parse_edits(snapshot, changed)
    if edits is None:
        return None
    entries = snapshot.entries
    bodies = {}
    for rel, (_, (article, problems)) in edits.items():
        link_problems: list[Problem] = []
        if rel in entries:
            bodies[rel], link_problems = model.new_body(
                article, snapshot.urls, snapshot.articles.keys(), snapshot.settings
            )
        if set(problems + link_problems) != {p for p in snapshot.problems if p.path == rel}:
            return None
    if not _same_stories(
        snapshot, {entries[rel].url: article for rel, (_, (article, _)) in edits.items() if rel in bodies}
    ):
        return None
    for rel, (_, (article, _)) in edits.items():
        snapshot.articles[rel] = article
        if rel in bodies:
            snapshot.changed_in_place = True
            model.put_body(entries[rel], article, bodies[rel])
    return _outputs(snapshot, [entries[rel] for rel in sorted(bodies)], edits)


def _parse_edits(snapshot: Snapshot, changed: set[str]) -> dict[str, tuple[str, tuple[Article, list[Problem]]]] | None:
    parse_settings = content.ParseSettings.of(snapshot.settings)
    if snapshot.renderer.extensions != parse_settings.extensions:  # made before the settings were known
        snapshot.renderer = MarkdownRenderer(parse_settings.extensions)
    edits: dict[str, tuple[str, tuple[Article, list[Problem]]]] = {}
    for rel in sorted(changed):
        source = snapshot.sources[rel]
        raw = content.read_bytes(source)
        if isinstance(raw, Problem):
            return None
        article, problems = content.parse(source, raw, parse_settings, snapshot.renderer)
        if article is None or not same_but_body(snapshot.articles[rel], article):
            return None
        edits[rel] = (content.cache_key(source, content.digest(raw), parse_settings), (article, problems))
    return edits


def same_but_body(old: Article, new: Article) -> bool:
    """The same article but for its body, and so for the terms story grouping reads of
    its opening (the caller checks that the stories come out the same)."""
    return dataclasses.replace(new, **{name: getattr(old, name) for name in (*BODY_FIELDS, "story_terms")}) == old


def _same_stories(snapshot: Snapshot, edited: dict[str, Article]) -> bool:
    """Whether the stories stay as they are with these articles' new bodies (entry URL ->
    article): a body's opening feeds its story's terms, so an edit may join or split
    stories, which shows on editions, story pages, other articles' pages and the feeds."""
    grouping = snapshot.model.grouping
    if grouping is None:  # nothing to regroup from: only an edit that leaves the terms as they were
        return all(snapshot.model.by_url[url].article.story_terms == a.story_terms for url, a in edited.items())
    return coverage.same_after_edits(grouping, edited)


def _outputs(snapshot: Snapshot, entries: list[Entry], edits: Mapping[str, tuple[str, Parsed]]) -> BodyEdits | None:
    pages = [snapshot.pages[e.article.path] for e in entries]
    result = render.render_pages(pages, snapshot.env, snapshot.site_dir, snapshot.common)
    if result.problems:
        return None
    outputs: dict[str, bytes] = {path: html for path, html in result.pages.items() if html is not None}
    if entries:
        outputs.update(feeds.feeds_showing(snapshot.model, snapshot.settings, {e.url for e in entries}))
        outputs[INDEX_PATH] = _search_index(snapshot, entries)
    outputs = {path: data for path, data in outputs.items() if path not in snapshot.static}
    return BodyEdits(outputs, edits, result.rendered)


def prepare(snapshot: Snapshot) -> None:
    """What the first edit would otherwise make, made now (serve's warm-up): the search index,
    when the build took the index file as it was on disk. The next body edit replaces one
    document in it, and a title edit makes its own from it (2 s at 10,000 articles)."""
    if snapshot.search is None:
        snapshot.search = SearchIndex.build(snapshot.model, snapshot.settings.language)


def _search_index(snapshot: Snapshot, entries: list[Entry]) -> bytes:
    if snapshot.search is None:
        prepare(snapshot)
        assert snapshot.search is not None
    else:
        for entry in entries:
            snapshot.search.replace(snapshot.numbers[entry.url], entry)
    return snapshot.search.encode()
