"""`relative_urls: true`: a page's links made relative to the page, so the output opens
from the disk (file://) as well as from any server, under any path.

Done once, as each page of the site comes out of its template (build/render.py): every
site path in an attribute that holds a URL (links, stylesheets, scripts, images, srcset,
form actions, the search page's index) becomes a path from the page's folder, and a link
to a folder ends in `index.html`, which a browser opening files does not add by itself.
What must say where the site is published stays absolute: the canonical link and Open
Graph URL (full URLs already, and a <link rel="canonical"> is skipped whatever it holds),
and everything not written from a page template (feeds, sitemaps, the newsletter, the
redirect pages at old addresses). 404.html keeps site paths too: a host shows it at any
address, where a relative link would resolve against the wrong folder.

The HTML is read by the tokenizer build/html.py wraps (start tags with their offsets), so
only the tags that change are rewritten and every other byte is kept.
"""

from __future__ import annotations

import posixpath
from html import escape
from urllib.parse import urlsplit

from broadsheet.build import html

# URL attributes this theme writes beyond the usual ones: where search.js fetches the index.
DATA_ATTRIBUTES = {"data-search-index"}
NOT_FOR = ("404.html",)  # see the docstring
MAIL_TEMPLATES = "email/"  # the newsletter's pages: a mail client has no folder to be relative to


def wanted(page_path: str, template: str) -> bool:
    """Whether a page of the site gets relative links under `relative_urls: true`."""
    return page_path not in NOT_FOR and not template.startswith(MAIL_TEMPLATES)


def relative_page(page_html: str, page_path: str, base_path: str) -> str:
    """The page at `page_path` (its output file, "2025/06/19/slug/index.html") with every
    site path under `base_path` ("/" or "/digest/") made relative to its folder."""
    return _Relativiser(page_html, page_path, base_path).result()


def relative_url(url: str, page_path: str, base_path: str) -> str:
    """One URL as the page at `page_path` reaches it from the disk: a site path (or a path
    relative to the page) -> a relative path to the file, `index.html` added to a folder;
    full URLs, `//host` URLs, fragments alone and paths outside the site as they were."""
    stripped = url.strip()
    if not stripped or stripped.startswith(("#", "?", "//")) or html.SCHEME.match(stripped):
        return url
    try:
        parts = urlsplit(stripped)
    except ValueError:  # not a URL at all (raw HTML in an article): left as written
        return url
    folder = posixpath.dirname(page_path)
    path = parts.path
    if path.startswith("/"):
        if not path.startswith(base_path) and path + "/" != base_path:
            return url  # another site on this host: no file of ours
        site_path = path[len(base_path) :]
    else:
        site_path = posixpath.normpath(posixpath.join(folder, path)) if path else page_path
        if site_path == "." or path.endswith("/"):
            site_path = "" if site_path == "." else site_path + "/"
        if site_path.startswith("../"):
            return url  # above the site's root: not ours to change
    if site_path == "" or site_path.endswith("/"):
        site_path += "index.html"
    new = posixpath.relpath(site_path, folder or ".")
    return new + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")


class _Relativiser(html.TagEditor):
    def __init__(self, page_html: str, page_path: str, base_path: str):
        super().__init__(page_html)
        self.page_path, self.base_path = page_path, base_path

    def change(self, tag, attrs, empty):
        if tag == "link" and any(n == "rel" and v and "canonical" in v.lower().split() for n, v in attrs):
            return None
        new = [(name, self._attribute(name, value)) for name, value in attrs]
        if new == attrs:
            return None
        text = "".join(f" {n}" if v is None else f' {n}="{escape(v)}"' for n, v in new)
        return f"<{tag}{text}{' />' if empty else '>'}"

    def _attribute(self, name: str, value: str | None) -> str | None:
        if value is None:
            return None
        if name in html.URL_ATTRIBUTES or name in DATA_ATTRIBUTES:
            return relative_url(value, self.page_path, self.base_path)
        if name in html.SRCSET_ATTRIBUTES:
            candidates = html.srcset_candidates(value)
            return ", ".join(" ".join([self._url(url), *descriptors]) for url, descriptors in candidates)
        return value

    def _url(self, url: str) -> str:
        return relative_url(url, self.page_path, self.base_path)
