"""The output belongs to Broadsheet: a build replaces only what it made. A folder of
someone else's files is refused unless the user asks to replace it; a repository, the site
folder and its inputs never are the output. The output is a link a web server follows."""

import http.client
import os
import shutil
import subprocess
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from broadsheet.build import output_folder, write
from broadsheet.incremental.articles import SETTLE_NS

from conftest import HAND_CHANGES, article, copy_demo, run_cli, tree_bytes, write_tree


def one_story(make_site):
    return make_site({"content/a.md": article("Alpha story", "2025-06-19 10:00")})


def test_a_folder_of_someone_elses_files_is_refused_and_kept(make_site, tmp_path):
    """It used to say "2 removed": the user's thesis and notes were gone."""
    site = one_story(make_site)
    out = write_tree(tmp_path / "papers", {"thesis.txt": "my thesis\n", "docs/notes.md": "notes\n"})
    for _ in range(2):
        result = run_cli("build", "--site", site, "--output", out)
        assert result.code == 1
        assert f"output: {out} holds files Broadsheet did not make" in result.err and "--replace-output" in result.err
        assert "Traceback" not in result.err
    assert tree_bytes(out) == {"thesis.txt": b"my thesis\n", "docs/notes.md": b"notes\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["papers", "site-src"]  # no trees, no lock


def test_replace_output_takes_a_folder_over(make_site, tmp_path):
    site = one_story(make_site)
    out = write_tree(tmp_path / "public", {"old.html": "from another generator\n"})
    result = run_cli("build", "--site", site, "--output", out, "--replace-output")
    assert result.code == 0, result.err
    assert out.is_symlink() and os.readlink(out) == ".public.trees/a"
    assert run_cli("build", "--site", site, "--output", tmp_path / "clean", "--no-cache").code == 0
    assert tree_bytes(out) == tree_bytes(tmp_path / "clean")
    (site / "content/a.md").write_text(article("Alpha story, revised", "2025-06-19 10:00"))
    assert run_cli("build", "--site", site, "--output", out).code == 0  # Broadsheet's now: no flag needed


def test_an_empty_folder_is_taken_without_asking(make_site, tmp_path):
    site = one_story(make_site)
    out = tmp_path / "www"
    out.mkdir()
    assert run_cli("build", "--site", site, "--output", out).code == 0
    assert out.is_symlink() and (out / "index.html").is_file()


def test_a_repository_is_never_the_output(make_site, tmp_path):
    """`--output .git` destroyed the repository; a checkout of another project is no output either."""
    site = one_story(make_site)
    repo = tmp_path / "project"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "README").write_text("a project\n")
    for out in (repo / ".git", repo, repo / ".git/objects"):
        result = run_cli("build", "--site", site, "--output", out, "--replace-output")
        assert result.code == 1, out
        assert "git repository" in result.err and "Traceback" not in result.err
    fsck = subprocess.run(["git", "-C", str(repo), "fsck"], capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stderr
    assert (repo / "README").read_text() == "a project\n"


def test_the_demos_docs_folder_is_refused(tmp_path):
    """In the demo, `--output docs` deleted the README's screenshots."""
    site = copy_demo(tmp_path / "demo")
    write_tree(site, {"docs/screenshots/front.png": b"\x89PNG picture"})
    result = run_cli("build", "--site", site, "--output", site / "docs")
    assert result.code == 1 and "holds files Broadsheet did not make" in result.err
    assert (site / "docs/screenshots/front.png").read_bytes() == b"\x89PNG picture"


def test_the_site_its_inputs_and_their_parents_are_never_the_output(make_site, tmp_path):
    site = one_story(make_site)
    for out in (site, site / "content", tmp_path, site / "content/world"):
        before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
        result = run_cli("build", "--site", site, "--output", out, "--replace-output")
        assert result.code == 1, out
        assert "holds the site's own files" in result.err
        assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_an_output_inside_another_outputs_copies_is_refused(make_site, tmp_path):
    site = one_story(make_site)
    assert run_cli("build", "--site", site).code == 0
    before = tree_bytes(site / "site")
    for out in (site / ".site.trees/a", site / "site/sub", site / ".site.trees/b"):
        result = run_cli("build", "--site", site, "--output", out, "--replace-output")
        assert result.code == 1 and "inside the copies Broadsheet keeps for another output" in result.err, out
    assert tree_bytes(site / "site") == before and os.readlink(site / "site") == ".site.trees/a"


def test_a_link_someone_else_made_is_refused_then_replaced_not_followed(make_site, tmp_path):
    site = one_story(make_site)
    theirs = write_tree(tmp_path / "theirs", {"keep.html": "keep me\n"})
    out = tmp_path / "site-link"
    out.symlink_to(theirs)
    result = run_cli("build", "--site", site, "--output", out)
    assert result.code == 1 and "is a link Broadsheet did not make" in result.err
    assert run_cli("build", "--site", site, "--output", out, "--replace-output").code == 0
    assert os.readlink(out) == ".site-link.trees/a"
    assert tree_bytes(theirs) == {"keep.html": b"keep me\n"}  # the link was replaced, not what it pointed to


def test_an_output_whose_trees_were_deleted_is_built_again(make_site):
    site = one_story(make_site)
    assert run_cli("build", "--site", site).code == 0
    subprocess.run(["rm", "-rf", str(site / ".site.trees")], check=True)  # a dangling link is left
    result = run_cli("build", "--site", site)
    assert result.code == 0, result.err
    assert (site / "site/index.html").is_file()


def test_a_web_server_pointed_at_the_output_serves_each_new_build(make_site):
    """The output is a link: a server given its path follows it on every request."""
    site = one_story(make_site)
    assert run_cli("build", "--site", site).code == 0
    handler = partial(SimpleHTTPRequestHandler, directory=str(site / "site"))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def page() -> str:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
        connection.request("GET", "/2025/06/19/alpha-story/")
        body = connection.getresponse().read().decode()
        connection.close()
        return body

    try:
        assert "Alpha story" in page()
        for take in (1, 2):  # both trees in turn
            (site / "content/a.md").write_text(article("Alpha story", "2025-06-19 10:00", body=f"Take {take}."))
            assert run_cli("build", "--site", site).code == 0
            assert f"Take {take}." in page()
    finally:
        server.shutdown()
        server.server_close()


def test_rsync_of_the_output_copies_one_whole_site(make_site, tmp_path):
    """README: `rsync -a site/ dest/` copies the site as the link shows it (the trailing slash
    follows the link), without the trees or their record."""
    rsync = shutil.which("rsync")
    if rsync is None:
        pytest.skip("rsync is not installed (.ci/run installs it)")
    site = one_story(make_site)
    assert run_cli("build", "--site", site).code == 0
    dest = tmp_path / "dest"
    subprocess.run([rsync, "-a", "--delete", f"{site / 'site'}/", f"{dest}/"], check=True)
    assert tree_bytes(dest) == tree_bytes(site / "site")
    assert not any(p.is_symlink() for p in dest.rglob("*"))


def test_two_outputs_of_one_site_are_independent(make_site, tmp_path):
    site = one_story(make_site)
    for name in ("one", "two"):
        assert run_cli("build", "--site", site, "--output", tmp_path / name).code == 0
    assert tree_bytes(tmp_path / "one") == tree_bytes(tmp_path / "two")
    assert os.readlink(tmp_path / "two") == ".two.trees/a"


def small_site(make_site):
    return make_site({
        "content/world/a.md": article("Alpha story", "2025-06-18 10:00", tags="[NATO, Russia]"),
        "content/world/b.md": article("Beta story", "2025-06-19 11:00", tags="[nato]"),
    })  # fmt: skip


def _relinked(out):
    """The output's link made again, pointing where it did: its time now later than any
    change the build made in its tree, as after a build that took a while to write."""
    target = os.readlink(out)
    time.sleep(0.05)
    os.symlink(target, out.with_name(".relink"))
    os.replace(out.with_name(".relink"), out)


def test_a_tree_as_the_build_left_it_is_known_without_a_walk(make_site):
    """stamps_as_left says yes only when a walk would find the recorded files exactly."""
    site = small_site(make_site)
    assert run_cli("build", "--site", site).code == 0
    out = site / "site"
    _relinked(out)
    recorded = write.disk_stamps(out.resolve())
    assert output_folder.stamps_as_left(out, recorded)
    assert write.live_stamps(out, recorded) == recorded


@pytest.mark.parametrize("change", HAND_CHANGES.values(), ids=HAND_CHANGES.keys())
def test_any_hand_change_to_the_tree_is_seen(make_site, change):
    site = small_site(make_site)
    assert run_cli("build", "--site", site).code == 0
    out = site / "site"
    _relinked(out)
    recorded = write.disk_stamps(out.resolve())
    time.sleep(0.05)  # a later clock tick than the link's
    change(out.resolve())
    assert not output_folder.stamps_as_left(out, recorded)
    assert write.live_stamps(out, recorded) == write.disk_stamps(out.resolve())


def test_a_hand_added_file_is_removed_by_the_next_build(make_site):
    """Nothing else changed: the build with nothing to do must still see the stray file."""
    site = small_site(make_site)
    time.sleep(SETTLE_NS / 1e9 + 0.2)  # files this old are trusted by their stamps: nothing to do
    assert run_cli("build", "--site", site).code == 0
    clean = tree_bytes(site / "site")
    time.sleep(0.05)
    (site / "site/tags/stray.html").write_text("added by hand")
    assert run_cli("build", "--site", site).code == 0
    assert tree_bytes(site / "site") == clean
