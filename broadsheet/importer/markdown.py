"""Untrusted HTML -> Markdown, and Markdown whose raw HTML is sanitised.

Imported text is untrusted: Python-Markdown passes raw HTML through to the page, so every
body is cleaned by nh3 (the Ammonia sanitiser) before it is written.
"""

from __future__ import annotations

import html
import re

import markdownify
import nh3

URL_SCHEMES = {"http", "https", "mailto"}
# What a news story needs; everything else (script, iframe, style, form, ...) is removed.
HTML_TAGS = {
    "p", "br", "a", "em", "strong", "b", "i", "u", "s", "sub", "sup", "code", "pre", "blockquote",
    "q", "cite", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr",
    "th", "td", "img", "figure", "figcaption", "abbr", "mark", "small", "dl", "dt", "dd", "hr",
}  # fmt: skip
HTML_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "abbr": {"title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
# Inline HTML that may stay in Markdown: formatting only, no links or media.
INLINE_TAGS = {"em", "strong", "b", "i", "u", "s", "sub", "sup", "code", "abbr", "mark", "small", "br", "cite", "q"}
LINK_URL = r"(?:[^()\s]|\([^()\s]*\))*"  # a URL with at most one level of balanced parentheses
MARKDOWN_LINK = re.compile(r"(!?)\[([^\]]*)\]\(\s*<?(" + LINK_URL + r")>?(\s+\"[^\"]*\")?\s*\)")
# Where Markdown reads a URL: after "](" (inline links, images) and "]:" (references, also
# inside list items and quotes). A URL there with another scheme gets a "#" in front, which
# makes it a harmless fragment whatever follows (nested parentheses, entities, ...).
URL_START = re.compile(r"(\]\(\s*<?\s*|\]:[ \t]*<?)([^ \n\r()<>\[\]]*)")
INNER_SPACES = re.compile(r"(?<=\S)[ \t]{2,}(?=\S)")  # left where a removed tag stood; indents stay
LT_TEXT = re.compile(r"&lt;(?![A-Za-z/!?])")  # a '<' that cannot open a tag


def html_to_markdown(html: str, base_url: str = "") -> str:
    clean = nh3.clean(html, tags=HTML_TAGS, attributes=HTML_ATTRIBUTES, url_schemes=URL_SCHEMES, link_rel=None)
    text = markdownify.markdownify(clean, heading_style="ATX", bullets="-", autolinks=False, escape_misc=False)
    return clean_markdown(text)


def clean_markdown(markdown: str) -> str:
    """Sanitised, then tidied (removing a tag leaves its spaces behind)."""
    return tidy(sanitise_markdown(markdown))


def tidy(markdown: str) -> str:
    """One blank line between blocks, single spaces between words, one final newline."""
    lines = [INNER_SPACES.sub(" ", line.rstrip()) for line in markdown.strip().splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text) + "\n" if text else ""


def sanitise_markdown(markdown: str) -> str:
    """Remove dangerous raw HTML and link targets from Markdown, keeping its syntax.

    Repeated until nothing changes: taking out a bad link can join a '<' before it to the
    words after it ("<[link](javascript:x)" -> "<link"), a tag that the pass before missed."""
    for _ in range(SANITISE_PASSES):
        cleaned = _sanitise_once(markdown)
        if cleaned == markdown:
            break
        markdown = cleaned
    return markdown


SANITISE_PASSES = 8  # each pass only removes or escapes, so two or three settle any text


def _sanitise_once(markdown: str) -> str:
    cleaned = nh3.clean(markdown, tags=INLINE_TAGS, attributes={"abbr": {"title"}}, url_schemes=URL_SCHEMES, link_rel=None)
    # nh3 escapes the text it keeps; put back the characters Markdown syntax needs.
    cleaned = LT_TEXT.sub("<", cleaned.replace("&gt;", ">").replace("&amp;", "&"))
    cleaned = MARKDOWN_LINK.sub(_safe_link, cleaned)  # a link with a bad target keeps its words
    cleaned = URL_START.sub(lambda m: m.group(0) if _safe_url(m.group(2)) else m.group(1) + "#" + m.group(2), cleaned)
    # "{: onclick=... }" would set any attribute through the attr_list extension; as an
    # entity the brace reads the same and sets nothing.
    return cleaned.replace("{", "&#123;")


def _safe_link(match: re.Match) -> str:
    bang, text, url = match.group(1), match.group(2), match.group(3)
    if _safe_url(url):
        return match.group(0)
    return "" if bang else text  # an image with a bad source goes; a link keeps its words


def _safe_url(url: str) -> bool:
    """Relative, or http(s)/mailto, as a browser would read it (entities decoded, controls ignored)."""
    plain = re.sub(r"[\x00-\x20]", "", html.unescape(url))
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", plain)
    return scheme is None or scheme.group(1).lower() in URL_SCHEMES
