"""The theme speaks the site's language, and an article's own: words and dates on real
built pages, plural forms, and the `strings:` setting with its errors."""

from __future__ import annotations

import html
import json
import re

import pytest

from broadsheet.theme.localise import Localiser

from conftest import article, run_cli, tree_bytes

STORIES = {
    "content/world/a.md": article("Summit opens", "2025-06-19 09:30", source="{name: Reuters, url: 'https://www.reuters.com'}",
                                  url="https://www.reuters.com/world/a", tags="[NATO]"),
    "content/world/b.md": article("Talks stall", "2025-06-19 11:00", tags="[NATO]"),
}  # fmt: skip


def build_site(make_site, language: str, extra: str = "", files: dict | None = None):
    settings = f"title: Digest\nbase_url: https://example.org/\ntimezone: Europe/Berlin\nlanguage: {language}\n{extra}"
    site = make_site({**STORIES, **(files or {})}, settings)
    result = run_cli("build", "--site", site)
    assert result.code == 0, result.err
    return site / "site"


def read(output, path: str) -> str:
    """The page, with CLDR's no-break spaces (before "г.", inside "1 000") as plain ones."""
    return (output / path).read_text(encoding="utf-8").replace("\u202f", " ").replace("\xa0", " ")


def test_a_russian_site(make_site):
    output = build_site(make_site, "ru")
    front = read(output, "index.html")
    assert '<html lang="ru">' in front
    assert "четверг, 19 июня 2025 г." in front  # the edition, with its day of the week
    assert "2 материала" in front  # Russian plural form for 2
    assert "19 июня 2025 г., 09:30" in front and "1 мин чтения" in front
    assert "Перейти к содержанию" in front and ">Архив<" in front and ">Поиск<" in front
    page = read(output, "2025/06/19/summit-opens/index.html")
    assert "Читать в источнике: Reuters" in page and "Похожие материалы" in page
    edition = read(output, "2025/06/19/index.html")
    assert 'Выпуск за <time datetime="2025-06-19">четверг, 19 июня 2025 г.</time>' in edition
    assert "июнь 2025" in read(output, "archive/index.html").lower()
    search = read(output, "search/index.html")
    assert "Искать по всем материалам" in search
    words = json.loads(html.unescape(re.search(r"data-search-text='([^']*)'", search).group(1)))  # for search.js
    assert (
        words["count"]["many"] == "{count} результатов" and words["none"] == "По запросу «{query}» ничего не найдено."
    )
    assert "Страница не найдена" in read(output, "404.html")


def test_a_german_site(make_site):
    output = build_site(make_site, "de")
    front = read(output, "index.html")
    assert "Donnerstag, 19. Juni 2025" in front and "2 Meldungen" in front and "1 Min. Lesezeit" in front
    assert "Weiterlesen bei Reuters" in read(output, "2025/06/19/summit-opens/index.html")
    assert "Themen" in read(output, "tags/index.html")


@pytest.mark.parametrize(
    "language, words",
    [
        ("uk", ["19 червня 2025 р.", "Читати в джерелі: Reuters", "хв читання"]),
        ("fr", ["19 juin 2025", "Lire sur Reuters", "min de lecture"]),
        ("es", ["19 de junio de 2025", "Leer en Reuters", "min de lectura"]),
        ("en", ["June 19, 2025", "Read at Reuters", "1 min read"]),
        ("en-GB", ["19 June 2025", "Read at Reuters", "1 min read"]),
    ],
)
def test_more_languages(make_site, language, words):
    page = read(build_site(make_site, language), "2025/06/19/summit-opens/index.html")
    for word in words:
        assert word in page, word


def test_an_article_in_russian_in_an_english_site(make_site):
    ru = article(
        "Новость дня",
        "2025-06-19 10:00",
        lang="ru",
        source="Интерфакс",
        url="https://www.interfax.ru/a",
        tags="[NATO]",
        slug="novost",
    )
    output = build_site(make_site, "en", files={"content/world/ru.md": ru})
    page = read(output, "2025/06/19/novost/index.html")
    assert '<html lang="en">' in page
    article_part = page[page.index('<article class="article" lang="ru">') : page.index("</article>")]
    assert "19 июня 2025 г., 10:00" in article_part and "Читать в источнике: Интерфакс" in article_part
    assert 'aria-label="Темы"' in article_part
    after = page[page.index("</article>") :]
    assert "Related stories" in after and "June 19, 2025" in after  # the rest of the page stays English
    front = read(output, "index.html")
    story = front[front.index('<article class="story" lang="ru">') :]
    story = story[: story.index("</article>")]
    assert "1 мин чтения" in story and "min read" not in story


def test_strings_override_the_theme_in_the_site_language(make_site):
    extra = (
        "strings:\n  read_at: 'Original report: {source}'\n  stories: {one: '{count} item', other: '{count} items'}\n"
    )
    ru = article(
        "Новость", "2025-06-19 10:00", lang="ru", source="Интерфакс", url="https://www.interfax.ru/a", slug="novost"
    )
    output = build_site(make_site, "en", extra, {"content/world/ru.md": ru})
    assert "Original report: Reuters" in read(output, "2025/06/19/summit-opens/index.html")
    assert "3 items" in read(output, "index.html")
    assert "Читать в источнике: Интерфакс" in read(output, "2025/06/19/novost/index.html")  # not in the site's language


def test_wrong_strings_are_reported_with_their_lines(make_site):
    settings = (
        "title: Digest\n"
        "strings:\n"
        "  read_at: 'Source: {outlet}'\n"
        "  nope: 'x'\n"
        "  min_read: 5\n"
        "  stories: {one: '{count} item'}\n"
    )
    site = make_site(STORIES, settings)
    result = run_cli("build", "--site", site)
    assert result.code == 1
    assert (
        "broadsheet.yaml:3: strings.read_at: unknown placeholder {outlet} (this phrase can use: {source})" in result.err
    )
    assert "broadsheet.yaml:4: strings.nope: unknown phrase (expected one of:" in result.err
    assert "broadsheet.yaml:5: strings.min_read: expected a string" in result.err
    assert "broadsheet.yaml:6: strings.stories: a phrase with plural forms needs at least 'other'" in result.err
    assert not (site / "site").exists()


def test_a_strings_edit_rebuilds_as_a_clean_build_would(make_site, tmp_path):
    output = build_site(make_site, "en")
    site = output.parent
    settings = (site / "broadsheet.yaml").read_text()
    (site / "broadsheet.yaml").write_text(settings + "strings: {min_read: '{minutes} minutes'}\n")
    assert run_cli("build", "--site", site).code == 0
    assert run_cli("build", "--site", site, "--output", tmp_path / "clean", "--no-cache").code == 0
    assert tree_bytes(output) == tree_bytes(tmp_path / "clean")
    assert "1 minutes" in read(output, "index.html")


@pytest.mark.parametrize(
    "language, counts",
    [
        ("ru", {1: "1 материал", 3: "3 материала", 5: "5 материалов", 21: "21 материал", 1000: "1 000 материалов"}),
        ("uk", {1: "1 матеріал", 2: "2 матеріали", 11: "11 матеріалів"}),
        ("en", {1: "1 story", 2: "2 stories", 1000: "1,000 stories"}),
    ],
)
def test_plural_forms_and_numbers(language, counts):
    words = Localiser(language)
    for count, text in counts.items():
        assert words.text("stories", count=count).replace("\xa0", " ").replace("\u202f", " ") == text


def test_unknown_languages_fall_back_to_english_words():
    words = Localiser("pt-BR")
    assert words.text("read_at", source="Folha") == "Read at Folha"  # no Portuguese phrases yet
    from datetime import date

    assert words.long_date(date(2025, 6, 19)) == "19 de junho de 2025"  # but Babel's Portuguese dates
    assert Localiser("xx").long_date(date(2025, 6, 19)) == "June 19, 2025"
    assert Localiser("de-AT").text("search") == "Suche"  # a region falls back to its language


def test_strings_placeholders_are_plain_names_only(make_site):
    # {source:>99999999} made every article page 100 MB; {source:d} failed inside the
    # theme's template. A placeholder is a name, nothing else, and the settings line says so.
    settings = (
        "title: Digest\n"
        "strings:\n"
        "  read_at: 'Source: {source:>99999999}'\n"
        "  min_read: '{minutes!r} min'\n"
        "  source: '{source.__class__}'\n"
        "  updated: '{date[0]}'\n"
        "  related: 'More {}'\n"
    )
    site = make_site(STORIES, settings)
    result = run_cli("build", "--site", site)
    assert result.code == 1, result.err
    assert "broadsheet.yaml:3: strings.read_at: placeholder {source:>99999999} is not a plain name" in result.err
    assert "broadsheet.yaml:4: strings.min_read: placeholder {minutes!r} is not a plain name" in result.err
    assert "broadsheet.yaml:5: strings.source: placeholder {source.__class__} is not a plain name" in result.err
    assert "broadsheet.yaml:6: strings.updated: placeholder {date[0]} is not a plain name" in result.err
    assert "broadsheet.yaml:7: strings.related: placeholder {} is not a plain name" in result.err
    assert "Traceback" not in result.err and not (site / "site").exists()


@pytest.mark.parametrize("title", ["قمة الناتو تبدأ في لاهاي \u200f2025", "פסגת נאטו נפתחת בהאג \u200e(NATO)"])
def test_right_to_left_titles_keep_their_letters(make_site, title):
    # Control characters and bidi overrides are stripped from front matter; right-to-left
    # text needs none of them, and keeps its letters and its RLM and LRM marks.
    site = make_site({"content/a.md": article(title, "2025-06-19", slug="rtl", lang="ar" if "ق" in title else "he")})
    result = run_cli("build", "--site", site)
    assert result.code == 0, result.err
    page = (site / "site/2025/06/19/rtl/index.html").read_text(encoding="utf-8")
    assert f"<h1>{title}</h1>" in page
    assert f'"headline": "{title}"' in page or f"<title>{title}" in page
