"""A build with nothing to do does nothing: it sees at once that no input changed, the
clock crossed no publishing moment and the output is as the last build left it."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime

import pytest

from broadsheet.build.pipeline import build
from broadsheet.build.request import BuildRequest
from broadsheet.incremental import cache, inputs
from broadsheet.incremental.articles import SETTLE_NS
from broadsheet.incremental.state import BuildState

from conftest import SETTINGS, article, run_cli, tree_bytes, write_tree

NOW = datetime(2025, 6, 20, 12, tzinfo=UTC)


def _site_files() -> dict[str, str]:
    return {
        "broadsheet.yaml": SETTINGS,
        "content/a.md": article("Alpha", "2025-06-19 10:00", body="![](pic.svg) text"),
        "content/b/index.md": article("Bundle", "2025-06-19 11:00", body="![A chart](chart.svg)"),
        "content/b/chart.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>',
        "content/later.md": article("Later", "2025-06-21 09:00"),
        "templates/_footer.html": "<footer>Ours</footer>\n",
    }


def settled_site(settled_trees):
    """A site whose files are older than the build's racy-clean margin, so that a match of
    their stamps proves they are as the last build read them (conftest's pool: one wait
    serves a batch of tests)."""
    return settled_trees.take(_site_files)


def cli_like(site, now=NOW):
    """One run of the command: load the cache, build, save."""
    state, _ = cache.load(site, site / "site")
    report = build(BuildRequest(site, now=now), state)
    cache.save(site, site / "site", state)
    return report


def test_nothing_changed_skips_the_work_and_repeats_the_report(settled_trees):
    site = settled_site(settled_trees)
    first = cli_like(site)
    again = cli_like(site)
    assert first.ok and "model" in first.stages
    assert again.ok and "model" not in again.stages and again.changed == ()
    assert (again.problems, again.articles, again.pages) == (first.problems, first.articles, first.pages)
    assert any("alt text" in p.message for p in again.problems)  # warnings are told every time


def test_what_the_short_cut_must_not_miss(settled_trees, tmp_path):
    site = settled_site(settled_trees)
    assert cli_like(site).ok
    # The clock passes an article's date: it comes out.
    assert "model" in cli_like(site, datetime(2025, 6, 21, 10, tzinfo=UTC)).stages
    assert (site / "site/2025/06/21/later/index.html").exists()
    # A bundle's file changes with its name kept, a template is edited, the output is edited by hand.
    write_tree(site, {"content/b/chart.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>'})
    assert "model" in cli_like(site, datetime(2025, 6, 21, 10, tzinfo=UTC)).stages
    write_tree(site, {"templates/_footer.html": "<footer>Edited</footer>\n"})
    assert "model" in cli_like(site, datetime(2025, 6, 21, 10, tzinfo=UTC)).stages
    (site / "site/archive/index.html").write_text("by hand")
    assert "model" in cli_like(site, datetime(2025, 6, 21, 10, tzinfo=UTC)).stages
    assert build(BuildRequest(site, output=tmp_path / "clean", now=datetime(2025, 6, 21, 10, tzinfo=UTC))).ok
    assert tree_bytes(site / "site") == tree_bytes(tmp_path / "clean")


def test_the_clock_going_back_builds_in_full(settled_trees):
    site = settled_site(settled_trees)
    assert cli_like(site, datetime(2025, 6, 21, 10, tzinfo=UTC)).ok
    report = cli_like(site, NOW)  # --now earlier than the last build: "Later" is not out yet
    assert "model" in report.stages and not (site / "site/2025/06/21/later/index.html").exists()


def test_a_build_with_nothing_to_do_keeps_the_serve_short_cut(settled_trees):
    site = settled_site(settled_trees)
    state = BuildState(keep_last=True)
    request = BuildRequest(site, now=NOW)
    assert build(request, state).ok
    assert "model" not in build(request, state, changed={"templates"}).stages  # a folder event, nothing changed
    (site / "content/a.md").write_text(article("Alpha", "2025-06-19 10:00", body="![](pic.svg) text\n\nMore."))
    assert "bodies" in build(request, state, changed={"content/a.md"}).stages


def test_a_tree_a_killed_build_was_writing_is_levelled_before_it_is_used(settled_trees, tmp_path):
    """A build killed while writing the tree nobody reads leaves it in an unknown state.
    The next build with nothing to change leaves everything as it is; the first that
    writes compares that tree with the live one in full before using it."""
    site = settled_site(settled_trees)
    assert cli_like(site).ok
    (site / "content/a.md").write_text(article("Alpha, revised", "2025-06-19 10:00", body="![](pic.svg) text"))
    assert cli_like(site).changed  # a build that writes: the other tree exists too
    time.sleep(SETTLE_NS / 1e9 + 0.2)
    trees = site / ".site.trees"
    standby = trees / ("a" if os.readlink(site / "site").endswith("b") else "b")
    (standby / "archive/index.html").unlink()
    (standby / "archive/index.html").write_bytes(b"from a killed build")
    state = json.loads((trees / "state.json").read_text())
    (trees / "state.json").write_text(json.dumps({**state, "lag": None}))
    live_before, link_before = tree_bytes(site / "site"), os.readlink(site / "site")
    assert not cli_like(site).changed  # nothing to do: the half-written tree is not used
    assert tree_bytes(site / "site") == live_before and os.readlink(site / "site") == link_before
    (site / "content/a.md").write_text((site / "content/a.md").read_text() + "\nOne more line.\n")
    assert cli_like(site).ok
    assert build(BuildRequest(site, output=tmp_path / "clean", now=NOW)).ok
    assert tree_bytes(site / "site") == tree_bytes(tmp_path / "clean")


@pytest.mark.parametrize("how", ["written just before the first build", "touched since"])
def test_files_read_again_and_found_the_same_are_remembered_so_the_next_build_has_nothing_to_do(make_site, how):
    # A file's stamp that changed (a `touch`, a checkout rewriting it) or that changed within
    # SETTLE_NS of the last build's start is read again. The build that finds the same bytes
    # must say so in the cache: else every later build read them all again (0.3 s at 10,000
    # articles), until some build had something else to save.
    site = make_site(_site_files())  # just written
    now = ("--now", "2025-06-20T12:00+00:00")
    assert run_cli("build", "--site", site, *now).code == 0
    if how == "touched since":
        time.sleep(SETTLE_NS / 1e9 + 0.2)
        assert run_cli("build", "--site", site, *now).code == 0  # the files settled
        for path in (site / "content").rglob("*.md"):
            os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    time.sleep(SETTLE_NS / 1e9 + 0.2)
    assert run_cli("build", "--site", site, *now).code == 0  # reads them again: the same bytes
    state, _ = cache.load(site, site / "site")
    assert "model" not in build(BuildRequest(site, now=NOW), state).stages


def test_a_file_changed_just_before_a_build_is_read_by_it_so_the_next_has_nothing_to_do(settled_trees):
    """A static file changed just before a build began (a theme installed, a template saved
    in serve, then a build at once): its stamp cannot prove to the next build that it is
    as this one read it, so this one reads its bytes before using it and leaves them in
    the cache; the next build, finding the same stamp and bytes, has nothing to do. Without
    that, the next build made the model to be sure (1.7-2.5 s instead of 0.2-0.4 s at 10,000
    articles: every `build` or `serve` start after a serve session that ended with an edit)."""
    site = settled_site(settled_trees)
    (site / "static").mkdir(exist_ok=True)
    (site / "static/extra.css").write_text("p { margin: 0 }\n")  # changed within the racy margin
    argv = ["build", "--site", site, "--now", NOW.isoformat(), "--verbose"]
    assert run_cli(*argv).code == 0
    time.sleep(SETTLE_NS / 1e9 + 0.2)
    settled = run_cli(*argv)
    assert settled.code == 0 and " model " not in settled.out, settled.out


@pytest.mark.parametrize("proof", ["other bytes", "too large to read"])
def test_a_racy_file_without_its_proof_is_looked_at_then_settled_and_saved(settled_trees, monkeypatch, proof):
    """The proof must match: bytes other than those the build read (as a write in the same
    tick as the read, with a stamp the same, would leave) or a file too large to read, and
    the next build makes the model to be sure; finding the same inputs, now settled, it saves
    the cache though it wrote nothing, so the one after has nothing to do."""
    site = settled_site(settled_trees)
    if proof == "too large to read":
        monkeypatch.setattr(inputs, "READ_LIMIT", 4)
    (site / "static").mkdir(exist_ok=True)
    (site / "static/extra.css").write_text("p { margin: 0 }\n")
    assert cli_like(site).ok
    state, _ = cache.load(site, site / "site")
    if proof == "other bytes":
        assert len(state.racy_reads) == 1
        state.racy_reads = {name: (line, b"\0" * 16) for name, (line, _) in state.racy_reads.items()}
        cache.save(site, site / "site", state)
    else:
        assert state.racy_reads == {}
    time.sleep(SETTLE_NS / 1e9 + 0.2)
    assert "model" in cli_like(site).stages  # the file may have changed in the last build's tick
    assert "model" not in cli_like(site).stages


def test_output_files_linked_elsewhere_cost_one_build_not_every_build(settled_trees, tmp_path):
    """A hard link to each output file (`cp -al site backup`, as serve's spare tree does)
    moves every file's ctime: the next build finds the output not as it left it and looks
    at every page (the same bytes, none written), then saves the stamps it leaves, so the
    build after has nothing to do. It once saved nothing, as it had written nothing, and
    every later build rendered the whole site again."""
    site = settled_site(settled_trees)
    argv = ["build", "--site", site, "--now", NOW.isoformat(), "--verbose"]
    assert run_cli(*argv).code == 0
    backup = tmp_path / "backup"
    live = (site / "site").resolve()
    for page in live.rglob("*"):
        if page.is_file():
            (backup / page.relative_to(live)).parent.mkdir(parents=True, exist_ok=True)
            os.link(page, backup / page.relative_to(live))
    looked = run_cli(*argv)
    assert looked.code == 0 and " model " in looked.out and "(0 files written, 0 removed)" in looked.out
    again = run_cli(*argv)
    assert again.code == 0 and " model " not in again.out, again.out
