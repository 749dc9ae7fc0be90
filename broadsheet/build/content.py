"""Files -> Article records. Parsing is the costly part, so its results are cached
by the file's bytes, its path and the settings that affect parsing."""

from __future__ import annotations

import functools
import hashlib
import math
import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

from broadsheet.build import frontmatter, sitefiles, stories
from broadsheet.build.config import Settings
from broadsheet.build.frontmatter import Image, Source
from broadsheet.build.markdown_settings import DEFAULT_EXTENSIONS, TYPOGRAPHY_VERSION, Extension as ExtensionSetting
from broadsheet.build.scan import BUNDLE_INDEX, SourceFile
from broadsheet.build.stories import Features
from broadsheet.problems import Problem, not_utf8

if TYPE_CHECKING:
    from broadsheet.build.markup import MarkdownRenderer

# Converting (build/markup.py, build/html.py, build/coverage.py) is imported where an
# article is parsed: a build that finds every article's key in its cache parses none.

MAX_FILE_BYTES = 10 * 1024 * 1024
MORE = "<!--more-->"


@dataclass(frozen=True)
class Article:
    path: str  # site-relative, e.g. "content/world/a.md"
    title: str
    date: datetime
    updated: datetime | None
    summary_html: str
    summary_text: str
    body_html: str
    source: Source | None
    original_url: str
    authors: tuple[str, ...]
    tags: tuple[str, ...]
    section: str  # display name, '' for none
    image: Image | None
    lang: str
    draft: bool
    featured: bool
    slug: str
    word_count: int
    reading_minutes: int
    links: tuple[str, ...]  # site-relative paths of the articles it links to
    link_lines: tuple[int, ...]  # the line of the file where each of `links` is first written
    bundle_assets: tuple[str, ...]
    content_hash: str
    extra: dict[str, Any]
    story: str | bool | None = None  # front matter `story:` (see stories.StoryEntry)
    story_title: str = ""
    story_line: int = 0  # the line of `story:`, for what is said of it
    story_terms: Features | None = None  # what story grouping compares, made where the article is parsed

    # True on an article read back from the build cache whose texts (summary and body) the
    # model shows as they are written (model.shown_as_written): its entry then reads them
    # from the article when first asked, and the cache need not read them before that
    # (incremental/codec.py). Not a field: no part of what the article is.
    texts_as_written: ClassVar[bool] = False

    @property
    def is_bundle(self) -> bool:
        return posixpath.basename(self.path) == BUNDLE_INDEX


@dataclass(frozen=True)
class ParseSettings:
    """The slice of the settings that parsing depends on: part of the cache key."""

    timezone: str
    words_per_minute: int
    timeout: float = 5.0  # seconds to convert one article's Markdown (settings: markdown.timeout)
    extensions: tuple[ExtensionSetting, ...] = DEFAULT_EXTENSIONS  # markdown.extensions, as the settings resolved them

    @classmethod
    def of(cls, settings: Settings) -> ParseSettings:
        md = settings.markdown
        return cls(settings.timezone, settings.words_per_minute, md.timeout, md.extensions)


def read_bytes(source: SourceFile) -> bytes | Problem:
    """The file's bytes: a regular file only, and no more than MAX_FILE_BYTES of them
    counted as read (a link to /dev/zero says it holds nothing and never ends)."""
    too_large = f"over the 10 MiB ({MAX_FILE_BYTES:,} bytes) limit for an article"
    try:
        size = source.path.stat().st_size
        if size > MAX_FILE_BYTES:
            return Problem(source.rel, 0, "", f"file is {size:,} bytes, {too_large}")
        return sitefiles.read_regular(source.path, MAX_FILE_BYTES)
    except sitefiles.TooLarge:
        return Problem(source.rel, 0, "", f"file is {too_large}")
    except sitefiles.NotRegular:
        return Problem(source.rel, 0, "", sitefiles.NOT_REGULAR)
    except OSError as exc:
        return Problem(source.rel, 0, "", f"cannot read file: {exc.strerror}")


def digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


# What a parse gives, in shape and wording: a cached parse of another version is not used.
# Raise it when Article gains a field or parsing reports problems differently, or the same
# file parses differently (3: link lines; tags kept apart by slugs.term_key; 4: story, story_title, story_terms).
PARSE_VERSION = 4


def cache_key(source: SourceFile, content_digest: str, settings: ParseSettings) -> str:
    """Everything a parse depends on: the bytes, the path (links and section come from
    it), the bundle's files, the settings that parsing reads, and PARSE_VERSION and the
    typography pass's version (`markdown_settings.TYPOGRAPHY_VERSION`), so an article cached by an older Broadsheet is parsed again."""
    return cache_keys(settings)(source, content_digest)


def cache_keys(settings: ParseSettings) -> Callable[[SourceFile, str], str]:
    """cache_key for many files parsed with the same settings: the settings are spelled
    once (their repr costs more than the rest of a key, and a build asks for 10,000)."""
    spelled = repr(settings).encode()

    def key(source: SourceFile, content_digest: str) -> str:
        parts = (PARSE_VERSION, TYPOGRAPHY_VERSION, stories.VERSION, content_digest, source.rel, source.bundle_assets)
        return hashlib.sha256(repr(parts).encode() + spelled).hexdigest()

    return key


def parse(
    source: SourceFile, raw: bytes, settings: ParseSettings, renderer: MarkdownRenderer
) -> tuple[Article | None, list[Problem]]:
    text = _decode(source.rel, raw)
    if isinstance(text, Problem):
        return None, [text]
    parts = frontmatter.split(text)
    if isinstance(parts, str):
        return None, [Problem(source.rel, 1, "", parts)]
    fm, problems = frontmatter.parse(source.rel, parts, ZoneInfo(settings.timezone))
    if fm is None:
        return None, problems
    from broadsheet.build.markup import ConversionFailed, TooSlow

    try:
        with renderer.time_limit(settings.timeout):
            article, more = _build(source, raw, text, fm, parts, settings, renderer)
    except TooSlow:
        return None, problems + [
            Problem(
                source.rel,
                1,
                "body",
                f"{TOO_SLOW} (over {settings.timeout:g} s); simplify it or raise markdown.timeout",
            )
        ]
    except ConversionFailed as exc:
        return None, problems + [Problem(source.rel, 1, "body", f"a Markdown extension failed on this article: {exc}")]
    except RecursionError:  # Python-Markdown recurses once per level of nesting
        return None, problems + [
            Problem(
                source.rel,
                1,
                "body",
                "nested too deeply to convert (lists, quotes or emphasis inside one another); simplify it",
            )
        ]
    return article, problems + more


TOO_SLOW = "took too long to convert"


def timed_out(parsed: Parsed) -> bool:
    """A parse stopped by its time budget: not kept in the cache, as on a machine less
    busy, or with a larger budget, the same bytes may well convert."""
    return any(p.field == "body" and p.message.startswith(TOO_SLOW) for p in parsed[1])


Parsed = tuple["Article | None", list[Problem]]
PARALLEL_FROM = 64  # below this many files, starting worker processes costs more than it saves


def parse_many(items: list[tuple[SourceFile, bytes]], settings: ParseSettings, progress=None) -> list[Parsed]:
    """Parse files in order, across the cores when there are enough of them (build/pool.py);
    each worker parses a batch at a time with a renderer of its own."""
    from broadsheet.build import pool  # here: a build with nothing to parse starts no worker

    workers = pool.count(len(items), PARALLEL_FROM)
    # sixteen batches a worker: the two end together (less idle tail), and fewer parsed
    # articles wait in memory at once (10,000 articles: peak 206 -> 177 MiB a worker)
    size = -(-len(items) // (workers * 16)) if workers > 1 else PARALLEL_FROM
    results: list[Parsed] = []
    for parsed in pool.run(
        functools.partial(_parse_batch, settings=settings), pool.chunked(items, size), workers, picklable=True
    ):
        results += parsed
        if progress:
            progress(len(parsed))
    return results


def _parse_batch(batch: list[tuple[SourceFile, bytes]], settings: ParseSettings) -> list[Parsed]:
    from broadsheet.build.markup import MarkdownRenderer

    renderer = MarkdownRenderer(settings.extensions)
    return [parse(source, raw, settings, renderer) for source, raw in batch]


def _decode(rel: str, raw: bytes) -> str | Problem:
    if not raw.strip():
        return Problem(rel, 1, "", "empty file (expected front matter between '---' lines, then the article)")
    if b"\0" in raw[:8192]:
        return Problem(rel, 1, "", "binary file (expected Markdown text with front matter)")
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        return not_utf8(rel, raw, exc)


def _build(source, raw, text, fm, parts, settings, renderer) -> tuple[Article, list[Problem]]:
    from broadsheet.build import coverage
    from broadsheet.build.html import first_paragraph, images_without_alt, plain_text
    from broadsheet.build.markup import link_line

    base = posixpath.dirname(source.rel)
    body_text, _, after = parts.body.partition(MORE)
    has_more = bool(after)
    body_html, log = renderer.convert(body_text + after if has_more else parts.body, base)
    links = list(zip(log.targets, log.hrefs))
    problems = [
        Problem(source.rel, link_line(text, href), "", f"link {href!r} points outside the site folder")
        for href in log.escapes
    ]
    problems += _invalid_links(source.rel, text, log.invalid)
    problems += [
        Problem(
            source.rel,
            link_line(text, src),
            "",
            f"image {src!r} has no alt text (say what it shows: ![a flooded street]({src}))",
            warning=True,
        )
        for src in images_without_alt(body_html)
    ]
    if fm.summary is not None:
        summary_html, summary_log = renderer.convert(fm.summary, base)
        links += zip(summary_log.targets, summary_log.hrefs)
        problems += _invalid_links(source.rel, text, summary_log.invalid)
    elif has_more:
        summary_html, _ = renderer.convert(body_text, base)
    else:
        summary_html = first_paragraph(body_html)
    words = len(plain_text(body_html).split())
    summary_text = plain_text(summary_html)
    first_href: dict[str, str] = {}  # target -> the first link to it, in the order first linked
    for target, href in links:
        first_href.setdefault(target, href)
    article = Article(
        path=source.rel,
        title=fm.title,
        date=fm.date,
        updated=fm.updated,
        summary_html=summary_html,
        summary_text=summary_text,
        body_html=body_html,
        source=fm.source,
        original_url=fm.url,
        authors=fm.authors,
        tags=fm.tags,
        section=fm.section if fm.section is not None else _folder_section(source.rel),
        image=fm.image,
        lang=fm.lang,
        draft=fm.draft,
        featured=fm.featured,
        slug=fm.slug,
        word_count=words,
        reading_minutes=max(1, math.ceil(words / settings.words_per_minute)),
        links=tuple(first_href),
        link_lines=tuple(link_line(text, href) for href in first_href.values()),
        bundle_assets=source.bundle_assets,
        content_hash=digest(raw),
        extra=fm.extra,
        story=fm.story,
        story_title=fm.story_title,
        story_line=fm.story_line,
        # Made here, in the parsing workers, and cached with the article: the terms are a
        # function of its text alone, and most of what grouping costs (see build/coverage.py).
        story_terms=coverage.terms_of(fm.title, summary_text, body_html),
    )
    return article, problems


def _invalid_links(rel: str, text: str, hrefs: list[str]) -> list[Problem]:
    """Links that are no URL (`http://[::1/x`), and any use of the build's own marker for
    links between articles, raw HTML included: published, it would lead nowhere."""
    from broadsheet.build.markup import LINK_MARKER, link_line

    problems = [Problem(rel, link_line(text, href) or 1, "", f"link {href!r} is not a valid URL") for href in hrefs
                if not href.lower().startswith(LINK_MARKER)]  # fmt: skip
    at = text.lower().find(LINK_MARKER)
    if at >= 0:
        problems.append(Problem(rel, text.count("\n", 0, at) + 1, "", f"{LINK_MARKER} is the build's own address for links "
                                "between articles; link to the article's .md file instead"))  # fmt: skip
    return problems


def _folder_section(rel: str) -> str:
    """content/world/a.md -> 'world'; a bundle's own folder is not a section."""
    folders = rel.split("/")[1:-1]
    if rel.endswith("/" + BUNDLE_INDEX):
        folders = folders[:-1]
    if not folders:
        return ""
    name = folders[0].replace("-", " ").replace("_", " ")
    return name[:1].upper() + name[1:]
