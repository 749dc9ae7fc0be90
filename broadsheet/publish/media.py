"""How a host should serve each file Broadsheet makes: content type, cache policy, upload order.

Hosts that are buckets (S3 and its kin) serve the headers stored with each object, so the
publisher must say them. Two classes of cache: pages, feeds and every other file whose
name stays while its bytes change get a short max-age, so a correction shows within
minutes; fingerprinted stylesheets and scripts (`css/broadsheet.1a2b3c4d5e.css`, named by
outputs/assets.py after their bytes' hash) never change under their name, so they are
cached for a year and marked immutable. Other assets (images, fonts, bundle files) rarely
change under their name and get a day.
"""

from __future__ import annotations

import mimetypes
import posixpath
import re
from dataclasses import dataclass

SHORT = "public, max-age=300"  # pages and feeds: a correction is live within five minutes
DAY = "public, max-age=86400"  # assets whose name does not change with their bytes
IMMUTABLE = "public, max-age=31536000, immutable"  # fingerprinted: a new version is a new name

# outputs/assets.py names copies `<stem>.<first 10 hex digits of sha256><ext>` for these.
FINGERPRINTED = re.compile(r"\.[0-9a-f]{10}\.(css|js)$")

# By file name first (the same extension means different things), then by extension.
BY_NAME = {
    "feed.xml": "application/atom+xml; charset=utf-8",  # outputs/feeds.py FEED_FILES
    "rss.xml": "application/rss+xml; charset=utf-8",
    "feed.json": "application/feed+json; charset=utf-8",
    "_redirects": "text/plain; charset=utf-8",  # Netlify's format; harmless elsewhere
}
BY_EXTENSION = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",  # sitemaps
    ".json": "application/json",  # JSON is UTF-8 by definition: no charset parameter
    ".webmanifest": "application/manifest+json",
    ".txt": "text/plain; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".pdf": "application/pdf",
    ".gz": "application/gzip",  # served as the archive it is, never as Content-Encoding
}
# Documents: what readers load by URL and what points at other files. They go up after
# the assets they reference, and are cached briefly because their names never change.
DOCUMENTS = {".html", ".htm", ".xml", ".json", ".webmanifest", ".txt"}
# Never published: `broadsheet email` writes newsletters (.eml, with their recipients'
# view of an edition) beside the site; one copied into the output stays private.
PRIVATE = {".eml"}


@dataclass(frozen=True)
class Media:
    content_type: str
    cache_control: str
    document: bool  # a page, feed or sitemap: uploaded after every asset
    content_encoding: str | None = None  # Broadsheet writes no precompressed files today


def publishable(path: str) -> bool:
    return posixpath.splitext(path)[1].lower() not in PRIVATE


def media(path: str) -> Media:
    """The headers for one output path ("/"-separated, relative to the output)."""
    name = posixpath.basename(path)
    ext = posixpath.splitext(name)[1].lower()
    document = ext in DOCUMENTS or name == "_redirects"
    if document:
        cache = SHORT
    elif FINGERPRINTED.search(name):
        cache = IMMUTABLE
    elif ext in (".css", ".js", ".mjs"):
        cache = SHORT  # the plain-named copy of a fingerprinted file changes under its name
    else:
        cache = DAY
    return Media(_content_type(name, ext), cache, document)


def _content_type(name: str, ext: str) -> str:
    if name in BY_NAME:
        return BY_NAME[name]
    if ext in BY_EXTENSION:
        return BY_EXTENSION[ext]
    guessed = mimetypes.guess_type(name, strict=False)[0]  # the system's table varies: only a fallback
    if guessed is None:
        return "application/octet-stream"
    return guessed + "; charset=utf-8" if guessed.startswith("text/") else guessed
