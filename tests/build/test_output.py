"""The output folder: atomic, deterministic, pruned, repaired, unchanged files untouched,
locked against a second build."""

import json
import os
import shutil
import subprocess
import sys

from broadsheet.build import output_folder

from conftest import REPO, SETTINGS, article, run_cli, tree_bytes


def small_site(make_site):
    return make_site({
        "content/world/a.md": article("Alpha story", "2025-06-18 10:00", tags="[NATO, Russia]"),
        "content/world/b.md": article("Beta story", "2025-06-19 11:00", tags="[nato]"),
        "static/robots.txt": "User-agent: *\n",
    })  # fmt: skip


def test_two_builds_give_identical_bytes(make_site, tmp_path):
    site = small_site(make_site)
    assert run_cli("build", "--site", site, "--output", tmp_path / "one").code == 0
    assert run_cli("build", "--site", site, "--output", tmp_path / "two").code == 0
    one, two = tree_bytes(tmp_path / "one"), tree_bytes(tmp_path / "two")
    assert one == two and len(one) > 10


def test_failed_build_leaves_previous_site_untouched(make_site):
    site = small_site(make_site)
    assert run_cli("build", "--site", site).code == 0
    before = tree_bytes(site / "site")
    (site / "content/world/a.md").write_text(article("Alpha changed", "2025-06-18 10:00"))
    (site / "content/world/bad.md").write_text("---\ntitle: Broken\n---\n")
    result = run_cli("build", "--site", site)
    assert result.code == 1
    assert "bad.md:1: date: is missing" in result.err
    assert tree_bytes(site / "site") == before
    # no lock, no half-made link
    assert sorted(p.name for p in site.iterdir() if p.name.startswith(".site.")) == [".site.trees"]


def test_template_error_writes_nothing(make_site):
    site = small_site(make_site)
    assert run_cli("build", "--site", site).code == 0
    before = tree_bytes(site / "site")
    (site / "templates").mkdir()
    (site / "templates/article.html").write_text(
        "{% extends 'base.html' %}\n{% block main %}{{ entry.nope() }}{% endblock %}\n"
    )
    result = run_cli("build", "--site", site)
    assert result.code == 1
    assert "templates/article.html:2: template: " in result.err
    assert tree_bytes(site / "site") == before


def test_template_syntax_error_names_file_and_line(make_site):
    site = small_site(make_site)
    (site / "templates").mkdir()
    (site / "templates/edition.html").write_text(
        "{% extends 'base.html' %}\n\n{% block main %}{% if %}{% endblock %}\n"
    )
    result = run_cli("build", "--site", site)
    assert result.code == 1
    assert "templates/edition.html:3: template: " in result.err


def test_removed_article_disappears_and_hand_edits_are_repaired(make_site):
    site = small_site(make_site)
    assert run_cli("build", "--site", site).code == 0
    out = site / "site"
    clean = tree_bytes(out)
    (site / "content/world/b.md").unlink()
    (out / "stray.html").write_text("added by hand")
    (out / "index.html").write_text("edited by hand")
    (out / "tags/index.html").unlink()
    assert run_cli("build", "--site", site).code == 0
    now = tree_bytes(out)
    assert "stray.html" not in now
    assert not (out / "2025/06/19/beta-story").exists()
    assert b"Beta story" not in now["index.html"] and b"Alpha story" in now["index.html"]
    assert "tags/index.html" in now
    assert set(now) == set(clean) - {"2025/06/19/beta-story/index.html", "2025/06/19/index.html"}


def test_unchanged_files_keep_their_modification_time(make_site):
    site = small_site(make_site)
    assert run_cli("build", "--site", site).code == 0
    out = site / "site"
    stamp = 1_000_000_000
    for path in out.rglob("*"):
        if path.is_file():
            os.utime(path, (stamp, stamp))
    (site / "content/world/a.md").write_text(
        article("Alpha story", "2025-06-18 10:00", body="New body.", tags="[NATO, Russia]")
    )
    result = run_cli("build", "--site", site)
    assert result.code == 0
    changed = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.stat().st_mtime != stamp}
    assert "2025/06/18/alpha-story/index.html" in changed
    assert "robots.txt" not in changed and "tags/index.html" not in changed
    assert f"({len(changed)} files written" in result.out


def test_a_tree_left_half_written_is_levelled_by_the_next_build(make_site, tmp_path):
    """What a build killed while writing leaves: the tree nobody reads holds stray, stale and
    half-written files, and the record says it is not known how it differs. Readers never
    saw it; the next builds, which write into it in turn, match a clean build."""
    site = small_site(make_site)
    assert run_cli("build", "--site", site).code == 0
    (site / "content/world/b.md").write_text(article("Beta story, revised", "2025-06-19 11:00"))
    assert run_cli("build", "--site", site).code == 0  # a build that writes: both trees exist
    trees = site / ".site.trees"
    standby = trees / ("a" if os.readlink(site / "site").endswith("b") else "b")
    (standby / "stray.html").write_text("from a killed build")
    (standby / "index.html").unlink()
    (standby / "index.html").write_text("half writ")
    state = json.loads((trees / "state.json").read_text())
    (trees / "state.json").write_text(json.dumps({**state, "lag": None}))
    for title in ("Alpha story, revised", "Alpha story, revised again"):
        (site / "content/world/a.md").write_text(article(title, "2025-06-18 10:00"))
        assert run_cli("build", "--site", site).code == 0
        clean = tmp_path / title.replace(" ", "-")
        assert run_cli("build", "--site", site, "--output", clean, "--no-cache").code == 0
        assert tree_bytes(site / "site") == tree_bytes(clean)


def test_static_file_clashing_with_a_page_is_an_error(make_site):
    site = small_site(make_site)
    (site / "static/archive").mkdir(parents=True)
    (site / "static/archive/index.html").write_text("clash")
    result = run_cli("build", "--site", site)
    assert result.code == 1
    assert "static/archive/index.html" in result.err and "writes archive/index.html" in result.err


def test_a_hand_edit_that_keeps_size_and_time_is_still_repaired(make_site):
    """touch -r style edits restore the modification time, not the change time."""
    site = small_site(make_site)
    assert run_cli("build", "--site", site).code == 0
    page = site / "site/archive/index.html"
    before = page.read_bytes()
    stat = page.stat()
    page.write_bytes(before.replace(b"Archive", b"Arkhive"))
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert run_cli("build", "--site", site).code == 0
    assert page.read_bytes() == before


def test_output_naming_a_regular_file_is_refused_and_the_file_kept(make_site, tmp_path):
    """It used to be moved aside (to .notes.txt.staging) and replaced by the site, with a traceback."""
    site = make_site({"content/a.md": article("A", "2025-06-19")})
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"the user's own words\n")
    for _ in range(2):  # and the next build is refused the same way, not a crash
        result = run_cli("build", "--site", site, "--output", notes)
        assert result.code == 1
        assert f"output: {notes} is a file, not a folder" in result.err
        assert "Traceback" not in result.err
        assert notes.read_bytes() == b"the user's own words\n"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "site-src"]


def test_a_file_where_the_build_keeps_its_work_is_refused_and_kept(make_site):
    site = make_site({"content/a.md": article("A", "2025-06-19")})
    for name, make in ((".site.trees", lambda p: p.write_text("not ours\n")), (".site.lock", lambda p: p.mkdir())):
        make(site / name)
        result = run_cli("build", "--site", site)
        assert result.code == 1
        assert f"{name} is in the way" in result.err
        assert not (site / "site").exists()
    assert (site / ".site.trees").read_text() == "not ours\n"


def test_a_trees_folder_of_someone_elses_files_is_in_the_way(make_site):
    site = make_site({"content/a.md": article("A", "2025-06-19")})
    (site / ".site.trees").mkdir()
    (site / ".site.trees/keep.txt").write_text("mine\n")
    result = run_cli("build", "--site", site)
    assert result.code == 1 and ".site.trees is in the way" in result.err
    assert (site / ".site.trees/keep.txt").read_text() == "mine\n" and not (site / "site").exists()


def test_a_second_build_waits_then_says_another_build_is_running(make_site):
    site = small_site(make_site)
    assert run_cli("build", "--site", site).code == 0
    before = tree_bytes(site / "site")
    (site / "content/world/a.md").write_text(article("Alpha story, revised", "2025-06-18 10:00"))
    with output_folder.output_lock(site / "site") as busy:  # another build holds the output
        assert busy is None
        result = run_cli("build", "--site", site)
    assert result.code == 1
    assert f"output: another build of this site is running (pid {os.getpid()})" in result.err
    assert tree_bytes(site / "site") == before
    assert run_cli("build", "--site", site).code == 0  # the lock went with its holder


def test_a_lock_left_by_a_killed_build_is_taken_over(make_site):
    site = small_site(make_site)
    (site / ".site.lock").write_text("999999999\n")  # a pid that holds no lock
    result = run_cli("build", "--site", site)
    assert result.code == 0, result.err
    assert not (site / ".site.lock").exists()  # the build that held it last removed it


def test_two_builds_at_once_never_mix_and_never_crash(make_site, tmp_path):
    """Real processes started together, three times: each builds or says another build is
    running, and the output is always a clean build's."""
    files = {
        f"content/s{i % 4}/a{i}.md": article(f"Story {i}", f"2025-06-{10 + i % 9} 12:{i % 60:02d}", tags=f"[T{i % 5}]")
        for i in range(150)
    }
    site = make_site(files)
    command = [sys.executable, str(REPO / "build.py"), "--site", str(site), "--quiet"]
    for round_ in range(3):
        (site / "content/s0/a0.md").write_text(article(f"Story 0, take {round_}", "2025-06-10 12:00"))
        runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        for run in runs:
            out, err = run.communicate(timeout=120)
            assert "Traceback" not in err, err
            assert run.returncode == 0 or "another build of this site is running" in err, err
        assert any(run.returncode == 0 for run in runs)
        clean = tmp_path / f"clean{round_}"
        assert run_cli("build", "--site", site, "--output", clean, "--no-cache").code == 0
        assert tree_bytes(site / "site") == tree_bytes(clean)


def test_an_article_never_silently_replaces_a_listing_page(make_site):
    """With article_url /{slug}/, stories titled "Tags" and "Archive" would write over the
    list of tags and the archive; which one won changed from build to build."""
    site = make_site({
        "content/a.md": article("Tags", "2025-06-19", tags="[Energy]"),
        "content/b.md": article("Archive", "2025-06-18"),
        "content/c.md": article("Fine story", "2025-06-17"),
    }, settings=SETTINGS + "article_url: /{slug}/\n")  # fmt: skip
    result = run_cli("build", "--site", site)
    assert result.code == 1
    assert (
        "content/a.md:2: title: writes tags/index.html, which the list of tags also writes; set another slug, or change article_url"
        in result.err
    )
    assert "content/b.md:2: title: writes archive/index.html, which the archive page also writes" in result.err
    assert not (site / "site").exists()


def test_a_live_tree_emptied_by_hand_is_rebuilt_without_stale_pages(make_site, tmp_path):
    """`rm -rf site/*` empties the live copy through the link; the other copy still holds the
    pages of the build before. An article deleted in the same breath must not come back."""
    site = small_site(make_site)
    assert run_cli("build", "--site", site).code == 0
    (site / "static/robots.txt").write_text("User-agent: *\nDisallow: /drafts/\n")
    assert run_cli("build", "--site", site).code == 0  # both copies exist, the other a page apart
    for child in (site / "site").iterdir():
        shutil.rmtree(child) if child.is_dir() else child.unlink()
    (site / "content/world/b.md").unlink()
    assert run_cli("build", "--site", site).code == 0
    assert run_cli("build", "--site", site, "--output", tmp_path / "clean", "--no-cache").code == 0
    assert tree_bytes(site / "site") == tree_bytes(tmp_path / "clean")


def test_a_file_that_becomes_a_folder_and_back_is_put_right_in_both_trees(make_site, tmp_path):
    """static/thing a file, then a folder of files, then a file again: each build's tree is
    a copy of an older one, holding a file where a folder now goes or the reverse."""
    site = small_site(make_site)
    shapes = [{"static/thing": "a file\n"}, {"static/thing/inner.txt": "a folder\n", "static/thing/deep/x": "x\n"}] * 3
    for round_, shape in enumerate(shapes):
        shutil.rmtree(site / "static/thing", ignore_errors=True)
        (site / "static/thing").unlink(missing_ok=True)
        for rel, text in shape.items():
            (site / rel).parent.mkdir(parents=True, exist_ok=True)
            (site / rel).write_text(text)
        assert run_cli("build", "--site", site).code == 0
        clean = tmp_path / f"clean{round_}"
        assert run_cli("build", "--site", site, "--output", clean, "--no-cache").code == 0
        assert tree_bytes(site / "site") == tree_bytes(clean)
        assert (site / "site/thing").is_file() == (round_ % 2 == 0)
