"""Page metadata: titles, descriptions, canonical URLs, OpenGraph and JSON-LD that parse
and name the right article."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest

from conftest import article, run_cli


class Head(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, list[str]] = {}
        self.links: list[dict] = []
        self.json_ld: list[str] = []
        self.title = ""
        self.lang = None
        self._in = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "meta":
            key = a.get("property") or a.get("name")
            if key:
                self.meta.setdefault(key, []).append(a.get("content", ""))
        elif tag == "link":
            self.links.append(a)
        elif tag == "script" and a.get("type") == "application/ld+json":
            self._in = "ld"
            self.json_ld.append("")
        elif tag == "title":
            self._in = "title"

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "ld":
            self.json_ld[-1] += data
        elif self._in == "title":
            self.title += data


def head_of(path) -> Head:
    head = Head()
    head.feed(path.read_text(encoding="utf-8"))
    return head


@pytest.fixture
def built(make_site):
    site = make_site({
        "content/world/a.md": article("NATO story", "2025-06-19 10:00", tags="[NATO, Defence]", authors="[Desk One]",
                                      source="{name: Wire, url: https://wire.example.com}", url="https://wire.example.com/nato",
                                      updated="2025-06-19 12:00", summary="'A short summary.'"),
        "content/science/b/index.md": article("Chart story", "2025-06-18 09:00", image="{src: c.svg, alt: A chart}"),
        "content/science/b/c.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
    })  # fmt: skip
    assert run_cli("build", "--site", site, "--base-url", "https://x.github.io/digest/").code == 0
    return site / "site"


def test_every_page_has_title_description_canonical_and_lang(built):
    titles = set()
    for page in built.rglob("*.html"):
        head = head_of(page)
        assert head.title.strip() and head.lang == "en", page
        assert head.meta.get("description", [""])[0].strip(), page
        if page.name != "404.html":
            canonical = [link["href"] for link in head.links if link.get("rel") == "canonical"]
            assert len(canonical) == 1 and canonical[0].startswith("https://x.github.io/digest/"), page
            titles.add(head.title)
    assert len(titles) > 10  # specific titles, not one for all


def test_article_json_ld_names_the_article(built):
    page = built / "2025/06/19/nato-story/index.html"
    head = head_of(page)
    (raw,) = head.json_ld
    data = json.loads(raw)
    assert data["@type"] == "NewsArticle" and data["@context"] == "https://schema.org"
    assert data["headline"] == "NATO story"
    assert data["mainEntityOfPage"]["@id"] == "https://x.github.io/digest/2025/06/19/nato-story/"
    assert data["datePublished"] == "2025-06-19T10:00:00+01:00" and data["dateModified"] == "2025-06-19T12:00:00+01:00"
    assert data["author"] == [
        {"@type": "Person", "name": "Desk One", "url": "https://x.github.io/digest/authors/desk-one/"}
    ]
    assert data["publisher"]["name"] == "Test Digest"
    assert (
        data["isBasedOn"]["url"] == "https://wire.example.com/nato" and data["isBasedOn"]["publisher"]["name"] == "Wire"
    )
    assert data["keywords"] == ["NATO", "Defence"]
    assert head.meta["og:type"] == ["article"] and head.meta["og:title"] == ["NATO story"]
    assert head.meta["article:published_time"] == ["2025-06-19T10:00:00+01:00"]
    assert head.meta["article:tag"] == ["NATO", "Defence"]


def test_article_image_in_open_graph_and_json_ld(built):
    head = head_of(built / "2025/06/18/chart-story/index.html")
    image = "https://x.github.io/digest/2025/06/18/chart-story/c.svg"
    assert head.meta["og:image"] == [image] and head.meta["twitter:card"] == ["summary_large_image"]
    assert json.loads(head.json_ld[0])["image"] == [image]


def test_list_pages_carry_a_collection_page(built):
    for rel, expected in (("index.html", 2), ("2025/06/19/index.html", 1), ("tags/nato/index.html", 1)):
        (raw,) = head_of(built / rel).json_ld
        data = json.loads(raw)
        assert data["@type"] == "CollectionPage" and data["mainEntity"]["@type"] == "ItemList"
        items = data["mainEntity"]["itemListElement"]
        assert len(items) == expected and items[0]["position"] == 1
        assert all(item["url"].startswith("https://x.github.io/digest/20") for item in items)


def test_feed_autodiscovery_in_every_page_and_tag_feeds_on_tag_pages(built):
    for page in built.rglob("*.html"):
        kinds = {link.get("type") for link in head_of(page).links if link.get("rel") == "alternate"}
        assert {"application/atom+xml", "application/rss+xml", "application/feed+json"} <= kinds, page
    tag_feeds = [
        link["href"] for link in head_of(built / "tags/nato/index.html").links if link.get("rel") == "alternate"
    ]
    assert "/digest/tags/nato/feed.xml" in tag_feeds


def test_article_in_another_language_is_marked(make_site):
    site = make_site({"content/a.md": article('"Новость дня"', "2025-06-19", lang="ru")})
    assert run_cli("build", "--site", site).code == 0
    page = (site / "site/2025/06/19/novost-dnia/index.html").read_text()
    assert '<article class="article" lang="ru">' in page
    assert json.loads(head_of(site / "site/2025/06/19/novost-dnia/index.html").json_ld[0])["inLanguage"] == "ru"


# --- stories (issue 20) -------------------------------------------------------------------

DIGEST = "https://x.github.io/digest/"


def test_a_story_in_json_ld_its_reports_cite_each_other_and_its_page_lists_them(make_site):
    site = make_site({
        "content/world/a.md": article("Ships clear the strait", "2025-06-18 08:00", source="Wire",
                                      url="https://wire.example.com/strait", story="strait"),
        "content/world/b.md": article("Strait open to shipping again", "2025-06-18 11:00", source="Daily", story="strait"),
        "content/world/c.md": article("Strait traffic back to normal", "2025-06-19 07:00", story="strait",
                                      story_title="The strait reopens"),
        "content/world/alone.md": article("Orchard harvest begins", "2025-06-19 09:00"),
    }, "title: Test Digest\nbase_url: https://example.org/\ntimezone: Europe/London\nstories:\n  auto: false\n")  # fmt: skip
    assert run_cli("build", "--site", site, "--base-url", DIGEST).code == 0
    built, story_url = site / "site", DIGEST + "stories/strait/"
    pages = {
        "a": DIGEST + "2025/06/18/ships-clear-the-strait/",
        "b": DIGEST + "2025/06/18/strait-open-to-shipping-again/",
        "c": DIGEST + "2025/06/19/strait-traffic-back-to-normal/",
    }

    def json_ld(url):
        (raw,) = head_of(built / url.removeprefix(DIGEST) / "index.html").json_ld
        return json.loads(raw)

    first = json_ld(pages["a"])
    assert first["isPartOf"] == {"@type": "CollectionPage", "url": story_url, "name": "The strait reopens"}
    assert first["isBasedOn"]["url"] == "https://wire.example.com/strait"
    original, *cited = first["citation"]  # its own original report, then the other reports
    assert original == "https://wire.example.com/strait"
    assert [(c["@type"], c["url"], c["headline"]) for c in cited] == [
        ("NewsArticle", pages["b"], "Strait open to shipping again"),
        ("NewsArticle", pages["c"], "Strait traffic back to normal"),
    ]
    assert cited[0]["publisher"] == {"@type": "Organization", "name": "Daily"} and "publisher" not in cited[1]
    second = json_ld(pages["b"])
    assert [c["url"] for c in second["citation"]] == [pages["a"], pages["c"]]  # no original: reports alone
    assert second["citation"][0]["sameAs"] == "https://wire.example.com/strait"
    alone = json_ld(DIGEST + "2025/06/19/orchard-harvest-begins/")
    assert "isPartOf" not in alone and "citation" not in alone
    page = json_ld(story_url)
    assert page["@type"] == "CollectionPage" and page["url"] == story_url and page["name"] == "The strait reopens"
    assert page["mainEntity"]["@type"] == "ItemList" and page["mainEntity"]["numberOfItems"] == 3
    assert page["mainEntity"]["itemListOrder"] == "https://schema.org/ItemListOrderAscending"
    assert page["mainEntity"]["itemListElement"] == [  # in time order
        {"@type": "ListItem", "position": n, "url": pages[key], "name": name}
        for n, (key, name) in enumerate(
            [
                ("a", "Ships clear the strait"),
                ("b", "Strait open to shipping again"),
                ("c", "Strait traffic back to normal"),
            ],
            start=1,
        )  # fmt: skip
    ]
