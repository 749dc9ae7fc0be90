"""BuildState <-> plain data (lists, maps, strings, numbers, bytes): what the build cache
stores, spelled out field by field.

The cache file may have been edited, truncated or planted by someone else, so decoding
trusts nothing: every value is checked for its type and shape as it is turned back into
records, and anything unexpected raises `Unreadable`. No class is ever looked up by a
name read from the file, so loading can only ever make the records named here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import operator
import os
import weakref
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import msgpack

from broadsheet.build.content import Article
from broadsheet.build.frontmatter import Image, Source
from broadsheet.build.request import Due
from broadsheet.build.stories import Features, SavedIndex, StorySettings
from broadsheet.incremental.groupings import StoredGrouping
from broadsheet.incremental.inputs import Outcome
from broadsheet.outputs.search_pieces import JoinedTerms, StoredIndex
from broadsheet.problems import Problem


class Unreadable(ValueError):
    """The data is not a build state this code wrote: the reason, in a few words."""


# The layout of every record stored, part of the file's stamp: a change of a record's
# fields makes older caches foreign without anyone remembering to bump a number.
def layout() -> tuple[tuple[str, ...], ...]:
    kinds = (Article, Source, Image, Problem, Outcome, Features, StoredGrouping, SavedIndex, StorySettings, StoredIndex)
    return tuple(tuple(f.name for f in dataclasses.fields(kind)) for kind in kinds)


# --- encoding: records -> plain data ---------------------------------------------------------


class Unstorable(TypeError):
    """A value with no plain-data spelling (an exotic object in front matter): its article
    is simply not cached and will be parsed again."""


def encode_parsed(entry: tuple[Article | None, list[Problem]]) -> list:
    """One parsed file: [its article or None, its problems, the article's texts or None];
    [] when it cannot be stored, and is left to be parsed again. The texts (summary and
    body: most of the cache's bytes) come last, so that a reader can pass over them and
    read them only when asked for (`LazyTexts`)."""
    article, problems = entry
    try:
        if article is None:
            return [None, [_problem(p) for p in problems], None]
        return [_article(article), [_problem(p) for p in problems], [getattr(article, f) for f in TEXT_FIELDS]]
    except (Unstorable, RecursionError):
        return []


def _article(a: Article) -> list:
    from broadsheet.build.model import shown_as_written  # here: only a save encodes, after a model was made

    return [
        a.path, a.title, _time(a.date), None if a.updated is None else _time(a.updated),
        None if a.source is None else [a.source.name, a.source.url], a.original_url, list(a.authors),
        list(a.tags), a.section, None if a.image is None else [a.image.src, a.image.alt, a.image.caption, a.image.credit],
        a.lang, a.draft, a.featured, a.slug, a.word_count, a.reading_minutes, list(a.links), list(a.link_lines), list(a.bundle_assets),
        a.content_hash, _any(a.extra), a.story, a.story_title, a.story_line, _terms(a.story_terms), shown_as_written(a),
    ]  # fmt: skip


def _terms(terms: Features | None) -> bytes | None:
    """An article's terms for story grouping, packed apart (see _PackedFeatures): the
    weights in their order (cosine sums follow it, so a cached article groups to the last
    bit as a fresh one), names, norm, openers."""
    if terms is None:
        return None
    if type(terms) is _PackedFeatures and terms.packed is not None:
        return terms.packed  # as it was read, not yet unpacked
    flat = [v for item in terms.weights.items() for v in item]
    return msgpack.packb([flat, sorted(terms.names), terms.norm, sorted(terms.openers)], use_bin_type=True)


def _problem(p: Problem) -> list:
    return [p.path, p.line, p.field, p.message, p.warning]


def encode_outcome(outcome: Outcome | None) -> list | None:
    if outcome is None:
        return None
    valid_until = None if outcome.valid_until is None else _time(outcome.valid_until)
    due = outcome.next_due
    next_due = None if due is None else [_time(due.when), due.title, due.path]
    return [
        outcome.inputs,
        _time(outcome.now),
        valid_until,
        [_problem(p) for p in outcome.problems],
        outcome.articles,
        outcome.pages,
        outcome.urls,
        next_due,
        outcome.stories,
    ]


def encode_search_document(value: tuple[dict[str, str], Sequence[str]]) -> list:
    """A search document and its terms, the terms as one string (no term holds a line end:
    search.WORD): a tenth of the values to unpack, the cache's largest count of them."""
    document, terms = value
    return [document, terms.joined if isinstance(terms, JoinedTerms) else "\n".join(terms)]


def encode_grouping(grouping: StoredGrouping | None) -> list | None:
    """A story grouping: [the grouping's version, its settings, the ids, the ids' cache
    keys, the automatic articles' times, the links as pairs of places in the ids, each
    link's share]."""
    if grouping is None:
        return None
    index, settings = grouping.index, grouping.index.settings
    return [
        index.version,
        [settings.auto, settings.window_hours, settings.threshold, settings.across_languages],
        index.ids,
        grouping.keys,
        index.times,
        index.pairs,
        index.shares,
    ]


def encode_related(places: tuple[bytes, tuple[tuple[int, ...], ...]] | None) -> list | None:
    """The model's related lists by place (model.RelatedPlaces): [their key, a digest of
    key and lists (a list changed in the file, even to other valid places, is refused),
    the lists]."""
    if places is None:
        return None
    key, lists = places
    return [key, _related_digest(key, lists), lists]


def _related_digest(key: bytes, lists: Any) -> bytes:
    return hashlib.blake2b(key + msgpack.packb(lists), digest_size=16).digest()


def encode_search_index(stored: StoredIndex | None) -> list | None:
    """Where the search index's pieces lie in its file (search.StoredIndex), field by field."""
    if stored is None:
        return None
    return [getattr(stored, f.name) for f in dataclasses.fields(StoredIndex)]


TEMPLATES_KEPT = 256  # template sources whose references the cache keeps: the latest, so it never grows without end


def encode_templates(named: dict[str, set[str] | None], stay: dict[tuple, Any]) -> list:
    """What the templates' code says, by source (fingerprint.Memo.templates: the templates
    each names, None for a name computed at render time) and the bodies-stay answers by the
    digest of the templates they were found for: so that a run parses no template to know it."""
    kept = list(named.items())[-TEMPLATES_KEPT:]
    return [
        {source: None if names is None else sorted(names) for source, names in kept},
        {key[1]: answer for key, answer in stay.items()},
    ]


def _time(value: datetime) -> list:
    """A date-time as [its wall-clock reading, fold, its zone]: the zone by name (a tz
    database key) or by offset, so that it comes back equal and prints the same."""
    return [value.replace(tzinfo=None).isoformat(), value.fold, _zone(value.tzinfo)]


def _zone(zone: tzinfo | None) -> list | None:
    if zone is None:
        return None
    if isinstance(zone, ZoneInfo) and zone.key is not None:
        return ["key", zone.key]
    if isinstance(zone, timezone):
        offset = zone.utcoffset(None)
        return ["offset", offset.days * 86400 + offset.seconds, offset.microseconds, zone.tzname(None)]
    raise Unstorable(f"time zone {zone!r}")


INT_RANGE = (-(2**63), 2**64 - 1)  # what a MessagePack integer holds


def _any(value: Any) -> Any:
    """A front matter value (what safe YAML makes): scalars as themselves, everything else
    as a list that starts with its kind, so lists, tuples, maps and sets stay apart."""
    kind = type(value)
    if kind in (str, bool, float, bytes) or value is None:
        return value
    if kind is int:
        return value if INT_RANGE[0] <= value <= INT_RANGE[1] else ["int", str(value)]
    if kind is list or kind is tuple or kind is set or kind is frozenset:
        return [kind.__name__, [_any(v) for v in value]]
    if kind is dict:
        return ["dict", [_any(v) for item in value.items() for v in item]]
    if kind is datetime:
        return ["datetime", *_time(value)]
    if kind is date:
        return ["date", value.isoformat()]
    raise Unstorable(kind.__name__)


# --- decoding: plain data -> records, checking everything ------------------------------------
# Arrays come back as tuples (the reader is told so): the tuples of the records are used as
# they are, and the types of many values are checked at once, in C (`_all`).


def decode_parsed(
    key: Any, article: Any, problems: Any, texts: tuple[str, str, str] | LazyTexts | None
) -> tuple[Article | None, list[Problem]]:
    """One parsed file, under its cache key, from encode_parsed's three parts: the texts
    as read (checked with decode_texts), or where they lie in the file, read when first
    asked for (the article then comes back as a `_CachedArticle`)."""
    _check(type(key) is str, "parsed file")
    if article is None:
        _check(texts is None, "parsed file")
        return None, _decode_problems(problems)
    if texts is None:
        raise Unreadable("unexpected parsed file")
    return _decode_article(article, texts), _decode_problems(problems)


TEXT_FIELDS = ("summary_html", "summary_text", "body_html")  # an article's texts, in the order stored


def decode_texts(v: Any) -> tuple[str, str, str]:
    _check(type(v) is tuple and len(v) == 3 and _all(str, v), "article texts")
    return v


def _decode_article(v: Any, texts: tuple[str, str, str] | LazyTexts) -> Article:
    _check(
        type(v) is tuple and len(v) == len(STORED_FIELDS) + 1 and _FIXED_FIELDS(tuple(map(type, v))) == _FIXED_TYPES,
        "article",
    )
    (path, title, when, updated, source, original_url, authors, tags, section,
     image, lang, draft, featured, slug, word_count, reading_minutes, links, link_lines, bundle_assets, content_hash, extra,
     story, story_title, story_line, terms, as_written) = v  # fmt: skip
    _check(_all(str, itertools.chain(authors, tags, links, bundle_assets)), "list of names")
    _check(_all(int, link_lines) and len(link_lines) == len(links), "link lines")
    if source is not None:
        _check(type(source) is tuple and len(source) == 2 and _all(str, source), "article source")
        source = Source(*source)
    if image is not None:
        _check(type(image) is tuple and len(image) == 4 and _all(str, image), "article image")
        image = Image(*image)
    extra = _decode_any(extra)
    _check(type(extra) is dict, "article extra")
    _check(story is None or story is False or type(story) is str, "article story")
    fields = (
        path, title, _decode_time(when), None if updated is None else _decode_time(updated), source, original_url,
        authors, tags, section, image, lang, draft, featured, slug, word_count, reading_minutes, links, link_lines,
        bundle_assets, content_hash, extra, story, story_title, story_line, _decode_terms(terms, title, texts),
    )  # fmt: skip
    if type(texts) is tuple:
        return Article(*fields[:4], *texts, *fields[4:])  # type: ignore[arg-type]  # TEXT_FIELDS come after `updated`
    article = _CachedArticle.__new__(_CachedArticle)
    # its fields put in its __dict__ at once, as unpickling does (a frozen record refuses
    # setattr; object.__setattr__ for each of 25 fields was twice the time, at 10,000 articles 30 ms)
    vars(article).update(zip(STORED_FIELDS, fields), texts_at=texts)
    if as_written:  # the model's answer for these very texts, saved with them
        object.__setattr__(article, "texts_as_written", True)
    return article


def _decode_terms(v: Any, title: str, texts: tuple[str, str, str] | LazyTexts) -> Features | None:
    if v is None:
        return None
    _check(type(v) is bytes, "story terms")
    return _PackedFeatures(v, title, texts)


class TextsLost(BaseException):
    """A cached article's texts could not be read back when first asked for (the cache
    file damaged there, or changed in place since it was opened). A BaseException, like
    Ctrl-C: no handler of the build's own problems (a template's error, a page's) may take
    it for one of them; the caller of the build (cli._cached_build) builds again afresh."""


class LazyTexts:
    """Where a cached article's texts lie in the build cache file, read and checked when
    first asked for: after a body edit at 10,000 articles the build shows a few dozen of
    them (the edited page, the feeds that carry it), and the others, 64 MB of the cache's
    98, were most of its unpacking (decoded strings, and the page faults of their memory)."""

    __slots__ = ("source", "begin", "end")

    def __init__(self, source: TextSource, begin: int, end: int) -> None:
        self.source, self.begin, self.end = source, begin, end

    def read(self) -> tuple[str, str, str]:
        return self.source.texts(self.begin, self.end)


class TextSource:
    """The cache file that lazy texts are read from: held open (a descriptor of its own,
    closed with the last article that needs it), so another build's replacing the file
    takes nothing away; a change in place since it was opened is refused (TextsLost)."""

    def __init__(self, fd: int, path: str) -> None:
        self.fd, self.path = fd, path
        self.identity = _fd_identity(fd)
        weakref.finalize(self, os.close, fd)

    def texts(self, begin: int, end: int) -> tuple[str, str, str]:
        try:
            if _fd_identity(self.fd) != self.identity:
                raise Unreadable("changed since it was read")
            data = _read_at(self.fd, end - begin, begin)
            if len(data) != end - begin:
                raise Unreadable("cut short")
            return decode_texts(msgpack.unpackb(data, raw=False, use_list=False, strict_map_key=True))
        except (OSError, ValueError, msgpack.UnpackException) as exc:  # Unreadable is a ValueError
            reason = str(exc) if isinstance(exc, Unreadable) else "article texts unreadable"
            raise TextsLost(reason) from None


def _read_at(fd: int, size: int, offset: int) -> bytes:
    pread = getattr(os, "pread", None)  # POSIX only; the build reads texts from one thread
    if pread is not None:
        return pread(fd, size, offset)
    os.lseek(fd, offset, os.SEEK_SET)
    return os.read(fd, size)


def _fd_identity(fd: int) -> tuple[int, int, int]:
    st = os.fstat(fd)
    return (st.st_ino, st.st_size, st.st_mtime_ns)  # not st_ctime: another build's replacing the file changes it


class _ReadWhenAsked:
    """For a record of which some fields are read when first asked for (a subclass of
    `plain`, the record's class): equal to the plain record of the same fields, on either
    side of `==`, and shown as it."""

    plain: type

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, self.plain):
            return NotImplemented
        return _values(self, self.plain) == _values(other, self.plain)

    def __repr__(self) -> str:
        return repr(self.plain(*_values(self, self.plain)))


def _values(record: Any, kind: type) -> tuple:
    return tuple(getattr(record, f.name) for f in dataclasses.fields(kind))


class _CachedArticle(_ReadWhenAsked, Article):
    """An article from the build cache whose texts (TEXT_FIELDS) are still in the file,
    read when first asked for (`texts_at`). The same article as a parsed one in every
    other respect: equal to it, hashed and digested as it (fingerprint.ContextHasher
    names its type Article), and pickled as a plain Article with its texts (for a
    render worker, which has no such file)."""

    texts_at: LazyTexts

    def __getattr__(self, name: str) -> Any:  # only for the texts, before they are read
        if name not in TEXT_FIELDS:
            raise AttributeError(name)
        for field_name, text in zip(TEXT_FIELDS, self.texts_at.read(), strict=True):
            object.__setattr__(self, field_name, text)
        return getattr(self, name)

    plain = Article
    __hash__ = Article.__hash__

    def __reduce__(self) -> tuple:
        return (Article, _values(self, Article))


def _unpacked_terms(packed: bytes) -> Features:
    v = msgpack.unpackb(packed, raw=False, use_list=False, strict_map_key=True)
    _check(type(v) is tuple and len(v) == 4 and type(v[0]) is tuple and type(v[1]) is tuple, "story terms")
    flat, names, norm, openers = v
    _check(len(flat) % 2 == 0 and _all(str, flat[::2]) and _all(float, flat[1::2]), "story terms")
    _check(_all(str, names) and type(norm) is float and type(openers) is tuple and _all(str, openers), "story terms")
    return Features(dict(zip(flat[::2], flat[1::2], strict=True)), frozenset(names), norm, frozenset(openers))


FEATURE_FIELDS = tuple(f.name for f in dataclasses.fields(Features))


class _PackedFeatures(_ReadWhenAsked, Features):
    """An article's story terms as the build cache holds them, packed: unpacked and
    checked only when grouping first reads them (after one edit it reads those of a few
    hundred articles in 10,000; the rest of them, about 100 numbers and words an article,
    were a third of the cache's load). Bytes that do not unpack to well-formed terms give
    way to the terms made again from the article's text, of which they are a function
    alone (build/coverage.py), so what grouping reads is never malformed."""

    def __init__(self, packed: bytes, title: str, texts: tuple[str, str, str] | LazyTexts) -> None:
        object.__setattr__(self, "packed", packed)  # the fields: when first read
        object.__setattr__(self, "text", (title, texts))

    def __getattr__(self, name: str) -> Any:  # only for the fields, before they are set
        if name not in FEATURE_FIELDS:
            raise AttributeError(name)
        try:
            features = _unpacked_terms(self.packed)
        except (ValueError, msgpack.UnpackException):  # Unreadable is a ValueError
            from broadsheet.build.coverage import terms_of  # here: only a damaged cache needs it

            title, texts = self.text
            summary_html, summary_text, body_html = texts if type(texts) is tuple else texts.read()
            features = terms_of(title, summary_text, body_html)
        for field_name in FEATURE_FIELDS:
            object.__setattr__(self, field_name, getattr(features, field_name))
        object.__setattr__(self, "packed", None)
        object.__setattr__(self, "text", None)
        return getattr(self, name)

    plain = Features
    __hash__ = Features.__hash__


ARTICLE_FIELDS = tuple(f.name for f in dataclasses.fields(Article))
# An article as stored: its fields but the texts (stored apart, after it), then whether the
# model shows those texts as written (Article.texts_as_written)
STORED_FIELDS = tuple(name for name in ARTICLE_FIELDS if name not in TEXT_FIELDS)
_FIXED = {
    "path": str, "title": str, "original_url": str, "authors": tuple,
    "tags": tuple, "section": str, "lang": str, "draft": bool, "featured": bool, "slug": str, "word_count": int,
    "reading_minutes": int, "links": tuple, "link_lines": tuple, "bundle_assets": tuple, "content_hash": str,
    "story_title": str, "story_line": int, "as_written": bool,
}  # fmt: skip
_FIXED_FIELDS = operator.itemgetter(*((*STORED_FIELDS, "as_written").index(name) for name in _FIXED))  # of one type
_FIXED_TYPES = tuple(_FIXED.values())


def _decode_problems(v: Any) -> list[Problem]:
    _check(type(v) is tuple, "problems")
    problems = []
    for p in v:
        _check(type(p) is tuple and tuple(map(type, p)) == (str, int, str, str, bool), "problem")
        problems.append(Problem(*p))
    return problems


def decode_outcome(v: Any) -> Outcome | None:
    if v is None:
        return None
    _check(type(v) is tuple and len(v) == 9, "outcome")
    inputs, now, valid_until, problems, articles, pages, urls, next_due, stories = v
    _check(type(inputs) is bytes and type(articles) is int and type(pages) is int, "outcome")
    _check(type(stories) is bytes, "outcome stories")
    _check(type(urls) is dict and _all(str, urls.keys()) and _all(str, urls.values()), "outcome urls")
    until = None if valid_until is None else _decode_time(valid_until)
    return Outcome(
        inputs,
        _decode_time(now),
        until,
        tuple(_decode_problems(problems)),
        articles,
        pages,
        urls,
        _decode_due(next_due),
        stories,
    )


def decode_grouping(v: Any) -> StoredGrouping | None:
    """Checked for shape only: whether it is the grouping of the articles at hand is
    groupings.restored's to tell (and if not, grouping starts afresh)."""
    if v is None:
        return None
    _check(type(v) is tuple and len(v) == 7, "grouping")
    version, settings, ids, keys, times, pairs, shares = v
    _check(type(version) is int and type(settings) is tuple and len(settings) == 4, "grouping")
    _check(type(settings[0]) is bool and all(type(n) in (int, float) for n in settings[1:]), "grouping settings")
    _check(type(ids) is tuple and type(keys) is tuple and len(ids) == len(keys), "grouping ids")
    _check(_all(str, ids) and _all(str, keys), "grouping ids")
    _check(type(times) is tuple and len(times) <= len(ids) and _all(float, times), "grouping times")
    _check(
        type(pairs) is tuple and type(shares) is tuple and _all(int, pairs) and _all(float, shares), "grouping links"
    )
    return StoredGrouping(SavedIndex(version, StorySettings(*settings), ids, times, pairs, shares), keys)


def decode_related(v: Any) -> tuple[bytes, tuple[tuple[int, ...], ...]] | None:
    """Checked for shape and against its digest (None when they differ: the lists are worked
    out again); whether it fits the model at hand is its key's to tell (model.build_model)."""
    if v is None:
        return None
    _check(type(v) is tuple and tuple(map(type, v)) == (bytes, bytes, tuple), "related lists")
    key, digest, lists = v
    _check(_all(tuple, lists), "related lists")
    places = list(itertools.chain.from_iterable(lists))
    _check(_all(int, places) and (not places or (min(places) >= 0 and max(places) < len(lists))), "related lists")
    # each list names entries other than its own, each once: with its own place, a set one longer
    _check(all(len({n, *ranked}) == len(ranked) + 1 for n, ranked in enumerate(lists)), "related list places")
    return (key, lists) if _related_digest(key, lists) == digest else None


def decode_search_index(v: Any) -> StoredIndex | None:
    """Checked for shape only: SearchIndex.restored checks it against the file on disk."""
    if v is None:
        return None
    _check(type(v) is tuple and tuple(map(type, v)) == (str, bytes, tuple, tuple, tuple, tuple), "search index")
    language, digest, stories, doc_lengths, terms, term_lengths = v
    _check(_all(tuple, stories) and {len(s) for s in stories} <= {0, 2}, "search index stories")
    _check(_all(str, itertools.chain.from_iterable(stories)), "search index stories")
    _check(_all(int, itertools.chain(doc_lengths, term_lengths)) and _all(str, terms), "search index")
    _check(
        len(terms) == len(term_lengths) and min(itertools.chain(doc_lengths, term_lengths), default=0) >= 0,
        "search index",
    )
    return StoredIndex(language, digest, stories, doc_lengths, terms, term_lengths)


def decode_templates(v: Any) -> tuple[dict[str, set[str] | None], dict[tuple, bool]]:
    """Checked for shape: (Memo.templates, the memo's bodies-stay answers)."""
    _check(type(v) is tuple and len(v) == 2 and type(v[0]) is dict and type(v[1]) is dict, "templates")
    named, stay = v
    _check(_all(str, named) and set(map(type, named.values())) <= {tuple, type(None)}, "templates")
    _check(_all(str, itertools.chain.from_iterable(n for n in named.values() if n is not None)), "templates")
    _check(_all(bytes, stay) and _all(bool, stay.values()), "bodies stay")
    return (
        {source: None if names is None else set(names) for source, names in named.items()},
        {("bodies stay", key): answer for key, answer in stay.items()},
    )


def _decode_due(v: Any) -> Due | None:
    if v is None:
        return None
    _check(type(v) is tuple and len(v) == 3 and type(v[1]) is str and type(v[2]) is str, "next due")
    return Due(_decode_time(v[0]), v[1], v[2])


def decode_files(v: Any) -> dict[str, tuple]:
    """Content file -> (its stat stamp or None, the digest of its bytes)."""
    files = _map(v, "files")
    values = files.values()
    _check(_all(str, files) and _all(tuple, values) and {len(value) for value in values} <= {2}, "files")
    stamps = [stamp for stamp, _ in values if stamp is not None]
    _check(
        _all(str, (digest for _, digest in values))
        and _all(tuple, stamps)
        and _all(int, itertools.chain.from_iterable(stamps)),
        "files",
    )
    return files


def decode_racy_reads(v: Any) -> dict[bytes, tuple[bytes, bytes]]:
    """Input file -> (its stat line, a digest of its bytes) as the last build read it (inputs.read)."""
    reads = _map(v, "racy_reads")
    _check(
        _all(bytes, reads)
        and all(type(value) is tuple and len(value) == 2 and _all(bytes, value) for value in reads.values()),
        "racy_reads",
    )
    return reads


def decode_stamps(v: Any) -> dict[str, tuple[int, ...]]:
    stamps = _map(v, "stamps")
    _check(
        _all(str, stamps)
        and _all(tuple, stamps.values())
        and _all(int, itertools.chain.from_iterable(stamps.values())),
        "stamps",
    )
    return stamps


def decode_fingerprints(v: Any) -> dict[str, bytes]:
    fingerprints = _map(v, "fingerprints")
    _check(_all(str, fingerprints) and _all(bytes, fingerprints.values()), "fingerprints")
    return fingerprints


def decode_produced(v: Any) -> dict[bytes, tuple[str, ...]]:
    produced = _map(v, "produced")
    values = produced.values()
    _check(
        _all(bytes, produced) and _all(tuple, values) and _all(str, itertools.chain.from_iterable(values)), "produced"
    )
    return produced


def decode_search_keys(v: Any) -> tuple[tuple[str, bytes], ...]:
    _check(type(v) is tuple and all(type(k) is tuple and len(k) == 2 for k in v), "search keys")
    _check(_all(str, (k[0] for k in v)) and _all(bytes, (k[1] for k in v)), "search keys")
    return v


def decode_search_document(fingerprint: Any, value: Any) -> tuple[dict[str, str], JoinedTerms]:
    """A memo's search document, under its fingerprint: (document, sorted terms, split when
    first read: a string of lines holds any terms, so there is nothing more to check)."""
    _check(type(fingerprint) is bytes and type(value) is tuple and len(value) == 2, "search documents")
    document, terms = value
    _check(type(document) is dict and type(terms) is str, "search document")
    _check(_all(str, itertools.chain(document, document.values())), "search document")
    return document, JoinedTerms(terms)


def decode_int(v: Any, what: str) -> int:
    _check(type(v) is int, what)
    return v


def _decode_time(v: Any) -> datetime:
    _check(type(v) is tuple and len(v) == 3 and type(v[0]) is str and v[1] in (0, 1), "date")
    wall, fold, zone = v
    try:
        value = datetime.fromisoformat(wall)
    except ValueError:
        raise Unreadable("a date that is not a date") from None
    _check(value.tzinfo is None, "date")
    return value.replace(tzinfo=_decode_zone(zone), fold=fold)


def _decode_zone(v: Any) -> tzinfo | None:
    if v is None:
        return None
    _check(type(v) is tuple and len(v) >= 2, "time zone")
    if v[0] == "key" and len(v) == 2 and type(v[1]) is str:
        try:
            return ZoneInfo(v[1])  # a name in the tz database; a file of data, never code
        except (ValueError, OSError, KeyError):
            raise Unreadable(f"unknown time zone {v[1]!r}") from None
    if v[0] == "offset" and len(v) == 4 and type(v[1]) is int and type(v[2]) is int and type(v[3]) is str:
        try:
            offset = timedelta(seconds=v[1], microseconds=v[2])
            plain = timezone(offset)
            return plain if plain.tzname(None) == v[3] else timezone(offset, v[3])
        except (ValueError, OverflowError):
            raise Unreadable("a time zone offset out of range") from None
    raise Unreadable("time zone")


def _decode_any(v: Any) -> Any:
    kind = type(v)
    if kind in (str, bool, float, bytes, int) or v is None:
        return v
    if v == _NO_EXTRA:  # most articles' `extra`: no keys of the site's own
        return {}
    _check(kind is tuple and len(v) >= 2 and type(v[0]) is str, "front matter value")
    tag = v[0]
    if tag in ("list", "tuple", "set", "frozenset") and len(v) == 2 and type(v[1]) is tuple:
        items = [_decode_any(item) for item in v[1]]
        try:
            return items if tag == "list" else {"tuple": tuple, "set": set, "frozenset": frozenset}[tag](items)
        except TypeError:  # a list in a set
            raise Unreadable("front matter value") from None
    if tag == "dict" and len(v) == 2 and type(v[1]) is tuple and len(v[1]) % 2 == 0:
        items = [_decode_any(item) for item in v[1]]
        try:
            return dict(zip(items[::2], items[1::2]))
        except TypeError:  # a list as a key
            raise Unreadable("front matter value") from None
    if tag == "datetime" and len(v) == 4:
        return _decode_time(v[1:])
    if tag == "date" and len(v) == 2 and type(v[1]) is str:
        try:
            return date.fromisoformat(v[1])
        except ValueError:
            raise Unreadable("a date that is not a date") from None
    if tag == "int" and len(v) == 2 and type(v[1]) is str:
        try:
            return int(v[1])
        except ValueError:
            raise Unreadable("a number that is not a number") from None
    raise Unreadable("front matter value")


_NO_EXTRA = ("dict", ())


def _map(v: Any, what: str) -> dict:
    _check(type(v) is dict, what)
    return v


def _all(kind: type, values: Any) -> bool:
    return set(map(type, values)) <= {kind}  # in C: terms and names come by the hundred thousand


def _check(ok: bool, what: str) -> None:
    if not ok:
        raise Unreadable(f"unexpected {what}")
