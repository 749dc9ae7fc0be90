"""The XML writer the feeds and sitemaps share, where their own tests do not reach:
any text whatever, read back by a strict parser, and the splicing of written children."""

import copy
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings, strategies as st
from lxml import etree

from broadsheet.outputs.sitemaps import SITEMAP_NS, _urlset
from broadsheet.outputs.xml import clean_text, document, document_with, fragment, sub

TEXTS = st.one_of(
    st.none(), st.sampled_from(["", " ", "\n  ", "a & b <c> \"d\" 'e'", "\r\n\t", "lone \ud800"]), st.text()
)  # a lone surrogate: ElementTree writes a character reference


@st.composite
def trees(draw, depth=0):
    """Elements as the feeds and sitemaps make them, and odder: any text and attribute
    values, whitespace where the indentation goes, tails on children, nesting."""
    element = ET.Element(draw(st.sampled_from(["entry", "dc:creator", "x"])))
    for key in draw(st.lists(st.sampled_from(["href", "xml:lang", "type"]), unique=True, max_size=3)):
        element.set(key, draw(st.text()))
    element.text = draw(TEXTS)
    if depth < 3:
        for child in draw(st.lists(trees(depth + 1), max_size=3)):
            child.tail = draw(TEXTS)
            element.append(child)
    return element


def elementtree_bytes(element: ET.Element, level: int) -> bytes:
    """What ElementTree itself writes: the layout our writer must keep to the byte."""
    ET.indent(element, space="  ", level=level)
    return ET.tostring(element, encoding="utf-8")


@settings(max_examples=500)
@given(trees(), st.integers(0, 3))
def test_fragments_and_documents_are_written_as_elementtree_writes_them(element, level):
    theirs, whole = copy.deepcopy(element), copy.deepcopy(element)
    assert fragment(element, level) == elementtree_bytes(theirs, level)
    assert document(element) == b"<?xml version='1.0' encoding='utf-8'?>\n" + elementtree_bytes(whole, 0) + b"\n"


def as_parsed(text: str) -> str:
    """Text as any XML parser hands it back: a line end in element text reads as \\n."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


@given(st.text())
def test_any_text_makes_a_well_formed_document(text):
    root = ET.Element("root")
    sub(root, "child", text, {"value": text})
    child = etree.fromstring(document(root))[0]  # libxml2 refuses what XML 1.0 forbids
    assert (child.text or "") == as_parsed(clean_text(text))
    assert child.get("value") == clean_text(text)  # attribute line ends are written as references


def test_only_the_forbidden_characters_are_dropped():
    kept = "\t\n\r Caf\u00e9 \u2014 \ud7ff\ue000\ufffd\U00010000\U0010ffff"
    assert clean_text("\x00\x08" + kept + "\x0b\x0c\x0e\x1f\ufffe\uffff") == kept


def item(n: int) -> ET.Element:
    element = ET.Element("item", {"n": str(n)})
    sub(sub(element, "author"), "name", f"Author {n}")
    sub(element, "title", f"Story {n}")
    return element


def tree() -> tuple[ET.Element, ET.Element]:
    root = ET.Element("rss")
    channel = sub(root, "channel")
    sub(channel, "title", "A feed")
    return root, channel


@pytest.mark.parametrize("count", [0, 1, 3])
@pytest.mark.parametrize("in_channel", [False, True])
def test_spliced_children_give_the_bytes_of_the_whole_tree(count, in_channel):
    whole, channel = tree()
    for n in range(count):
        (channel if in_channel else whole).append(item(n))
    root, channel = tree()
    level = 2 if in_channel else 1
    spliced = document_with(
        root, channel if in_channel else root, [fragment(item(n), level) for n in range(count)], level
    )
    assert spliced == document(whole)


@settings(max_examples=200)
@given(st.lists(st.tuples(TEXTS.filter(lambda t: t is not None), st.booleans()), max_size=4))
def test_a_sitemap_written_without_a_tree_is_the_tree_written(urls):
    when = datetime(2025, 6, 19, 12, tzinfo=UTC)
    root = ET.Element("urlset", {"xmlns": SITEMAP_NS})
    for loc, dated in urls:
        url = sub(root, "url")
        sub(url, "loc", loc)
        if dated:
            sub(url, "lastmod", when.isoformat(timespec="seconds"))
    assert _urlset([(loc, when if dated else None) for loc, dated in urls]) == document(root)
