"""Atom, RSS 2.0 and JSON Feed 1.1 for the site and for each tag, section and source.

Every feed is a pure function of the model and the settings: nothing here reads the
clock, so the same site gives the same bytes (a feed's `updated` is its newest story's).
Each entry becomes one format-neutral `Item` first; the three writers only lay it out.
"""

from __future__ import annotations

import json
import posixpath
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import partial
from html import escape
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from broadsheet.build.claims import TERM_KEYS, Claim
from broadsheet.build.config import Settings
from broadsheet.build.html import absolute_links
from broadsheet.build.model import Entry, Remember, SiteModel, compute_now
from broadsheet.build.scan import BUNDLE_INDEX
from broadsheet.outputs.xml import document_with, fragment, sub, timestamp
from broadsheet.theme.localise import Localiser

ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
MEDIA_NS = "http://search.yahoo.com/mrss/"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
TO_JSON = json.JSONEncoder(ensure_ascii=False)  # as json.dumps(value, ensure_ascii=False), made once
ITEM_MARGIN = " " * 4  # where a JSON Feed's items stand: in "items", in the top object
GENERATOR = "Broadsheet"
EXTENSION = "_broadsheet"  # JSON Feed items' key for what the format has no field for: the item's story
TERM_FEEDS = ("tags", "sections", "sources")  # authors get pages, not feeds
FEED_FILES = {"atom": "feed.xml", "rss": "rss.xml", "json": "feed.json"}
FORMAT_NAMES = {"atom": "Atom", "rss": "RSS", "json": "JSON"}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # `updated` of a feed with no stories: fixed, never the build time
# A fixed table rather than mimetypes, whose answers depend on the machine's /etc/mime.types.
IMAGE_TYPES = {
    ".avif": "image/avif", ".gif": "image/gif", ".jpeg": "image/jpeg", ".jpg": "image/jpeg",
    ".png": "image/png", ".svg": "image/svg+xml", ".webp": "image/webp",
}  # fmt: skip


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
    read_at: str = ""  # the link to the original report, in the story's language (RSS puts it in the text)
    story: StoryLink | None = None  # the coverage of one event this report is part of (issue 20)


@dataclass(frozen=True)
class StoryLink:
    """A story an entry belongs to, as its feeds name it: the story page's absolute URL and
    its title. Plain, so that an item's fingerprint changes when its story does (an article
    joins and the lead's title becomes the story's) and with nothing else of the story."""

    url: str
    title: str


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
    stories: tuple[StoryLink | None, ...] = ()  # each entry's story, in the entries' order


def feed_outputs(
    model: SiteModel, settings: Settings, remember: Remember = compute_now
) -> Iterator[dict[str, bytes | None]]:
    """Each feed's files, one feed at a time (at 10,000 articles they come to 100 MB, so
    a caller writes them as they come): output path -> bytes, or None when `remember`
    knows the file on disk is already right; it may also hand back an entry's item from
    an earlier build."""
    fragments: dict[tuple[str, Item], bytes] = {}  # (format, item) -> its bytes in that format, for this build
    for spec in _specs(model, settings):
        yield remember("feed", spec, partial(_lay_out, spec, settings, remember, fragments))


def feeds_showing(model: SiteModel, settings: Settings, urls: set[str]) -> dict[str, bytes]:
    """Output path -> bytes of just the feeds that carry one of these entries: after an
    edit of their bodies, the only feeds that can change."""
    outputs: dict[str, bytes] = {}
    for spec in _specs(model, settings, carrying=urls):
        outputs.update(_lay_out(spec, settings, compute_now))
    return outputs


def claims(model: SiteModel, settings: Settings) -> list[Claim]:
    """Every feed file's path, before any feed is laid out; a term's feeds are named by a
    file that gives the term, and the key it is given under."""
    found = []
    for spec in _specs(model, settings):
        kind = spec.folder.partition("/")[0]
        source = spec.entries[0].article.path if kind and spec.entries else ""
        key = TERM_KEYS[kind] if source else ""
        of = f"of {spec.folder}" if kind else "of the site"
        found += [
            Claim(spec.folder + name, f"the {FORMAT_NAMES[fmt]} feed {of}", source, key)
            for fmt, name in FEED_FILES.items()
        ]
    return found


def _specs(model: SiteModel, settings: Settings, carrying: set[str] | None = None) -> list[FeedSpec]:
    """The site feed, then one per tag, section and source (only published entries: the
    model's); `carrying`: only the feeds that carry one of these entry URLs, each made as
    it would be among all (a body edit's: 350 feeds' titles, descriptions and story links
    made for the one or two that carry the article were most of its feeds' time)."""
    limit = settings.feed.entries
    home = settings.origin + settings.base_path
    words = Localiser(settings.language, settings.phrases)
    link = _story_links(model, settings).get if carrying is None else partial(_story_link, model, settings)

    def spec(folder: str, title: str, description: str, page_url: str, entries: tuple[Entry, ...]) -> FeedSpec:
        return FeedSpec(folder, title, description, page_url, entries, tuple(link(e.url) for e in entries))

    def wanted(entries: tuple[Entry, ...]) -> bool:
        return carrying is None or any(e.url in carrying for e in entries)

    site_entries = model.entries[:limit]
    specs = []
    if wanted(site_entries):
        specs.append(spec("", settings.title, settings.description or settings.title, home, site_entries))
    for kind in TERM_FEEDS:
        taxonomy = model.taxonomies[kind]
        for term in taxonomy.terms:
            entries = taxonomy.entries[term.slug][:limit]
            if not wanted(entries):
                continue
            specs.append(
                spec(
                    folder=f"{kind}/{term.slug}/",
                    title=words.pgettext("feed_title", "%(site)s: %(name)s", site=settings.title, name=term.name),
                    description=_term_description(words, kind, term.name),
                    page_url=settings.origin + term.url,
                    entries=entries,
                )
            )
    return specs


def _story_links(model: SiteModel, settings: Settings) -> dict[str, StoryLink]:
    """Entry URL -> the link to its story's page, each story's made once."""
    links: dict[str, StoryLink] = {}
    for story in model.stories:
        link = StoryLink(settings.origin + story.url, story.title)
        links.update((e.url, link) for e in story.entries)
    return links


def _story_link(model: SiteModel, settings: Settings, url: str) -> StoryLink | None:
    """One entry's link to its story's page, as _story_links makes it (the model's
    `story_of` is made from its stories as that is)."""
    story = model.story_of.get(url)
    return StoryLink(settings.origin + story.url, story.title) if story is not None else None


def _term_description(words: Localiser, kind: str, name: str) -> str:
    if kind == "tags":
        return words.pgettext("stories_tagged", "Stories tagged %(name)s", name=name)
    if kind == "sections":
        return words.pgettext("stories_in", "Stories in %(name)s", name=name)
    return words.pgettext("stories_from", "Stories reported by %(name)s", name=name)


def _lay_out(spec: FeedSpec, settings: Settings, remember: Remember, fragments: dict | None = None) -> dict[str, bytes]:
    # A story in many term feeds is laid out once, and written out once in each format.
    # An item is remembered by its entry and its story's link: an article joining the story
    # (a new title for it) makes the item again, an edit of another story does not.
    stories = spec.stories or (None,) * len(spec.entries)
    items = tuple(
        remember("feed item", (e, story), partial(make_item, e, settings, story))
        for e, story in zip(spec.entries, stories, strict=True)
    )
    feed = Feed(spec.folder, spec.title, spec.description, spec.page_url, items)
    fragments = {} if fragments is None else fragments
    return {
        feed.folder + FEED_FILES["atom"]: atom(feed, settings, fragments),
        feed.folder + FEED_FILES["rss"]: rss(feed, settings, fragments),
        feed.folder + FEED_FILES["json"]: json_feed(feed, settings, fragments),
    }


# --- one entry -> Item -------------------------------------------------------------------


def make_item(entry: Entry, settings: Settings, story: StoryLink | None = None) -> Item:
    article = entry.article
    url = settings.origin + entry.url
    full = settings.feed.content == "full"
    image = urljoin(url, entry.image.src) if entry.image else ""
    words, lang = Localiser(settings.language, settings.phrases), article.lang or None
    if entry.source:
        read_at = words.pgettext("read_at", "Read at %(source)s", lang, source=entry.source.name)
    else:
        read_at = words.pgettext("read_original", "Read the original report", lang)
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
        read_at=read_at,
        story=story,
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


# --- writers -------------------------------------------------------------------------------
# Each writer builds a tree and leaves its bytes to broadsheet.outputs.xml, which writes the
# sitemaps too, so that every XML file of the site is cleaned and laid out alike.


def atom(feed: Feed, settings: Settings, fragments: dict | None = None) -> bytes:
    """RFC 4287."""
    root = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": settings.language})
    sub(root, "title", feed.title)
    sub(root, "subtitle", feed.description)
    sub(root, "link", attrs={"rel": "self", "type": "application/atom+xml", "href": feed.url(settings, "atom")})
    sub(root, "link", attrs={"rel": "alternate", "type": "text/html", "href": feed.page_url})
    sub(root, "id", feed.page_url)
    sub(root, "updated", timestamp(feed.updated))
    sub(sub(root, "author"), "name", settings.title)
    sub(root, "generator", GENERATOR)
    return document_with(
        root, root, [_item_bytes("atom", item, _element(_atom_entry, 1), fragments) for item in feed.items], 1
    )


def _atom_entry(item: Item) -> ET.Element:
    entry = ET.Element("entry", {"xml:lang": item.lang} if item.lang else {})
    sub(entry, "title", item.title)
    sub(entry, "link", attrs={"rel": "alternate", "type": "text/html", "href": item.url})
    if item.original_url:
        sub(entry, "link", attrs={"rel": "related", "type": "text/html", "href": item.original_url})
    if item.story:  # the page of the event's whole coverage; its title tells it from the original report
        story = item.story
        sub(entry, "link", attrs={"rel": "related", "type": "text/html", "href": story.url, "title": story.title})
    if item.image:
        attrs = {"rel": "enclosure", "href": item.image} | ({"type": item.image_type} if item.image_type else {})
        sub(entry, "link", attrs=attrs)
    sub(entry, "id", item.id)
    sub(entry, "published", timestamp(item.published))
    sub(entry, "updated", timestamp(item.updated))
    for name in item.authors:
        sub(sub(entry, "author"), "name", name)
    for name in item.categories:
        sub(entry, "category", attrs={"term": name})
    sub(entry, "summary", item.summary_html, {"type": "html"})
    if item.full:
        sub(entry, "content", item.content_html, {"type": "html"})
    return entry


def rss(feed: Feed, settings: Settings, fragments: dict | None = None) -> bytes:
    """RSS 2.0, with Atom's self link, Dublin Core authors and a Media RSS image
    (RSS's own <enclosure> demands a byte length we do not know for remote images)."""
    root = ET.Element("rss", {"version": "2.0", "xmlns:atom": ATOM_NS, "xmlns:dc": DC_NS, "xmlns:media": MEDIA_NS})
    channel = sub(root, "channel")
    sub(channel, "title", feed.title)
    sub(channel, "link", feed.page_url)
    sub(channel, "description", feed.description)
    sub(channel, "language", settings.language)
    sub(channel, "generator", GENERATOR)
    sub(channel, "lastBuildDate", format_datetime(feed.updated))
    sub(channel, "atom:link", attrs={"href": feed.url(settings, "rss"), "rel": "self", "type": "application/rss+xml"})
    return document_with(
        root, channel, [_item_bytes("rss", item, _element(_rss_item, 2), fragments) for item in feed.items], 2
    )


def _rss_item(item: Item) -> ET.Element:
    element = ET.Element("item")
    sub(element, "title", item.title)
    sub(element, "link", item.url)
    sub(element, "guid", item.id, {"isPermaLink": "false"})
    sub(element, "pubDate", format_datetime(item.published))
    for name in item.authors:
        sub(element, "dc:creator", name)
    for name in item.categories:
        sub(element, "category", name)
    if item.story:
        # RSS has no link relations; a category whose domain is the story page is plain RSS
        # 2.0, and readers show and filter by categories, so an event's reports gather under
        # its title there (an atom:link in an item most readers ignore).
        sub(element, "category", item.story.title, {"domain": item.story.url})
    sub(element, "description", item.content_html + _original_line(item))
    if item.image:
        attrs = {"url": item.image, "medium": "image"} | ({"type": item.image_type} if item.image_type else {})
        media = sub(element, "media:content", attrs=attrs)
        if item.image_alt:
            sub(media, "media:description", item.image_alt, {"type": "plain"})
    return element


def _item_bytes(kind: str, item: Item, write: Callable[[Item], bytes], fragments: dict | None) -> bytes:
    """An item in one format, written once per build however many feeds carry it."""
    if fragments is None:
        return write(item)
    key = (kind, item)
    if key not in fragments:
        fragments[key] = write(item)
    return fragments[key]


def _element(make: Callable[[Item], ET.Element], level: int) -> Callable[[Item], bytes]:
    """Item -> its element's bytes, for splicing at that depth of the feed."""
    return lambda item: fragment(make(item), level)


def _original_line(item: Item) -> str:
    """RSS has no link relation for the original report, so it goes in the text."""
    if not item.original_url:
        return ""
    return f'\n<p><a href="{escape(item.original_url)}">{escape(item.read_at)}</a></p>'


def json_feed(feed: Feed, settings: Settings, fragments: dict | None = None) -> bytes:
    """JSON Feed 1.1; keys in a fixed order, absent values left out."""
    document = {
        "version": JSON_FEED_VERSION,
        "title": feed.title,
        "home_page_url": feed.page_url,
        "feed_url": feed.url(settings, "json"),
        "description": feed.description,
        "language": settings.language,
        "authors": [{"name": settings.title}],
        "items": [],
    }
    text = json.dumps(document, ensure_ascii=False, indent=2)
    if feed.items:  # as json.dumps would nest them: each item's lines four spaces in
        head, _, tail = text.rpartition('"items": []')
        pieces = [head.encode() + b'"items": [\n    ']
        for number, item in enumerate(feed.items):
            pieces += (b",\n    " if number else b"", _item_bytes("json", item, _json_text, fragments))
        pieces.append(b"\n  ]" + tail.encode() + b"\n")
        return b"".join(pieces)  # one copy of the whole file
    return (text + "\n").encode("utf-8")


def _json_text(item: Item) -> bytes:
    return indented_json(_json_item(item), ITEM_MARGIN).encode("utf-8")


def indented_json(value: dict | list | str, margin: str = "") -> str:
    """json.dumps(value, ensure_ascii=False, indent=2) with `margin` before every line but
    the first, for the dicts, lists and strings of an item: the pure-Python encoder that
    json.dumps falls back to for an indented layout took a fifth of the feeds' time."""
    inner = margin + "  "
    if isinstance(value, dict):
        members = [f"{inner}{TO_JSON.encode(key)}: {indented_json(v, inner)}" for key, v in value.items()]
        return "{\n" + ",\n".join(members) + "\n" + margin + "}" if members else "{}"
    if isinstance(value, list):
        elements = [inner + indented_json(v, inner) for v in value]
        return "[\n" + ",\n".join(elements) + "\n" + margin + "]" if elements else "[]"
    return TO_JSON.encode(value)


def _json_item(item: Item) -> dict:
    fields = {
        "id": item.id,
        "url": item.url,
        "external_url": item.original_url,
        "title": item.title,
        "content_html": item.content_html,
        "summary": item.summary_text,
        "image": item.image,
        "date_published": timestamp(item.published),
        "date_modified": timestamp(item.updated),
        "authors": [{"name": name} for name in item.authors],
        "tags": list(item.categories),
        "language": item.lang,
    }
    kept: dict[str, Any] = {key: value for key, value in fields.items() if value or key == "content_html"}
    if item.story:  # JSON Feed's extensions are keys starting with "_", which readers not knowing them skip
        kept[EXTENSION] = {"story": {"url": item.story.url, "title": item.story.title}}
    return kept
