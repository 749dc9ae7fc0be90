"""Every output path is claimed once, whatever kind of output claims it: a second claim is
an error naming both sources (file and line), found before anything is written; a
hand-written static/robots.txt is the one override allowed."""

from __future__ import annotations

import io

from PIL import Image

from conftest import SETTINGS, article, run_cli, tree_bytes

SLUG_URLS = SETTINGS + "article_url: /{slug}/\n"


def photo(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (180, 40, 40)).save(out, "JPEG")
    return out.getvalue()


def failed(site, *lines: str, command: str = "build") -> None:
    """The build (or check) fails, prints each line, and writes nothing."""
    result = run_cli(command, "--site", site)
    assert result.code == 1, result.out
    for line in lines:
        assert line in result.err, result.err
    assert "Traceback" not in result.err
    assert not (site / "site").exists()


def test_a_bundle_photo_and_a_static_file_at_one_path(make_site):
    site = make_site({
        "content/world/quake/index.md": article("Quake", "2025-06-19 10:00"),
        "content/world/quake/map.jpg": photo(300, 200),
        "static/2025/06/19/quake/map.jpg": photo(200, 100),
    })  # fmt: skip
    failed(
        site,
        "static/2025/06/19/quake/map.jpg: writes 2025/06/19/quake/map.jpg, which the bundle file (content/world/quake/map.jpg) also writes; rename or remove that file",
    )


def test_a_smaller_copy_of_a_photo_and_a_static_file_at_one_path(make_site):
    site = make_site({
        "content/world/quake/index.md": article("Quake", "2025-06-19 10:00", body="![The map](map.jpg)"),
        "content/world/quake/map.jpg": photo(1600, 900),
        "static/2025/06/19/quake/map-480w.jpg": photo(200, 100),
    })  # fmt: skip
    failed(
        site,
        "static/2025/06/19/quake/map-480w.jpg: writes 2025/06/19/quake/map-480w.jpg, which a smaller copy of the photo (content/world/quake/map.jpg) also writes",
    )


def test_a_tag_feed_and_a_static_file_at_one_path(make_site):
    site = make_site({
        "content/a.md": article("Grid strain", "2025-06-19 10:00", tags="[Energy]"),
        "static/tags/energy/feed.xml": "<feed/>",
    })  # fmt: skip
    failed(
        site,
        "static/tags/energy/feed.xml: writes tags/energy/feed.xml, which the Atom feed of tags/energy/ (content/a.md:4) also writes",
    )


def test_a_content_folder_named_tags(make_site):
    """A bundle in content/tags/ titled Tags, under article_url /{slug}/: its page is the
    list of tags' address, and its files land on the tags' own pages."""
    site = make_site({
        "content/tags/index.md": article("Tags", "2025-06-19 10:00", tags="[Energy]"),
        "content/tags/energy/index.html": "<p>an old copy</p>",
    }, settings=SLUG_URLS)  # fmt: skip
    failed(
        site,
        "content/tags/index.md:2: title: writes tags/index.html, which the list of tags also writes; set another slug, or change article_url",
        "content/tags/energy/index.html: writes tags/energy/index.html, which the page of tag Energy (content/tags/index.md:4) also writes",
    )


def test_an_explicit_slug_is_named_by_its_own_line(make_site):
    site = make_site({
        "content/a.md": article("Where to look", "2025-06-19 10:00", slug="search"),
    }, settings=SLUG_URLS)  # fmt: skip
    failed(site, "content/a.md:4: slug: writes search/index.html, which the search page also writes")


def test_a_newsletter_page_and_an_article_file_at_one_path(make_site):
    site = make_site({
        "content/old/index.md": article("Old issues", "2025-06-19 10:00", slug='"2025"'),
        "content/old/06/19/email.html": "<p>the issue, saved by hand</p>",
    }, settings=SLUG_URLS + "email:\n  publish: true\n")  # fmt: skip
    failed(
        site,
        "content/old/06/19/email.html: writes 2025/06/19/email.html, which the newsletter page of edition 2025-06-19 also writes",
    )


def test_static_robots_txt_replaces_the_generated_one(make_site):
    site = make_site({
        "content/a.md": article("Grid strain", "2025-06-19 10:00"),
        "static/robots.txt": "User-agent: *\nDisallow: /drafts/\n",
    })  # fmt: skip
    result = run_cli("build", "--site", site)
    assert result.code == 0, result.err
    assert (site / "site/robots.txt").read_text() == "User-agent: *\nDisallow: /drafts/\n"


def test_a_static_sitemap_or_search_index_may_not_replace_the_generated_one(make_site):
    """Unlike robots.txt, these follow every new article: a hand-written copy goes stale."""
    site = make_site({
        "content/a.md": article("Grid strain", "2025-06-19 10:00"),
        "static/sitemap.xml": "<urlset/>",
        "static/search/index.json": "{}",
    })  # fmt: skip
    failed(
        site,
        "static/sitemap.xml: writes sitemap.xml, which the sitemap also writes",
        "static/search/index.json: writes search/index.json, which the search index also writes",
    )


def test_names_alike_but_for_letter_case_or_accents_are_one_file_on_some_systems(make_site):
    site = make_site({
        "content/a.md": article("Grid strain", "2025-06-19 10:00", tags="[Energy]"),
        "static/Archive/index.html": "mine",
        "static/Tags/energy/notes.html": "mine",
        "static/caf\u00e9.txt": "one way",
        "static/cafe\u0301.txt": "the other",
        "static/Robots.txt": "not the override: that is static/robots.txt",
    })  # fmt: skip
    failed(
        site,
        "static/Archive/index.html: writes Archive/index.html, and the archive page writes archive/index.html: on macOS and Windows",
        "static/Tags/energy/notes.html: writes Tags/energy/notes.html into folder Tags, and the page of tag Energy (content/a.md:4) writes tags/energy/index.html into tags",
        "writes caf\u00e9.txt, and the static file (static/cafe\u0301.txt) writes cafe\u0301.txt",
        "static/Robots.txt: writes Robots.txt, and the generated robots.txt writes robots.txt",
    )


def test_a_file_where_a_folder_must_be(make_site):
    site = make_site({
        "content/a.md": article("Grid strain", "2025-06-19 10:00"),
        "static/archive": "a file, not a folder",
    })  # fmt: skip
    failed(
        site, "static/archive: writes archive as a file, where the archive page needs a folder for archive/index.html"
    )


def test_a_clash_leaves_the_last_good_output_and_check_reports_it_too(make_site):
    site = make_site({"content/a.md": article("Grid strain", "2025-06-19 10:00", tags="[Energy]")})
    assert run_cli("build", "--site", site).code == 0
    before = tree_bytes(site / "site")
    (site / "static/tags/energy").mkdir(parents=True)
    (site / "static/tags/energy/rss.xml").write_text("<rss/>")
    expected = "static/tags/energy/rss.xml: writes tags/energy/rss.xml, which the RSS feed of tags/energy/ (content/a.md:4) also writes"
    for command in ("build", "check"):
        result = run_cli(command, "--site", site)
        assert result.code == 1 and expected in result.err, result.err
        assert tree_bytes(site / "site") == before
