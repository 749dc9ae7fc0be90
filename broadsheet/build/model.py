"""Articles -> the site model: the published entries, editions, taxonomies,
neighbours and related stories. Records refer to each other by URL."""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import operator
import posixpath
from collections import Counter, defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from broadsheet.build import coverage
from broadsheet.build.config import Settings
from broadsheet.build.content import Article
from broadsheet.build.coverage import Card, Grouping, SiteStory
from broadsheet.build.frontmatter import Image
from broadsheet.build.html import absolute_links, has_relative_urls
from broadsheet.build.markup import LINK_MARKER
from broadsheet.build.slugs import term_slug, term_slugs
from broadsheet.problems import Problem

TAXONOMIES = ("tags", "sections", "sources", "authors")

# How the stages that generate files (feeds, search) get a result they derive from
# records: (kind, records, compute) -> result. The pipeline passes one that remembers
# results across builds under the records' fingerprint; alone, it just computes.
Remember = Callable[[str, Any, Callable[[], Any]], Any]

# The related lists by place (each entry's list as places in the entries' order, newest
# first), with the key of all they are chosen from (related_key): what the command line's
# build cache keeps, so a run whose entries carry the same tags in the same order takes them.
RelatedPlaces = tuple[bytes, tuple[tuple[int, ...], ...]]


def compute_now(kind: str, records: Any, compute: Callable[[], Any]) -> Any:
    return compute()


@dataclass(frozen=True)
class Term:
    kind: str  # one of TAXONOMIES
    slug: str
    name: str
    url: str
    homepage: str = ""  # sources only


@dataclass(frozen=True)
class Entry:
    """An article as published: its URL, resolved links, and its terms."""

    article: Article
    url: str  # with the base path, e.g. "/digest/2025/06/19/slug/"
    path: str  # site-relative output folder, e.g. "2025/06/19/slug/"
    local_date: datetime  # the date in the site's time zone
    edition: str  # key of its edition
    body_html: str
    summary_html: str
    image: Image | None  # src resolved to a URL
    section: Term | None
    source: Term | None
    tags: tuple[Term, ...]
    authors: tuple[Term, ...]

    # An entry whose article's texts are shown as written has no body_html or summary_html
    # of its own (_sharing_texts): they are read from the article, here, when first asked for.
    def __getattr__(self, name):  # templates read article fields straight off the entry
        if name == "article" or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.article, name)


def _read_through(cls: type, source: type, via: str) -> None:
    """A property on `cls` for each field of the dataclass `source` that `cls` has no field
    of its own by that name, reading it off the instance's `via` (an attrgetter: C, no
    Python frame). An entry's templates read its article's fields (entry.title, entry.lang)
    a dozen times a page: through __getattr__, each read first failed the normal lookup
    (an AttributeError made and dropped) and then ran Python code, 7% of a page's render.
    The same value as __getattr__ gives; a name the entry has as a field of its own (its
    tags as terms, its resolved body) is never read through, and a field an entry goes
    without (_sharing_texts' body and summary) is still __getattr__'s."""
    own = {f.name for f in dataclasses.fields(cls)}
    for f in dataclasses.fields(source):
        if f.name not in own and not hasattr(cls, f.name):
            setattr(cls, f.name, property(operator.attrgetter(f"{via}.{f.name}")))


_read_through(Entry, Article, "article")


@dataclass(frozen=True)
class Edition:
    key: str  # "2025-06-19" or "2025-W25"
    url: str
    path: str
    start: date
    end: date
    period: str  # "day" or "week"
    entries: tuple[Entry, ...]
    cards: tuple[Card, ...] = ()  # the entries with each story shown once (coverage.cards)


@dataclass(frozen=True)
class Taxonomy:
    kind: str
    terms: tuple[Term, ...]  # sorted by name
    entries: dict[str, tuple[Entry, ...]]  # slug -> entries, newest first


@dataclass(frozen=True)
class BuildOptions:
    drafts: bool = False
    future: bool = False
    now: datetime | None = None


@dataclass(frozen=True)
class SiteModel:
    entries: tuple[Entry, ...]  # newest first
    editions: tuple[Edition, ...]  # newest first
    taxonomies: dict[str, Taxonomy]
    neighbours: dict[str, tuple[str | None, str | None]]  # url -> (older, newer)
    related: dict[str, tuple[str, ...]]
    by_url: dict[str, Entry]
    stories: tuple[SiteStory, ...] = ()  # newest first
    story_of: dict[str, SiteStory] = field(default_factory=dict)  # entry URL -> its story
    grouping: Grouping | None = field(default=None, compare=False, repr=False)  # for the next build (serve)
    related_places: RelatedPlaces | None = field(default=None, compare=False, repr=False)  # for the build cache
    # The published articles in the order the terms were gathered from, and the terms by
    # (kind, name as written): the next model's when its articles carry the same names (serve)
    terms_from: tuple[tuple[Article, ...], dict[tuple[str, str], Term]] | None = field(
        default=None, compare=False, repr=False
    )

    def entry(self, url: str | None) -> Entry | None:
        return self.by_url.get(url) if url else None


@dataclass(frozen=True)
class Previous:
    """The last model, made with these settings, whose records a new model may take over
    (a serve session's next build); `troubled`: the article files that had any problem."""

    settings: Settings
    model: SiteModel
    troubled: frozenset[str]


def build_model(
    articles: list[Article],
    settings: Settings,
    options: BuildOptions,
    failed: Collection[str] = (),
    previous: Previous | None = None,
    grouping: Grouping | None = None,
    related: RelatedPlaces | None = None,
) -> tuple[SiteModel, list[Problem]]:
    """`failed`: the article files that did not parse; their own problems say why, so a
    link to one is not reported again. `previous`: a model whose entries, terms and
    editions are taken over, the same objects, wherever they would come out equal: what
    keeps them also keeps what it worked out from them (page fingerprints). `grouping`: the
    last build's story grouping when no model is kept (the command line's, from its cache);
    `related`: the last build's related lists by place, likewise (taken when their key is
    this model's)."""
    now = options.now or datetime.now(settings.tz)
    published = [a for a in articles if (options.drafts or not a.draft) and (options.future or a.date <= now)]
    problems: list[Problem] = []
    kept = _Kept(previous if previous is not None and previous.settings == settings else None)
    all_paths = _article_paths(articles, settings, problems, kept.path_of)
    paths = {a.path: all_paths[a.path] for a in published if a.path in all_paths}
    terms = kept.same_terms(published)
    if terms is None:
        terms = kept.terms(_terms(published, settings))
    known = set(all_paths)
    failed = {*failed, *(a.path for a in articles if a.path not in all_paths)}  # and those whose URL another took
    entries = [
        kept.entry(a, paths, terms) or _entry(a, paths, known, terms, settings, problems, failed)
        for a in published
        if a.path in paths
    ]
    entries.sort(key=lambda e: (e.article.date, e.article.slug, e.article.path), reverse=True)
    found = coverage.find(entries, settings.stories, settings.base_path, kept.grouping() or grouping)
    problems += found.problems
    stories = kept.stories(found.stories)
    story_of = {e.url: s for s in stories for e in s.entries}
    kept_related = kept.related(entries)
    if kept_related is not None:  # the same tags by place, the same settings: the last places hold too
        places = kept.previous.model.related_places if kept.previous is not None else None
    else:
        places = _related_places(entries, settings.related, related)
    model = SiteModel(
        entries=tuple(entries),
        editions=kept.editions(_editions(entries, settings, story_of)),
        taxonomies=kept.taxonomies(_taxonomies(entries, terms)),
        neighbours=_neighbours(entries),
        related=kept_related if kept_related is not None else _by_url(entries, places[1] if places else ()),
        by_url={e.url: e for e in entries},
        stories=stories,
        story_of=story_of,
        grouping=found.grouping,
        related_places=places,
        terms_from=(tuple(published), terms),
    )
    return model, problems


class _Kept:
    """What a new model takes over from the last one (see build_model)."""

    def __init__(self, previous: Previous | None) -> None:
        self.previous = previous
        self._entries = {e.article.path: e for e in previous.model.entries} if previous else {}
        self._paths = {path: e.path for path, e in self._entries.items()}
        self._troubled = previous.troubled if previous else frozenset()
        self._by_name: dict[str, dict[str, Term]] = {}  # kind -> name as written -> term (entry())
        self._terms_kept = False  # same_terms handed back the last model's terms

    def path_of(self, a: Article) -> str | None:
        """The output folder the last model gave this very article object (made with the
        same settings, so it would come out the same); None when it had none."""
        entry = self._entries.get(a.path)
        return entry.path if entry is not None and entry.article is a else None

    def same_terms(self, published: list[Article]) -> dict[tuple[str, str], Term] | None:
        """The last model's terms by name when they would come out the same: the same number
        of published articles, each the very article it was at its place or one naming the
        same tags, authors, section and source (a title edit). _terms reads nothing else of
        them (the order decides only a source's homepage, the first given), and the base
        path, the one setting it reads, is the last model's (`previous` is given only then)."""
        made = self.previous.model.terms_from if self.previous is not None else None
        if made is None or len(made[0]) != len(published):
            return None
        for new, old in zip(published, made[0], strict=True):
            if new is not old and (new.tags, new.authors, new.section, new.source) != (
                old.tags,
                old.authors,
                old.section,
                old.source,
            ):
                return None
        self._terms_kept = True
        return made[1]

    def terms(self, terms: dict[tuple[str, str], Term]) -> dict[tuple[str, str], Term]:
        """The last model's Term wherever the new one is equal to it."""
        if self.previous is None:
            return terms
        old = {(t.kind, t.slug): t for tax in self.previous.model.taxonomies.values() for t in tax.terms}
        result = {}
        for key, term in terms.items():
            same = old.get((term.kind, term.slug))
            result[key] = same if same == term else term
        return result

    def entry(self, a: Article, paths: dict[str, str], terms: dict[tuple[str, str], Term]) -> Entry | None:
        """The last model's entry of this very article object when it would come out the
        same: the same output folder, every article it links to at the same folder, the
        same terms, and no problem then (so none now: a reused entry reports nothing)."""
        entry = self._entries.get(a.path)
        if entry is None or entry.article is not a or entry.path != paths[a.path] or a.path in self._troubled:
            return None
        if a.links:
            if any(self._paths.get(target) != paths.get(target) for target in a.links):
                return None
            # Left unresolved then, for a reason that may have changed. Only a link to another
            # article leaves a marker without a problem (a hand-written one is the article's
            # problem, content.py): most articles have none, and their 10,000 bodies are not searched.
            if LINK_MARKER in entry.body_html or LINK_MARKER in entry.summary_html:
                return None
        if self._terms_kept:
            # The last model's terms by name, which its entries were made or checked with:
            # this very article names the same ones, so the entry holds the very terms.
            return entry
        if not self._by_name:  # once a build: the same terms as terms[(kind, name)], without a key made per name
            for (kind, name), term in terms.items():
                self._by_name.setdefault(kind, {})[name] = term
        by_name = self._by_name
        source = by_name["sources"].get(a.source.name) if a.source else None
        if (
            entry.section is not (by_name["sections"].get(a.section) if a.section else None)
            or entry.source is not source
            or not _same_terms(entry.tags, a.tags, by_name.get("tags"))
            or not _same_terms(entry.authors, a.authors, by_name.get("authors"))
        ):
            return None
        return entry

    def related(self, entries: list[Entry]) -> dict[str, tuple[str, ...]] | None:
        """The last model's related stories, by place, when every place holds an entry with
        the same tags as then (a title edit): they are chosen by tags and places alone
        (see related_indices). None when they must be worked out again."""
        if self.previous is None:
            return None
        old = self.previous.model.entries
        if len(old) != len(entries):
            return None
        # Only the places that hold another entry than then are looked into (the same
        # entry has the same tags and URL): a title edit's few, not 10,000
        differ = [n for n, same in enumerate(map(operator.is_, old, entries)) if not same]
        if any(not _same_objects(old[n].tags, entries[n].tags) for n in differ):
            return None
        # The URLs that moved (a title edit's one): a list naming none of them is the last
        # model's tuple itself; only those naming one are made again, by place.
        moved = {old[n].url for n in differ if old[n].url != entries[n].url}
        place = {e.url: n for n, e in enumerate(old)} if moved else {}
        related = self.previous.model.related
        return {
            new.url: (urls if moved.isdisjoint(urls) else tuple(entries[place[url]].url for url in urls))
            for was, new in zip(old, entries, strict=True)
            for urls in (related[was.url],)
        }

    def taxonomies(self, taxonomies: dict[str, Taxonomy]) -> dict[str, Taxonomy]:
        """The new taxonomies holding the last model's tuples of terms and of each term's
        entries wherever they hold the same objects (so their digests are taken over: a
        title edit changes a few terms' lists, not the 10,000 entries of every kind)."""
        if self.previous is None:
            return taxonomies
        result = {}
        for kind, new in taxonomies.items():
            old = self.previous.model.taxonomies.get(kind)
            if old is None:
                result[kind] = new
                continue
            terms = old.terms if _same_objects(old.terms, new.terms) else new.terms
            entries = {slug: _kept_tuple(old.entries.get(slug), es) for slug, es in new.entries.items()}
            result[kind] = Taxonomy(kind, terms, entries)
        return result

    def grouping(self) -> Grouping | None:
        """The last build's story grouping, to be updated with what changed."""
        return self.previous.model.grouping if self.previous is not None else None

    def stories(self, stories: tuple[SiteStory, ...]) -> tuple[SiteStory, ...]:
        """The last model's SiteStory wherever the new one holds the same entries (the
        same objects: a story never keeps an entry the new model replaced), lead, title
        and URL, so the editions' cards that name it can be kept too."""
        if self.previous is None:
            return stories
        old = {s.path: s for s in self.previous.model.stories}
        return tuple(_same_story(s, old.get(s.path)) for s in stories)

    def editions(self, editions: tuple[Edition, ...]) -> tuple[Edition, ...]:
        """The last model's Edition wherever the new one holds the same entries and cards
        (the same objects), in order."""
        if self.previous is None:
            return editions
        old = {ed.key: ed for ed in self.previous.model.editions}
        return tuple(_same_edition(ed, old.get(ed.key)) for ed in editions)


def _same_story(new: SiteStory, old: SiteStory | None) -> SiteStory:
    if old is None or old.lead is not new.lead or not _same_objects(old.entries, new.entries):
        return new
    return old if dataclasses.replace(old, lead=new.lead, entries=new.entries) == new else new


def _same_edition(new: Edition, old: Edition | None) -> Edition:
    """`old` when it is `new` to the object: cards are compared by what they hold, never
    by value, as a card equal in value may still hold the last model's entries and story
    (a body edit later changes only the current ones in place)."""
    if old is None or not _same_objects(old.entries, new.entries) or len(old.cards) != len(new.cards):
        return new
    if not all(map(_same_card, old.cards, new.cards)):
        return new
    return old if dataclasses.replace(old, entries=new.entries, cards=new.cards) == new else new


def _same_card(old: Card, new: Card) -> bool:
    return old.entry is new.entry and old.story is new.story and _same_objects(old.also, new.also)


def _same_terms(terms: tuple[Term, ...], names: tuple[str, ...] | list[str], by_name: dict[str, Term] | None) -> bool:
    """Whether `terms` are the very terms of these names, in order."""
    if len(terms) != len(names):
        return False
    return not names or (by_name is not None and all(map(operator.is_, terms, map(by_name.__getitem__, names))))


def _kept_tuple(old: tuple | None, new: tuple) -> tuple:
    return old if old is not None and _same_objects(old, new) else new


def _same_objects(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(map(operator.is_, a, b))


def _article_paths(
    articles: list[Article],
    settings: Settings,
    problems: list[Problem],
    known: Callable[[Article], str | None] = lambda a: None,
) -> dict[str, str]:
    """Article file -> output folder; two articles claiming one folder is an error.
    `known`: the folder an article object was given before with these settings, if any."""
    paths: dict[str, str] = {}
    owners: dict[str, str] = {}
    sections: dict[str, str] = {}  # each slugged once
    tz = settings.tz
    for article in sorted(articles, key=lambda a: a.path):
        path = known(article) or _article_path(article, settings, tz, sections)
        if path in owners:
            problems.append(
                Problem(
                    article.path, 0, "slug", f"URL /{path} is also the URL of {owners[path]} (set a different slug)"
                )
            )
            continue
        owners[path] = article.path
        paths[article.path] = path
    return paths


def _article_path(article: Article, settings: Settings, tz: Any, sections: dict[str, str]) -> str:
    local = article.date.astimezone(tz)
    section = article.section
    if section and section not in sections:
        sections[section] = term_slug(section)
    return settings.article_url.format(
        year=f"{local.year:04d}", month=f"{local.month:02d}", day=f"{local.day:02d}",
        slug=article.slug, section=sections[section] if section else "articles",
    ).lstrip("/")  # fmt: skip


def _terms(articles: list[Article], settings: Settings) -> dict[tuple[str, str], Term]:
    """(kind, name as written) -> Term. Spellings that differ only in case or Unicode
    form share one term; other names never do (slugs.term_slugs keeps their URLs apart)."""
    tags: list[str] = []
    authors: list[str] = []
    sections: list[str] = []
    source_names: list[str] = []
    sources: list[tuple[str, str]] = []
    for a in articles:  # the names gathered, then counted at once (in C): not 40,000 updates
        tags += a.tags
        authors += a.authors
        if a.section:
            sections.append(a.section)
        if a.source:
            source_names.append(a.source.name)
            if a.source.url:
                sources.append((a.source.name, a.source.url))
    written = {
        "tags": Counter(tags),
        "authors": Counter(authors),
        "sections": Counter(sections),
        "sources": Counter(source_names),
    }
    spellings: dict[tuple[str, str], Counter] = defaultdict(Counter)
    homepages: dict[str, str] = {}
    for kind, counts in written.items():
        slug_of = term_slugs(counts)  # from the names alone: never from file order
        for value, count in counts.items():
            spellings[(kind, slug_of[value])][value] += count
        if kind == "sources":
            for name, url in sources:
                homepages.setdefault(slug_of[name], url)
    terms: dict[tuple[str, str], Term] = {}
    for (kind, slug), counts in spellings.items():
        name = min(counts, key=lambda n: (-counts[n], n))  # the most used spelling
        url = f"{settings.base_path}{kind}/{slug}/"
        term = Term(kind, slug, name, url, homepages.get(slug, "") if kind == "sources" else "")
        for spelling in counts:
            terms[(kind, spelling)] = term
    return terms


def _entry(
    a: Article,
    urls: dict[str, str],
    unpublished: set[str],
    terms,
    settings: Settings,
    problems: list[Problem],
    failed: set[str],
) -> Entry:
    path = urls.get(a.path, "")
    url = settings.base_path + path
    local = a.date.astimezone(settings.tz)
    fields = {
        "article": a,
        "url": url,
        "path": path,
        "local_date": local,
        "edition": _edition_key(local.date(), settings.edition),
        "image": _image(a, url, settings, problems),
        "section": terms.get(("sections", a.section)),
        "source": terms.get(("sources", a.source.name)) if a.source else None,
        "tags": tuple(terms[("tags", t)] for t in a.tags),
        "authors": tuple(terms[("authors", n)] for n in a.authors),
    }
    if a.texts_as_written:
        return _sharing_texts(fields)
    return Entry(
        **fields,
        body_html=_resolve_links(a, a.body_html, urls, unpublished, settings, problems, failed),
        summary_html=_summary(a, url, urls, unpublished, settings, problems, failed),
    )


def shown_as_written(a: Article) -> bool:
    """Whether an entry shows the article's body and summary exactly as they are and they
    give no problem: no link to another article to resolve, no link marker left over, no
    relative URL in the summary (which list pages would show away from the article's
    folder). A pure function of the article: the build cache keeps its answer
    (Article.texts_as_written), so that its entry need not read the texts."""
    summary = a.summary_html
    return (
        not a.links and LINK_MARKER not in a.body_html and LINK_MARKER not in summary and not has_relative_urls(summary)
    )


def _sharing_texts(fields: dict[str, Any]) -> Entry:
    """An entry without fields of its own for body and summary: they are its article's, as
    written (shown_as_written), read through Entry.__getattr__ when first asked for, so
    that an article from the build cache keeps them unread until a page or feed shows them."""
    entry = object.__new__(Entry)
    vars(entry).update(fields)  # as unpickling does: a frozen record refuses setattr
    return entry


def new_body(
    article: Article, urls: dict[str, str], known: Collection[str], settings: Settings
) -> tuple[str, list[Problem]]:
    """A published article's body with its links resolved (`urls`: published article file ->
    output folder; `known`: every article file), and the problems of its links, summary
    included, as when the model was built."""
    problems: list[Problem] = []
    body = _resolve_links(article, article.body_html, urls, known, settings, problems)
    _resolve_links(article, article.summary_html, urls, known, settings, problems)
    return body, problems


def put_body(entry: Entry, article: Article, body_html: str) -> None:
    """Give an entry the new version of its article, which differs only in its body.

    In place, on purpose: the editions, lists and pages that hold the entry then all see
    the new body without being rebuilt. Only a kept model is changed this way, by the
    one caller that knows nothing else about the entry changed (see body_edits)."""
    object.__setattr__(entry, "article", article)
    object.__setattr__(entry, "body_html", body_html)


def _summary(
    a: Article, url: str, urls, known: set[str], settings: Settings, problems: list[Problem], failed: set[str]
) -> str:
    """The summary as list pages show it, away from the article's page: a bundle's
    `chart.svg` or a `#note` must still point at the article's folder."""
    html = _resolve_links(a, a.summary_html, urls, known, settings, problems, failed)
    return absolute_links(html, url) if has_relative_urls(html) else html


def _resolve_links(
    a: Article,
    html: str,
    urls,
    known: Collection[str],
    settings: Settings,
    problems: list[Problem],
    failed: Collection[str] = (),
) -> str:
    """`failed`: article files that did not parse. A link to one is no problem of its
    own: the file's own problem is the one cause, reported once."""
    reported = len(problems)
    for target, line in zip(a.links, a.link_lines):
        marker = _attribute(f"{LINK_MARKER}{target}")  # as Markdown wrote it into the href
        if marker not in html:
            continue
        if target in urls:
            html = html.replace(f'"{marker}', f'"{settings.base_path}{urls[target]}')
        elif target in known:
            problems.append(
                Problem(a.path, line, "", f"link to {target}, which is a draft or future-dated and not published")
            )
        elif target not in failed:
            problems.append(
                Problem(
                    a.path, line, "", f"link to {target}, which is not an article (no such file, or it failed to build)"
                )
            )
    if LINK_MARKER in html and len(problems) == reported and not failed:
        # No marker may be published: one left over with no problem said is a link this
        # code did not foresee, refused rather than put out as an address that leads nowhere.
        problems.append(
            Problem(
                a.path,
                1,
                "",
                "a link to another article could not be resolved (link to its .md file by a plain relative path)",
            )
        )
    return html


def _attribute(text: str) -> str:
    """Text as Python-Markdown writes it in an attribute value."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _image(a: Article, url: str, settings: Settings, problems: list[Problem]) -> Image | None:
    image = a.image
    if image is None:
        return None
    parts = urlsplit(image.src)
    if parts.scheme or parts.netloc:
        return image
    if image.src.startswith("/"):
        return Image(settings.base_path + image.src.lstrip("/"), image.alt, image.caption, image.credit)
    src = posixpath.normpath(image.src)
    if not a.is_bundle or src not in a.bundle_assets:
        problems.append(
            Problem(a.path, 0, "image.src", f"{image.src!r} is not a file of this article's folder "
                    "(expected a file beside index.md in a bundle, a path from the site root such as /images/x.jpg, or a URL)")
        )  # fmt: skip
        return None
    return Image(url + src, image.alt, image.caption, image.credit)


def _edition_key(day: date, period: str) -> str:
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"{year:04d}-W{week:02d}"
    return day.isoformat()


def _editions(entries: list[Entry], settings: Settings, story_of: dict[str, SiteStory]) -> tuple[Edition, ...]:
    groups: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        groups[e.edition].append(e)
    editions = []
    for key, members in groups.items():
        members.sort(key=lambda e: not e.article.featured)  # stable: featured first, then newest first
        day = members[0].local_date.date()
        if settings.edition == "week":
            year, week, _ = day.isocalendar()
            start = date.fromisocalendar(year, week, 1)
            path = f"{year:04d}/w{week:02d}/"
            end = start + timedelta(days=6)
        else:
            start = end = day
            path = f"{day.year:04d}/{day.month:02d}/{day.day:02d}/"
        shown = coverage.cards(members, story_of)
        editions.append(
            Edition(key, settings.base_path + path, path, start, end, settings.edition, tuple(members), shown)
        )
    return tuple(sorted(editions, key=lambda ed: ed.key, reverse=True))


def _taxonomies(entries: list[Entry], terms) -> dict[str, Taxonomy]:
    by_kind: dict[str, dict[str, list[Entry]]] = {kind: defaultdict(list) for kind in TAXONOMIES}
    tags, authors, sections, sources = (by_kind[kind] for kind in ("tags", "authors", "sections", "sources"))
    for e in entries:  # one pass over them all, each entry's terms read as fields: 10,000 entries
        for term in e.tags:
            tags[term.slug].append(e)
        for term in e.authors:
            authors[term.slug].append(e)
        if e.section:
            sections[e.section.slug].append(e)
        if e.source:
            sources[e.source.slug].append(e)
    result = {}
    for kind in TAXONOMIES:
        by_slug = by_kind[kind]
        unique = {t.slug: t for (k, _), t in terms.items() if k == kind and t.slug in by_slug}
        ordered = tuple(sorted(unique.values(), key=lambda t: (t.name.casefold(), t.slug)))
        result[kind] = Taxonomy(kind, ordered, {slug: tuple(es) for slug, es in sorted(by_slug.items())})
    return result


def _neighbours(entries: list[Entry]) -> dict[str, tuple[str | None, str | None]]:
    """url -> (the older entry's url, the newer entry's url)."""
    result = {}
    for i, e in enumerate(entries):
        newer = entries[i - 1].url if i > 0 else None
        older = entries[i + 1].url if i + 1 < len(entries) else None
        result[e.url] = (older, newer)
    return result


def related_key(entries: list[Entry], limit: int) -> bytes:
    """A digest of all the related lists are chosen from: the limit, and each entry's tags in
    the entries' order (related_indices reads nothing else)."""
    return hashlib.blake2b(repr((limit, [[t.slug for t in e.tags] for e in entries])).encode(), digest_size=16).digest()


def _related_places(entries: list[Entry], limit: int, last: RelatedPlaces | None) -> RelatedPlaces | None:
    """The related lists by place: the last build's when chosen from the same tags in the
    same order, else worked out (_related). None when there are no entries to relate."""
    if not entries:
        return None
    key = related_key(entries, limit)
    if last is not None and last[0] == key and len(last[1]) == len(entries):
        return last
    return key, _related(entries, limit)


def _by_url(entries: list[Entry], places: tuple[tuple[int, ...], ...]) -> dict[str, tuple[str, ...]]:
    urls = [e.url for e in entries]
    return {url: tuple(urls[j] for j in ranked) for url, ranked in zip(urls, places, strict=True)}


def _related(entries: list[Entry], limit: int) -> tuple[tuple[int, ...], ...]:
    """Stories sharing the most tags, ties to the closest in time: each entry's by place."""
    by_tag: dict[str, list[int]] = defaultdict(list)
    for i, e in enumerate(entries):
        for t in e.tags:
            by_tag[t.slug].append(i)
    members = {slug: set(indices) for slug, indices in by_tag.items()}
    return tuple(
        tuple(related_indices(i, [t.slug for t in e.tags], by_tag, members, limit)) for i, e in enumerate(entries)
    )


def related_indices(
    i: int, tags: list[str], by_tag: dict[str, list[int]], members: dict[str, set[int]], limit: int
) -> list[int]:
    """The `limit` best of the entries sharing a tag with entry i, ranked by tags shared,
    then distance in time, then position.

    Counting every candidate is quadratic in a large archive, so: entries sharing two
    or more tags come from set intersections (few), and the best of those sharing one
    tag are the nearest in time, found by bisecting each tag's sorted list.
    """
    if limit == 0:
        return []
    several: set[int] = set()
    for a in range(len(tags)):
        for b in range(a + 1, len(tags)):
            several |= members[tags[a]] & members[tags[b]]
    several.discard(i)
    shared = {j: sum(j in members[t] for t in tags) for j in several}
    best = sorted(several, key=lambda j: (-shared[j], abs(j - i), j))[:limit]
    need = limit - len(best)
    if need <= 0:
        return best
    reach = need + len(several) + 1
    nearby: set[int] = set()
    for t in tags:
        indices = by_tag[t]
        at = bisect.bisect_left(indices, i)
        nearby.update(indices[max(0, at - reach) : at + reach + 1])
    nearby -= several
    nearby.discard(i)
    return best + sorted(nearby, key=lambda j: (abs(j - i), j))[:need]
