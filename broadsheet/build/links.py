"""Rewriting the URLs of HTML written for one page so that it reads right elsewhere."""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser
from typing import Callable
from urllib.parse import urljoin, urlsplit

URL_ATTRIBUTES = {"href", "src", "poster", "cite", "action", "background", "longdesc"}
# Matched against the lowercased HTML: re.I makes the scan six times slower.
RELATIVE_URL = re.compile(r"""(?:href|src|srcset|poster|cite)\s*=\s*["']?+(?![a-z][a-z0-9+.-]*:|/|#)""")


def has_relative_urls(html: str) -> bool:
    """A quick look: False means no attribute here holds a relative URL (or a fragment)."""
    return RELATIVE_URL.search(html.lower()) is not None


class _LinkFinder(HTMLParser):
    """Collects (start offset, end offset, new text) for each start tag whose URLs change."""

    def __init__(self, change: Callable[[str], str], line_starts: list[int]):
        super().__init__(convert_charrefs=False)
        self.change, self.line_starts = change, line_starts
        self.edits: list[tuple[int, int, str]] = []

    def handle_starttag(self, tag, attrs):
        self._rewrite(tag, attrs, ">")

    def handle_startendtag(self, tag, attrs):
        self._rewrite(tag, attrs, " />")

    def _rewrite(self, tag: str, attrs: list[tuple[str, str | None]], close: str) -> None:
        new = [(name, _change_attribute(name, value, self.change)) for name, value in attrs]
        if new == attrs:
            return
        line, column = self.getpos()
        start = self.line_starts[line - 1] + column
        text = "".join(f" {n}" if v is None else f' {n}="{escape(v)}"' for n, v in new)
        self.edits.append((start, start + len(self.get_starttag_text()), f"<{tag}{text}{close}"))


def absolute_links(html: str, base: str) -> str:
    """Relative URLs in href, src, srcset (and the like) resolved against `base`.

    Feed readers show an entry away from its page, so `/digest/x/` or a bundle's
    `chart.svg` would point nowhere; list pages show a summary away from its page too.
    """
    return rewrite_urls(html, lambda url: _absolute(url, base))


def rewrite_urls(html: str, change: Callable[[str], str]) -> str:
    """Every URL in href, src, srcset (and the like) passed through `change`. Only the
    start tags that change are rewritten; every other byte of the HTML is kept as it was."""
    line_starts = [0] + [m.end() for m in re.finditer("\n", html)]  # HTMLParser counts lines by \n only
    finder = _LinkFinder(change, line_starts)
    finder.feed(html)
    finder.close()
    parts, last = [], 0
    for start, end, text in finder.edits:
        parts += [html[last:start], text]
        last = end
    return "".join(parts) + html[last:]


def _change_attribute(name: str, value: str | None, change: Callable[[str], str]) -> str | None:
    if value is None:
        return None
    if name in URL_ATTRIBUTES:
        return change(value)
    if name in ("srcset", "imagesrcset"):
        candidates = (c.strip().split(None, 1) for c in value.split(",") if c.strip())
        return ", ".join(" ".join([change(c[0]), *c[1:]]) for c in candidates)
    return value


def _absolute(url: str, base: str) -> str:
    url = url.strip()
    if not url or urlsplit(url).scheme:  # already absolute, or mailto:, data:, ...
        return url
    return urljoin(base, url)
