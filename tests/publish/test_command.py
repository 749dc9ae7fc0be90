"""`broadsheet publish`: the settings it reads, the build and check it runs first, the target
it picks, and what it prints."""

from __future__ import annotations

from pathlib import Path

import pytest

from broadsheet.build.config import load_settings
from broadsheet.publish.targets import GitTarget, RsyncTarget, S3Target

from conftest import run_cli
from gitsite import bare_remote, edit_body, git, git_target, needs_git, new_site, output_files, publish, refs

ALL_THREE = """\
publish:
  pages:
    type: git
    remote: git@github.com:me/digest.git
    cname: digest.example.org
    history: squash
  bucket:
    type: s3
    bucket: my-digest
    prefix: digest
    region: eu-west-1
    endpoint: https://s3.example.net
    max_deletes: 10
  server:
    type: rsync
    destination: deploy@host:/var/www/digest
    keep: 3
"""


def settings_of(tmp_path: Path, text: str):
    (tmp_path / "broadsheet.yaml").write_text("title: T\n" + text, encoding="utf-8")
    settings, problems = load_settings(tmp_path)
    return settings, [p.format() for p in problems]


# --- settings ----------------------------------------------------------------------------------


def test_the_three_kinds_of_target_are_read_in_file_order(tmp_path):
    settings, problems = settings_of(tmp_path, ALL_THREE)
    assert problems == []
    assert list(settings.publish) == ["pages", "bucket", "server"]
    assert settings.publish["pages"] == GitTarget(
        "pages", "git@github.com:me/digest.git", "gh-pages", "digest.example.org", "squash"
    )
    assert settings.publish["bucket"] == S3Target(
        "bucket", "my-digest", "digest/", "eu-west-1", "https://s3.example.net", 10
    )
    assert settings.publish["server"] == RsyncTarget("server", "deploy@host:/var/www/digest", 3)
    assert settings.for_pages().publish == {}  # editing a target re-renders no page


@pytest.mark.parametrize(
    "text, expected",
    [
        ("publish:\n  pages:\n    type: git\n    remote: x\n    brnach: main\n",
         "broadsheet.yaml:6: publish.pages.brnach: unknown key of a target of type git (expected one of: branch, cname, history, remote)"),
        ("publish:\n  pages:\n    type: git\n", "broadsheet.yaml:3: publish.pages.remote: every git target needs one: a git URL"),
        ("publish:\n  pages:\n    remote: x\n", "broadsheet.yaml:3: publish.pages.type: expected the kind of target: git, s3, rsync; every target needs one"),
        ("publish:\n  pages:\n    type: ftp\n", "broadsheet.yaml:4: publish.pages.type: expected the kind of target: git, s3, rsync"),
        ("publish:\n  pages:\n    type: git\n    remote: x\n    history: sometimes\n", "broadsheet.yaml:6: publish.pages.history: expected 'keep' or 'squash'"),
        ("publish:\n  pages:\n    type: git\n    remote: x\n    branch: 'a..b'\n", "broadsheet.yaml:6: publish.pages.branch: expected a branch name"),
        ("publish:\n  pages:\n    type: git\n    remote: x\n    cname: 'not a host'\n", "broadsheet.yaml:6: publish.pages.cname: expected a host name"),
        ("publish:\n  pages:\n    type: git\n    remote: 'https://me:s3cret@example.org/d.git'\n", "broadsheet.yaml:5: publish.pages.remote: must not hold a password"),
        ("publish:\n  pages:\n    type: git\n    remote: '--upload-pack=touch /tmp/x'\n", "broadsheet.yaml:5: publish.pages.remote: expected a git URL"),
        ("publish:\n  b:\n    type: s3\n    bucket: My_Bucket\n", "broadsheet.yaml:5: publish.b.bucket: expected a bucket name"),
        ("publish:\n  b:\n    type: s3\n    bucket: ok-bucket\n    endpoint: ftp://x\n", "broadsheet.yaml:6: publish.b.endpoint: expected the http(s) URL"),
        ("publish:\n  b:\n    type: s3\n    bucket: ok-bucket\n    max_deletes: -1\n", "broadsheet.yaml:6: publish.b.max_deletes: expected a whole number of 0 or more"),
        ("publish:\n  b:\n    type: s3\n    bucket: ok-bucket\n    access_key: AKIA\n", "broadsheet.yaml:6: publish.b.access_key: credentials do not belong in the settings file"),
        ("publish:\n  b:\n    type: s3\n    bucket: ok-bucket\n    acl: public\n", "broadsheet.yaml:6: publish.b.acl: unknown key of a target of type s3"),
        ("publish:\n  s:\n    type: rsync\n    destination: /srv/www\n    keep: 0\n", "broadsheet.yaml:6: publish.s.keep: expected a whole number above 0"),
        ("publish:\n  s:\n    type: rsync\n", "broadsheet.yaml:3: publish.s.destination: every rsync target needs one"),
        ("publish:\n  'my site':\n    type: rsync\n    destination: /srv\n", "broadsheet.yaml:3: publish.my site: a target's name must be letters, digits"),
        ("publish: [pages]\n", "broadsheet.yaml:2: publish: expected a mapping of targets"),
    ],
)  # fmt: skip
def test_a_wrong_target_setting_names_its_line_and_key(tmp_path, text, expected):
    settings, problems = settings_of(tmp_path, text)
    assert len(problems) == 1 and problems[0].startswith(expected), problems
    assert settings.publish == {}


def test_a_wrong_target_setting_stops_publish_and_build_alike(tmp_path):
    site = new_site(tmp_path, "publish:\n  pages:\n    type: git\n    remote: x\n    histroy: keep\n")
    line = next(i for i, text in enumerate((site / "broadsheet.yaml").read_text().splitlines(), 1) if "histroy" in text)
    for command in ("publish", "build"):
        result = run_cli(command, "--site", site)
        assert result.code == 1
        assert f"broadsheet.yaml:{line}: publish.pages.histroy: unknown key of a target of type git" in result.err
        assert "Traceback" not in result.err


# --- choosing the target ---------------------------------------------------------------------------


def test_an_unknown_target_lists_the_names(tmp_path):
    site = new_site(tmp_path, ALL_THREE)
    result = publish(site, "staging")
    assert result.code == 2
    assert result.err.splitlines() == [
        "error: no publish target named 'staging' in broadsheet.yaml (targets: pages, bucket, server)"
    ]
    assert not (site / "site").exists()  # nothing built


def test_no_target_says_how_to_add_one(tmp_path):
    site = new_site(tmp_path, "")
    result = publish(site)
    assert result.code == 2
    assert len(result.err.splitlines()) == 1
    assert result.err.startswith(
        "error: no publish target in broadsheet.yaml: add one under publish:, such as publish: {pages: {type: git"
    )


def test_rollback_is_for_rsync_targets_only(tmp_path):
    site = new_site(tmp_path, ALL_THREE)
    result = publish(site, "pages", "--rollback")
    assert result.code == 1
    assert result.err.splitlines() == [
        "error: --rollback works for rsync targets only; pages is of type git (publish an earlier build instead)"
    ]


@needs_git
def test_the_first_target_is_the_default(tmp_path):
    first, second = bare_remote(tmp_path / "first.git"), bare_remote(tmp_path / "second.git")
    site = new_site(tmp_path, git_target(first, "one") + git_target(second, "two").removeprefix("publish:\n"))
    assert publish(site).code == 0
    assert "gh-pages" in refs(first) and refs(second) == ""
    assert publish(site, "two").code == 0
    assert "gh-pages" in refs(second)


# --- the build and check first -----------------------------------------------------------------


@needs_git
def test_a_broken_internal_link_publishes_nothing_unless_no_check(tmp_path):
    remote = bare_remote(tmp_path / "remote.git")
    site = new_site(tmp_path, git_target(remote))
    article = next((site / "content").rglob("*.md"))
    article.write_text(
        article.read_text(encoding="utf-8") + "\nSee [the archive](https://digest.example.org/no-such-page/).\n",
        encoding="utf-8",
    )

    result = publish(site)

    assert result.code == 1
    assert "does not resolve: no no-such-page/index.html in the output" in result.err
    assert "Nothing was published." in result.err
    assert refs(remote) == ""

    unchecked = publish(site, "--no-check")
    assert unchecked.code == 0, unchecked.err
    assert "gh-pages" in refs(remote)


@needs_git
def test_a_build_with_errors_publishes_nothing_even_without_the_check(tmp_path):
    remote = bare_remote(tmp_path / "remote.git")
    site = new_site(tmp_path, git_target(remote))
    assert publish(site).code == 0
    before = refs(remote)
    edit_body(site)  # the last good output stays on disk, and must not go out either
    (site / "content" / "broken.md").write_text("---\ntitle: [unclosed\n---\nBody\n", encoding="utf-8")
    result = publish(site, "--no-check")
    assert result.code == 1
    assert "Build failed" in result.err
    assert refs(remote) == before


# --- what it prints ----------------------------------------------------------------------------------


@needs_git
def test_a_dry_run_lists_every_path_grouped_then_the_summary(tmp_path):
    remote = bare_remote(tmp_path / "remote.git")
    site = new_site(tmp_path, git_target(remote))
    assert publish(site).code == 0
    edit_body(site)
    (site / "static").mkdir(exist_ok=True)
    (site / "static" / "new.txt").write_text("new\n")

    result = publish(site, "--dry-run")

    assert result.code == 0, result.err
    lines = result.out.splitlines()
    start = lines.index("Would upload 1 file:")
    assert lines[start + 1] == "  new.txt"
    assert lines[start + 2].startswith("Would replace ") and lines[start + 2].endswith(" files:")
    replaced = lines[start + 3 : -1]
    assert replaced and all(line.startswith("  ") for line in replaced)
    assert replaced == sorted(replaced)
    assert lines[-1].startswith(f"Would publish to pages: {1 + len(replaced)} uploaded (")
    assert "new.txt" in output_files(site)


@needs_git
def test_a_story_that_moves_after_a_publish_keeps_its_old_address(tmp_path):
    """The record written by publish (published-urls.json) turns the old URL of a retitled
    story into a redirect on the next publish; a dry run records nothing."""
    remote = bare_remote(tmp_path / "remote.git")
    site = new_site(tmp_path, git_target(remote))
    assert publish(site, "--dry-run").code == 0
    assert not (site / "published-urls.json").exists()
    assert publish(site).code == 0
    record = (site / "published-urls.json").read_text(encoding="utf-8")
    article = next((site / "content").rglob("*.md"))
    text = article.read_text(encoding="utf-8")
    [old_url] = [line.split('"')[1] for line in record.splitlines() if str(article.relative_to(site)) in line]
    article.write_text(text.replace("\ntitle:", "\nslug: a-new-name\ntitle:", 1), encoding="utf-8")
    result = publish(site)
    assert result.code == 0, result.err
    assert "1 redirect" in result.out
    page = git("--git-dir", remote, "show", f"gh-pages:{old_url.strip('/')}/index.html")
    assert "a-new-name/" in page and 'http-equiv="refresh"' in page
