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
HTML_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "abbr": {"title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
# Inline HTML that may stay in Markdown: formatting only, no links or media.
INLINE_TAGS = {"em", "strong", "b", "i", "u", "s", "sub", "sup", "code", "abbr", "mark", "small", "br", "cite", "q"}
LINK_URL = r"(?:[^()\s]|\([^()\s]*\))*"  # a URL with at most one level of balanced parentheses
MARKDOWN_LINK = re.compile(
    r"(!?)\[([^\][]*)\]\(\s*<?(" + LINK_URL + r")>?(\s+\"[^\"]*\")?\s*\)"
)  # link text without brackets: one scan per "[" to the next bracket, never to the end
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
    """Sanitised, defused, then tidied (removing a tag leaves its spaces behind)."""
    return tidy(defuse(sanitise_markdown(markdown)))


# Python-Markdown is quadratic on unmatched brackets and parentheses (each one scans to the
# end of its paragraph: 12,000 '[' in a feed item made a build take 19 s) and recurses once
# per level of nesting. Imported text needs neither, so these are made plain text: a run
# of four or more of '[', ']', '*', '_' is cut to its first three, backslash-escaped (even
# escapes cost Python-Markdown more than linear time, and such a run says nothing), every
# unmatched '[' or '(' is escaped (it reads the same), and nesting deeper than a story
# needs is flattened.
RUN = re.compile(r"[\[\]*_]{4,}")  # ***bold italic*** is the most a story uses
RUN_KEPT = 3
THEMATIC_BREAK = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
MAX_INDENT = 16  # columns: lists eight deep
DEEP_QUOTES = re.compile(r"^(?:[ \t]*>){9,}")  # quotes in quotes, more than eight deep
MAX_QUOTES = 8


def defuse(markdown: str) -> str:
    """Markdown whose runs, unmatched brackets and deep nesting cannot make the build slow
    (see above); code in fences is left as it is. Brackets pair within a paragraph, as
    Python-Markdown reads them."""
    out: list[str] = []
    paragraph: list[str] = []
    fence = ""
    for line in markdown.split("\n"):
        opening = FENCE.match(line)
        if fence or opening or not line.strip():
            out.append(_escape_unmatched("\n".join(paragraph))) if paragraph else None
            paragraph = []
            out.append(line)
            if opening and (not fence or opening.group(1).startswith(fence)):
                fence = "" if fence else opening.group(1)[:3]
            continue
        paragraph.append(_flatten(line))
    if paragraph:
        out.append(_escape_unmatched("\n".join(paragraph)))
    return "\n".join(out)


def _flatten(line: str) -> str:
    if THEMATIC_BREAK.match(line):
        return line
    line = DEEP_QUOTES.sub("> " * MAX_QUOTES, line)
    text = line.lstrip(" \t")
    indent = len(line.expandtabs(4)) - len(text.expandtabs(4)) if text else 0
    if indent > MAX_INDENT:
        line = " " * MAX_INDENT + text
    return RUN.sub(lambda m: "".join("\\" + c for c in m.group()[:RUN_KEPT]), line)


def _escape_unmatched(block: str) -> str:
    """Every '[' and '(' without its closing partner, backslash-escaped (one pass, a stack)."""
    chars = list(block)
    open_at: dict[str, list[int]] = {"[": [], "(": []}
    closing = {"]": "[", ")": "("}
    escaped = in_code = False
    for i, c in enumerate(chars):
        if escaped:
            escaped = False
        elif c == "\\":
            escaped = True
        elif c == "`":
            in_code = not in_code
        elif in_code:
            continue
        elif c in open_at:
            open_at[c].append(i)
        elif c in closing and open_at[closing[c]]:
            open_at[closing[c]].pop()
    for i in [*open_at["["], *open_at["("]]:
        chars[i] = "\\" + chars[i]
    return "".join(chars)


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
    cleaned = nh3.clean(
        markdown, tags=INLINE_TAGS, attributes={"abbr": {"title"}}, url_schemes=URL_SCHEMES, link_rel=None
    )
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
