"""sitemap.xml, news-sitemap.xml and robots.txt of real builds, under a sub-path too."""

import xml.etree.ElementTree as ET
from datetime import datetime

from broadsheet.build import routes
from broadsheet.build.model import BuildOptions, build_model
from broadsheet.outputs import sitemaps

from conftest import article, copy_demo, real_articles, run_cli

NOW = "2025-06-20T12:00:00+00:00"
BASE = "https://x.github.io/digest/"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


def news_site(make_site):
    """Stories around --now: two inside the two-day window, one just outside, one draft."""
    return make_site({
        "content/world/today.md": article("Today story", "2025-06-20T10:00:00+00:00", lang="pt-BR", tags="[NATO]"),
        "content/world/edge.md": article("Edge story", "2025-06-18T13:00:00+00:00", tags="[NATO]"),
        "content/world/old.md": article("Old story", "2025-06-18T11:00:00+00:00"),
        "content/world/draft.md": article("Draft story", "2025-06-20T09:00:00+00:00", draft="true"),
        "content/world/later.md": article("Later story", "2025-06-20T13:00:00+00:00"),
    })  # fmt: skip


def locs(root):
    return [loc.text for loc in root.iter(f"{SM}loc")]


def output_file_of(url, output):
    assert url.startswith(BASE), url
    rel = url[len(BASE) :]
    return output / (rel + "index.html" if rel == "" or rel.endswith("/") else rel)


def test_sitemap_lists_every_public_page_with_lastmod(make_site):
    site = news_site(make_site)
    assert run_cli("build", "--site", site, "--base-url", BASE, "--now", NOW).code == 0
    output = site / "site"
    root = ET.parse(output / "sitemap.xml").getroot()
    assert root.tag == f"{SM}urlset"
    listed = locs(root)
    assert len(listed) == len(set(listed))
    for url in listed:
        assert output_file_of(url, output).is_file(), url
    pages = {p.relative_to(output).as_posix() for p in output.rglob("*.html")}
    assert len(listed) == len(pages) - 1 and BASE + "404.html" not in listed  # every page but 404
    assert BASE + "search/" in listed
    lastmod = {u.findtext(f"{SM}loc"): u.findtext(f"{SM}lastmod") for u in root.iter(f"{SM}url")}
    assert lastmod[BASE] == "2025-06-20T10:00:00+00:00"  # the newest story, in its own offset
    assert lastmod[BASE + "2025/06/18/old-story/"] == "2025-06-18T11:00:00+00:00"
    assert lastmod[BASE + "tags/nato/"] == lastmod[BASE + "search/"] == lastmod[BASE]


def test_news_sitemap_holds_only_the_last_two_days(make_site):
    site = news_site(make_site)
    assert run_cli("build", "--site", site, "--base-url", BASE, "--now", NOW).code == 0
    root = ET.parse(site / "site/news-sitemap.xml").getroot()
    assert root.tag == f"{SM}urlset"
    assert locs(root) == [BASE + "2025/06/20/today-story/", BASE + "2025/06/18/edge-story/"]
    first = root.find(f"{SM}url/{NEWS}news")
    assert first.findtext(f"{NEWS}publication/{NEWS}name") == "Test Digest"
    assert first.findtext(f"{NEWS}publication/{NEWS}language") == "pt"
    assert first.findtext(f"{NEWS}publication_date") == "2025-06-20T10:00:00+00:00"
    assert first.findtext(f"{NEWS}title") == "Today story"
    assert "later-story" not in (site / "site/sitemap.xml").read_text()
    assert "draft-story" not in (site / "site/sitemap.xml").read_text()


def test_robots_names_both_sitemaps(make_site):
    site = news_site(make_site)
    assert run_cli("build", "--site", site, "--base-url", BASE, "--now", NOW).code == 0
    robots = (site / "site/robots.txt").read_text().splitlines()
    assert robots[:2] == ["User-agent: *", "Allow: /"]
    assert f"Sitemap: {BASE}sitemap.xml" in robots and f"Sitemap: {BASE}news-sitemap.xml" in robots


def real_model(site, now: datetime):
    """The model a build makes, by the stages' own public functions."""
    settings, articles = real_articles(site, BASE)
    model, _ = build_model(articles, settings, BuildOptions(now=now))
    return model, settings


def test_news_selection_respects_its_cap(make_site):
    site = news_site(make_site)
    now = datetime.fromisoformat(NOW)
    model, _ = real_model(site, now)
    assert [e.title for e in sitemaps.news_entries(model, now)] == ["Today story", "Edge story"]
    assert [e.title for e in sitemaps.news_entries(model, now, limit=1)] == ["Today story"]


def test_too_many_urls_make_a_sitemap_index(make_site):
    site = news_site(make_site)
    now = datetime.fromisoformat(NOW)
    model, settings = real_model(site, now)
    pages = routes.plan(model, settings)
    whole = sitemaps.sitemap_outputs(pages, model, settings, now)
    split = sitemaps.sitemap_outputs(pages, model, settings, now, limit=5)
    every = locs(ET.fromstring(whole["sitemap.xml"]))
    index = ET.fromstring(split["sitemap.xml"])
    assert index.tag == f"{SM}sitemapindex"
    parts = locs(index)
    assert parts == [f"{BASE}sitemap-{n}.xml" for n in range(1, len(parts) + 1)]
    assert len(parts) == -(-len(every) // 5) > 1
    pieces = [locs(ET.fromstring(split[url[len(BASE) :]])) for url in parts]
    assert all(len(piece) <= 5 for piece in pieces)
    assert [url for piece in pieces for url in piece] == every


def test_demo_sitemap_locs_all_resolve(tmp_path):
    site = copy_demo(tmp_path / "demo")
    assert run_cli("build", "--site", site, "--base-url", BASE, "--now", NOW).code == 0
    output = site / "site"
    listed = locs(ET.parse(output / "sitemap.xml").getroot())
    assert len(listed) > 80
    for url in listed:
        assert output_file_of(url, output).is_file(), url
    news = locs(ET.parse(output / "news-sitemap.xml").getroot())
    assert news and all(output_file_of(url, output).is_file() for url in news)


def test_a_static_robots_txt_wins_over_the_generated_one(make_site):
    site = news_site(make_site)
    (site / "static").mkdir()
    (site / "static/robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
    result = run_cli("build", "--site", site, "--now", NOW)
    assert result.code == 0, result.err
    assert (site / "site/robots.txt").read_text() == "User-agent: *\nDisallow: /private/\n"
    assert (site / "site/sitemap.xml").is_file()
