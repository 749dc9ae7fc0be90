"""An RSS, Atom or JSON feed -> one Draft per entry (feedparser reads all three)."""

from __future__ import annotations

from calendar import timegm
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import feedparser

from broadsheet.importer.draft import Draft, Picture
from broadsheet.importer.markdown import html_to_markdown, sanitise_markdown, tidy


def looks_like_feed(data: bytes) -> bool:
    head = data[:2048].lstrip().lower()
    return head.startswith(b"{") and b"jsonfeed.org" in data[:4096].lower() or any(
        tag in head for tag in (b"<rss", b"<feed", b"<rdf:rdf")
    )


def read_feed(data: bytes, origin: str, url: str, source_name: str, tz: ZoneInfo) -> list[Draft]:
    """ValueError when the data is not a feed or has no entries."""
    parsed = feedparser.parse(data, response_headers={"content-location": url} if url else None, sanitize_html=True)
    if not parsed.entries:
        reason = f": {parsed.bozo_exception}" if parsed.get("bozo") and parsed.get("bozo_exception") else ""
        raise ValueError(f"not a feed, or a feed without entries{reason}")
    if parsed.get("bozo") and not all(e.get("title", "").strip() for e in parsed.entries):
        raise ValueError(f"malformed feed: {parsed.get('bozo_exception')}")
    name = source_name or parsed.feed.get("title", "").strip()
    home = parsed.feed.get("link", "")
    return [_entry(entry, f"{origin} #{n}", name, home, tz) for n, entry in enumerate(parsed.entries, 1)]


def _entry(entry, origin: str, name: str, home: str, tz: ZoneInfo) -> Draft:
    title = " ".join(entry.get("title", "").split())
    if not title:
        raise ValueError(f"{origin}: an entry without a title")
    body = _body(entry)
    authors = tuple(a["name"].strip() for a in entry.get("authors", []) if a.get("name", "").strip())
    return Draft(origin, title, body, _date(entry, tz), entry.get("link", ""), name, home, authors, _picture(entry))


def _body(entry) -> str:
    html = entry.content[0].value if entry.get("content") else entry.get("summary", "")
    if not html:
        return ""
    kind = entry.content[0].type if entry.get("content") else entry.get("summary_detail", {}).get("type", "text/html")
    return html_to_markdown(html) if "html" in kind else sanitise_markdown(tidy(html))


def _date(entry, tz: ZoneInfo) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    return datetime.fromtimestamp(timegm(parsed), timezone.utc).astimezone(tz) if parsed else None


def _picture(entry) -> Picture | None:
    media = entry.get("media_content") or entry.get("media_thumbnail") or []
    images = [m.get("url") for m in media if m.get("url") and m.get("medium", "image") == "image"]
    images += [e.get("href") for e in entry.get("enclosures", []) if e.get("type", "").startswith("image/") and e.get("href")]
    if entry.get("image", {}).get("href"):
        images.append(entry["image"]["href"])
    if not images:
        return None
    caption = " ".join(entry.get("media_description", "").split()) if isinstance(entry.get("media_description"), str) else ""
    credit = entry.get("media_credit", [{}])[0].get("content", "") if entry.get("media_credit") else ""
    return Picture(src=images[0], caption=caption, credit=credit.strip())
