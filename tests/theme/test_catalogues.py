"""Phrases in gettext catalogues: feeds in the site's language, a site's own locale/<lang>.po
(picked up, re-rendering the pages it touches), a broken one reported as file:line, a
missing translation a warning with English standing in."""

from __future__ import annotations

import feedparser
import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from conftest import article, run_cli

STORIES = {
    "content/world/a.md": article("Summit opens", "2025-06-19 09:30", source="{name: Reuters, url: 'https://www.reuters.com'}",
                                  url="https://www.reuters.com/world/a", tags="[NATO]", section="world"),
}  # fmt: skip
ENGLISH = ["Read at", "Stories tagged", "Stories in", "Stories reported by", "Read the original"]


def build(make_site, language: str, files: dict | None = None):
    settings = f"title: Digest\nbase_url: https://example.org/\ntimezone: UTC\nlanguage: {language}\n"
    site = make_site({**STORIES, **(files or {})}, settings)
    return site, run_cli("build", "--site", site)


def test_feeds_speak_russian(make_site):
    site, result = build(make_site, "ru")
    assert result.code == 0, result.err
    rss = feedparser.parse((site / "site/rss.xml").read_bytes())
    assert "Читать в источнике: Reuters" in rss.entries[0].description
    tag = feedparser.parse((site / "site/tags/nato/feed.xml").read_bytes()).feed
    assert tag.subtitle == "Материалы по теме NATO"
    assert tag.title == "Digest: NATO"
    texts = [
        (site / "site" / p).read_text(encoding="utf-8")
        for p in ("rss.xml", "tags/nato/feed.xml", "tags/nato/feed.json", "sources/reuters/rss.xml")
    ]
    for text in texts:
        assert not [phrase for phrase in ENGLISH if phrase in text]


def test_feeds_speak_french(make_site):
    site, result = build(make_site, "fr")
    assert result.code == 0, result.err
    tag = feedparser.parse((site / "site/tags/nato/feed.xml").read_bytes()).feed
    assert (tag.title, tag.subtitle) == ("Digest : NATO", "Articles sur le thème NATO")


def test_a_site_adds_a_language_without_python(make_site):
    po = (
        'msgid ""\nmsgstr ""\n"Plural-Forms: nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);\\n"\n\n'
        'msgctxt "archive"\nmsgid "Archive"\nmsgstr "Archiwum"\n\n'
        'msgctxt "stories"\nmsgid "%(count)s story"\nmsgid_plural "%(count)s stories"\nmsgstr[0] "%(count)s artykuł"\nmsgstr[1] "%(count)s artykuły"\nmsgstr[2] "%(count)s artykułów"\n'
    )
    site, result = build(make_site, "pl", {"locale/pl.po": po})
    assert result.code == 0, result.err
    page = HTMLParser((site / "site/archive/index.html").read_text(encoding="utf-8"))
    assert page.css_first("h1").text() == "Archiwum"
    assert "1 artykuł" in page.text()
    # The rest falls back to English, with a warning naming the language and the message.
    assert "locale/pl.po: read_at: warning: pl: no translation of 'Read at %(source)s'; English used" in result.err
    # A change to the catalogue renders the page again.
    (site / "locale/pl.po").write_text(po.replace("Archiwum", "Archiwa"), encoding="utf-8")
    assert run_cli("build", "--site", site).code == 0
    assert (
        HTMLParser((site / "site/archive/index.html").read_text(encoding="utf-8")).css_first("h1").text() == "Archiwa"
    )


@pytest.mark.xfail(
    strict=True,
    reason="Babel's read_po accepts this damage even with abort_invalid: a syntax check of our own is still to do",
)
def test_a_broken_catalogue_is_one_line_and_the_output_stays(make_site):
    site, result = build(make_site, "ru")
    before = (site / "site/index.html").read_bytes()
    (site / "locale").mkdir()
    (site / "locale/ru.po").write_text(
        'msgctxt "archive"\nmsgid "Archive"\nmsgstr "Архив"\nmsgstr[7] "x"\n', encoding="utf-8"
    )
    result = run_cli("build", "--site", site)
    assert result.code == 1
    assert "Traceback" not in result.err
    assert result.err.startswith("locale/ru.po:3: ") or "locale/ru.po:" in result.err.splitlines()[0], result.err
    assert (site / "site/index.html").read_bytes() == before


def test_a_wrong_placeholder_is_an_error_not_a_crash(make_site):
    po = 'msgctxt "read_at"\nmsgid "Read at %(source)s"\nmsgstr "Читать: %(sorce)s"\n'
    site, result = build(make_site, "ru", {"locale/ru.po": po})
    assert result.code == 1 and "Traceback" not in result.err
    assert "locale/ru.po:2: read_at: unknown placeholder %(sorce)s" in result.err, result.err
