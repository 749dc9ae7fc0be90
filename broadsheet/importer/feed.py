"""An RSS, Atom or JSON feed -> one Draft per entry (feedparser reads all three)."""

from __future__ import annotations

import json
from calendar import timegm
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import feedparser

from broadsheet.importer.dates import parse_iso
from broadsheet.importer.draft import Draft, Picture
from broadsheet.importer.markdown import clean_markdown, html_to_markdown


def looks_like_feed(data: bytes) -> bool:
    head = data[:2048].lstrip().lower()
    return (
        head.startswith(b"{")
        and b"jsonfeed.org" in data[:4096].lower()
        or any(tag in head for tag in (b"<rss", b"<feed", b"<rdf:rdf"))
    )


def read_feed(data: bytes, origin: str, url: str, source_name: str, tz: ZoneInfo) -> list[Draft]:
    """ValueError when the data is not a feed or has no entries."""
    if data.lstrip()[:1] == b"{":
        return read_json_feed(data, origin, source_name, tz)
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
    return html_to_markdown(html) if "html" in kind else clean_markdown(html)


def _date(entry, tz: ZoneInfo) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    return datetime.fromtimestamp(timegm(parsed), UTC).astimezone(tz) if parsed else None


def _picture(entry) -> Picture | None:
    media = entry.get("media_content") or entry.get("media_thumbnail") or []
    images = [m.get("url") for m in media if m.get("url") and m.get("medium", "image") == "image"]
    images += [
        e.get("href") for e in entry.get("enclosures", []) if e.get("type", "").startswith("image/") and e.get("href")
    ]
    if entry.get("image", {}).get("href"):
        images.append(entry["image"]["href"])
    if not images:
        return None
    caption = (
        " ".join(entry.get("media_description", "").split()) if isinstance(entry.get("media_description"), str) else ""
    )
    credit = entry.get("media_credit", [{}])[0].get("content", "") if entry.get("media_credit") else ""
    return Picture(src=images[0], caption=caption, credit=credit.strip())


def read_json_feed(data: bytes, origin: str, source_name: str, tz: ZoneInfo) -> list[Draft]:
    """JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1), which feedparser 6.0 does not read."""
    try:
        feed = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"malformed JSON feed: {exc}") from None
    items = feed.get("items") if isinstance(feed, dict) else None
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        raise ValueError("not a JSON feed with items")
    name = source_name or str(feed.get("title", "")).strip()
    home = str(feed.get("home_page_url", ""))
    return [_json_item(item, f"{origin} #{n}", name, home, tz) for n, item in enumerate(items, 1)]


def _json_item(item: dict, origin: str, name: str, home: str, tz: ZoneInfo) -> Draft:
    title = " ".join(str(item.get("title", "")).split())
    if not title:
        raise ValueError(f"{origin}: an item without a title")
    html, text = item.get("content_html"), item.get("content_text") or item.get("summary") or ""
    body = html_to_markdown(html) if isinstance(html, str) and html else clean_markdown(str(text))
    people = item.get("authors") or ([item["author"]] if isinstance(item.get("author"), dict) else [])
    authors = tuple(str(p["name"]).strip() for p in people if isinstance(p, dict) and str(p.get("name", "")).strip())
    when = parse_iso(str(item.get("date_published") or item.get("date_modified") or ""), tz)
    image = item.get("image") or item.get("banner_image")
    picture = Picture(src=image) if isinstance(image, str) and image.startswith(("http://", "https://")) else None
    return Draft(
        origin,
        title,
        body,
        when.astimezone(tz) if when else None,
        str(item.get("url", "")),
        name,
        home,
        authors,
        picture,
    )
