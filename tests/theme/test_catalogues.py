"""Phrases in gettext catalogues: feeds in the site's language, a site's own locale/<lang>.po
(picked up, re-rendering the pages it touches), a broken one reported as file:line, a
missing translation a warning with English standing in."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import feedparser
from babel.messages.pofile import read_po
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from broadsheet.problems import Problem
from broadsheet.theme import catalogue

from conftest import article, run_cli

ROOT = Path(__file__).resolve().parents[2]
# README, "Languages": the command that gathers the phrases the code and templates use.
EXTRACT = ["extract", "-F", "babel.cfg", "-k", "js_phrase:1c,2", "-k", "js_nphrase:1c,2,3"]

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
    assert result.err.splitlines()[0].endswith(
        "locale/ru.po:4: not a readable .po file: msgstr[7] in an entry without msgid_plural (write msgstr)"
    ), result.err
    assert (site / "site/index.html").read_bytes() == before


def test_a_wrong_placeholder_is_an_error_not_a_crash(make_site):
    po = 'msgctxt "read_at"\nmsgid "Read at %(source)s"\nmsgstr "Читать: %(sorce)s"\n'
    site, result = build(make_site, "ru", {"locale/ru.po": po})
    assert result.code == 1 and "Traceback" not in result.err
    assert "locale/ru.po:2: read_at: unknown placeholder %(sorce)s" in result.err, result.err


def test_every_phrase_the_code_uses_is_in_the_shipped_template(tmp_path):
    """The documented extraction, run for real: a phrase added to a template or to Python
    without its entry in broadsheet.pot would be English on every site."""
    pot = tmp_path / "extracted.pot"
    command = [sys.executable, "-m", "babel.messages.frontend", *EXTRACT, "--no-location", "-o", str(pot), "."]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with pot.open(encoding="utf-8") as f:
        used = {(m.context, m.id if isinstance(m.id, str) else tuple(m.id)) for m in read_po(f) if m.id}
    with (ROOT / "broadsheet/theme/locale/broadsheet.pot").open(encoding="utf-8") as f:
        shipped = {(m.context, m.id if isinstance(m.id, str) else tuple(m.id)) for m in read_po(f) if m.id}
    assert len(used) > 50 and all(context for context, _ in used)  # every phrase is named by its msgctxt
    assert used == shipped  # nothing missing, nothing the extraction would drop
    assert set(catalogue.OFFERED) <= used


def test_the_theme_catalogues_are_clean_and_named_the_same_on_every_machine(tmp_path):
    phrases = catalogue.theme_phrases()
    languages = [source.lang for source in phrases.sources]
    assert languages == ["de", "es", "fr", "ru", "uk"]
    for source in phrases.sources:
        assert source.where == f"broadsheet/theme/locale/{source.lang}/LC_MESSAGES/broadsheet.po"
        assert catalogue.load(tmp_path, source.lang, {})[1] == []  # every phrase translated, nothing broken
    problem = Problem(phrases.sources[3].where, 7, "read_at", "ru: no translation", warning=True)
    assert problem.format(tmp_path) == (
        "broadsheet/theme/locale/ru/LC_MESSAGES/broadsheet.po:7: read_at: warning: ru: no translation"
    )


def test_a_language_without_a_catalogue_is_one_warning_and_english(make_site):
    site, result = build(make_site, "it")
    assert result.code == 0, result.err
    warnings = [line for line in result.err.splitlines() if "warning:" in line]
    assert warnings == [
        "language: warning: no phrase catalogue for 'it'; the theme's phrases are in English "
        "(add locale/it.po: README, 'Languages')"
    ]
    page = (site / "site/2025/06/19/summit-opens/index.html").read_text(encoding="utf-8")
    assert "Read at Reuters" in page and "19 giugno 2025" in page  # English words, Italian dates
