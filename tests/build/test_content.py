"""Articles: slugs, summaries, reading time, bundles, sections, taxonomies."""

from conftest import article, run_cli


def build(site, *args):
    result = run_cli("build", "--site", site, *args)
    assert result.code == 0, result.err
    return site / "site"


def test_cyrillic_title_is_transliterated(make_site):
    out = build(make_site({"content/a.md": article('"Путин: НАТО не угрожает России"', "2025-06-19")}))
    page = out / "2025/06/19/putin-nato-ne-ugrozhaet-rossii/index.html"
    assert page.is_file()
    assert "Путин: НАТО не угрожает России" in page.read_text()


def test_given_slug_wins_and_long_titles_are_cut_at_a_word(make_site):
    title = "A very long headline that goes on and on about the many things that happened today"
    out = build(make_site({
        "content/a.md": article("Anything", "2025-06-19", slug="chosen-slug"),
        "content/b.md": article(title, "2025-06-19"),
    }))  # fmt: skip
    assert (out / "2025/06/19/chosen-slug/index.html").is_file()
    made = [p.name for p in (out / "2025/06/19").iterdir() if p.name.startswith("a-very")]
    assert made == ["a-very-long-headline-that-goes-on-and-on-about-the-many"]


def test_summary_rules(make_site):
    out = build(make_site({
        "content/given.md": article("Given", "2025-06-19", body="First para.\n\nSecond.", summary="'From *front* matter.'"),
        "content/more.md": article("More", "2025-06-19", body="Before the cut.\n\n<!--more-->\n\nAfter the cut."),
        "content/first.md": article("First", "2025-06-19", body="> a quote\n\nOpening paragraph.\n\nLater paragraph."),
    }))  # fmt: skip
    edition = (out / "2025/06/19/index.html").read_text()
    assert "From <em>front</em> matter." in edition and "First para." not in edition
    assert "Before the cut." in edition and "After the cut." not in edition
    assert "Opening paragraph." in edition and "Later paragraph." not in edition
    more = (out / "2025/06/19/more/index.html").read_text()
    assert "Before the cut." in more and "After the cut." in more and "<!--more-->" not in more


def test_reading_time_and_smart_quotes(make_site):
    words = " ".join(["word"] * 500)
    out = build(make_site({"content/a.md": article("Long read", "2025-06-19", body=f'"Quoted" text. {words}')}))
    page = (out / "2025/06/19/long-read/index.html").read_text()
    assert "3 min read" in page  # 502 words at 220 a minute
    assert "&ldquo;Quoted&rdquo;" in page


def test_bundle_copies_its_image_and_resolves_it(make_site):
    site = make_site({
        "content/science/story/index.md": article(
            "Bundle story", "2025-06-19", body="![A chart](chart.svg)",
            image="{src: chart.svg, alt: A chart, caption: The caption, credit: Photo Desk}"),
        "content/science/story/chart.svg": "<svg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/>",
    })  # fmt: skip
    out = build(site, "--base-url", "https://example.org/digest/")
    folder = out / "2025/06/19/bundle-story"
    assert (folder / "chart.svg").read_bytes() == (site / "content/science/story/chart.svg").read_bytes()
    page = (folder / "index.html").read_text()
    assert 'src="/digest/2025/06/19/bundle-story/chart.svg" alt="A chart"' in page
    assert "The caption" in page and "Photo Desk" in page
    assert "Science" in page  # the bundle's folder is not its section; its parent is


def test_image_outside_the_bundle_is_an_error(make_site):
    site = make_site({"content/a.md": article("A", "2025-06-19", image="{src: ../../secret.png, alt: x}")})
    result = run_cli("build", "--site", site)
    assert result.code == 1
    assert "a.md" in result.err and "image.src" in result.err


def test_tags_are_case_insensitive_and_terms_get_pages(make_site):
    out = build(make_site({
        "content/world/a.md": article("A", "2025-06-18", tags="[NATO, Energy]", source="{name: The Times, url: https://example.com}", authors="[Desk One]"),
        "content/world/b.md": article("B", "2025-06-19", tags="[nato]", source="The Times"),
        "content/c.md": article("C", "2025-06-19", section="Opinion Pages", tags="[Nato]"),
    }))  # fmt: skip
    nato = (out / "tags/nato/index.html").read_text()
    assert all(f">{t}</a>" in nato for t in ("A", "B", "C"))
    assert "NATO" in (out / "tags/index.html").read_text()
    assert not (out / "tags/nato-2").exists()
    assert "https://example.com" in (out / "sources/the-times/index.html").read_text()
    assert (out / "authors/desk-one/index.html").is_file()
    assert (out / "sections/world/index.html").is_file() and (out / "sections/opinion-pages/index.html").is_file()
    for listing in ("tags", "sections", "sources", "authors", "archive"):
        assert (out / listing / "index.html").is_file()
    assert (out / "404.html").is_file()


def test_neighbours_and_related(make_site):
    out = build(make_site({
        "content/a.md": article("Oldest", "2025-06-17", tags="[NATO]"),
        "content/b.md": article("Middle", "2025-06-18", tags="[Sport]"),
        "content/c.md": article("Newest", "2025-06-19", tags="[NATO]"),
    }))  # fmt: skip
    middle = (out / "2025/06/18/middle/index.html").read_text()
    assert 'rel="prev" href="/2025/06/17/oldest/"' in middle and 'rel="next" href="/2025/06/19/newest/"' in middle
    newest = (out / "2025/06/19/newest/index.html").read_text()
    related = newest[newest.index("Related stories") :]
    assert "Oldest" in related and "Middle" not in related


def test_drafts_and_future_articles_are_left_out_by_default(make_site):
    site = make_site({
        "content/a.md": article("Published", "2025-06-19"),
        "content/b.md": article("Draft piece", "2025-06-19", draft="true"),
        "content/c.md": article("Future piece", "2025-06-21"),
    })  # fmt: skip
    out = build(site, "--now", "2025-06-20T00:00:00+00:00")
    everything = b"".join(p.read_bytes() for p in out.rglob("*.html"))
    assert b"Published" in everything and b"Draft piece" not in everything and b"Future piece" not in everything
    out = build(site, "--now", "2025-06-20T00:00:00+00:00", "--drafts", "--future")
    everything = b"".join(p.read_bytes() for p in out.rglob("*.html"))
    assert b"Draft piece" in everything and b"Future piece" in everything


def test_related_ranking_matches_a_plain_count(make_site):
    """The fast related-stories ranking agrees with counting every candidate."""
    import random
    from collections import defaultdict

    from broadsheet.build.model import related_indices

    rng = random.Random(7)
    tags_of = [rng.sample(range(12), rng.randint(1, 4)) for _ in range(300)]
    by_tag = defaultdict(list)
    for i, tags in enumerate(tags_of):
        for t in tags:
            by_tag[t].append(i)
    members = {t: set(v) for t, v in by_tag.items()}
    for i, tags in enumerate(tags_of):
        shared = {j: len(set(tags) & set(other)) for j, other in enumerate(tags_of) if j != i}
        plain = sorted((j for j in shared if shared[j]), key=lambda j: (-shared[j], abs(j - i), j))[:3]
        assert related_indices(i, tags, by_tag, members, 3) == plain


def test_scanned_files_make_their_path_only_when_asked_and_it_is_the_files(make_site):
    """The content walk keeps each article file's path as the listing's string and makes
    the Path when first asked (a build that reads one file needs none of the rest): that
    Path is the file's, in a nested folder and under a name that is not ASCII too."""
    from broadsheet.build.scan import scan_content

    site = make_site(
        {
            "content/a.md": article("A", "2025-06-01T08:00:00Z"),
            "content/world/europe/b.md": article("B", "2025-06-02T08:00:00Z"),
            "content/world/привет.md": article("C", "2025-06-03T08:00:00Z"),
            "content/bundle/index.md": article("D", "2025-06-04T08:00:00Z"),
        }
    )
    sources, problems = scan_content(site)
    assert not problems and len(sources) == 4
    assert all("path" not in vars(s) for s in sources)  # none made yet
    for source in sources:
        assert source.path == site / source.rel and source.path.is_file()
        assert str(source.os_path) == str(site / source.rel)
