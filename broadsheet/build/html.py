"""The generator's own HTML: every place the build reads or rewrites HTML it made, and
which parser does which job. (The importer reads other people's pages with trafilatura
and lxml; `broadsheet check` reads whole built pages with lexbor in check/pagefacts.py,
which takes its srcset reading from here.)

- Jobs that edit or slice the HTML and must keep every other byte (rewriting URLs,
  sizing images, taking the first paragraph) use one tokenizer that knows where each tag
  sits in the source: the standard library's html.parser, wrapped once here (`_Tags`,
  `TagEditor`). A tree parser keeps no offsets, and writing its tree back out would
  change bytes nobody asked to change.
- Read-only jobs over a fragment use whichever parser measured faster for that job, in
  the build's own process, where a parser costs more than it does alone. The images
  without alt text: selectolax's lexbor, an HTML5 parser in C, about 160 ms per 1,000
  bodies with images against about 280 ms for html.parser.
- Regular expressions and `in` tests are pre-checks that can only answer "no" (no
  "<img" anywhere, so no image): whatever they let through, a parser decides.

One job is still a regular expression: `plain_text`, the words of every body and
summary. Both parsers cost more than it does: inside content.parse over the 1,000-article
bench corpus (two images put in each body, summaries left to the first paragraph) its
own time was about 110 ms, lexbor's about 225 ms and html.parser's about 360 ms, 2% and
5% more parsing, and the build must not get slower. On what Markdown makes it gives the
parsers' answer; it differs on raw HTML with a '>' inside a comment or an attribute
value, where text from inside the tag leaks out, or with a '<' that starts no tag, where
text is lost.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape, unescape
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

URL_ATTRIBUTES = {"href", "src", "poster", "cite", "action", "background", "longdesc"}
SRCSET_ATTRIBUTES = {"srcset", "imagesrcset"}
# Blocks that hold paragraphs of their own: a <p> inside one is not the article's first.
BLOCKS = {"blockquote", "div", "ul", "ol", "li", "table", "figure", "pre", "dl", "details", "section", "aside"}
SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:")
# Pre-check for has_relative_urls: where it finds nothing, no URL attribute holds a
# path-relative URL. Run on the lowercased HTML: re.I makes the scan six times slower.
MAYBE_RELATIVE = re.compile(
    r"""(?:href|src|poster|cite|action|background|longdesc)\s*=+\s*["']?+(?![a-z][a-z0-9+.-]*:|/|#)|srcset"""
)
IMG = re.compile("<img", re.I)  # pre-check: without it, there is no <img> tag
# absolute_links' pre-check, at each "=": a URL attribute's value that no resolving can
# change, quoted, starting with a scheme html.parser and urlsplit both read as one, with no
# whitespace (which _absolute strips) and no character reference but &amp; (which could
# stand for whitespace or hide the scheme). Whatever does not look exactly so, a parser reads.
ABSOLUTE_VALUE = re.compile(
    r"""=[ \t\n\r\f]*(?:"[a-zA-Z][a-zA-Z0-9+.-]*:(?:[^"\s&]|&amp;)*"|'[a-zA-Z][a-zA-Z0-9+.-]*:(?:[^'\s&]|&amp;)*')"""
)
NAME_ENDS = frozenset("/=>'\"")  # with whitespace: what stops an attribute name, read backwards
TAGS = re.compile(r"<[^>]+>")  # plain_text's, the one regular expression here that reads HTML


class _Stop(Exception):
    """Raised by a job that has what it came for: the rest of the HTML is not read."""


class _Tags(HTMLParser):
    """html.parser's tokenizer, with the offset in the source of each tag it reports.

    A job subclasses it and overrides `start` and `end`, which are called in source
    order; `where()` is the current tag's span. Text, comments and the like are skipped.
    """

    # Elements whose content is text, not tags, as HTML5 tokenizes it (Python 3.11's
    # html.parser knows only script and style): an <img> written inside a <textarea> is
    # no image. noscript is left out, as lexbor (scripting off) reads its content as tags.
    # typeshed marks it Final, but html.parser reads it through self so that subclasses can widen it.
    CDATA_CONTENT_ELEMENTS = ("script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes")  # type: ignore[misc]

    def __init__(self, html: str):
        # convert_charrefs: text is skipped in one step instead of entity by entity, which
        # is faster, and a stray "&#" cannot make Python 3.11 read the rest as text.
        super().__init__(convert_charrefs=True)
        self.html = html
        self._line_starts = [0]  # offset of each line's start

    def read(self) -> None:
        try:
            self.feed(self.html)
            self.close()
        except _Stop:
            pass

    def start(self, tag: str, attrs: list[tuple[str, str | None]], empty: bool) -> None:
        """A start tag; `empty` when written as <tag ... />."""

    def end(self, tag: str) -> None:
        """An end tag."""

    def where(self, end_tag: bool = False) -> tuple[int, int]:
        """Start and end offsets of the tag being reported."""
        line, column = self.getpos()
        starts = self._line_starts  # html.parser counts lines by \n only; found as far as asked
        while len(starts) < line:
            starts.append(self.html.index("\n", starts[-1]) + 1)
        start = starts[line - 1] + column
        if end_tag:  # html.parser ends an end tag at its first ">", and so does this
            return start, self.html.index(">", start) + 1
        return start, start + len(self.get_starttag_text() or "")  # never None while a start tag is handled

    def handle_starttag(self, tag, attrs):
        self.start(tag, attrs, False)

    def handle_startendtag(self, tag, attrs):
        self.start(tag, attrs, True)
        if tag in self.CDATA_CONTENT_ELEMENTS:  # HTML5 ignores the "/" of <script/>: its text follows
            self.set_cdata_mode(tag)

    def handle_endtag(self, tag):
        self.end(tag)


class TagEditor(_Tags):
    """Rewrites start tags in place. A job overrides `change`, which gets each start tag
    (its name and attributes lowercased, values decoded; `self.get_starttag_text()` is
    the tag as written) and returns its new text, or None to keep it. `result()` is the
    HTML with those tags replaced and every other byte kept as it was."""

    def __init__(self, html: str, until: int | None = None):
        """Tags that start after offset `until` are neither offered nor read: a job that
        knows it has nothing to do past a point stops there."""
        super().__init__(html)
        self.edits: list[tuple[int, int, str]] = []
        # As (line, column), html.parser's own measure: comparing it costs no offset.
        self.until = None if until is None else (html.count("\n", 0, until) + 1, until - html.rfind("\n", 0, until) - 1)

    def change(self, tag: str, attrs: list[tuple[str, str | None]], empty: bool) -> str | None:
        raise NotImplementedError

    def start(self, tag, attrs, empty):
        if self.until is not None and self.getpos() > self.until:
            raise _Stop
        new = self.change(tag, attrs, empty)
        if new is not None:
            self.edits.append((*self.where(), new))

    def result(self) -> str:
        self.read()
        parts, last = [], 0
        for start, end, text in self.edits:
            parts += [self.html[last:start], text]
            last = end
        return "".join(parts) + self.html[last:]


class _UrlEditor(TagEditor):
    def __init__(self, html: str, change_url: Callable[[str], str]):
        super().__init__(html)
        self.change_url = change_url

    def change(self, tag, attrs, empty):
        new = [(name, _change_attribute(name, value, self.change_url)) for name, value in attrs]
        if new == attrs:
            return None
        text = "".join(f" {n}" if v is None else f' {n}="{escape(v)}"' for n, v in new)
        return f"<{tag}{text}{' />' if empty else '>'}"


def rewrite_urls(html: str, change: Callable[[str], str]) -> str:
    """Every URL in href, src, srcset (and the like) passed through `change`. Only the
    start tags that change are rewritten; every other byte of the HTML is kept as it was."""
    return _UrlEditor(html, change).result()


def absolute_links(html: str, base: str) -> str:
    """Relative URLs in href, src, srcset (and the like) resolved against `base`.

    Feed readers show an entry away from its page, so `/digest/x/` or a bundle's
    `chart.svg` would point nowhere; list pages show a summary away from its page too.
    """
    if _all_absolute(html):  # most stories link only to other sites: no parser needed
        return html
    return rewrite_urls(html, lambda url: _absolute(url, base))


def _all_absolute(html: str) -> bool:
    """True only when absolute_links would leave every byte as it is: every URL attribute
    html.parser could find has a plain absolute value. A pre-check that can only say "no
    need". At each "=", the attribute name before it is read backwards, stopping at
    whatever may end a name in any Python's html.parser (which stops at fewer): where the
    parser reads a URL attribute, this reads the same name. An attribute with a URL name
    must then hold a value ABSOLUTE_VALUE accepts."""
    position = html.find("=")
    while position >= 0:
        end = position
        while end and html[end - 1].isspace():
            end -= 1
        start = end
        while start and html[start - 1] not in NAME_ENDS and not html[start - 1].isspace():
            start -= 1
        name = html[start:end].lower()
        if name in SRCSET_ATTRIBUTES or (name in URL_ATTRIBUTES and not ABSOLUTE_VALUE.match(html, position)):
            return False
        position = html.find("=", position + 1)
    return True


class _RelativeFinder(_Tags):
    found = False

    def start(self, tag, attrs, empty):
        for name, value in attrs:
            if value is not None and any(map(_is_relative, _urls_of(name, value))):
                self.found = True
                raise _Stop


def has_relative_urls(html: str) -> bool:
    """Whether an attribute holds a URL relative to the page's folder: not `/x`, not
    `#x`, not `scheme:x`."""
    # No `=`, no attribute value: most summaries are a paragraph of text, and the pattern,
    # with no fixed first letter, is tried at every place (10,000 summaries: 0.09 s)
    if "=" not in html or MAYBE_RELATIVE.search(html.lower()) is None:
        return False
    finder = _RelativeFinder(html)
    finder.read()
    return finder.found


def _urls_of(name: str, value: str) -> list[str]:
    if name in URL_ATTRIBUTES:
        return [value]
    if name in SRCSET_ATTRIBUTES:
        return [url for url, _ in srcset_candidates(value)]
    return []


def _is_relative(url: str) -> bool:
    url = url.strip()
    return not url.startswith(("/", "#")) and SCHEME.match(url) is None


def _change_attribute(name: str, value: str | None, change: Callable[[str], str]) -> str | None:
    if value is None:
        return None
    if name in URL_ATTRIBUTES:
        return change(value)
    if name in SRCSET_ATTRIBUTES:
        return ", ".join(" ".join([change(url), *descriptors]) for url, descriptors in srcset_candidates(value))
    return value


def _absolute(url: str, base: str) -> str:
    url = url.strip()
    try:
        if not url or urlsplit(url).scheme:  # already absolute, or mailto:, data:, ...
            return url
        return urljoin(base, url)
    except ValueError:  # no URL at all (raw HTML's http://[::1/x): left as written
        return url


def srcset_candidates(srcset: str) -> list[tuple[str, list[str]]]:
    """(URL, descriptors) of each candidate of `a.jpg 1x, b.jpg 2x`, as HTML reads a
    srcset: a URL ends at whitespace, or at a comma that ends it (so a data: URL keeps
    its commas); its descriptors run to the next comma."""
    candidates, position, length = [], 0, len(srcset)
    while position < length:
        while position < length and (srcset[position].isspace() or srcset[position] == ","):
            position += 1
        start = position
        while position < length and not srcset[position].isspace():
            position += 1
        url, descriptors = srcset[start:position], ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            start = position
            while position < length and srcset[position] != ",":
                position += 1
            descriptors = srcset[start:position].strip()
        if url:
            candidates.append((url, [descriptors] if descriptors else []))
    return candidates


def srcset_urls(srcset: str) -> list[str]:
    return [url for url, _ in srcset_candidates(srcset)]


class _FirstParagraph(_Tags):
    depth = 0
    opened: int | None = None
    span: tuple[int, int] | None = None

    def start(self, tag, attrs, empty):
        if tag in BLOCKS:
            self.depth += 1  # even written <div/>: HTML5 opens a div all the same
        elif tag == "p" and self.depth == 0 and self.opened is None:
            self.opened = self.where()[0]

    def end(self, tag):
        if tag in BLOCKS:
            self.depth -= 1
        elif tag == "p" and self.opened is not None:
            self.span = (self.opened, self.where(end_tag=True)[1])
            raise _Stop


def first_paragraph(body_html: str) -> str:
    """The first paragraph at the top level, not one inside a quote or a list: its exact
    source, from <p> to </p>; "" when there is none, or it is never closed."""
    finder = _FirstParagraph(body_html)
    finder.read()
    return body_html[slice(*finder.span)] if finder.span else ""


def plain_text(fragment: str) -> str:
    """The text of a fragment, whitespace collapsed; every tag breaks a word, so
    `H<sub>2</sub>O` is three. A regular expression, not a parser: see the module's
    docstring for why, and for where its answer is wrong."""
    return " ".join(unescape(TAGS.sub(" ", fragment)).split())


def images_without_alt(fragment: str) -> list[str]:
    """The src of each <img> that has one but no alt text, in order: screen readers
    would say nothing for them (alt="" means decoration, and rarely fits a story)."""
    if IMG.search(fragment) is None:
        return []
    from selectolax.lexbor import LexborHTMLParser  # here: a build with nothing to do reads no HTML

    found = []
    for image in LexborHTMLParser(fragment, is_fragment=True).tags("img"):  # css() would start a selector engine
        attributes = image.attributes
        if "src" in attributes and not attributes.get("alt"):
            found.append(attributes["src"] or "")
    return found


def last_img_at(html: str) -> int:
    """Where the last "<img" of the source starts, in any case (-1: none): no <img> tag
    starts after it, so a job about images can stop reading there."""
    last = -1
    for match in IMG.finditer(html):
        last = match.start()
    return last
