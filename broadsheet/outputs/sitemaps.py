"""sitemap.xml, news-sitemap.xml and robots.txt.

Like the feeds, these are a pure function of the pages, the model, the settings and the
`now` the build was given: a page's <lastmod> is the newest story it shows, never the time
of the build, so an unchanged site gives unchanged bytes.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from broadsheet.build.claims import Claim
from broadsheet.build.config import Settings
from broadsheet.build.model import Entry, Remember, SiteModel, compute_now
from broadsheet.build.routes import Page
from broadsheet.outputs.xml import document, document_with, leaf, sub, timestamp

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
MAX_URLS = 50_000  # per sitemap file, by the sitemaps.org protocol
NEWS_MAX = 1_000  # per news sitemap, by Google News
NEWS_WINDOW = timedelta(days=2)  # Google News reads only articles of the last two days
SITEMAP = "sitemap.xml"
NEWS_SITEMAP = "news-sitemap.xml"
ROBOTS = "robots.txt"
NOT_LISTED = {"404.html"}
GOOGLE_NEWS_LANGUAGES = {"zh-cn", "zh-tw"}  # the only region subtags Google News accepts


def sitemap_outputs(
    pages: list[Page],
    model: SiteModel,
    settings: Settings,
    now: datetime,
    *,
    limit: int = MAX_URLS,
    remember: Remember = compute_now,
    page_fingerprints: tuple = (),
    newest: Callable[[Page], datetime | None] | None = None,
    element: Callable[[str, datetime | None], bytes] | None = None,
) -> dict[str, bytes | None]:
    """Output path -> bytes (or None when `remember` knows the file on disk is right),
    for the sitemaps and robots.txt.

    The sitemap follows from the pages, so the fingerprints of all pages stand for it;
    the news sitemap from the stories of the last two days. `newest`: newest_shown, or
    one that remembers it by page (a page's context decides it); `element`: url_element,
    or one that remembers it.
    A site's own static/robots.txt wins over the generated one: the pipeline drops
    generated files that a static file replaces.
    """
    outputs = dict(
        remember(
            "sitemap",
            page_fingerprints or tuple(pages),
            lambda: sitemap_files(page_urls(pages, model, settings, newest), settings, limit, element),
        )
    )
    news = news_entries(model, now)
    outputs.update(remember("news sitemap", news, lambda: {NEWS_SITEMAP: news_sitemap(news, settings)}))
    outputs[ROBOTS] = robots_txt(settings)
    return outputs


def claims(pages: list[Page], limit: int = MAX_URLS) -> list[Claim]:
    """The paths sitemap_outputs will write, known before any is made. robots.txt is the
    one generated file a site's static/ may replace: it is a policy, often hand-written."""
    listed = sum(1 for page in pages if page.path not in NOT_LISTED)
    parts = [f"sitemap-{n + 1}.xml" for n in range(math.ceil(listed / limit))] if listed > limit else []
    return [
        *(Claim(name, "the sitemap") for name in [SITEMAP, *parts]),
        Claim(NEWS_SITEMAP, "the Google News sitemap"),
        Claim(ROBOTS, "the generated robots.txt", replaceable=True),
    ]


# --- sitemap.xml ---------------------------------------------------------------------------


def page_urls(
    pages: list[Page], model: SiteModel, settings: Settings, newest: Callable[[Page], datetime | None] | None = None
) -> list[tuple[str, datetime | None]]:
    """(absolute URL, lastmod) of every public page, in the order the routes list them."""
    site_newest = newest_change(model.entries)
    newest = newest or newest_shown
    origin = settings.origin  # a property: worked out once, not once a page
    urls = []
    for page in pages:
        if page.path in NOT_LISTED:
            continue
        urls.append((origin + page.url, newest(page) or site_newest))
    return urls


def newest_shown(
    page: Page, newest_of: Callable[[tuple[Entry, ...]], datetime | None] | None = None
) -> datetime | None:
    """When the newest story a page shows was last changed; None when it shows none.
    `newest_of`: the newest of a tuple of entries (newest_change), or one that remembers it by
    the tuple: a list of a whole taxonomy or of every edition is 10,000 entries and more,
    in tuples the model keeps while they hold the same entries."""
    newest_of = newest_of or newest_change
    # the first of the newest, as one max() over all the entries would find it
    return max((n for n in map(newest_of, _shown_tuples(page.context)) if n is not None), default=None)


def _shown_tuples(context: dict[str, Any]) -> Iterable[tuple[Entry, ...]]:
    """The stories a page shows, whatever the shape of its context, in the tuples that hold them."""
    if "entry" in context:
        yield (context["entry"],)
    if "edition" in context:
        yield context["edition"].entries
    for edition in context.get("editions", ()):
        yield edition.entries
    yield tuple(context.get("entries", ()))
    for month in context.get("months", ()):
        for edition in month.editions:
            yield edition.entries
    if "taxonomy" in context:
        yield from context["taxonomy"].entries.values()


def newest_change(entries: Iterable[Entry]) -> datetime | None:
    return max((e.article.updated or e.article.date for e in entries), default=None)


def sitemap_files(
    urls: list[tuple[str, datetime | None]],
    settings: Settings,
    limit: int = MAX_URLS,
    element: Callable[[str, datetime | None], bytes] | None = None,
) -> dict[str, bytes]:
    """One sitemap.xml, or, past `limit` URLs, sitemap-1.xml, ... and sitemap.xml as their index."""
    if len(urls) <= limit:
        return {SITEMAP: _urlset(urls, element)}
    outputs: dict[str, bytes] = {}
    index = ET.Element("sitemapindex", {"xmlns": SITEMAP_NS})
    for n in range(math.ceil(len(urls) / limit)):
        chunk = urls[n * limit : (n + 1) * limit]
        name = f"sitemap-{n + 1}.xml"
        outputs[name] = _urlset(chunk, element)
        entry = sub(index, "sitemap")
        sub(entry, "loc", settings.origin + settings.base_path + name)
        newest = max((when for _, when in chunk if when), default=None)
        if newest:
            sub(entry, "lastmod", timestamp(newest))
    outputs[SITEMAP] = document(index)
    return outputs


def _urlset(
    urls: list[tuple[str, datetime | None]], element: Callable[[str, datetime | None], bytes] | None = None
) -> bytes:
    """A <url> element (location, last change) per page, laid out as document() lays out
    the tree it stands for; written without the tree: at 10,000 articles, 15,000 pages."""
    root = ET.Element("urlset", {"xmlns": SITEMAP_NS})
    if not urls:
        return document(root)
    element = element or url_element
    return document_with(root, root, [element(loc, lastmod) for loc, lastmod in urls], 1)


def url_element(loc: str, lastmod: datetime | None) -> bytes:
    """One page's <url> element, as _urlset lays it out."""
    modified = b"\n    " + leaf("lastmod", timestamp(lastmod)) if lastmod else b""
    return b"<url>\n    " + leaf("loc", loc) + modified + b"\n  </url>"


# --- news-sitemap.xml ----------------------------------------------------------------------


def news_entries(model: SiteModel, now: datetime, limit: int = NEWS_MAX) -> tuple[Entry, ...]:
    """The newest stories published in the two days up to `now`, at most `limit` of them."""
    recent = [e for e in model.entries if now - NEWS_WINDOW <= e.article.date <= now]
    return tuple(recent[:limit])  # model.entries is newest first


def news_sitemap(entries: tuple[Entry, ...], settings: Settings) -> bytes:
    """Google News sitemap: written even when empty, as robots.txt names it."""
    root = ET.Element("urlset", {"xmlns": SITEMAP_NS, "xmlns:news": NEWS_NS})
    for entry in entries:
        url = sub(root, "url")
        sub(url, "loc", settings.origin + entry.url)
        news = sub(url, "news:news")
        publication = sub(news, "news:publication")
        sub(publication, "news:name", settings.publication)
        sub(publication, "news:language", news_language(entry.article.lang or settings.language))
        sub(news, "news:publication_date", timestamp(entry.article.date))
        sub(news, "news:title", entry.article.title)
    return document(root)


def news_language(tag: str) -> str:
    """A BCP 47 tag -> the ISO 639 code Google News expects ('pt-BR' -> 'pt'; zh-cn, zh-tw kept)."""
    tag = tag.lower()
    return tag if tag in GOOGLE_NEWS_LANGUAGES else tag.split("-")[0]


# --- robots.txt ----------------------------------------------------------------------------


def robots_txt(settings: Settings) -> bytes:
    root = settings.origin + settings.base_path
    return f"User-agent: *\nAllow: /\n\nSitemap: {root}{SITEMAP}\nSitemap: {root}{NEWS_SITEMAP}\n".encode()
