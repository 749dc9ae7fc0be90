"""Writing the site's XML files (the Atom and RSS feeds, the sitemaps) one way.

The files are built as xml.etree.ElementTree trees and written out here, so they all
share one layout: a UTF-8 declaration, two-space indentation, a final newline. The byte
layout is fixed on purpose: an unchanged site must give unchanged bytes.

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


def document(root: ET.Element) -> bytes:
    """The whole file: declaration, indented tree, final newline."""
    ET.indent(root, space=INDENT)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def fragment(element: ET.Element, level: int) -> bytes:
    """One element's bytes, indented as document() would indent it at that depth, for
    splicing into documents with document_with() (the root is depth 0)."""
    ET.indent(element, space=INDENT, level=level)
    return ET.tostring(element, encoding="utf-8")


def document_with(root: ET.Element, parent: ET.Element, children: list[bytes], level: int) -> bytes:
    """document(root) with fragments at depth `level` as the last children of parent.

    A feed carries the same story as many term feeds do; splicing its bytes, written
    once, is much faster than serialising its elements again in every feed. A
    placeholder element takes their place in the tree and its line is then replaced."""
    ET.SubElement(parent, PLACEHOLDER)
    data = document(root)
    indent = b"\n" + INDENT.encode() * level
    slot = indent + f"<{PLACEHOLDER} />".encode()
    return data.replace(slot, b"".join(indent + child for child in children), 1)
