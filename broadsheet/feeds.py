"""Atom, RSS 2.0 and JSON Feed 1.1 for the site and for each tag, section and source.

Every feed is a pure function of the model and the settings: nothing here reads the
clock, so the same site gives the same bytes (a feed's `updated` is its newest story's).
Each entry becomes one format-neutral `Item` first; the three writers only lay it out.
"""

from __future__ import annotations

import json
import posixpath
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from html import escape
from html.parser import HTMLParser
from typing import Callable
from urllib.parse import quote, urljoin, urlsplit

from broadsheet.config import Settings
from broadsheet.model import Entry, Remember, SiteModel, compute_now
from broadsheet.scan import BUNDLE_INDEX

ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
MEDIA_NS = "http://search.yahoo.com/mrss/"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
GENERATOR = "Broadsheet"
TERM_FEEDS = ("tags", "sections", "sources")  # authors get pages, not feeds
FEED_FILES = {"atom": "feed.xml", "rss": "rss.xml", "json": "feed.json"}
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)  # `updated` of a feed with no stories: fixed, never the build time
# A fixed table rather than mimetypes, whose answers depend on the machine's /etc/mime.types.
IMAGE_TYPES = {
    ".avif": "image/avif", ".gif": "image/gif", ".jpeg": "image/jpeg", ".jpg": "image/jpeg",
    ".png": "image/png", ".svg": "image/svg+xml", ".webp": "image/webp",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "poster", "cite", "action", "background", "longdesc"}
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # no XML 1.0 document may hold these
TERM_DESCRIPTIONS = {"tags": "Stories tagged {name}", "sections": "Stories in {name}", "sources": "Stories reported by {name}"}


@dataclass(frozen=True)
class Item:
    """One story as every feed format needs it: absolute URLs, chosen HTML, final dates."""

    id: str
    title: str
    url: str
    original_url: str
    source: str
    published: datetime
    updated: datetime
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    image: str
    image_type: str
    image_alt: str
    summary_html: str
    summary_text: str
    content_html: str  # the body, or the summary when feed.content is "summary"
    full: bool  # whether content_html is the whole article
    lang: str


@dataclass(frozen=True)
class Feed:
    folder: str  # site-relative folder of the feed files: "" or "tags/climate/"
    title: str
    description: str
    page_url: str  # absolute URL of the HTML page the feed mirrors
    items: tuple[Item, ...]

    def url(self, settings: Settings, kind: str) -> str:
        return settings.origin + settings.base_path + self.folder + FEED_FILES[kind]

    @property
    def updated(self) -> datetime:
        return max((item.updated for item in self.items), default=EPOCH)


@dataclass(frozen=True)
class FeedSpec:
    """What a feed is made from, before any entry is laid out: its fingerprint is the
    key under which its bytes are remembered from one build to the next."""

    folder: str
    title: str
    description: str
    page_url: str
    entries: tuple[Entry, ...]


def feed_outputs(model: SiteModel, settings: Settings, remember: Remember = compute_now) -> dict[str, bytes | None]:
    """Output path -> feed bytes, or None when `remember` knows the file on disk is
    already right; it may also hand back an entry's item from an earlier build."""
    outputs: dict[str, bytes | None] = {}
    for spec in _specs(model, settings):
        outputs.update(remember("feed", spec, lambda spec=spec: _lay_out(spec, settings, remember)))
    return outputs


def _specs(model: SiteModel, settings: Settings) -> list[FeedSpec]:
    """The site feed, then one per tag, section and source (only published entries: the model's)."""
    limit = settings.feed.entries
    home = settings.origin + settings.base_path
    specs = [FeedSpec("", settings.title, settings.description or settings.title, home, model.entries[:limit])]
    for kind in TERM_FEEDS:
        taxonomy = model.taxonomies[kind]
        for term in taxonomy.terms:
            specs.append(
                FeedSpec(
                    folder=f"{kind}/{term.slug}/",
                    title=f"{settings.title}: {term.name}",
                    description=TERM_DESCRIPTIONS[kind].format(name=term.name),
                    page_url=settings.origin + term.url,
                    entries=taxonomy.entries[term.slug][:limit],
                )
            )
    return specs


def _lay_out(spec: FeedSpec, settings: Settings, remember: Remember) -> dict[str, bytes]:
    # A story in many term feeds is laid out once.
    items = tuple(remember("feed item", e, lambda e=e: make_item(e, settings)) for e in spec.entries)
    feed = Feed(spec.folder, spec.title, spec.description, spec.page_url, items)
    return {
        feed.folder + FEED_FILES["atom"]: atom(feed, settings),
        feed.folder + FEED_FILES["rss"]: rss(feed, settings),
        feed.folder + FEED_FILES["json"]: json_feed(feed, settings),
    }


# --- one entry -> Item -------------------------------------------------------------------


def make_item(entry: Entry, settings: Settings) -> Item:
    article = entry.article
    url = settings.origin + entry.url
    full = settings.feed.content == "full"
    image = urljoin(url, entry.image.src) if entry.image else ""
    return Item(
        id=entry_id(entry, settings),
        title=article.title,
        url=url,
        original_url=article.original_url,
        source=entry.source.name if entry.source else "",
        published=article.date,
        updated=article.updated or article.date,
        authors=tuple(a.name for a in entry.authors) or (entry.source.name if entry.source else settings.title,),
        categories=tuple(t.name for t in entry.tags),
        image=image,
        image_type=IMAGE_TYPES.get(posixpath.splitext(urlsplit(image).path)[1].lower(), ""),
        image_alt=entry.image.alt if entry.image else "",
        summary_html=absolute_links(entry.summary_html, url),
        summary_text=article.summary_text,
        content_html=absolute_links(entry.body_html if full else entry.summary_html, url),
        full=full,
        lang=article.lang,
    )


def entry_id(entry: Entry, settings: Settings) -> str:
    """A tag URI (RFC 4151) from the article's file and date, so that a new title, slug,
    URL pattern or theme never makes readers see a story twice; front matter `id` wins."""
    pinned = entry.article.extra.get("id")
    if isinstance(pinned, (str, int)) and not isinstance(pinned, bool) and str(pinned).strip():
        return str(pinned).strip()
    host = urlsplit(settings.base_url).hostname or "localhost"
    rel = entry.article.path.removeprefix("content/")
    if posixpath.basename(rel) == BUNDLE_INDEX:
        rel = posixpath.dirname(rel)  # a bundle is its folder
    else:
        rel = rel.removesuffix(".md")
    return f"tag:{host},{entry.article.date.date().isoformat()}:{quote(rel, safe='/')}"


class _LinkFinder(HTMLParser):
    """Collects (start offset, end offset, new text) for each start tag whose URLs change."""

    def __init__(self, change: Callable[[str], str], line_starts: list[int]):
        super().__init__(convert_charrefs=False)
        self.change, self.line_starts = change, line_starts
        self.edits: list[tuple[int, int, str]] = []

    def handle_starttag(self, tag, attrs):
        self._rewrite(tag, attrs, ">")

    def handle_startendtag(self, tag, attrs):
        self._rewrite(tag, attrs, " />")

    def _rewrite(self, tag: str, attrs: list[tuple[str, str | None]], close: str) -> None:
        new = [(name, _change_attribute(name, value, self.change)) for name, value in attrs]
        if new == attrs:
            return
        line, column = self.getpos()
        start = self.line_starts[line - 1] + column
        text = "".join(f" {n}" if v is None else f' {n}="{escape(v)}"' for n, v in new)
        self.edits.append((start, start + len(self.get_starttag_text()), f"<{tag}{text}{close}"))


def absolute_links(html: str, base: str) -> str:
    """Relative URLs in href, src, srcset (and the like) resolved against `base`.

    Feed readers show an entry away from its page, so `/digest/x/` or a bundle's
    `chart.svg` would point nowhere.
    """
    return rewrite_urls(html, lambda url: _absolute(url, base))


def rewrite_urls(html: str, change: Callable[[str], str]) -> str:
    """Every URL in href, src, srcset (and the like) passed through `change`. Only the
    start tags that change are rewritten; every other byte of the HTML is kept as it was."""
    line_starts = [0] + [m.end() for m in re.finditer("\n", html)]  # HTMLParser counts lines by \n only
    finder = _LinkFinder(change, line_starts)
    finder.feed(html)
    finder.close()
    parts, last = [], 0
    for start, end, text in finder.edits:
        parts += [html[last:start], text]
        last = end
    return "".join(parts) + html[last:]


def _change_attribute(name: str, value: str | None, change: Callable[[str], str]) -> str | None:
    if value is None:
        return None
    if name in URL_ATTRIBUTES:
        return change(value)
    if name in ("srcset", "imagesrcset"):
        candidates = (c.strip().split(None, 1) for c in value.split(",") if c.strip())
        return ", ".join(" ".join([change(c[0]), *c[1:]]) for c in candidates)
    return value


def _absolute(url: str, base: str) -> str:
    url = url.strip()
    if not url or urlsplit(url).scheme:  # already absolute, or mailto:, data:, ...
        return url
    return urljoin(base, url)


# --- writers -------------------------------------------------------------------------------
# Namespace prefixes are written as declared attributes on the root rather than through
# ET.register_namespace, whose registry is process-wide state shared with every other module.


def _sub(parent: ET.Element, tag: str, text: str | None = None, attrs: dict[str, str] | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in (attrs or {}).items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def xml_text(text: str) -> str:
    """Text without the control characters XML forbids: ElementTree would write them
    as they are, and one stray form feed in an article would break the whole feed."""
    return XML_ILLEGAL.sub("", text)


def _xml(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _rfc3339(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


def atom(feed: Feed, settings: Settings) -> bytes:
    """RFC 4287."""
    root = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": settings.language})
    _sub(root, "title", feed.title)
    _sub(root, "subtitle", feed.description)
    _sub(root, "link", attrs={"rel": "self", "type": "application/atom+xml", "href": feed.url(settings, "atom")})
    _sub(root, "link", attrs={"rel": "alternate", "type": "text/html", "href": feed.page_url})
    _sub(root, "id", feed.page_url)
    _sub(root, "updated", _rfc3339(feed.updated))
    _sub(_sub(root, "author"), "name", settings.title)
    _sub(root, "generator", GENERATOR)
    for item in feed.items:
        entry = _sub(root, "entry", attrs={"xml:lang": item.lang} if item.lang else None)
        _sub(entry, "title", item.title)
        _sub(entry, "link", attrs={"rel": "alternate", "type": "text/html", "href": item.url})
        if item.original_url:
            _sub(entry, "link", attrs={"rel": "related", "type": "text/html", "href": item.original_url})
        if item.image:
            attrs = {"rel": "enclosure", "href": item.image} | ({"type": item.image_type} if item.image_type else {})
            _sub(entry, "link", attrs=attrs)
        _sub(entry, "id", item.id)
        _sub(entry, "published", _rfc3339(item.published))
        _sub(entry, "updated", _rfc3339(item.updated))
        for name in item.authors:
            _sub(_sub(entry, "author"), "name", name)
        for name in item.categories:
            _sub(entry, "category", attrs={"term": name})
        _sub(entry, "summary", item.summary_html, {"type": "html"})
        if item.full:
            _sub(entry, "content", item.content_html, {"type": "html"})
    return _xml(root)


def rss(feed: Feed, settings: Settings) -> bytes:
    """RSS 2.0, with Atom's self link, Dublin Core authors and a Media RSS image
    (RSS's own <enclosure> demands a byte length we do not know for remote images)."""
    root = ET.Element("rss", {"version": "2.0", "xmlns:atom": ATOM_NS, "xmlns:dc": DC_NS, "xmlns:media": MEDIA_NS})
    channel = _sub(root, "channel")
    _sub(channel, "title", feed.title)
    _sub(channel, "link", feed.page_url)
    _sub(channel, "description", feed.description)
    _sub(channel, "language", settings.language)
    _sub(channel, "generator", GENERATOR)
    _sub(channel, "lastBuildDate", format_datetime(feed.updated))
    _sub(channel, "atom:link", attrs={"href": feed.url(settings, "rss"), "rel": "self", "type": "application/rss+xml"})
    for item in feed.items:
        element = _sub(channel, "item")
        _sub(element, "title", item.title)
        _sub(element, "link", item.url)
        _sub(element, "guid", item.id, {"isPermaLink": "false"})
        _sub(element, "pubDate", format_datetime(item.published))
        for name in item.authors:
            _sub(element, "dc:creator", name)
        for name in item.categories:
            _sub(element, "category", name)
        _sub(element, "description", item.content_html + _original_line(item))
        if item.image:
            attrs = {"url": item.image, "medium": "image"} | ({"type": item.image_type} if item.image_type else {})
            media = _sub(element, "media:content", attrs=attrs)
            if item.image_alt:
                _sub(media, "media:description", item.image_alt, {"type": "plain"})
    return _xml(root)


def _original_line(item: Item) -> str:
    """RSS has no link relation for the original report, so it goes in the text."""
    if not item.original_url:
        return ""
    label = f"Read at {item.source}" if item.source else "Read the original report"
    return f'\n<p><a href="{escape(item.original_url)}">{escape(label)}</a></p>'


def json_feed(feed: Feed, settings: Settings) -> bytes:
    """JSON Feed 1.1; keys in a fixed order, absent values left out."""
    document = {
        "version": JSON_FEED_VERSION,
        "title": feed.title,
        "home_page_url": feed.page_url,
        "feed_url": feed.url(settings, "json"),
        "description": feed.description,
        "language": settings.language,
        "authors": [{"name": settings.title}],
        "items": [_json_item(item) for item in feed.items],
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _json_item(item: Item) -> dict:
    fields = {
        "id": item.id,
        "url": item.url,
        "external_url": item.original_url,
        "title": item.title,
        "content_html": item.content_html,
        "summary": item.summary_text,
        "image": item.image,
        "date_published": _rfc3339(item.published),
        "date_modified": _rfc3339(item.updated),
        "authors": [{"name": name} for name in item.authors],
        "tags": list(item.categories),
        "language": item.lang,
    }
    return {key: value for key, value in fields.items() if value or key == "content_html"}
