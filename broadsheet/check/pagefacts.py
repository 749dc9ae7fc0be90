"""One built page or stylesheet -> what `check` needs from it: the URLs it refers to, the
ids it offers as #fragments, and what is wrong with it by itself (an image without alt
text, no title or description).

HTML is read with selectolax's lexbor engine, an HTML5 parser that reads the output of a
10,000-article site ten times faster than html.parser; stylesheets with tinycss2, which
knows comments, strings and escapes, so a url() in a comment is not taken for one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

import tinycss2
from selectolax.lexbor import LexborHTMLParser, LexborNode

from broadsheet.build.html import srcset_urls

URL_ATTRIBUTES = {
    "a": ("href",), "area": ("href",), "link": ("href",), "img": ("src", "srcset"), "source": ("src", "srcset"),
    "script": ("src",), "iframe": ("src",), "embed": ("src",), "object": ("data",), "input": ("src",),
    "video": ("src", "poster"), "audio": ("src",), "track": ("src",),
}  # fmt: skip
CSS_URL_FUNCTIONS = ("url", "image-set", "-webkit-image-set")  # where a plain "string" is a URL


class Reference(NamedTuple):  # a tuple: a page holds hundreds, and a tuple is quick to make
    tag: str
    attribute: str
    url: str

    def __str__(self) -> str:
        if self.tag == "css":
            return f"url({self.url})"
        return f'<{self.tag} {self.attribute}="{self.url}">'


@dataclass(frozen=True)
class Flaw:
    """A problem found in one output file."""

    message: str
    warning: bool = False
    url: str = ""  # of the element it is about, as written: how to tell which article's text it is in


@dataclass(frozen=True)
class PageFacts:
    """What one HTML page says that the check needs, gathered in one parse."""

    ids: frozenset[str]
    references: tuple[Reference, ...]
    flaws: tuple[Flaw, ...]


def stylesheet_references(css: str) -> tuple[Reference, ...]:
    return tuple(Reference("css", "url", url) for url in css_urls(tinycss2.parse_stylesheet(css, True, True)))


def page_facts(html: str) -> PageFacts:
    ids: set[str] = set()
    references: list[Reference] = []
    flaws: list[Flaw] = []
    title: str | None = None
    description: str | None = None
    for node in _nodes(html):
        tag, attributes = node.tag or "", node.attributes
        if node_id := attributes.get("id"):
            ids.add(node_id)
        if tag == "a" and (anchor := attributes.get("name")):
            ids.add(anchor)  # the old way to name an anchor still works in browsers
        references += _element_references(tag, attributes)
        if style := attributes.get("style"):
            references += [
                Reference("css", "url", url) for url in css_urls(tinycss2.parse_component_value_list(style, True))
            ]
        if tag == "style":
            references += stylesheet_references(node.text())
        elif tag == "img":
            flaws += _alt_flaws(node)
        elif tag == "title" and title is None and node.parent is not None and node.parent.tag == "head":
            title = node.text(strip=True)
        elif tag == "meta" and description is None and (attributes.get("name") or "").lower() == "description":
            description = (attributes.get("content") or "").strip()
    flaws += _head_flaws(title, description)
    return PageFacts(frozenset(ids), tuple(references), tuple(flaws))


def fragment_urls(html: str) -> set[str]:
    """The URLs the elements of a piece of HTML (an article's body) refer to, as written."""
    urls: set[str] = set()
    for node in _nodes(html):
        urls.update(reference.url for reference in _element_references(node.tag or "", node.attributes))
    return urls


def _nodes(html: str) -> Iterator[LexborNode]:
    root = LexborHTMLParser(html).root
    return root.traverse() if root is not None else iter(())  # lexbor gives even empty text a root


def _element_references(tag: str, attributes: dict[str, str | None]) -> list[Reference]:
    references = []
    for name in URL_ATTRIBUTES.get(tag, ()):
        value = attributes.get(name)
        if value:
            urls = srcset_urls(value) if name == "srcset" else [value.strip()]
            references += [Reference(tag, name, url) for url in urls]
    return references


def _alt_flaws(img: LexborNode) -> list[Flaw]:
    """Missing alt is an error; an empty one says "decoration", which is right for a
    flourish in a template but rarely for a picture in a story, so there it is a warning."""
    attributes = img.attributes
    src = (attributes.get("src") or "").strip()
    shown = f'<img src="{src}">'
    if "alt" not in attributes:
        return [Flaw(f'{shown} has no alt attribute (describe the image, or alt="" if it is decoration)', url=src)]
    if not (attributes["alt"] or "").strip() and _inside(img, "article"):
        return [
            Flaw(f"{shown} in an article has empty alt text, which hides it from screen readers", warning=True, url=src)
        ]
    return []


def _inside(node: LexborNode, tag: str) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag == tag:
            return True
        parent = parent.parent
    return False


def _head_flaws(title: str | None, description: str | None) -> list[Flaw]:
    flaws = []
    if not title:
        flaws.append(Flaw("<title> is empty" if title == "" else "no <title> in the page's <head>"))
    if not description:
        flaws.append(
            Flaw('<meta name="description"> is empty' if description == "" else 'no <meta name="description">')
        )
    return flaws


def css_urls(nodes) -> list[str]:
    """Every url(...) in tinycss2's tree, and the plain strings that @import and
    image-set() read as URLs."""
    urls: list[str] = []
    for node in nodes:
        kind = node.type
        if kind == "url":
            urls.append(node.value)
        elif kind == "function":
            if node.lower_name in CSS_URL_FUNCTIONS:
                urls += [arg.value for arg in node.arguments if arg.type == "string"]
            urls += css_urls(node.arguments)
        elif kind == "at-rule":
            if node.lower_at_keyword == "import":
                urls += [token.value for token in node.prelude if token.type == "string"][:1]
            urls += css_urls(node.prelude) + css_urls(node.content or [])
        elif kind == "qualified-rule":
            urls += css_urls(node.prelude) + css_urls(node.content)
        elif kind in ("() block", "[] block", "{} block"):
            urls += css_urls(node.content)
    return urls
