"""build/markdown_speed.py against the truth it stands in for: Python-Markdown with and without
it (the same extensions otherwise) must give the same bytes, on cases written for each of its
short cuts, on lists of links such as a weekly digest's, and on random text made of what the
inline patterns and block tests react to."""

from __future__ import annotations

import markdown
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from markdown import inlinepatterns
from markdown.treeprocessors import InlineProcessor

from broadsheet.build import markdown_speed
from broadsheet.build.markdown_settings import DEFAULT_EXTENSIONS
from broadsheet.build.markup import MarkdownRenderer


def _markdown(faster: bool) -> markdown.Markdown:
    names: list = [e.name for e in DEFAULT_EXTENSIONS]
    return markdown.Markdown(
        extensions=names + ([markdown_speed.SpeedExtension()] if faster else []),
        extension_configs={e.name: e.configs() for e in DEFAULT_EXTENSIONS},
        output_format="html",
    )


STOCK, FASTER = _markdown(False), _markdown(True)


def _both(text: str) -> tuple[str, str]:
    STOCK.reset()
    FASTER.reset()
    return STOCK.convert(text), FASTER.convert(text)


CASES = [
    # links: plain targets, and every target the short cut must leave to Python-Markdown
    "[a](https://example.org/a) and [b](https://example.org/b)",
    '[a](https://example.org/a "title") and [b](<https://example.org/b> "t")',
    "[a](https://example.org/(x)) [b](https://example.org/x(y)z) [c](x'y) [d](x\"y)",
    "[a](https://example.org/a [b](c) [unclosed](",
    "[a [nested [deep]] text](u) and [a]b](u) and [a](u))",
    "[](empty) [a]( spaced ) [a](\n  newline) [a](  ) [ a ](u) [\tb\n](u) [ ]( )",
    "[a](u 'single') [a](u \"double\") [a](u'x) [a](u \"unclosed)",
    '![alt](img.png) ![alt [x]](img.png "t") ![a](<b c>) !![x](y) \\![x](y)',
    "[a]\\(u) \\[a](u) [a\\]](u) [a](u\\)) [a](u\\\\)",
    "text [a](u) *em [b](v) em* **[c](w)** `[d](x)` <https://e.org> <a@b.c>",
    # references: none defined, then defined
    "[a][b] [c][] [d] ![e][f] ![g]",
    '[a][b] [c][] [d] ![e][f] ![g]\n\n[b]: https://example.org/b\n[d]: /d "D"\n[f]: /f.png',
    "[Ref] [ref][REF]\n\n[ref]: <https://example.org/r>",
    # code spans: none, one, escaped, unclosed
    "no code here, but \\\\ backslashes \\\\\\\\ and \\` one",
    "`code` and ``co`de`` and \\`not code` and ``` `` ``` and `unclosed",
    "\\\\`code after escaped backslash` and \\\\\\`x`",
    # emphasis, entities, html, breaks, footnotes
    "*a* _b_ **c** __d__ ***e*** *[f](g)* &amp; &#42; &copy; <span>x</span> a  \nb",
    "Text with a note.[^1] and [^missing]\n\n[^1]: The [note](n).",
    # blocks: headings, quotes, tables, and look-alikes without their character
    "# H1 [a](b)\n\nnot # a heading\n\n## H2 ##\n\n> quote [a](b)\n> more\n\nx > y",
    "| a | b |\n|---|---|\n| [x](y) | 2 |\n\na | b\n-|-\n1|2\n\nno pipes\n---",
    "|single|\n|---|\n|cell|\n\nnot a | table\nat all",
    "Setext\n======\n\nAnother\n-------\n\n* * *\n\n- a\n- [b](c)\n    - nested [d](e)\n\n1. one\n2. two",
    "[TOC]\n\n# Title\n\n## Part {: #part }\n\n```python\nprint('[a](b)')\n```\n\n    indented [a](b)",
    "[TOC]\n\n# Title\n\n> [TOC]\n\n- [TOC]\n\n*[TOC]*\n\n [TOC] \n\n## [TOC]\n\n[TOC] and text\n\n`[TOC]`\n\n[TOC]  \nafter a break",
]


@pytest.mark.parametrize("text", CASES)
def test_same_bytes_as_python_markdown(text):
    expected, got = _both(text)
    assert got == expected


def test_a_digest_of_links():
    """What This Week in Rust's issues are mostly made of: sections of bulleted links."""
    items = [
        f"* [Item {i}: `crate-{i}` 1.{i} *released*](https://example.org/{i}/a_b-(c)?q={i}&r=s#f)"
        + (f" and [more](https://example.org/more/{i})" if i % 3 else "")
        for i in range(60)
    ]
    text = "\n".join(["# This week", "", *items[:30], "", "## Updates", "", *items[30:], "", "[TOC]"])
    expected, got = _both(text)
    assert got == expected
    assert got.count("<a href=") == 60 + 40 + 2  # the links, and the table of contents' two


WORDS = st.sampled_from(["a", "b c", "word", "http://x.y/z", "x.md", "T", "1"])
MARKS = st.sampled_from(
    ["[", "]", "(", ")", "![", "](", "](u)", "[ ", " ](", "`", "``", "\\", "*", "_", "<", ">", "&", "&amp;", "#", "|", "-", "'", '"',
     " ", "  \n", "\n", "\n\n", "\n- ", "\n> ", "\n# ", "[^1]", "\n\n[^1]: n", "\n\n[r]: /u", "[r]", ":", "{: #i }"]
)  # fmt: skip


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(WORDS, MARKS), max_size=40).map("".join))
def test_random_text_same_bytes(text):
    expected, got = _both(text)
    assert got == expected


UNTESTED = pytest.mark.skipif(
    not markdown_speed.tested_release(),
    reason=f"Python-Markdown {markdown.__version__} is not in markdown_speed.TESTED_RELEASES: its stock stages run, so the comparisons here compare it with itself",
)


@UNTESTED
def test_the_short_cuts_are_taken():
    """The comparisons above are worth something only if the faster classes are the ones used."""
    assert type(FASTER.treeprocessors["inline"]) is not InlineProcessor
    assert type(FASTER.inlinePatterns["link"]) is not inlinepatterns.LinkInlineProcessor
    assert type(STOCK.inlinePatterns["link"]) is inlinepatterns.LinkInlineProcessor
    FASTER.reset()
    FASTER.convert("[a](b)")
    assert sum(idle for *_, idle, _ in FASTER.treeprocessors["inline"]._patterns) == 4  # no reference defined
    FASTER.reset()
    FASTER.convert("[a](b)\n\n[b]: /b")
    assert not any(idle for *_, idle, _ in FASTER.treeprocessors["inline"]._patterns)
    renderer = MarkdownRenderer()  # the build's own converter uses it
    assert type(renderer.md.treeprocessors["inline"]) is type(FASTER.treeprocessors["inline"])


def test_a_pattern_an_extension_brought_is_kept():
    """Only Python-Markdown's own classes are replaced: a subclass is someone's behaviour."""

    class OwnLink(inlinepatterns.LinkInlineProcessor):
        pass

    class Own(markdown.extensions.Extension):
        def extendMarkdown(self, md):
            md.inlinePatterns.register(OwnLink(inlinepatterns.LINK_RE, md), "link", 160)

    md = markdown.Markdown(extensions=[Own(), markdown_speed.SpeedExtension()])
    assert type(md.inlinePatterns["link"]) is OwnLink
    assert md.convert("[a](b)") == '<p><a href="b">a</a></p>'


@pytest.mark.parametrize(
    ("href", "kind"),
    [
        ("https://example.org/a.md", None),
        ("HTTP://example.org", None),
        ("a+b-c.d:x.md", None),
        ("mailto:a@example.org", None),
        ("http://[::1]/x.md", None),
        ("http://b\u00fccher.example/x.md", None),
        ("1a:b.md", "target"),
        ("b.md", "target"),
        ("../../x.md", "escape"),
        ("Broadsheet-Link:content/a.md", "invalid"),
        ("http://[::1/x", "invalid"),
        ("http://x]/a", "invalid"),
    ],
)
def test_links_to_other_sites_are_told_apart_as_urlsplit_does(href, kind):
    """markup's link pass skips urlsplit for what it would read with a scheme: the rest still
    goes through it (links between articles, URLs it refuses, the build's own marker)."""
    _, log = MarkdownRenderer().convert(f"[x]({href})", "content")
    found = "target" if log.targets else "invalid" if log.invalid else "escape" if log.escapes else None
    assert found == kind


def test_under_a_release_not_checked_nothing_is_replaced(monkeypatch):
    """A later Python-Markdown may change what the private methods stood in for mean:
    under a release this module was not checked against, its stages stay Python-Markdown's."""
    monkeypatch.setattr(markdown_speed, "TESTED_RELEASES", frozenset())
    md = _markdown(True)
    assert type(md.treeprocessors["inline"]) is InlineProcessor
    assert type(md.inlinePatterns["link"]) is inlinepatterns.LinkInlineProcessor
    assert md.convert("[a](b) `c`") == '<p><a href="b">a</a> <code>c</code></p>'
