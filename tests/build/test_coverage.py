"""A site's stories as the model has them (build/coverage.py): lead, title and URL of each,
editions' cards showing a story once, and the editor's bad `story:` keys reported with
file, line and key, the last good output left as it was. How the pages show them is
tests/theme/test_stories_pages.py's."""

from __future__ import annotations

from pathlib import Path

from broadsheet.build.model import SiteModel
from broadsheet.build.pipeline import load_model
from broadsheet.build.request import BuildRequest

from conftest import article, run_cli, tree_bytes

# Articles joined by hand (`story:`), so what is tested is coverage.py, not the grouping method.
SUMMIT = {
    "content/a.md": article("Leaders arrive in the Rockies", "2025-06-16 08:00", source="Reuters", story="summit"),
    "content/b.md": article("Summit opens with a short agenda", "2025-06-16 16:00", source="CBC News",
                            story="summit", featured="true"),
    "content/c.md": article("A statement on the last night", "2025-06-16 23:30", source="BBC News", story="summit"),
    "content/d.md": article("A quiet day in the markets", "2025-06-16 12:00", source="Reuters"),
}  # fmt: skip


def model_of(site: Path) -> SiteModel:
    _, model, problems = load_model(BuildRequest(site_dir=site))
    assert model is not None, problems
    return model


def titles(entries) -> list[str]:
    return [e.title for e in entries]


def test_a_story_leads_with_its_featured_report_and_keeps_the_others_in_time_order(make_site):
    model = model_of(make_site(SUMMIT))
    [story] = model.stories
    assert story.lead.title == "Summit opens with a short agenda"  # featured, though not the earliest
    assert titles(story.entries) == ["Leaders arrive in the Rockies", "Summit opens with a short agenda",
                                     "A statement on the last night"]  # fmt: skip
    assert titles(story.others(story.lead)) == ["Leaders arrive in the Rockies", "A statement on the last night"]
    assert story.title == story.lead.title and story.key == "summit"
    assert (story.url, story.path) == ("/stories/summit/", "stories/summit/")
    assert story.outlets == ("Reuters", "CBC News", "BBC News")
    assert all(model.story_of[e.url] is story for e in story.entries)
    assert "/2025/06/16/a-quiet-day-in-the-markets/" not in model.story_of


def test_without_a_featured_report_the_earliest_leads_and_story_title_names_it(make_site):
    files = {**SUMMIT, "content/b.md": SUMMIT["content/b.md"].replace("featured: true\n", "")}
    files["content/c.md"] = files["content/c.md"].replace(
        "story: summit", "story: summit\nstory_title: The G7 in Alberta"
    )
    [story] = model_of(make_site(files)).stories
    assert story.lead.title == "Leaders arrive in the Rockies"
    assert story.title == "The G7 in Alberta"  # a later report's story_title names the story


def test_an_edition_shows_the_story_once_with_its_other_reports_under_it(make_site):
    model = model_of(make_site(SUMMIT))
    [edition] = model.editions
    assert len(edition.entries) == 4
    shown = [(c.entry.title, titles(c.also)) for c in edition.cards]
    assert shown == [
        ("Summit opens with a short agenda", ["Leaders arrive in the Rockies", "A statement on the last night"]),
        ("A quiet day in the markets", []),
    ]
    assert edition.cards[0].story is model.stories[0] and edition.cards[1].story is None


def test_a_story_keeps_its_url_when_it_gains_a_report(make_site):
    """Found automatically, a story is named after its first article: a later report joining
    it leaves its URL as it was."""
    text = "Reykjanes volcano Grindavik Iceland lava eruption fissure Svartsengi 4.5 km"
    first = {
        "content/a.md": article("Eruption near Grindavik", "2025-06-18 06:00", f"{text}. {text}.", source="RUV"),
        "content/b.md": article("Iceland volcano erupts", "2025-06-18 08:00", f"{text}. {text}.", source="BBC News"),
    }
    site = make_site(first)
    [before] = model_of(site).stories
    (site / "content/c.md").write_text(
        article("Lava reaches the barriers", "2025-06-18 12:00", f"{text}. {text}.", source="Reuters")
    )
    [after] = model_of(site).stories
    assert len(before.entries) == 2 and len(after.entries) == 3
    assert after.url == before.url == "/stories/eruption-near-grindavik/"


def build(site: Path):
    return run_cli("build", "--site", site)


def test_a_story_key_of_the_wrong_type_is_an_error_and_the_last_site_stays(make_site):
    site = make_site(SUMMIT)
    assert build(site).code == 0
    good = tree_bytes(site / "site")
    (site / "content/a.md").write_text(SUMMIT["content/a.md"].replace("story: summit", "story: true"))
    (site / "content/c.md").write_text(SUMMIT["content/c.md"].replace("story: summit", "story: [a]"))
    result = build(site)
    assert result.code == 1
    assert "Traceback" not in result.err
    lines = [line for line in result.err.splitlines() if ": story: expected" in line]
    assert len(lines) == 2  # every bad file in one run
    expected = "story: expected a key naming the story (such as fed-june-2025) or false, got"
    assert lines == [
        f"{site / 'content/a.md'}:5: {expected} a boolean",
        f"{site / 'content/c.md'}:5: {expected} a list",
    ]
    assert tree_bytes(site / "site") == good


def test_a_story_key_of_one_article_is_a_warning_naming_it(make_site):
    site = make_site({**SUMMIT, "content/e.md": article("Alone", "2025-06-16 10:00", story="sumit")})
    result = build(site)
    assert result.code == 0
    [line] = [line for line in result.err.splitlines() if "sumit" in line]
    assert line.startswith(f"{site / 'content/e.md'}:4: story: warning: story: sumit is used by this article alone")
    assert (site / "site/stories/summit/index.html").is_file()
    assert not (site / "site/stories/sumit").exists()


def test_two_keys_that_make_one_url_are_an_error_naming_both_files(make_site):
    site = make_site(SUMMIT)
    assert build(site).code == 0
    good = tree_bytes(site / "site")
    for name, key in (("e", '"Fed June"'), ("f", '"Fed June"'), ("g", "fed-june"), ("h", "fed-june")):
        (site / f"content/{name}.md").write_text(article(f"Fed {name}", "2025-06-18 20:00", story=key))
    result = build(site)
    assert result.code == 1
    [line] = [line for line in result.err.splitlines() if "/stories/fed-june/" in line]
    # The keys are taken in order ("Fed June" before "fed-june"): the second's first file is named
    # at its line, and the first's file in the message.
    assert line == (
        f"{site / 'content/g.md'}:4: story: the key 'fed-june' would have the URL /stories/fed-june/ "
        "of the key 'Fed June' (content/e.md); choose another key"
    )
    assert tree_bytes(site / "site") == good


def test_keys_that_differ_only_in_case_and_spaces_are_one_story(make_site):
    """As tags are one tag up to case: an editor who writes the key two ways means one story."""
    site = make_site(SUMMIT)
    for name, key in (("e", '"Lorvik  Bridge"'), ("f", "lorvik bridge")):
        (site / f"content/{name}.md").write_text(article(f"Bridge {name}", "2025-06-18 20:00", story=key))
    result = build(site)
    assert result.code == 0 and "alone" not in result.err, result.err
    page = (site / "site/stories/lorvik-bridge/index.html").read_text()
    assert "Bridge e" in page and "Bridge f" in page


def test_the_readme_gives_the_stories_settings_defaults_the_code_has():
    """README's settings table names the defaults; a retuned threshold must not leave it behind."""
    import dataclasses
    from pathlib import Path

    import yaml

    from broadsheet.build.stories import StorySettings

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    [row] = [line for line in readme.splitlines() if line.startswith("| `stories` |")]
    written = yaml.safe_load(row.split("`")[3])
    code = {f.name: getattr(StorySettings(), f.name) for f in dataclasses.fields(StorySettings)}
    assert written == {key: code[key] for key in ("auto", "window_hours", "threshold")}
