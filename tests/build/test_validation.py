"""Bad input: every problem is named by file, line and key, the build exits 1, and
the last good output is left alone. Each test builds a real site through the CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from broadsheet.build.frontmatter import DATE_EXPECTED

from conftest import REPO, SETTINGS, Run, article, run_cli, tree_bytes

BROKEN = Path(__file__).resolve().parent / "broken"
GOOD = article("Fine story", "2025-06-19 09:30")


def build(site: Path, *args: str) -> Run:
    return run_cli("build", "--site", site, *args)


def problem_lines(result: Run) -> list[str]:
    """The problem lines on stderr, without the closing "Build failed" line."""
    return [line for line in result.err.splitlines() if line and not line.startswith("Build failed")]


def assert_fails_with(result: Run, *fragments: str) -> None:
    assert result.code == 1, (result.out, result.err)
    for fragment in fragments:
        assert fragment in result.err, f"{fragment!r} not in:\n{result.err}"
    assert "Build failed" in result.err
    assert result.out == ""


def broken_site(name: str, tmp_path: Path) -> Path:
    """A copy of one of tests/build/broken/: a build writes site/ beside its inputs."""
    return Path(shutil.copytree(BROKEN / name, tmp_path / name))


# --- required keys and dates ---------------------------------------------------------


def test_missing_title(make_site):
    site = make_site({"content/a.md": "---\ndate: 2025-06-19\n---\nBody.\n"})
    result = build(site)
    assert_fails_with(result, "content/a.md:1: title: is missing (expected a string)")
    assert not (site / "site").exists()


def test_missing_date(make_site):
    site = make_site({"content/a.md": "---\ntitle: No date here\nsummary: x\n---\nBody.\n"})
    assert_fails_with(build(site), "content/a.md:1: date: is missing (expected YYYY-MM-DD")


def test_date_that_is_not_a_date(make_site):
    site = make_site({"content/world/a.md": article("A", "June 19th")})
    assert_fails_with(build(site), "content/world/a.md:3: date: unknown date format 'June 19th'", "expected YYYY-MM-DD")


def test_impossible_day_is_reported_not_crashed_on(make_site):
    # YAML reads 2025-02-30 as a timestamp and Python refuses the day; that must be
    # a message on the date's line, not a traceback.
    site = make_site({"content/a.md": article("A", "2025-02-30", tags="[x]")})
    assert_fails_with(build(site), "content/a.md:3: date: unknown date format '2025-02-30'")


def test_a_date_outside_1900_to_2199_is_reported_not_crashed_on(make_site):
    # Python's datetime ends at 9999-12-31: a build adding days to 9999-12-30 (the news
    # sitemap's window) or moving 0001-01-01 to UTC overflowed with a traceback. A news
    # digest has no use for dates that far out: the range is 1900 to 2199.
    site = make_site({
        "content/a.md": article("A", "9999-12-30"),
        "content/b.md": article("B", "0001-01-01T00:00+05:00"),
        "content/c.md": article("C", "2025-06-19", updated="9999-12-31 23:59"),
        "content/d.md": article("D", "1899-12-31"),
        "content/e.md": article("E", "2200-01-01T00:00+14:00"),
    })  # fmt: skip
    result = build(site, "--future")
    assert_fails_with(
        result,
        "content/a.md:3: date: 9999-12-30 is out of range (expected a date from 1900 to 2199)",
        "content/b.md:3: date: 0001-01-01 is out of range (expected a date from 1900 to 2199)",
        "content/c.md:4: updated: 9999-12-31 is out of range (expected a date from 1900 to 2199)",
        "content/d.md:3: date: 1899-12-31 is out of range (expected a date from 1900 to 2199)",
        "content/e.md:3: date: 2200-01-01 is out of range (expected a date from 1900 to 2199)",
    )
    assert "Traceback" not in result.err and not (site / "site").exists()

    # The ends of the range build, in the time zone furthest east, by weeks.
    (site / "broadsheet.yaml").write_text(SETTINGS.replace("Europe/London", "Pacific/Kiritimati") + "edition: week\n")
    (site / "content/a.md").write_text(article("A", "2199-12-31T23:59-12:00"))
    (site / "content/b.md").write_text(article("B", "1900-01-01T00:00+14:00"))
    for name in "cde":
        (site / f"content/{name}.md").write_text(article(name.upper(), "2025-06-19"))
    result = build(site, "--future")
    assert result.code == 0, result.err


def test_import_drops_a_date_outside_the_range(make_site, tmp_path):
    # A feed can carry any date: the importer must not write an article no build accepts.
    feed = tmp_path / "far.rss"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Far</title><link>https://far.example/</link>'
        "<item><title>From the far future</title><link>https://far.example/a</link>"
        "<pubDate>Thu, 30 Dec 9999 10:00:00 GMT</pubDate><description>Words.</description></item>"
        "</channel></rss>",
        encoding="utf-8",
    )
    site = make_site({"content/a.md": GOOD})
    result = run_cli("import", "--site", site, feed)
    assert result.code == 0, result.err
    assert (
        "9999-12-30 is out of range (expected a date from 1900 to 2199); used the time of import"
        in result.err + result.out
    )
    assert "date: '9999" not in "".join(p.read_text() for p in (site / "content").rglob("*.md"))
    assert build(site, "--drafts").code == 0


# --- wrong types ---------------------------------------------------------------------


def test_tags_as_a_string(make_site):
    site = make_site({"content/a.md": article("A", "2025-06-19", tags="politics")})
    assert_fails_with(
        build(site), "content/a.md:4: tags: expected a list of strings such as [One, Two], got text 'politics'"
    )


def test_authors_not_a_list(make_site):
    site = make_site({"content/a.md": article("A", "2025-06-19", summary="s", authors="{name: Jane}")})
    assert_fails_with(build(site), "content/a.md:5: authors: expected a list of strings", "got a mapping")


def test_draft_as_text(make_site):
    site = make_site({"content/a.md": article("A", "2025-06-19", draft='"yes"')})
    assert_fails_with(build(site), "content/a.md:4: draft: expected true or false, got text 'yes'")


def test_featured_as_a_number(make_site):
    site = make_site({"content/a.md": article("A", "2025-06-19", featured="1")})
    assert_fails_with(build(site), "content/a.md:4: featured: expected true or false, got a number")


def test_title_as_a_list(make_site):
    site = make_site({"content/a.md": article("[One, Two]", "2025-06-19")})
    assert_fails_with(build(site), "content/a.md:2: title: expected a string, got a list")


def test_several_wrong_keys_in_one_file_are_all_reported(make_site):
    site = make_site({"content/a.md": article("A", "2025-06-19", tags="x", draft="3", lang="1")})
    result = build(site)
    assert_fails_with(result, "a.md:4: tags:", "a.md:5: draft:", "a.md:6: lang:")
    assert "Build failed: 3 errors" in result.err


# --- values with a shape ---------------------------------------------------------------


def test_image_without_alt(make_site):
    text = "---\ntitle: A\ndate: 2025-06-19\nimage:\n  src: /images/a.jpg\n  caption: A harbour\n---\nBody.\n"
    site = make_site({"content/a.md": text})
    assert_fails_with(
        build(site), "content/a.md:4: image.alt: is missing (alt text is required when an image is given)"
    )


def test_url_that_is_not_http(make_site):
    site = make_site({"content/a.md": article("A", "2025-06-19", url="ftp://example.org/report")})
    assert_fails_with(
        build(site), "content/a.md:4: url: expected an absolute http(s) URL, got 'ftp://example.org/report'"
    )


def test_bad_lang(make_site):
    site = make_site({"content/a.md": article("A", "2025-06-19", lang="english please")})
    assert_fails_with(build(site), "content/a.md:4: lang: expected a BCP 47 language tag", "got 'english please'")


def test_slug_that_climbs_out(make_site):
    site = make_site({"content/a.md": article("A", "2025-06-19", slug="../../etc")})
    result = build(site)
    assert_fails_with(
        result, "content/a.md:4: slug: expected lowercase letters, digits and single hyphens, got '../../etc'"
    )
    assert not (site / "site").exists()
    assert not (site.parent / "etc").exists()


# --- files that are not articles -------------------------------------------------------


def test_bad_yaml_reports_the_file_line(tmp_path):
    # The '[' is on line 4 of the file (line 3 of the YAML); the report must say 4,
    # not the YAML-internal 3 and not the closing fence on line 6.
    result = build(broken_site("bad-yaml", tmp_path))
    assert_fails_with(result, "content/a.md:4: invalid YAML:", "flow sequence")


def test_bad_yaml_in_the_middle_of_the_front_matter(make_site):
    text = "---\ntitle: A\ndate: 2025-06-19\nsummary: one: two\ntags: [x]\n---\nBody.\n"
    site = make_site({"content/a.md": text})
    assert_fails_with(build(site), "content/a.md:4: invalid YAML:", "mapping values are not allowed")


def test_no_front_matter(tmp_path):
    result = build(broken_site("no-front-matter", tmp_path))
    assert_fails_with(result, "content/a.md:1: no front matter (expected the file to start with a '---' line)")


def test_front_matter_not_closed(tmp_path):
    result = build(broken_site("unclosed-front-matter", tmp_path))
    assert_fails_with(result, "content/a.md:1: front matter is not closed (expected a '---' line after it)")


def test_windows_line_ends_are_fine(make_site):
    site = make_site({"content/a.md": GOOD.replace("\n", "\r\n")})
    result = build(site)
    assert result.code == 0, result.err
    assert (site / "site/2025/06/19/fine-story/index.html").is_file()


def test_empty_file(make_site):
    site = make_site({"content/a.md": "  \n\n"})
    assert_fails_with(build(site), "content/a.md:1: empty file (expected front matter")


def test_binary_file(make_site):
    site = make_site({"content/photo.md": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))})
    assert_fails_with(build(site), "content/photo.md:1: binary file (expected Markdown text with front matter)")


def test_non_utf8_file_names_its_line(make_site):
    latin1 = "---\ntitle: Caf\u00e9 society\ndate: 2025-06-19\n---\nBody.\n".encode("latin-1")
    site = make_site({"content/a.md": latin1})
    assert_fails_with(build(site), "content/a.md:2: not UTF-8 (byte 0xE9 at column 11; save the file as UTF-8)")


def test_settings_not_utf8_names_the_line_and_keeps_the_last_good_site(make_site):
    site = make_site({"content/a.md": GOOD})
    assert build(site).code == 0
    before = tree_bytes(site / "site")
    (site / "broadsheet.yaml").write_bytes(SETTINGS.encode() + "description: Caf\u00e9 society\n".encode("latin-1"))
    for command in ("build", "check", "email", "new"):
        result = run_cli(command, "--site", site, *(["A title"] if command == "new" else []))
        assert result.code == 1, (command, result.err)
        assert "Traceback" not in result.err
        assert (
            f"{site}/broadsheet.yaml:4: not UTF-8 (byte 0xE9 at column 17; save the file as UTF-8)"
            in result.err.splitlines()
        )
    assert tree_bytes(site / "site") == before


def test_undecodable_yaml_value_is_a_message(make_site):
    site = make_site({"content/a.md": article("A", "2025-06-19", count="!!int lots")})
    assert_fails_with(build(site), "content/a.md:1: invalid YAML value:", "'lots'")


# --- problems across files -----------------------------------------------------------------


def test_duplicate_urls_name_both_files(tmp_path):
    result = build(broken_site("duplicate-slugs", tmp_path))
    assert_fails_with(result, "content/world/summit.md: slug: URL /2025/06/19/leaders-meet-at-summit/")
    line = next(line for line in problem_lines(result) if "URL /2025" in line)
    assert line.endswith("is also the URL of content/business/summit.md (set a different slug)")


def test_link_to_a_missing_file_names_both_files(tmp_path):
    result = build(broken_site("missing-link", tmp_path))
    assert_fails_with(result, "content/world/a.md:5: link to content/world/gone.md, which is not an article")


def test_link_to_a_draft(tmp_path):
    site = broken_site("draft-link", tmp_path)
    result = build(site)
    assert_fails_with(
        result, "content/world/a.md:5: link to content/world/b.md, which is a draft or future-dated and not published"
    )
    assert build(site, "--drafts").code == 0  # with the draft published the link resolves


def test_links_to_files_that_are_not_articles_name_their_lines(make_site):
    body = "First paragraph.\n\nSee [the notes](../notes.md), and\n[more](<other notes.md>).\n\n[ref]: ../../top.md\nAs [before][ref].\n"
    site = make_site({
        "content/a.md": GOOD,
        "content/world/b.md": article("B", "2025-06-19", body, summary='"As [said](said.md)."'),
    })  # fmt: skip
    result = build(site)
    assert "Traceback" not in result.err
    assert problem_lines(result) == [
        f"{site}/content/world/b.md:4: link to content/world/said.md, which is not an article (no such file, or it failed to build)",
        f"{site}/content/world/b.md:8: link to content/notes.md, which is not an article (no such file, or it failed to build)",
        f"{site}/content/world/b.md:9: link to content/world/other notes.md, which is not an article (no such file, or it failed to build)",
        f"{site}/content/world/b.md:11: link to top.md, which is not an article (no such file, or it failed to build)",
    ]
    assert result.code == 1


def test_a_broken_article_is_reported_once_not_by_every_link_to_it(make_site):
    site = make_site({
        "content/a.md": GOOD,
        "content/world/b.md": article("B", "2025-06-19", "See [the first](../a.md)."),
        "content/world/c.md": article("C", "2025-06-19", "See [the first](../a.md) and [b](b.md)."),
    })  # fmt: skip
    assert build(site).code == 0
    before = tree_bytes(site / "site")
    (site / "content/a.md").write_text(article("Fine story", "tomorrow"), encoding="utf-8")
    result = build(site)
    assert_fails_with(result)
    assert problem_lines(result) == [f"{site}/content/a.md:3: date: unknown date format 'tomorrow' ({DATE_EXPECTED})"]
    assert tree_bytes(site / "site") == before


def test_every_bad_file_is_reported_in_one_run(make_site):
    site = make_site({
        "content/a.md": article("A", "tomorrow"),
        "content/b.md": "no front matter at all\n",
        "content/world/c.md": article("C", "2025-06-19", tags="solo"),
        "content/world/ok.md": GOOD,
    })  # fmt: skip
    result = build(site)
    assert_fails_with(
        result, "a.md:3: date: unknown date format", "b.md:1: no front matter", "c.md:4: tags: expected a list"
    )
    assert len(problem_lines(result)) == 3
    assert "Build failed: 3 errors" in result.err


# --- limits: a message naming the limit, never a hang ------------------------------------


def test_yaml_alias_bomb_fails_fast(make_site):
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]  # 9**10 values
    text = "---\ntitle: Laughs\ndate: 2025-06-19\n" + "\n".join(lines) + "\n---\nBody.\n"
    site = make_site({"content/a.md": text})
    result = build(site)
    assert_fails_with(result, "content/a.md:", "aliases expand to more than 50000 values (limit of expanded YAML size)")


def test_front_matter_over_256_kib(make_site):
    padding = "x" * (256 * 1024)
    site = make_site({"content/a.md": article("Big", "2025-06-19", notes=padding)})
    assert_fails_with(build(site), "content/a.md:1: front matter is over the 256 KiB limit")


def test_front_matter_just_under_the_limit_is_fine(make_site):
    padding = "x" * (250 * 1024)
    site = make_site({"content/a.md": article("Big", "2025-06-19", notes=padding)})
    assert build(site).code == 0


def test_article_over_10_mib(make_site):
    site = make_site({"content/huge.md": GOOD, "content/ok.md": article("Other", "2025-06-19")})
    with open(site / "content/huge.md", "r+b") as f:
        f.truncate(10 * 1024 * 1024 + 1)  # sparse: no need to write the bytes
    result = build(site)
    assert_fails_with(
        result, "content/huge.md: file is 10,485,761 bytes, over the 10 MiB (10,485,760 bytes) limit for an article"
    )
    assert len(problem_lines(result)) == 1


def test_symlink_loop_in_content(make_site):
    site = make_site({"content/world/a.md": GOOD})
    os.symlink(site / "content/world", site / "content/world/again")
    result = build(site)
    assert_fails_with(result, "content/world/again: symlink loop: this folder links back to a folder above it")
    assert len(problem_lines(result)) == 1


# --- the settings file ---------------------------------------------------------------------


def test_unknown_setting_names_its_line(tmp_path):
    result = build(broken_site("unknown-setting", tmp_path))
    assert_fails_with(result, "broadsheet.yaml:4: editon: unknown setting (expected one of:", "edition")


def test_bad_setting_values_are_all_reported(tmp_path):
    result = build(broken_site("bad-settings", tmp_path))
    assert_fails_with(
        result,
        "broadsheet.yaml:2: base_url: expected an absolute http(s) URL such as 'https://example.org/digest/'",
        "broadsheet.yaml:3: timezone: expected an IANA time zone name such as 'Europe/London'",
        "broadsheet.yaml:4: edition: expected 'day' or 'week'",
    )
    assert len(problem_lines(result)) == 3


def test_bad_timezone(make_site):
    site = make_site({"content/a.md": GOOD}, settings=SETTINGS.replace("Europe/London", "../../etc/passwd"))
    assert_fails_with(build(site), "broadsheet.yaml:3: timezone: expected an IANA time zone name")


def test_bad_base_url(make_site):
    site = make_site(
        {"content/a.md": GOOD}, settings=SETTINGS.replace("https://example.org/", "https://example.org/?x=1")
    )
    assert_fails_with(build(site), "broadsheet.yaml:2: base_url: expected an absolute http(s) URL")


def test_bad_edition(make_site):
    site = make_site({"content/a.md": GOOD}, settings=SETTINGS + "edition: fortnight\n")
    assert_fails_with(build(site), "broadsheet.yaml:4: edition: expected 'day' or 'week'")


def test_bad_yaml_in_settings(make_site):
    site = make_site({"content/a.md": GOOD}, settings=SETTINGS + "extra: {a: 1\n")
    assert_fails_with(build(site), "broadsheet.yaml:4: invalid YAML:")


# --- warnings, and no damage ----------------------------------------------------------------


def test_warnings_do_not_fail_the_build(make_site):
    site = make_site({"content/a.md": article("A", "2025-06-19 12:00", updated="2025-06-18 08:00")})
    result = build(site)
    assert result.code == 0, result.err
    assert "content/a.md:4: updated: warning: is earlier than date" in result.err
    assert "1 warning," in result.out
    assert (site / "site/2025/06/19/a/index.html").is_file()


def test_a_failed_build_leaves_the_last_good_site_untouched(make_site):
    site = make_site({"content/a.md": GOOD, "content/world/b.md": article("Second story", "2025-06-18")})
    assert build(site).code == 0
    before = tree_bytes(site / "site")
    assert "2025/06/19/fine-story/index.html" in before

    (site / "content/world/b.md").write_text(article("Second story", "2025-06-18", draft="maybe"), encoding="utf-8")
    (site / "content/c.md").write_text(article("Third", "2025-06-20"), encoding="utf-8")
    result = build(site)
    assert_fails_with(result, "content/world/b.md:4: draft: expected true or false")
    assert tree_bytes(site / "site") == before
    # nothing half made left
    assert sorted(p.name for p in site.iterdir()) == [
        ".broadsheet",
        ".site.trees",
        "broadsheet.yaml",
        "content",
        "site",
    ]


def test_feed_id_must_be_a_string(make_site):
    site = make_site({"content/a.md": article("A", "2025-06-19", id="[1, 2]")})
    result = run_cli("build", "--site", site)
    assert result.code == 1
    assert "a.md:4: id: expected a string" in result.err


# --- keys given twice ----------------------------------------------------------------


def test_a_key_given_twice_in_front_matter_names_both_lines_and_publishes_nothing(make_site):
    """YAML keeps the last value silently: `draft: true` then `draft: false` published a draft."""
    site = make_site(
        {
            "content/a.md": "---\ntitle: Secret\ndate: 2025-06-19\ndraft: true\ndraft: false\n---\nBody.\n",
            "content/b.md": GOOD,
        }
    )
    result = build(site)
    assert_fails_with(result, "content/a.md:5: draft: key given twice (first on line 4, again on line 5): keep one")
    assert not (site / "site").exists()


def test_a_key_given_twice_in_the_settings_names_the_whole_key(make_site):
    settings = SETTINGS + "email:\n  from: a@example.org\n  subject: x\n  from: b@example.org\n"
    site = make_site({"content/a.md": GOOD}, settings=settings)
    lines = SETTINGS.count("\n")
    assert_fails_with(
        build(site),
        f"broadsheet.yaml:{lines + 4}: email.from: key given twice (first on line {lines + 2}, again on line {lines + 4})",
    )


def test_a_key_given_twice_in_a_flow_mapping_or_a_list_item(make_site):
    site = make_site({
        "content/a.md": "---\ntitle: A\ndate: 2025-06-19\nsource: {name: Reuters, name: AP}\n---\nBody.\n",
        "content/b.md": "---\ntitle: B\ndate: 2025-06-19\nextra:\n  - {x: 1}\n  - x: 1\n    x: 2\n---\nBody.\n",
    })  # fmt: skip
    result = build(site)
    assert_fails_with(
        result, "content/a.md:4: source.name: key given twice", "content/b.md:7: extra.x: key given twice"
    )


def test_keys_that_only_look_alike_and_merge_keys_are_not_duplicates(make_site):
    """Different keys ("1" and 1, "Name" and "name") and a YAML merge beside its own keys build."""
    front = '---\ntitle: A\ndate: 2025-06-19\nnotes: {"1": a, 1: b, Name: c, name: d}\nbase: &b {x: 1}\nmore:\n  <<: *b\n  y: 2\n---\nBody.\n'
    site = make_site({"content/a.md": front})
    result = build(site)
    assert result.code == 0, result.err


# --- a folder that is not a site ---------------------------------------------------------


def test_a_folder_that_is_not_a_site_is_refused_and_nothing_written(tmp_path):
    result = build(tmp_path)
    assert_fails_with(
        result,
        f"{tmp_path.resolve()} is not a Broadsheet site: it has no broadsheet.yaml and no content/ folder",
        "broadsheet init",
    )
    assert list(tmp_path.iterdir()) == []


def test_a_site_whose_content_folder_went_missing_keeps_its_output(make_site):
    """It used to build an empty site over the real one, and exit 0."""
    site = make_site({"content/a.md": GOOD})
    assert build(site).code == 0
    before = tree_bytes(site / "site")
    (site / "content").rename(site / "content-moved")
    assert_fails_with(build(site), "content: folder is missing")
    assert tree_bytes(site / "site") == before


def test_a_site_without_its_settings_file_is_refused(make_site):
    site = make_site({"content/a.md": GOOD}, settings=None)
    assert_fails_with(build(site), "broadsheet.yaml: is missing")
    assert not (site / "site").exists()


def test_a_site_without_base_url_builds_and_warns_once(make_site):
    site = make_site({"content/a.md": GOOD}, settings="title: No address yet\n")
    result = build(site)
    assert result.code == 0, result.err
    assert result.err.count("warning: base_url is not set in broadsheet.yaml") == 1
    assert "http://localhost:8000/" in result.err
    assert "warning: base_url" not in build(site, "--base-url", "https://example.org/").err


# --- hostile values: URLs ------------------------------------------------------------------


def test_malformed_urls_are_reported_not_crashed_on(make_site):
    # urlsplit raises on http://[::1/x: in a link, url: or image.src it crashed every build.
    site = make_site({
        "content/a.md": article("A", "2025-06-19", body="Intro.\n\nSee [x](http://[::1/x) here."),
        "content/b.md": article("B", "2025-06-19", url="'http://[::1/x'"),
        "content/c.md": article("C", "2025-06-19", image="{src: 'http://[::1/x', alt: Chart}"),
        "content/d.md": article("D", "2025-06-19", body='Raw <a href="http://[::1/y">y</a>.'),
        "content/e.md": article("E", "2025-06-19", source="{name: S, url: 'https://example.org:99999/'}"),
    })  # fmt: skip
    result = build(site)
    assert_fails_with(
        result,
        "content/a.md:7: link 'http://[::1/x' is not a valid URL",
        "content/b.md:4: url: expected an absolute http(s) URL, got 'http://[::1/x'",
        "content/c.md:4: image.src: 'http://[::1/x' is not a valid URL",
        "content/e.md:4: source.url: expected an absolute http(s) URL",
    )
    assert "Traceback" not in result.err and len(problem_lines(result)) == 4  # raw HTML's link is left as written


def test_script_and_data_urls_are_refused(make_site):
    site = make_site({
        "content/a.md": article("A", "2025-06-19", url="'javascript:alert(1)'"),
        "content/b.md": article("B", "2025-06-19", image="{src: 'javascript:alert(1)', alt: x}"),
        "content/c.md": article("C", "2025-06-19", image="{src: 'data:text/html,<script>alert(1)</script>', alt: x}"),
        "content/d.md": article("D", "2025-06-19", url="'data:text/html,x'"),
        "content/e.md": article("E", "2025-06-19", image="{src: 'data:image/gif;base64,R0lGODlhAQABAAAAACw=', alt: dot}"),
    })  # fmt: skip
    settings = SETTINGS + "email:\n  unsubscribe: 'javascript:alert(1)'\n"
    (site / "broadsheet.yaml").write_text(settings)
    result = build(site)
    assert_fails_with(
        result,
        "broadsheet.yaml:5: email.unsubscribe: 'javascript:alert(1)' uses javascript:, which a link may not",
    )
    assert "Traceback" not in result.err
    (site / "broadsheet.yaml").write_text(SETTINGS + "email:\n  unsubscribe: 'data:text/html,x'\n")
    assert_fails_with(build(site), "broadsheet.yaml:5: email.unsubscribe: 'data:text/html,x' uses data:")
    (site / "broadsheet.yaml").write_text(SETTINGS + "email:\n  unsubscribe: '*|UNSUB|*'\n")  # a merge tag is fine
    result = build(site)
    assert_fails_with(
        result,
        "content/a.md:4: url: expected an absolute http(s) URL, got 'javascript:alert(1)'",
        "content/b.md:4: image.src: 'javascript:alert(1)' uses javascript:, which an image may not",
        "content/c.md:4: image.src: 'data:text/html,<script>alert(1)</script>' uses data:",
        "content/d.md:4: url: expected an absolute http(s) URL, got 'data:text/html,x'",
    )
    assert len(problem_lines(result)) == 4  # data:image/ is an image


HOSTILE_BASE_URLS = {
    "https://example.org//evil.com/": "its path '//evil.com/' must be plain folders",
    "https://example.org/\\evil.com/": "its path '/\\\\evil.com/' must be plain folders",
    "https://example.org/a/../b/": "its path '/a/../b/' must be plain folders",
    "https://user:secret@example.org/": "it must not hold a user name or password",
    "https://example.org:0/": "its port must be a number from 1 to 65535",
    "https://example.org:99999/": "its port must be a number from 1 to 65535",
    "http://[::1/x": "'http://[::1/x' is not a URL",
    "https:///digest/": "'https:///digest/' has no http(s) scheme and host",
    "https://example.org/#top": "it must not have a ?query or #fragment",
}


def test_hostile_base_urls_are_refused_in_the_settings_and_the_flag(make_site):
    # A base_url of https://example.org//evil.com/ loaded every link, the stylesheet and the
    # search script from evil.com; credentials and impossible ports were published.
    for url, reason in HOSTILE_BASE_URLS.items():
        site = make_site({"content/a.md": GOOD}, settings=SETTINGS.replace("https://example.org/", url))
        result = build(site)
        assert_fails_with(
            result,
            f"broadsheet.yaml:2: base_url: expected an absolute http(s) URL such as 'https://example.org/digest/' ({reason}",
        )
        assert "Traceback" not in result.err and not (site / "site").exists()
        flagged = build(make_site({"content/a.md": GOOD}), "--base-url", url)
        assert flagged.code == 2 and "error: argument --base-url: expected an absolute http(s) URL" in flagged.err, url
        assert reason in flagged.err and not (site / "site").exists()
    assert build(site, "--base-url", "https://example.org:8443/digest/").code == 0


def test_serve_refuses_a_base_url_that_would_redirect_off_site(make_site):
    site = make_site(
        {"content/a.md": GOOD}, settings=SETTINGS.replace("https://example.org/", "https://example.org//evil.com/")
    )
    # In a process of its own with a time limit: a serve that accepted the setting would run on.
    result = subprocess.run([sys.executable, "-m", "broadsheet", "serve", "--site", str(site), "--port", "0"],
                            capture_output=True, text=True, timeout=60, check=False, env={**os.environ, "PYTHONPATH": str(REPO)})  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert (
        "broadsheet.yaml:2: base_url: expected an absolute http(s) URL such as 'https://example.org/digest/' (its path '//evil.com/'"
        in result.stderr
    )
    assert "Traceback" not in result.stderr
