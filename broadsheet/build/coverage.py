"""A site's stories: the groups `stories.py` finds among the entries, made into the records
pages show (`SiteStory`, and `Card`, one place in a list of articles).

`stories.py` knows nothing of a site; this module turns entries into its plain records and
back, gives each story its URL, lead and title, and says what is wrong with the editor's
`story:` keys. The grouping is kept between a serve session's builds (`Grouping`), and
between runs of the command line in the build cache (`Grouping.saved`, `restored`: the
articles themselves are cached, so only the links are stored), so an edit regroups only
the window around the edited article.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from broadsheet.build.html import plain_text
from broadsheet.build.slugs import term_key, term_slug
from broadsheet.build.stories import (
    Features,
    NotRestorable,
    SavedIndex,
    Story,
    StoryEntry,
    StoryIndex,
    StorySettings,
    features,
)
from broadsheet.problems import Problem

if TYPE_CHECKING:
    from broadsheet.build.content import Article
    from broadsheet.build.model import Entry

STORIES_PATH = "stories/"  # /stories/ lists them, /stories/<slug>/ is one
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # terms do not depend on the date
BODY_HTML_CHARS = 4000  # enough HTML for the opening of a body that grouping reads (stories.BODY_CHARS)


def terms_of(title: str, summary_text: str, body_html: str) -> Features:
    """What grouping compares of one article: a function of its text alone, so it is made
    where the article is parsed and cached with it."""
    head = body_html[:BODY_HTML_CHARS]
    if len(body_html) > BODY_HTML_CHARS:
        head = head[: head.rfind(">") + 1]  # never half a tag, whose attributes would read as words
    entry = StoryEntry("", title, summary_text, plain_text(head), EPOCH)
    return features(entry)


@dataclass(frozen=True)
class SiteStory:
    """Coverage of one event: two or more entries, in time order. `lead` is the one shown
    for all of them (the featured one, else the earliest); `key` the editor's `story:`."""

    slug: str
    url: str
    path: str  # site-relative output folder, "stories/<slug>/"
    title: str
    lead: Entry
    entries: tuple[Entry, ...]
    key: str | None = None

    def others(self, entry: Entry) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e is not entry)

    @property
    def outlets(self) -> tuple[str, ...]:
        """The outlets that reported it, each once, in the order they did."""
        names = (e.source.name for e in self.entries if e.source is not None)
        return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class Card:
    """One place in a list of articles (an edition, the front page, the newsletter): the
    entry shown, its story (None for an article alone) and the story's other coverage."""

    entry: Entry
    story: SiteStory | None = None
    also: tuple[Entry, ...] = ()


@dataclass
class Grouping:
    """What grouping keeps between builds (a serve session's, or the command line's through
    the build cache): the index, and the article each entry's record for grouping and
    terms were made from when it went in, so the next build hands the index only what
    changed (the same article object is the same record and terms: articles are frozen)."""

    settings: StorySettings
    index: StoryIndex
    articles: dict[str, Article] = field(default_factory=dict)  # entry URL -> its article in the index
    stories: tuple[Story, ...] = ()  # the index's answer when a model was last made from it
    regrouped: int = 0  # articles the last find() put into the index or took out (all: made afresh)

    def saved(self) -> SavedIndex:
        """The index as plain data; with `articles`, all `restored` needs."""
        return self.index.saved()


def restored(saved: SavedIndex, articles: Mapping[str, Article], settings: StorySettings) -> Grouping | None:
    """The grouping an earlier build saved, given each of its entries' articles as they were
    then (entry URL -> article, the build cache's; read only where an edit reaches); None
    when `saved` cannot be an index, or was made with other settings or another version
    of grouping. An article found not to be the one saved when an edit reaches it makes
    the next find() group afresh."""

    def source(url: str) -> tuple[StoryEntry, Features]:
        article = articles.get(url)
        if article is None:
            raise NotRestorable(f"{url}: no article")
        return _record(url, article), _terms(article)

    try:
        index = StoryIndex.restored(saved, source, settings)
    except NotRestorable:
        return None
    return Grouping(settings, index, dict(articles))


@dataclass(frozen=True)
class Found:
    stories: tuple[SiteStory, ...]  # newest first, by their latest article
    story_of: dict[str, SiteStory]  # entry URL -> its story
    grouping: Grouping
    problems: list[Problem]


def find(entries: Sequence[Entry], settings: StorySettings, base_path: str, previous: Grouping | None = None) -> Found:
    """The stories among `entries`. `previous`: the last build's grouping, updated in place
    with what changed (an edit costs one window, not the site); None groups from nothing."""
    by_url = {e.url: e for e in entries}
    grouping = _regroup(previous, by_url, settings)
    grouping.stories = grouping.index.stories()
    problems = _lonely_keys(grouping.index, by_url)
    made = [_story([by_url[i] for i in story.ids], story.key) for story in grouping.stories]
    made, wrong = _with_urls(made, base_path)
    problems += wrong
    made.sort(key=lambda s: (s.entries[-1].article.date, s.slug), reverse=True)
    story_of = {e.url: s for s in made for e in s.entries}
    return Found(tuple(made), story_of, grouping, problems)


def same_after_edits(grouping: Grouping, edited: Mapping[str, Article]) -> bool:
    """After edits of published articles' text alone (entry URL -> its new article, the
    same in all but its body): the grouping brought up to date, one window for each, and
    whether its stories come out as when the model was made. Membership and keys decide
    the rest (lead, title, URL come from front matter and dates, which a body edit leaves
    alone); when they differ, the caller must make the model again."""
    index, reached = grouping.index, set()
    for url, article in edited.items():
        record, terms = _record(url, article), _terms(article)
        was = grouping.articles.get(url)
        if was is None or _record(url, was) != record:
            return False  # not an entry the index holds as it is: not an edit of a body
        if _terms(was) != terms:
            # before: the components the edit may split (links are scored by pairs, so the
            # window after covers them too; reached before all the same, whatever scores a link)
            reached |= index.reach(record)
            try:
                index.replace(record, terms)
            except NotRestorable:  # a restored index that is not what was saved: the next find() regroups
                return False
            reached |= index.reach(record)  # after: those it may join
        grouping.articles[url] = article
    # Only the stories of the components reached can have changed (stories.StoryIndex.reach),
    # and the grouping's stories are its index's as the last find() or edit left them.
    return index.stories_among(reached) == tuple(s for s in grouping.stories if s.key is None and s.ids[0] in reached)


def _record(url: str, a: Article) -> StoryEntry:
    source = a.source.name if a.source else ""
    # The text is in the terms (made at parsing); the record says who, when and what key.
    return StoryEntry(url, a.title, "", "", a.date, source, a.lang, story_key(a.story))


def _terms(a: Article) -> Features:
    return a.story_terms if a.story_terms is not None else terms_of(a.title, a.summary_text, a.body_html)


def _regroup(previous: Grouping | None, entries: Mapping[str, Entry], settings: StorySettings) -> Grouping:
    if previous is not None and previous.settings == settings:
        try:
            return _changes(previous, entries)
        except NotRestorable:  # a restored index, found not to be what was saved: group afresh
            pass
    records = {url: (_record(url, e.article), _terms(e.article)) for url, e in entries.items()}
    index = StoryIndex((r for r, _ in records.values()), settings, {i: t for i, (_, t) in records.items()})
    return Grouping(settings, index, {url: e.article for url, e in entries.items()}, regrouped=len(records))


def _changes(previous: Grouping, entries: Mapping[str, Entry]) -> Grouping:
    """`previous` given what changed: the articles gone, and those that are not the same
    objects with a record or terms of their own."""
    known = previous.articles
    gone = [url for url in known if url not in entries]
    for url in gone:
        previous.index.remove(url)
        del known[url]
    previous.regrouped = len(gone)
    for url, entry in entries.items():
        article = entry.article
        was = known.get(url)
        if was is article:
            continue
        record, terms = _record(url, article), _terms(article)
        if was is None or _record(url, was) != record or _terms(was) != terms:
            previous.index.replace(record, terms)
            previous.regrouped += 1
        known[url] = article
    return previous


def _story(members: list[Entry], key: str | None) -> SiteStory:
    featured = [e for e in members if e.article.featured]
    lead = featured[0] if featured else members[0]
    titled = [e for e in (lead, *members) if e.article.story_title]
    title = titled[0].article.story_title if titled else lead.title
    slug = term_slug(key) if key is not None else members[0].article.slug  # stable as articles join
    return SiteStory(slug, "", "", title, lead, tuple(members), key)


def _with_urls(made: list[SiteStory], base_path: str) -> tuple[list[SiteStory], list[Problem]]:
    """Each story its folder. A story found automatically takes its first article's slug,
    and that article's date after it where another story has the slug; two stories the
    editor keyed that would share a URL are an error naming both."""
    taken: dict[str, SiteStory] = {}
    problems: list[Problem] = []
    keyed = sorted((s for s in made if s.key is not None), key=lambda s: s.key or "")
    for story in [*keyed, *(s for s in made if s.key is None)]:
        slug = story.slug
        if slug in taken and story.key is None:
            slug = f"{slug}-{story.entries[0].local_date.date().isoformat()}"
        if slug in taken:
            problems.append(_clash(story, taken[slug], slug))
            continue
        path = f"{STORIES_PATH}{slug}/"
        taken[slug] = SiteStory(slug, base_path + path, path, story.title, story.lead, story.entries, story.key)
    return list(taken.values()), problems


def story_key(story: str | bool | None) -> str | bool | None:
    """One key up to case, Unicode form and runs of spaces, as tags are one tag: an editor
    who writes "Lorvik Bridge" in one file and "lorvik bridge" in the next means one story."""
    return term_key(story) if isinstance(story, str) else story


def _clash(story: SiteStory, other: SiteStory, slug: str) -> Problem:
    first, them = story.entries[0].article, other.entries[0].article
    name = f"the key {first.story!r}" if story.key is not None else f"the story of {first.path}"
    message = (
        f"{name} would have the URL /{STORIES_PATH}{slug}/ of the key {them.story!r} ({them.path}); choose another key"
    )
    return Problem(first.path, first.story_line, "story", message)


def _lonely_keys(index: StoryIndex, by_url: Mapping[str, Entry]) -> list[Problem]:
    """A `story:` key only one article has joins nothing: most often a typing slip."""
    problems = []
    for key, ids in sorted(index.keyed().items()):
        if len(ids) == 1:
            article = by_url[ids[0]].article
            message = (
                f"story: {key} is used by this article alone, so it joins nothing (a typing slip? "
                "the other articles of the story need the same key)"
            )
            problems.append(Problem(article.path, article.story_line, "story", message, warning=True))
    return problems


def cards(entries: Sequence[Entry], story_of: Mapping[str, SiteStory]) -> tuple[Card, ...]:
    """A list of articles with each story shown once, where its first article in the list
    stands: the story's lead if the list holds it, else that first article, with every
    other article of the story named under it ("Also reported by")."""
    here: dict[int, list[Entry]] = {}
    for e in entries:
        story = story_of.get(e.url)
        if story is not None:
            here.setdefault(id(story), []).append(e)
    out = []
    for e in entries:
        story = story_of.get(e.url)
        if story is None:
            out.append(Card(e))
            continue
        members = here[id(story)]
        if e is not members[0]:
            continue
        shown = story.lead if any(m is story.lead for m in members) else members[0]
        out.append(Card(shown, story, story.others(shown)))
    return tuple(out)
