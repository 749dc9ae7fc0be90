"""Stories as readers see them (issue 20): a small digest built for real, its pages read
with an HTML parser. Editions and the front page show a story once, its lead with "Also
reported by"; an article lists its story's other coverage; each story has a page of its
reports in time order, and /stories/ lists them; the editor's `story:`, `story_title:` and
`stories:` settings decide. Bad `story:` keys are tests/build/test_coverage.py's."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser, LexborNode

from conftest import SETTINGS, article, run_cli, write_tree

# One event, three outlets, within hours: the same names and figures in every report, so
# automatic grouping joins them whatever its tuning. The lead is the earliest (none featured).
VOLCANO = "Reykjanes volcano Grindavik Iceland lava eruption fissure Svartsengi"
FED = "Federal Reserve Jerome Powell FOMC 4.25% 4.50% tariffs inflation"


def report(title: str, date: str, outlet: str, text: str, summary: str, **keys: str) -> str:
    body = f"{text}. {summary} {text}."
    source = f"{{name: {outlet}, url: 'https://{outlet.lower().replace(' ', '')}.example/'}}"
    return article(title, date, body, source=source, summary=f'"{summary}"', **keys)


FILES = {
    # Automatic: three reports of one eruption on one day, the second one featured.
    "content/world/volcano-ruv.md": report(
        "Eruption begins on the Reykjanes peninsula", "2025-06-18 06:10", "RUV", VOLCANO,
        "Lava broke through a fissure near Grindavik overnight.",
    ),
    "content/world/volcano-bbc.md": report(
        "Iceland volcano erupts again near Grindavik", "2025-06-18 08:30", "BBC News", VOLCANO,
        "A new fissure opened north of Grindavik, the town evacuated again.", featured="true",
    ),
    "content/world/volcano-reuters.md": report(
        "Lava flows from new fissure on Reykjanes peninsula", "2025-06-18 11:45", "Reuters", VOLCANO,
        "The Svartsengi power station was shielded by its barriers.",
    ),
    # Automatic, across two days and two editions; none featured: the lead is the earliest.
    "content/business/fed-cnbc.md": report(
        "Fed holds at 4.25%-4.50%", "2025-06-18 20:05", "CNBC", FED, "Powell warned of tariff price rises.",
    ),
    "content/business/fed-ap.md": report(
        "Powell says the Fed can wait", "2025-06-18 22:40", "Associated Press", FED,
        "The FOMC left rates at 4.25%-4.50% and Powell pointed to tariffs.",
    ),
    "content/business/fed-ft.md": report(
        "Markets digest the Fed's hold", "2025-06-19 07:30", "Financial Times", FED,
        "Traders weighed Powell's caution on tariffs and inflation after the 4.25%-4.50% hold.",
    ),
    # By hand: nothing in common but the key, and a title for the story.
    "content/world/kyiv-a.md": report(
        "Night of drones over the capital", "2025-06-17 06:00", "Associated Press", "Sirens sounded for hours",
        "Air defences were busy all night.", story="kyiv-june", story_title='"The attack on Kyiv, 17 June"',
    ),
    "content/world/kyiv-b.md": report(
        "City mourns its dead", "2025-06-18 15:40", "Ukrainska Pravda", "Flags at half mast",
        "A day of mourning was declared.", story="kyiv-june",
    ),
    # Alone: a copy of a volcano report kept out of every story by the editor, and an unrelated one.
    "content/world/volcano-copy.md": report(
        "Eruption begins on the Reykjanes peninsula (copy)", "2025-06-18 06:20", "Morgunbladid", VOLCANO,
        "Lava broke through a fissure near Grindavik overnight.", story="false",
    ),
    "content/science/comet.md": report(
        "A comet brightens in the evening sky", "2025-06-18 21:00", "Sky News", "Astronomers telescope comet",
        "Observers in the south can see it with binoculars.",
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    site = write_tree(tmp_path_factory.mktemp("stories"), {"broadsheet.yaml": SETTINGS, **FILES})
    result = run_cli("build", "--site", site)
    assert result.code == 0, result.err
    return site / "site"


def page(out: Path, path: str) -> LexborHTMLParser:
    return LexborHTMLParser((out / path.strip("/") / "index.html").read_text(encoding="utf-8"))


def url_of(out: Path, name: str) -> str:
    """An article's URL, read from the site's own page of it (the file's stem is not its slug)."""
    title = next(line for line in FILES[name].splitlines() if line.startswith("title: "))[7:]
    for index in out.glob("2025/06/*/*/index.html"):
        h1 = LexborHTMLParser(index.read_text(encoding="utf-8")).css_first("main h1")
        if h1 is not None and h1.text(strip=True) == title:
            return "/" + index.parent.relative_to(out).as_posix() + "/"
    raise AssertionError(f"no page for {name}")


def story_urls(out: Path) -> list[str]:
    return [a.attributes["href"] or "" for a in page(out, "stories").css("ul.story-list h2 a")]


def story_of(out: Path, name: str) -> str:
    """The story page an article's "Other coverage" section links to."""
    link = page(out, url_of(out, name)).css_first("section.coverage p.full-coverage a")
    assert link is not None, f"{name} has no other coverage"
    return link.attributes["href"] or ""


def cards(tree: LexborHTMLParser, scope: str = "main") -> list[LexborNode]:
    return tree.css(f"{scope} article.story")


def card_of(tree: LexborHTMLParser, url: str) -> LexborNode | None:
    return next((c for c in cards(tree) if _href(c, ".story-title a") == url), None)


def _href(node: LexborNode, selector: str) -> str:
    found = node.css_first(selector)
    return (found.attributes["href"] or "") if found is not None else ""


def test_the_story_page_lists_every_report_in_time_order_with_outlet_and_time(out):
    story = story_of(out, "content/business/fed-cnbc.md")
    tree = page(out, story)
    names = ["content/business/fed-cnbc.md", "content/business/fed-ap.md", "content/business/fed-ft.md"]
    items = tree.css("main ol.timeline > li > article.story")
    assert [_href(item, ".story-title a") for item in items] == [url_of(out, n) for n in names]
    assert [item.css_first(".byline .source").text(strip=True) for item in items] == [
        "CNBC", "Associated Press", "Financial Times",
    ]  # fmt: skip
    times = [datetime.fromisoformat(item.css_first(".byline time").attributes["datetime"] or "") for item in items]
    assert times == sorted(times) and times[0].isoformat() == "2025-06-18T20:05:00+01:00"
    h1 = tree.css_first("main h1")
    assert h1.text(strip=True).endswith("Fed holds at 4.25%-4.50%")  # the lead's title: the earliest
    assert tree.css_first("title").text() == "Fed holds at 4.25%-4.50% · Test Digest"
    meta = " ".join(tree.css_first("main .story-meta").text(deep=True).split())
    assert meta.split(" · ")[:2] == ["3 reports", "CNBC, Associated Press, Financial Times"]


def test_the_stories_list_has_each_story_once_newest_first(out):
    tree = page(out, "stories")
    assert tree.css_first("main h1").text(strip=True) == "Stories"
    items = tree.css("main ul.story-list > li")
    titles = [li.css_first("h2 a").text(strip=True) for li in items]
    # By their latest report: the Fed's (19 June 07:30), Kyiv's (18 June 15:40), the eruption's (11:45).
    assert titles == [
        "Fed holds at 4.25%-4.50%",
        "The attack on Kyiv, 17 June",  # story_title
        "Iceland volcano erupts again near Grindavik",  # the featured report leads
    ]
    assert len(set(story_urls(out))) == 3
    counts = [" ".join(li.css_first(".story-meta").text(deep=True).split()).split(" · ")[0] for li in items]
    assert counts == ["3 reports", "2 reports", "3 reports"]
    assert all((out / url.strip("/") / "index.html").is_file() for url in story_urls(out))


def test_the_menu_leads_to_the_stories_on_every_page(out):
    for path in ("", "stories", "2025/06/18", url_of(out, "content/science/comet.md"), "tags"):
        menu = [a.attributes["href"] for a in page(out, path).css("header.masthead nav a")]
        assert "/stories/" in menu, path


def test_an_edition_shows_a_story_once_led_by_its_featured_report(out):
    tree = page(out, "2025/06/18")
    volcano = [url_of(out, f"content/world/volcano-{n}.md") for n in ("ruv", "bbc", "reuters")]
    shown = [_href(c, ".story-title a") for c in cards(tree)]
    assert shown.count(volcano[1]) == 1 and volcano[0] not in shown and volcano[2] not in shown
    lead = card_of(tree, volcano[1])
    assert lead is not None
    also = lead.css_first("p.also")
    assert also.css_first(".also-label").text(strip=True) == "Also reported by"
    others = [(a.text(strip=True), a.attributes["href"]) for a in also.css("a:not(.full-coverage)")]
    assert others == [("RUV", volcano[0]), ("Reuters", volcano[2])]  # the others, in time order
    full = also.css_first("a.full-coverage")
    assert full.attributes["href"] == story_of(out, "content/world/volcano-ruv.md")
    assert full.text(strip=True) == "Full coverage: Iceland volcano erupts again near Grindavik"  # hidden part named
    assert full.css_first(".visually-hidden") is not None
    # The editor's copy kept apart stands alone, with no line under it.
    copy = card_of(tree, url_of(out, "content/world/volcano-copy.md"))
    assert copy is not None and copy.css_first("p.also") is None


def test_without_a_featured_report_the_earliest_leads_and_each_edition_shows_its_own(out):
    fed = [url_of(out, f"content/business/fed-{n}.md") for n in ("cnbc", "ap", "ft")]
    day1, day2 = page(out, "2025/06/18"), page(out, "2025/06/19")
    shown1 = [_href(c, ".story-title a") for c in cards(day1)]
    assert fed[0] in shown1 and fed[1] not in shown1  # the earliest leads its edition
    lead = card_of(day1, fed[0])
    assert [a.attributes["href"] for a in lead.css("p.also a:not(.full-coverage)")] == [fed[1], fed[2]]
    # The next day's edition has only the third report: it stands for the story there.
    third = card_of(day2, fed[2])
    assert third is not None
    assert [a.attributes["href"] for a in third.css("p.also a:not(.full-coverage)")] == [fed[0], fed[1]]
    # The edition's count is of cards, not of articles.
    assert day1.css_first("h1 .count").text(strip=True) == f"{len(cards(day1))} stories"


def test_the_front_page_shows_each_story_once_per_edition(out):
    tree = page(out, "")
    for edition in tree.css("main section.edition"):
        shown = [_href(c, ".story-title a") for c in edition.css("article.story")]
        assert len(shown) == len(set(shown))
    day1 = tree.css_first("section#edition-2025-06-18, section[aria-labelledby='edition-2025-06-18']")
    assert day1 is not None
    shown = [_href(c, ".story-title a") for c in day1.css("article.story")]
    volcano = [url_of(out, f"content/world/volcano-{n}.md") for n in ("ruv", "bbc", "reuters")]
    assert [u for u in shown if u in volcano] == [volcano[1]]
    assert len(day1.css("p.also")) == 3  # the eruption, the Fed and Kyiv (its second day)


def test_an_article_page_lists_the_other_coverage_with_outlet_time_and_a_line(out):
    tree = page(out, url_of(out, "content/world/volcano-reuters.md"))
    section = tree.css_first("main section.coverage")
    assert section.css_first("h2").text(strip=True) == "Other coverage"
    items = section.css("ul.coverage-list > li")
    assert [_href(li, "h3 a") for li in items] == [
        url_of(out, "content/world/volcano-ruv.md"),
        url_of(out, "content/world/volcano-bbc.md"),
    ]
    first = items[0]
    assert first.css_first("h3 a").text(strip=True) == "Eruption begins on the Reykjanes peninsula"
    assert first.css_first(".byline .source").text(strip=True) == "RUV"
    assert first.css_first(".byline time").attributes["datetime"] == "2025-06-18T06:10:00+01:00"
    assert first.css_first(".byline time").text(strip=True) == "June 18, 2025, 6:10\u202fAM"  # the site's language, en
    assert first.css_first("p.line").text(strip=True) == "Lava broke through a fissure near Grindavik overnight."
    assert _href(section, "p.full-coverage a") == story_of(out, "content/world/volcano-bbc.md")
    # An article of no story has no such section.
    assert page(out, url_of(out, "content/science/comet.md")).css_first("section.coverage") is None


def test_story_key_joins_by_hand_and_story_title_names_the_story(out):
    a, b = url_of(out, "content/world/kyiv-a.md"), url_of(out, "content/world/kyiv-b.md")
    story = story_of(out, "content/world/kyiv-a.md")
    assert story == "/stories/kyiv-june/"  # the key makes the URL
    tree = page(out, story)
    assert tree.css_first("main h1").text(strip=True) == "Story:The attack on Kyiv, 17 June"
    assert [_href(i, ".story-title a") for i in tree.css("ol.timeline article.story")] == [a, b]
    assert tree.css_first("title").text() == "The attack on Kyiv, 17 June · Test Digest"
    # Across two editions, each shows its own report with the other named under it.
    assert _href(card_of(page(out, "2025/06/18"), b), "p.also a:not(.full-coverage)") == a


def test_story_false_keeps_a_copy_alone(out):
    copy = url_of(out, "content/world/volcano-copy.md")
    assert page(out, copy).css_first("section.coverage") is None
    for url in story_urls(out):
        assert copy not in [_href(i, ".story-title a") for i in page(out, url).css("ol.timeline article.story")]


def test_auto_false_turns_automatic_grouping_off_and_keeps_the_editors_keys(make_site):
    site = make_site(FILES, SETTINGS + "stories: {auto: false}\n")
    result = run_cli("build", "--site", site)
    assert result.code == 0, result.err
    out = site / "site"
    assert story_urls(out) == ["/stories/kyiv-june/"]
    day1 = page(out, "2025/06/18")
    assert len(cards(day1)) == 8  # each of the day's articles its own card
    assert page(out, url_of(out, "content/world/volcano-ruv.md")).css_first("section.coverage") is None


def test_a_site_with_no_stories_says_so_and_its_menu_still_leads_there(make_site):
    site = make_site({"content/a.md": article("Alone", "2025-06-18 10:00")})
    assert run_cli("build", "--site", site).code == 0
    tree = page(site / "site", "stories")
    assert tree.css("ul.story-list") == []
    assert tree.css_first("main p").text(strip=True) == "Nothing here yet."


def test_a_lead_in_another_language_speaks_it_under_its_card(make_site):
    """The card's words follow its article's language, as its byline does; an outlet's name
    in the site's language says so within it."""
    ru = "Рейкьянес Гриндавик Исландия извержение вулкана лава Svartsengi Grindavik Reykjanes"
    site = make_site({
        "content/ru.md": report("Извержение на Рейкьянесе", "2025-06-18 06:00", "RUV", ru,
                                "Лава вышла у Гриндавика.", lang="ru", story="eruption", featured="true"),
        "content/en.md": report("Eruption on Reykjanes", "2025-06-18 07:00", "BBC News", VOLCANO,
                                "Lava near Grindavik.", story="eruption"),
    })  # fmt: skip
    assert run_cli("build", "--site", site).code == 0
    tree = page(site / "site", "2025/06/18")
    [card] = cards(tree)
    assert card.attributes["lang"] == "ru"
    also = card.css_first("p.also")
    assert also.css_first(".also-label").text(strip=True) == "Также сообщили"
    assert also.css_first("a").attributes["lang"] == "en"  # the site's language, not the card's
    assert also.css_first("a.full-coverage").text(strip=True).startswith("Все публикации")


def test_story_pages_follow_the_base_path(make_site):
    site = make_site(FILES, SETTINGS.replace("https://example.org/", "https://example.org/digest/"))
    assert run_cli("build", "--site", site).code == 0
    out = site / "site"
    urls = story_urls(out)
    assert urls and all(u.startswith("/digest/stories/") for u in urls)
    menu = [a.attributes["href"] for a in page(out, "").css("header.masthead nav a")]
    assert "/digest/stories/" in menu
