"""Whatever raw HTML and links imported text carries, the page the build renders from it runs no script."""

from __future__ import annotations

from html.parser import HTMLParser

from hypothesis import example, given, settings, strategies as st

from broadsheet.build.markup import MarkdownRenderer
from broadsheet.importer.markdown import clean_markdown, html_to_markdown

PIECES = [
    "<script>alert(1)</script>", "<script", "</script>", "<img src=x onerror=alert(1)>", "<iframe src=//e>",
    "<svg onload=alert(1)>", "<a href='javascript:alert(1)'>", "</a>", "<b onclick=x>", "</b>", "<style>",
    "[link](javascript:alert(1))", "![img](javascript:alert(1))", "[ok](https://example.org/a_(b))",
    "[r]: javascript:alert(1)\n", "[r]", "[n](javascript:alert((1)))", "[e](javascript&#58;alert(1))",
    "[t](java\tscript:alert(1))", "{: onclick=alert(1) }", "{: href=javascript:alert(1) }", "{#i .c onmouseover=x}", "{", "}", "[d](data:text/html,x)", "&#58;", "&#x3A;", "]:", "](", "<!--", "-->", "<", ">", "&", "&lt;", "&amp;", "`", "*", "_", "\"",
    "'", "=", "(", ")", "[", "]", "text ", " ", "\n", "\n\n", "> ", "- ", "    ", "javascript:", "on", "x",
]  # fmt: skip
DANGEROUS_TAGS = {"script", "iframe", "svg", "style", "object", "embed", "form", "math"}


class _Audit(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in DANGEROUS_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}=")
            if name in ("href", "src") and (value or "").strip().lower().startswith(
                ("javascript:", "data:", "vbscript:")
            ):
                self.found.append(f"{tag} {name}={value}")


def dangers(markdown_text: str) -> list[str]:
    html, _ = MarkdownRenderer().convert(markdown_text, "content")
    audit = _Audit()
    audit.feed(html)
    audit.close()
    return audit.found


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30).map("".join))
@example("<[link](javascript:alert(1)){: onclick=alert(1) }-->")  # removing the link made a <link> tag
def test_sanitised_markdown_renders_without_script(text):
    assert dangers(clean_markdown(text)) == []


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(PIECES + ["<p>", "</p>", "<li>", "<ul>", "<blockquote>"]), max_size=30).map("".join))
def test_html_turned_to_markdown_renders_without_script(html):
    assert dangers(html_to_markdown(html)) == []


def test_the_audit_sees_what_unsanitised_markdown_lets_through():
    raw = "<img src=x onerror=alert(1)> [a](javascript:alert(1)) <script>alert(1)</script>\n\nText\n{: onmouseover=alert(2) }"
    assert dangers(raw) == ["img onerror=", "a href=javascript:alert(1)", "<script>", "p onmouseover="]
    assert dangers(clean_markdown(raw)) == []


def test_story_markup_survives_sanitising():
    text = "> A quote & more: 3 < 4 and AT&T.\n\n- one *item*\n- [a link](https://example.org/x_(y))\n\nSome <b>bold</b> words.\n"
    assert clean_markdown(text) == text
