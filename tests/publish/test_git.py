"""The git target against real bare repositories over file://, read back with git itself."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from broadsheet.publish.git import publish as git_publish
from broadsheet.publish.local import LocalSite, read_output
from broadsheet.publish.outcome import PublishError, PublishOptions
from broadsheet.publish.targets import GitTarget

from conftest import run_cli, tree_bytes
from gitsite import (
    bare_remote,
    commits,
    edit_body,
    git,
    git_target,
    needs_git,
    new_site,
    output_files,
    publish,
    refs,
    tree,
)

pytestmark = needs_git


def test_a_publish_commits_exactly_the_output_with_nojekyll_and_cname(tmp_path):
    remote = bare_remote(tmp_path / "remote.git")
    site = new_site(tmp_path, git_target(remote, cname="digest.example.org"))

    result = publish(site)

    assert result.code == 0, result.err
    files = output_files(site)
    assert tree(remote) == sorted([*files, ".nojekyll", "CNAME"])
    assert git("--git-dir", remote, "cat-file", "blob", "gh-pages:CNAME") == "digest.example.org\n"
    assert git("--git-dir", remote, "cat-file", "blob", "gh-pages:index.html") == files["index.html"].decode()
    assert git("--git-dir", remote, "cat-file", "-s", "gh-pages:.nojekyll") == "0\n"
    subject = git("--git-dir", remote, "log", "-1", "--format=%s", "gh-pages")
    assert subject.startswith(f"Publish {len(files) + 2} files from Digest, built ")
    assert commits(remote) == 1
    assert result.out.splitlines()[-1].startswith(f"Published to pages: {len(files) + 2} uploaded (")
    assert ", 0 deleted, 0 unchanged, 0 redirects, in " in result.out


def test_a_quiet_publish_publishes_and_prints_nothing(tmp_path):
    remote = bare_remote(tmp_path / "remote.git")
    site = new_site(tmp_path, git_target(remote))

    result = publish(site, "-q")

    assert result.code == 0, result.err
    assert commits(remote) == 1
    assert result.out == "" and result.err == ""


def test_a_second_publish_after_one_body_edit_commits_only_what_changed(tmp_path):
    remote = bare_remote(tmp_path / "remote.git")
    site = new_site(tmp_path, git_target(remote))
    assert publish(site).code == 0
    before = output_files(site)

    edit_body(site)
    result = publish(site)

    assert result.code == 0, result.err
    after = output_files(site)
    changed = sorted(rel for rel in after if before.get(rel) != after[rel])
    assert changed and len(changed) < len(after)
    assert git("--git-dir", remote, "diff", "--name-only", "-z", "gh-pages~1", "gh-pages").split("\0")[:-1] == changed
    assert commits(remote) == 2
    assert f"Published to pages: {len(changed)} uploaded" in result.out
    assert f", {len(after) + 1 - len(changed)} unchanged," in result.out

    again = publish(site)  # nothing changed: no commit
    assert again.code == 0, again.err
    assert commits(remote) == 2
    assert "Published to pages: 0 uploaded (0 B), 0 deleted," in again.out


def test_keep_adds_a_commit_on_top_of_the_branch_and_squash_replaces_it(tmp_path):
    counts = {}
    for history in ("keep", "squash"):
        remote = bare_remote(tmp_path / f"{history}.git")
        site = new_site(tmp_path / history, git_target(remote, history=history))
        for _ in range(3):
            assert publish(site).code == 0
            edit_body(site)
        counts[history] = commits(remote)
    assert counts == {"keep": 3, "squash": 1}
    assert git("--git-dir", tmp_path / "squash.git", "rev-list", "--parents", "-n", "1", "gh-pages").split()[1:] == []


def test_keep_builds_on_what_someone_else_pushed_to_the_branch(tmp_path):
    remote = bare_remote(tmp_path / "remote.git")
    site = new_site(tmp_path, git_target(remote))
    assert publish(site).code == 0
    clone = tmp_path / "clone"
    git("clone", "--quiet", "--branch", "gh-pages", remote.as_uri(), clone)
    (clone / "extra.txt").write_text("someone else's file\n")
    git("add", "extra.txt", cwd=clone)
    git("-c", "user.name=Other", "-c", "user.email=other@example.org", "commit", "--quiet", "-m", "by hand", cwd=clone)
    git("push", "--quiet", "origin", "gh-pages", cwd=clone)

    edit_body(site)
    result = publish(site)

    assert result.code == 0, result.err
    assert commits(remote) == 3
    assert "extra.txt" not in tree(remote)  # the branch holds exactly the output
    assert "1 deleted" in result.out


def test_a_push_the_remote_refuses_is_one_line_and_leaves_it_as_it_was(tmp_path):
    remote = bare_remote(tmp_path / "remote.git")
    site = new_site(tmp_path, git_target(remote))
    assert publish(site).code == 0
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'publishing is frozen today' >&2\nexit 1\n")
    hook.chmod(hook.stat().st_mode | stat.S_IEXEC)
    before = refs(remote)
    edit_body(site)

    result = publish(site)

    assert result.code == 1
    errors = [line for line in result.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "refused the push to gh-pages (pre-receive hook declined)" in errors[0], result.err
    assert "Traceback" not in result.err
    assert refs(remote) == before

    hook.unlink()  # the next publish completes the job
    again = publish(site)
    assert again.code == 0, again.err
    assert commits(remote) == 2
    assert tree(remote) == sorted([*output_files(site), ".nojekyll"])


def test_a_dry_run_changes_neither_the_remote_nor_the_site_folder(tmp_path):
    remote = bare_remote(tmp_path / "remote.git")
    site = new_site(tmp_path, git_target(remote, cname="digest.example.org"))

    first = publish(site, "--dry-run")  # before any publish: not even the scratch repository is made
    assert first.code == 0, first.err
    assert refs(remote) == ""
    assert not (site / ".broadsheet" / "publish").exists()
    assert first.out.splitlines()[-1].startswith("Would publish to pages: ")

    assert publish(site).code == 0
    edit_body(site)
    assert run_cli("build", "--site", site).code == 0
    before_refs, before_site = refs(remote), tree_bytes(site)

    dry = publish(site, "--dry-run")

    assert dry.code == 0, dry.err
    assert refs(remote) == before_refs
    assert tree_bytes(site) == before_site
    listed = [line.strip() for line in dry.out.splitlines() if line.startswith("  ")]
    real = publish(site)
    assert real.code == 0
    assert listed == git("--git-dir", remote, "diff", "--name-only", "-z", "gh-pages~1", "gh-pages").split("\0")[:-1]
    assert "Would replace " in dry.out and "Would upload" not in dry.out
    assert (
        dry.out.splitlines()[-1].replace("Would publish", "Published").split(" in ")[0]
        == real.out.splitlines()[-1].split(" in ")[0]
    )


def test_the_scratch_repository_is_private_to_the_site_folder(tmp_path):
    """The site in the user's own repository: publishing never touches it."""
    remote = bare_remote(tmp_path / "remote.git")
    site = new_site(tmp_path, git_target(remote))
    git("init", "--quiet", site)
    before = tree_bytes(site / ".git"), git("status", "--porcelain", "--untracked-files=all", cwd=site)
    assert publish(site).code == 0
    assert (site / ".broadsheet" / "publish" / "pages" / "HEAD").is_file()
    assert tree_bytes(site / ".git") == before[0]
    after = git("status", "--porcelain", "--untracked-files=all", cwd=site)
    assert (
        after == before[1] + "?? published-urls.json\n"
    )  # the scratch is ignored; the URL record is the user's to commit


def test_an_unreachable_remote_is_one_line(tmp_path):
    site = new_site(tmp_path, git_target(tmp_path / "nowhere.git"))
    result = publish(site)
    assert result.code == 1
    errors = [line for line in result.err.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: cannot reach the git remote {(tmp_path / 'nowhere.git').as_uri()}: '{tmp_path / 'nowhere.git'}' does not appear to be a git repository"
    ]


def test_without_git_on_the_path_the_target_says_so(tmp_path, monkeypatch):
    remote = bare_remote(tmp_path / "remote.git")
    site = new_site(tmp_path, git_target(remote))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = publish(site)
    assert result.code == 1
    assert "error: git is not installed or not on PATH" in result.err


# --- the module itself, on a hand-made output -----------------------------------------------------


def hand_made_output(root: Path, files: dict[str, str]) -> LocalSite:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return read_output(root)


@pytest.mark.parametrize("history", ["keep", "squash"])
def test_a_push_someone_made_after_the_fetch_is_never_overwritten(tmp_path, history):
    """Another publisher pushes between this publish's fetch and its push (here: when the
    first files are hashed): the push is refused, theirs stays, and the next publish lands."""
    remote = bare_remote(tmp_path / "remote.git")
    target = GitTarget("pages", remote.as_uri(), history=history)
    scratch = tmp_path / "scratch"
    assert git_publish(
        target, hand_made_output(tmp_path / "v1", {"index.html": "one"}), PublishOptions(), scratch=scratch
    ).uploaded
    clone = tmp_path / "clone"
    git("clone", "--quiet", "--branch", "gh-pages", remote.as_uri(), clone)

    def someone_else_pushes(done: int, total: int) -> None:
        if not (clone / "theirs.txt").exists():
            (clone / "theirs.txt").write_text("theirs\n")
            git("add", "theirs.txt", cwd=clone)
            git(
                "-c",
                "user.name=Other",
                "-c",
                "user.email=other@example.org",
                "commit",
                "--quiet",
                "-m",
                "theirs",
                cwd=clone,
            )
            git("push", "--quiet", "origin", "gh-pages", cwd=clone)

    site = hand_made_output(tmp_path / "v2", {"index.html": "two"})
    with pytest.raises(PublishError) as refused:
        git_publish(target, site, PublishOptions(), someone_else_pushes, scratch=scratch)

    reason = "fetch first" if history == "keep" else "stale info"
    assert f"refused the push to gh-pages ({reason}); it was left as it was" in str(refused.value)
    assert git("--git-dir", remote, "log", "-1", "--format=%s", "gh-pages") == "theirs\n"
    again = git_publish(target, site, PublishOptions(), scratch=scratch)
    assert again.deleted == ["theirs.txt"] and again.replaced == ["index.html"]
    assert tree(remote) == [".nojekyll", "index.html"]
    assert commits(remote) == (3 if history == "keep" else 1)


def test_redirects_are_the_lines_of_redirects_whose_page_is_published(tmp_path):
    remote = bare_remote(tmp_path / "remote.git")
    site = hand_made_output(tmp_path / "out", {
        "index.html": "home",
        "new/index.html": "the story",
        "old/slug/index.html": '<link rel="canonical" href="/digest/new/">',
        "_redirects": "/digest/old/slug/ /digest/new/ 301\n/digest/gone/ /digest/new/ 301\n",
    })  # fmt: skip

    outcome = git_publish(GitTarget("pages", remote.as_uri()), site, PublishOptions(dry_run=True))

    assert outcome.redirects == ["/digest/old/slug/"]
    assert outcome.uploaded == [".nojekyll", "_redirects", "index.html", "new/index.html", "old/slug/index.html"]
    assert outcome.bytes_sent == sum(f.size for f in site.files.values())
    assert refs(remote) == ""
