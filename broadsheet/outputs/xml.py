"""Writing the site's XML files (the Atom and RSS feeds, the sitemaps) one way.

The files are built as xml.etree.ElementTree trees and written out here, so they all
share one layout: a UTF-8 declaration, two-space indentation, a final newline. The byte
layout is fixed on purpose: an unchanged site must give unchanged bytes.

The layout is ElementTree's own (ET.indent, then ET.tostring), written by `_write` in a
third of the time: ElementTree writes each piece through a text stream and walks the
tree three times (indent, namespaces, output). tests/outputs/test_xml.py holds the two
to the same bytes on any tree these modules make.

Namespace prefixes are written as declared attributes on the root element
({"xmlns:dc": ...}) rather than through ET.register_namespace, whose registry is
process-wide state shared with every other module.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # no XML 1.0 document may hold these
PLACEHOLDER = "broadsheet-children"  # stands where spliced children go, until their bytes replace it
INDENT = "  "
DECLARATION = b"<?xml version='1.0' encoding='utf-8'?>\n"
ATTRIBUTE_REFERENCES = (('"', "&quot;"), ("\r", "&#13;"), ("\n", "&#10;"), ("\t", "&#09;"))


def clean_text(text: str) -> str:
    """Text without the control characters XML forbids: ElementTree would write them
    as they are, and one stray form feed in an article would break the whole file."""
    return FORBIDDEN.sub("", text)


def sub(parent: ET.Element, tag: str, text: str | None = None, attrs: dict[str, str] | None = None) -> ET.Element:
    """A new last child of parent, its text and attribute values cleaned."""
    element = ET.SubElement(parent, tag, {k: clean_text(v) for k, v in attrs.items()} if attrs else {})
    if text is not None:
        element.text = clean_text(text)
    return element


def timestamp(when: datetime) -> str:
    """A date and time to the second with its UTC offset: at once RFC 3339 (Atom, JSON
    Feed) and W3C Datetime (sitemaps)."""
    return when.isoformat(timespec="seconds")


def leaf(tag: str, text: str) -> bytes:
    """An element holding only text, as fragment() writes it (text cleaned, escaped;
    "<tag />" when none is left): for files of many alike elements, made without a tree."""
    text = _escape_text(clean_text(text))
    return (f"<{tag}>{text}</{tag}>" if text else f"<{tag} />").encode("utf-8", "xmlcharrefreplace")


def document(root: ET.Element) -> bytes:
    """The whole file: declaration, indented tree, final newline."""
    return DECLARATION + fragment(root, 0) + b"\n"


def fragment(element: ET.Element, level: int) -> bytes:
    """One element's bytes, indented as document() would indent it at that depth, for
    splicing into documents with document_with() (the root is depth 0)."""
    parts: list[str] = []
    _write(element, level, parts)
    return "".join(parts).encode("utf-8", "xmlcharrefreplace")  # as ElementTree encodes


def _write(element: ET.Element, level: int, parts: list[str]) -> None:
    """ET.indent(element, INDENT, level) and ET.tostring(element) in one walk, leaving the
    element as it was. For the trees made here: plain tag names, no comments, no tail on
    the element itself."""
    tag = element.tag
    assert isinstance(tag, str), tag  # no comments or processing instructions here
    parts.append("<" + tag)
    for key, value in element.attrib.items():
        parts.append(f' {key}="{_escape_attribute(value)}"')
    text = element.text
    if len(element):
        inner, outer = "\n" + INDENT * (level + 1), "\n" + INDENT * level
        parts.append(">" + (_escape_text(text) if text and text.strip() else inner))
        last = len(element) - 1
        for number, child in enumerate(element):
            _write(child, level + 1, parts)
            tail = child.tail
            parts.append(_escape_text(tail) if tail and tail.strip() else outer if number == last else inner)
        parts.append(f"</{tag}>")
    elif text:
        parts.append(f">{_escape_text(text)}</{tag}>")
    else:
        parts.append(" />")


def _escape_text(text: str) -> str:
    """As ElementTree escapes element text."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _escape_attribute(text: str) -> str:
    """As ElementTree escapes attribute values: line ends and tabs as references, so that
    a parser reads them back as they were."""
    text = _escape_text(text)
    for raw, reference in ATTRIBUTE_REFERENCES:
        if raw in text:
            text = text.replace(raw, reference)
    return text


def document_with(root: ET.Element, parent: ET.Element, children: list[bytes], level: int) -> bytes:
    """document(root) with fragments at depth `level` as the last children of parent.

    A feed carries the same story as many term feeds do; splicing its bytes, written
    once, is much faster than serialising its elements again in every feed. A
    placeholder element takes their place in the tree and its line is then replaced,
    the whole file joined in one copy (a site's feeds come to 100 MB)."""
    ET.SubElement(parent, PLACEHOLDER)
    data = document(root)
    indent = b"\n" + INDENT.encode() * level
    head, slot, tail = data.partition(indent + f"<{PLACEHOLDER} />".encode())
    assert slot, "the placeholder is in the document"
    pieces = [head]
    for child in children:
        pieces += (indent, child)
    pieces.append(tail)
    return b"".join(pieces)
