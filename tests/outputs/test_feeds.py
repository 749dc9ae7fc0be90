"""Atom, RSS and JSON Feed: real builds of the demo and of little sites, read back with feedparser."""

import json
import xml.etree.ElementTree as ET
from datetime import datetime

import feedparser
import pytest
from hypothesis import given, settings, strategies as st

from broadsheet.build.html import absolute_links
from broadsheet.outputs.feeds import indented_json

from conftest import SETTINGS, article, copy_demo, run_cli, tree_bytes

NOW = "2025-06-20T12:00:00+00:00"
BASE = "https://x.github.io/digest/"
ATOM = "{http://www.w3.org/2005/Atom}"
FEED_NAMES = ("feed.xml", "rss.xml", "feed.json")


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory):
    """The demo digest built once under a sub-path: the feeds of a real site."""
    site = copy_demo(tmp_path_factory.mktemp("demo"))
    result = run_cli("build", "--site", site, "--base-url", BASE, "--now", NOW)
    assert result.code == 0, result.err
    return site / "site"


def xml_feeds(output):
    return sorted(p for name in ("feed.xml", "rss.xml") for p in output.rglob(name))


def test_every_demo_feed_parses_with_absolute_links_and_dates(demo_site):
    feeds = xml_feeds(demo_site)
    assert len(feeds) > 40
    for path in feeds:
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, f"{path}: {parsed.get('bozo_exception')}"
        assert parsed.feed.title.startswith("The Broadsheet Digest")
        assert parsed.entries, path
        for entry in parsed.entries:
            assert entry.title and entry.id and entry.published_parsed, f"{path}: {entry}"
            assert entry.link.startswith(BASE), entry.link
            if path.name == "feed.xml":
                assert entry.updated_parsed and entry.author
                assert entry.id.startswith("tag:x.github.io,2025-06-")


def test_site_feed_is_newest_first_and_deterministic_in_its_updated_time(demo_site):
    atom = ET.parse(demo_site / "feed.xml").getroot()
    entries = atom.findall(f"{ATOM}entry")
    dates = [datetime.fromisoformat(e.findtext(f"{ATOM}published")) for e in entries]
    assert dates == sorted(dates, reverse=True) and len(dates) == 20  # feed.entries: the newest 20 of the demo
    updated = [datetime.fromisoformat(e.findtext(f"{ATOM}updated")) for e in entries]
    assert datetime.fromisoformat(atom.findtext(f"{ATOM}updated")) == max(updated)  # never the build's time
    links = {link.get("rel"): link.get("href") for link in atom.findall(f"{ATOM}link")}
    assert links == {"self": BASE + "feed.xml", "alternate": BASE}


def test_term_feeds_exist_for_every_tag_section_and_source_page(demo_site):
    for kind in ("tags", "sections", "sources"):
        terms = [p.parent for p in (demo_site / kind).glob("*/index.html")]
        assert terms, kind
        for folder in terms:
            for name in FEED_NAMES:
                assert (folder / name).is_file(), folder / name
            parsed = feedparser.parse((folder / "feed.xml").read_bytes())
            assert parsed.feed.link == BASE + f"{kind}/{folder.name}/"
            assert parsed.feed.title.startswith("The Broadsheet Digest: ")
    assert not list((demo_site / "authors").rglob("feed.xml"))


def test_json_feeds_have_the_required_fields(demo_site):
    for path in demo_site.rglob("feed.json"):
        feed = json.loads(path.read_text(encoding="utf-8"))
        assert feed["version"] == "https://jsonfeed.org/version/1.1"
        assert feed["title"] and feed["feed_url"] == BASE + path.relative_to(demo_site).as_posix()
        assert feed["items"]
        for item in feed["items"]:
            assert item["id"] and item["url"].startswith(BASE)
            assert item.get("content_html") or item.get("content_text")
            assert item["date_published"]


def test_bundle_image_and_relative_links_become_absolute(demo_site):
    rss = (demo_site / "rss.xml").read_text(encoding="utf-8")
    chart = BASE + "2025/06/19/world-has-about-three-years-of-emissions-left-for-1-5degc/remaining-budget.svg"
    assert f'<media:content url="{chart}" medium="image" type="image/svg+xml">' in rss
    items = json.loads((demo_site / "feed.json").read_text(encoding="utf-8"))["items"]
    bundle = next(i for i in items if i["id"].endswith(":science/carbon-budget-1-5c"))
    assert bundle["image"] == chart
    assert bundle["external_url"] == "https://www.theguardian.com/environment/climate-crisis"
    assert (
        f'href="{BASE}2025/06/16/bonn-climate-talks-open' in bundle["content_html"]
    )  # a link to another article, made absolute


def little_site(make_site, settings=SETTINGS, **extra_files):
    return make_site({
        "content/science/chart-story/index.md": article(
            "Chart story", "2025-06-19 09:00",
            body="![A chart](chart.svg)\n\nSee [the archive](/digest/archive/) and [the web](https://example.com/x).",
            image="{src: chart.svg, alt: A chart}", tags="[Climate]", authors="[Science desk]",
            url="https://news.example.com/chart"),
        "content/science/chart-story/chart.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
        "content/world/plain.md": article(
            "Plain story", "2025-06-18 10:00", body="Short summary here.\n\n<!--more-->\n\nThe rest of the body.",
            source="Wire"),
        **extra_files,
    }, settings)  # fmt: skip


def test_links_images_and_authors_in_a_little_site(make_site):
    site = little_site(make_site)
    assert run_cli("build", "--site", site, "--base-url", BASE, "--now", NOW).code == 0
    parsed = feedparser.parse((site / "site/feed.xml").read_bytes())
    chart, plain = parsed.entries
    page = BASE + "2025/06/19/chart-story/"
    assert chart.link == page and chart.author == "Science desk"
    assert {(link.rel, link.href) for link in chart.links} == {
        ("alternate", page),
        ("related", "https://news.example.com/chart"),
        ("enclosure", page + "chart.svg"),
    }
    html = chart.content[0].value
    assert f'src="{page}chart.svg"' in html
    assert f'href="{BASE}archive/"' in html and 'href="https://example.com/x"' in html
    assert [t.term for t in chart.tags] == ["Climate"]
    assert plain.author == "Wire"  # no authors: the source stands in, so Atom always has one
    rss = feedparser.parse((site / "site/rss.xml").read_bytes()).entries[0]
    assert "https://news.example.com/chart" in rss.description
    assert rss.published == "Thu, 19 Jun 2025 09:00:00 +0100"


def test_ids_survive_a_new_title_and_url_pattern_and_front_matter_id_wins(make_site):
    site = little_site(make_site)
    assert run_cli("build", "--site", site, "--now", NOW).code == 0
    before = [e.id for e in feedparser.parse((site / "site/feed.xml").read_bytes()).entries]
    assert before == ["tag:example.org,2025-06-19:science/chart-story", "tag:example.org,2025-06-18:world/plain"]
    (site / "broadsheet.yaml").write_text(SETTINGS + "article_url: /{section}/{slug}/\n")
    (site / "content/world/plain.md").write_text(article("A new headline", "2025-06-18 10:00"))
    assert run_cli("build", "--site", site, "--now", NOW).code == 0
    after = feedparser.parse((site / "site/feed.xml").read_bytes()).entries
    assert [e.id for e in after] == before
    assert after[1].link == "https://example.org/world/a-new-headline/"
    (site / "content/world/plain.md").write_text(article("A new headline", "2025-06-18 10:00", id="urn:uuid:1234"))
    assert run_cli("build", "--site", site, "--now", NOW).code == 0
    assert json.loads((site / "site/feed.json").read_text())["items"][1]["id"] == "urn:uuid:1234"


def test_content_summary_setting_and_entry_limit(make_site):
    site = little_site(make_site, SETTINGS + "feed:\n  entries: 1\n  content: summary\n")
    site.joinpath("content/world/plain.md").write_text(article("Plain story", "2025-06-20 10:00", body="Short summary here.\n\n<!--more-->\n\nThe rest of the body."))  # fmt: skip
    assert run_cli("build", "--site", site, "--now", NOW).code == 0
    items = json.loads((site / "site/feed.json").read_text())["items"]
    assert [i["title"] for i in items] == ["Plain story"]  # at most one, the newest
    assert "Short summary here." in items[0]["content_html"] and "rest of the body" not in items[0]["content_html"]
    atom = feedparser.parse((site / "site/feed.xml").read_bytes()).entries[0]
    assert "content" not in atom and "Short summary here." in atom.summary
    assert "rest of the body" not in (site / "site/rss.xml").read_text()


def test_drafts_and_future_stories_stay_out_of_feeds_and_sitemaps(make_site):
    site = little_site(
        make_site,
        **{"content/world/draft.md": article("Secret draft", "2025-06-19", draft="true", tags="[Climate]"),
           "content/world/later.md": article("Tomorrow story", "2025-06-21 09:00", tags="[Climate]")},
    )  # fmt: skip
    assert run_cli("build", "--site", site, "--now", NOW).code == 0
    generated = [p for p in (site / "site").rglob("*") if p.suffix in (".xml", ".json") or p.name == "robots.txt"]
    assert len(generated) > 10
    for path in generated:
        text = path.read_text(encoding="utf-8")
        assert "Secret draft" not in text and "secret-draft" not in text, path
        assert "Tomorrow story" not in text and "tomorrow-story" not in text, path
    assert run_cli("build", "--site", site, "--now", NOW, "--drafts", "--future").code == 0
    assert "secret-draft" in (site / "site/tags/climate/feed.xml").read_text()


def test_two_builds_give_identical_feed_bytes(make_site, tmp_path):
    site = little_site(make_site)
    for out in ("one", "two"):
        assert run_cli("build", "--site", site, "--output", tmp_path / out, "--now", NOW).code == 0
    one, two = tree_bytes(tmp_path / "one"), tree_bytes(tmp_path / "two")
    feeds = [rel for rel in one if rel.endswith(FEED_NAMES)]
    assert len(feeds) >= 9 and all(one[rel] == two[rel] for rel in feeds)
    # a later build clock changes nothing: no feed carries the time of its build
    assert (
        run_cli("build", "--site", site, "--output", tmp_path / "three", "--now", "2026-01-01T00:00:00+00:00").code == 0
    )
    three = tree_bytes(tmp_path / "three")
    assert all(one[rel] == three[rel] for rel in feeds)


@pytest.mark.parametrize("setting, message", [
    ("feed:\n  entries: 0\n", "broadsheet.yaml:5: feed.entries: expected a whole number above 0"),
    ("feed:\n  content: everything\n", "broadsheet.yaml:5: feed.content: expected 'full' or 'summary'"),
    ("feed:\n  size: 3\n", "broadsheet.yaml:5: feed.size: unknown setting"),
    ("feed: 20\n", "broadsheet.yaml:4: feed: expected a mapping"),
    ("news_publication: [x]\n", "broadsheet.yaml:4: news_publication: expected a string"),
])  # fmt: skip
def test_feed_settings_are_checked_with_their_line(make_site, setting, message):
    site = make_site({"content/a.md": article("A", "2025-06-19")}, SETTINGS + setting)
    result = run_cli("build", "--site", site)
    assert result.code == 1 and message in result.err, result.err


def test_link_rewriting_changes_only_urls():
    html = (
        '<p title="a &amp; b">Caf&eacute; &#8212; <a href="/digest/x/">x</a> <a href="#note">n</a>\n'
        '<img src="chart.svg" srcset="a.png 1x, /b.png 2x" alt="&quot;c&quot;"><br/>'
        '<a href="mailto:ed@example.org">mail</a><!-- <a href="/keep/"> --></p>'
    )
    out = absolute_links(html, "https://x.github.io/digest/2025/06/19/s/")
    assert out == (
        '<p title="a &amp; b">Caf&eacute; &#8212; <a href="https://x.github.io/digest/x/">x</a> '
        '<a href="https://x.github.io/digest/2025/06/19/s/#note">n</a>\n'
        '<img src="https://x.github.io/digest/2025/06/19/s/chart.svg" '
        'srcset="https://x.github.io/digest/2025/06/19/s/a.png 1x, https://x.github.io/b.png 2x" alt="&quot;c&quot;"><br/>'
        '<a href="mailto:ed@example.org">mail</a><!-- <a href="/keep/"> --></p>'
    )


def test_control_characters_cannot_break_a_feed(make_site):
    settings = SETTINGS + 'news_publication: "Tab\\vloid"\n'  # a YAML escape lets one into the settings too
    site = make_site(
        {"content/a.md": article('"Form\\ffeed title"', "2025-06-19", body="Text\x0bwith a vertical tab.")}, settings
    )
    assert run_cli("build", "--site", site, "--now", NOW).code == 0
    for name in ("feed.xml", "rss.xml", "news-sitemap.xml"):
        ET.parse(site / "site" / name)  # well-formed
    assert feedparser.parse((site / "site/feed.xml").read_bytes()).entries[0].title == "Formfeed title"
    assert "<news:name>Tabloid</news:name>" in (site / "site/news-sitemap.xml").read_text()


JSON_VALUES = st.recursive(st.text(), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=12)


@settings(max_examples=300)
@given(JSON_VALUES, st.sampled_from(["", "    "]))
def test_json_items_are_laid_out_as_json_dumps_lays_them_out(value, margin):
    assert indented_json(value, margin) == json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + margin)


def test_a_story_written_once_is_right_in_every_feed_that_carries_it(make_site):
    """Each story's entry is written once per format and spliced into every feed that
    carries it: the bytes must be those of that story in each feed, its links absolute
    to its own page, and each feed must keep to its own newest stories."""
    site = make_site({
        "content/world/old.md": article("Old story", "2025-06-17 10:00", tags="[Energy]",
                                        body="See [the archive](/archive/) and [a sibling](../18/new-story/)."),
        "content/world/mid.md": article("Mid story", "2025-06-18 10:00"),
        "content/world/new.md": article("New story", "2025-06-19 10:00", tags="[Energy]"),
    }, SETTINGS + "feed:\n  entries: 2\n")  # fmt: skip
    assert run_cli("build", "--site", site, "--base-url", BASE, "--now", NOW).code == 0
    output = site / "site"
    titles = {
        folder: [e.title for e in feedparser.parse((output / folder / "feed.xml").read_bytes()).entries]
        for folder in ("", "tags/energy", "sections/world")
    }
    assert titles == {"": ["New story", "Mid story"], "tags/energy": ["New story", "Old story"],
                      "sections/world": ["New story", "Mid story"]}  # fmt: skip
    old = feedparser.parse((output / "tags/energy/feed.xml").read_bytes()).entries[1].content[0].value
    # resolved against the story's own page, not the folder of the feed it is spliced into
    assert 'href="https://x.github.io/archive/"' in old and f'href="{BASE}2025/06/17/18/new-story/"' in old
    bounds = {"feed.xml": ("<entry", "</entry>"), "rss.xml": ("<item>", "</item>"), "feed.json": ("\n    {", "\n    }")}
    for name, (start, end) in bounds.items():  # the newest story: the same bytes in the site feed and its tag feed
        site_feed, tag_feed = (output / name).read_text(), (output / "tags/energy" / name).read_text()
        title = site_feed.index("New story")
        entry = site_feed[site_feed.rindex(start, 0, title) : site_feed.index(end, title) + len(end)]
        assert entry in tag_feed and "Mid story" not in entry
    items = {i["title"]: i for i in json.loads((output / "tags/energy/feed.json").read_text())["items"]}
    assert items["Old story"]["url"] == BASE + "2025/06/17/old-story/"


# --- stories (issue 20): each report of a story links to the story's page ---------------------

STORY_SETTINGS = SETTINGS + "stories:\n  auto: false\n"  # grouped by the editor's keys alone


def story_site(make_site):
    return make_site({
        "content/world/rates-wire.md": article("Bank holds rates at four per cent", "2025-06-18 10:00",
                                               source="Wire", story="bank-rates"),
        "content/world/rates-daily.md": article("Rates stay put, the bank says", "2025-06-18 15:00",
                                                source="Daily", story="bank-rates"),
        "content/world/harbour.md": article("Harbour bridge reopens", "2025-06-19 09:00", source="Wire"),
    }, STORY_SETTINGS)  # fmt: skip


def test_each_report_of_a_story_links_to_its_page_in_every_format(make_site):
    site = story_site(make_site)
    assert run_cli("build", "--site", site, "--base-url", BASE, "--now", NOW).code == 0
    output, story_url = site / "site", BASE + "stories/bank-rates/"
    title = "Bank holds rates at four per cent"  # the earliest report leads and names the story
    for folder in ("", "sources/wire/"):
        atom = feedparser.parse((output / folder / "feed.xml").read_bytes())
        assert not atom.bozo, atom.get("bozo_exception")
        related = {e.title: [(link.href, link.get("title")) for link in e.links if link.rel == "related"]
                   for e in atom.entries}  # fmt: skip
        assert related[title] == [(story_url, title)]
        assert related["Harbour bridge reopens"] == []
        if folder == "":
            assert related["Rates stay put, the bank says"] == [(story_url, title)]
        rss = feedparser.parse((output / folder / "rss.xml").read_bytes())
        assert not rss.bozo, rss.get("bozo_exception")
        tags = {e.title: [(t.term, t.scheme) for t in e.get("tags", [])] for e in rss.entries}
        assert tags[title] == [(title, story_url)] and tags["Harbour bridge reopens"] == []
        items = {i["title"]: i for i in json.loads((output / folder / "feed.json").read_text())["items"]}
        assert items[title]["_broadsheet"] == {"story": {"url": story_url, "title": title}}
        assert "_broadsheet" not in items["Harbour bridge reopens"]
    # the story page the feeds point to is there
    assert (output / "stories/bank-rates/index.html").is_file()


def feed_item_keys(state) -> dict[str, tuple]:
    """Title -> the key under which the last build remembered its feed item."""
    return {item.title: key for key, item in state.memo.kept(("feed item",)).items()}


def test_a_story_change_makes_its_items_again_and_nothing_else_does(make_site, tmp_path):
    """Items are remembered by their entry and their story's link: a report joining a
    story (and leading it, so the story's title changes) must make the other reports'
    items again, in every feed; an edit elsewhere must not."""
    from broadsheet.build.pipeline import build
    from broadsheet.build.request import BuildRequest
    from broadsheet.incremental import cache

    site = story_site(make_site)
    state, _ = cache.load(site, site / "site")
    request = BuildRequest(site, base_url=BASE, now=datetime.fromisoformat(NOW))
    assert build(request, state).ok
    first = feed_item_keys(state)
    (site / "content/world/harbour.md").write_text(article("Harbour bridge opens again", "2025-06-19 09:00"))
    assert build(request, state).ok
    second = feed_item_keys(state)
    for title in ("Bank holds rates at four per cent", "Rates stay put, the bank says"):
        assert second[title] == first[title], title  # not made again
    assert "Harbour bridge opens again" in second and "Harbour bridge reopens" not in second
    (site / "content/world/rates-herald.md").write_text(
        article(
            "The Herald says the bank keeps its rate",
            "2025-06-18 12:00",
            source="Herald",
            story="bank-rates",
            story_title="The bank keeps rates at four per cent",
        )  # fmt: skip
    )
    assert build(request, state).ok
    third = feed_item_keys(state)
    assert third["Rates stay put, the bank says"] != second["Rates stay put, the bank says"]
    assert third["Harbour bridge opens again"] == second["Harbour bridge opens again"]
    rss = feedparser.parse((site / "site/rss.xml").read_bytes())
    assert {e.title: e.tags[0].term for e in rss.entries if e.get("tags")} == dict.fromkeys(
        [
            "Bank holds rates at four per cent",
            "Rates stay put, the bank says",
            "The Herald says the bank keeps its rate",
        ],
        "The bank keeps rates at four per cent",
    )
    # and what the incremental builds left is what a clean build makes
    assert run_cli("build", "--site", site, "--base-url", BASE, "--now", NOW, "--no-cache",
                   "--output", tmp_path / "clean").code == 0  # fmt: skip
    for name in FEED_NAMES:
        assert (site / "site" / name).read_bytes() == (tmp_path / "clean" / name).read_bytes(), name


def test_the_feeds_showing_an_entry_are_made_as_among_all_feeds(make_site):
    """A body edit remakes only the feeds that carry the article (feeds_showing), each as the
    full set of feeds makes it: the site feed, its tags', section's and source's, a story's
    link in every item, and no other feed."""
    from broadsheet.build.model import compute_now
    from broadsheet.build.pipeline import load_model
    from broadsheet.build.request import BuildRequest
    from broadsheet.outputs.feeds import feed_outputs, feeds_showing

    site = make_site({
        "content/world/rates-wire.md": article("Bank holds rates at four per cent", "2025-06-18 10:00",
                                               source="Wire", story="bank-rates", tags="[Banks, Rates]"),
        "content/world/rates-daily.md": article("Rates stay put, the bank says", "2025-06-18 15:00",
                                                source="Daily", story="bank-rates", tags="[Rates]"),
        "content/world/harbour.md": article("Harbour bridge reopens", "2025-06-19 09:00", source="Wire",
                                            tags="[Bridges]"),
        "content/sport/final.md": article("Cup final goes to extra time", "2025-06-19 20:00", source="Herald"),
    }, STORY_SETTINGS)  # fmt: skip
    settings, model, problems = load_model(BuildRequest(site, base_url=BASE, now=datetime.fromisoformat(NOW)))
    assert model is not None, problems
    every = {path: data for files in feed_outputs(model, settings, compute_now) for path, data in files.items()}
    for entry in model.entries:
        shown = feeds_showing(model, settings, {entry.url})
        carrying = {path for path, data in every.items() if entry.url.encode() in data}
        assert shown.keys() == carrying, entry.url
        assert all(shown[path] == every[path] for path in shown), entry.url
    rates = feeds_showing(model, settings, {model.entries[-1].url})
    assert "tags/rates/feed.xml" in rates and "sources/wire/feed.json" in rates and "feed.xml" in rates
