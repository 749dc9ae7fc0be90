"""Structured data for search engines and news aggregators: schema.org JSON-LD built
as plain dicts, so templates only serialise them (Jinja's tojson escapes for <script>)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from broadsheet.build.config import Settings
from broadsheet.build.coverage import SiteStory
from broadsheet.build.model import Entry


def news_article(entry: Entry, settings: Settings, coverage: SiteStory | None = None) -> dict[str, Any]:
    """The article's NewsArticle; of a story (`coverage`), it is part of the story's page
    and cites the other reports of the event."""
    page = settings.absolute(entry.url)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": entry.title[:110],  # longer headlines are cut by the consumers anyway
        "description": entry.summary_text,
        "datePublished": entry.date.isoformat(),
        "dateModified": (entry.updated or entry.date).isoformat(),
        "mainEntityOfPage": {"@type": "WebPage", "@id": page},
        "url": page,
        "inLanguage": entry.lang or settings.language,
        "publisher": {"@type": "Organization", "name": settings.title, "url": settings.base_url},
        "author": _authors(entry, settings),
        "wordCount": entry.word_count,
    }
    if entry.image:
        data["image"] = [settings.absolute(entry.image.src)]
    if entry.tags:
        data["keywords"] = [t.name for t in entry.tags]
    if entry.section:
        data["articleSection"] = entry.section.name
    if entry.original_url:
        original: dict[str, Any] = {"@type": "NewsArticle", "url": entry.original_url}
        if entry.source:
            original["publisher"] = {"@type": "Organization", "name": entry.source.name}
        data["isBasedOn"] = original
        data["citation"] = entry.original_url
    if coverage is not None:
        data["isPartOf"] = {"@type": "CollectionPage", "url": settings.absolute(coverage.url), "name": coverage.title}
        cited = [_other_report(other, settings) for other in coverage.others(entry)]
        # schema.org takes several values of a property as a list: the original report's URL first
        data["citation"] = [entry.original_url, *cited] if entry.original_url else cited
    return data


def _other_report(entry: Entry, settings: Settings) -> dict[str, Any]:
    """Another report of the same event, as its page on this site names it."""
    report: dict[str, Any] = {
        "@type": "NewsArticle",
        "url": settings.absolute(entry.url),
        "headline": entry.title[:110],
    }
    report["datePublished"] = entry.date.isoformat()
    if entry.source:
        report["publisher"] = {"@type": "Organization", "name": entry.source.name}
    if entry.original_url:
        report["sameAs"] = entry.original_url  # the outlet's own page of it
    return report


def _authors(entry: Entry, settings: Settings) -> list[dict[str, str]]:
    if entry.authors:
        return [{"@type": "Person", "name": a.name, "url": settings.absolute(a.url)} for a in entry.authors]
    return [{"@type": "Organization", "name": settings.title, "url": settings.base_url}]


def collection_page(title: str, page_url: str, entries: Iterable[Entry], settings: Settings) -> dict[str, Any]:
    items = [
        {"@type": "ListItem", "position": n, "url": settings.absolute(e.url), "name": e.title}
        for n, e in enumerate(entries, start=1)
    ]
    return {
        "@context": "https://schema.org",
        "@type": "CollectionPage",
        "name": title,
        "url": settings.absolute(page_url),
        "inLanguage": settings.language,
        "isPartOf": {"@type": "WebSite", "name": settings.title, "url": settings.base_url},
        "mainEntity": {"@type": "ItemList", "numberOfItems": len(items), "itemListElement": items},
    }


def story_page(coverage: SiteStory, settings: Settings) -> dict[str, Any]:
    """A story's page: its reports, oldest first, as a list that says it is in that order."""
    data = collection_page(coverage.title, coverage.url, coverage.entries, settings)
    data["mainEntity"]["itemListOrder"] = "https://schema.org/ItemListOrderAscending"  # by time
    return data
