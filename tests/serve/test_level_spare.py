"""After a serve build that wrote many files, the spare tree is made level with the live one
while the editor reads the reloaded page (LiveSite._level_spare): the next edit then links
nothing back. Real folders, the real session and writer, a real server socket; every
output compared byte for byte with a clean `build`, and the models made counted (a
record of the output that went stale would show as a hand edit: a second, full build)."""

from __future__ import annotations

import io
import json
import os
import shutil
import threading
from pathlib import Path

import pytest

from broadsheet.build import model, output_folder, write
from broadsheet.build.output_folder import Layout
from broadsheet.build.request import BuildRequest
from broadsheet.incremental import cache
from broadsheet.serve import session as session_module
from broadsheet.serve.server import DevServer
from broadsheet.serve.session import LiveSite

from conftest import article, run_cli, stories
from edits import NOW, same_as_clean

SETTINGS = "title: Spare\nbase_url: https://example.org/\ntimezone: UTC\n"
FOOTER = "templates/_footer.html"
FILES = {**stories(6), FOOTER: "<footer><p>Footer 0</p></footer>\n"}
EDITED = "content/s0/a0.md"  # Story 0, 2025-06-10 10:00, tags T0 and Шесть


@pytest.fixture
def started(make_site, monkeypatch):
    """(site, live session after its first build, models made so far), as serve is before
    its warm-up; the threshold lowered so that this small site's builds count as many files."""
    monkeypatch.setattr(session_module, "LEVEL_SPARE_FROM", 5)
    models: list[int] = []
    plain = model.build_model
    monkeypatch.setattr(model, "build_model", lambda *args, **kwargs: models.append(1) or plain(*args, **kwargs))
    site = make_site(FILES, SETTINGS)
    server = DevServer(site / "site", "/", "127.0.0.1", 0)
    server.listen()
    live = LiveSite(BuildRequest(site, now=NOW), server, out=io.StringIO())
    assert live.rebuild().ok
    yield site, live, models
    server.stop()


@pytest.fixture
def session(started):
    """`started`, after the warm-up."""
    started[1].warm()
    return started


def trees(site: Path) -> tuple[Path, Path]:
    """(live tree, spare tree) of the site's output."""
    layout = Layout(site / "site")
    live = layout.live()
    assert live is not None
    spare = next(name for name in ("a", "b") if name != live)
    return layout.tree(live), layout.tree(spare)


def files(tree: Path) -> dict[str, int]:
    """Every file of a tree, with its inode."""
    return {p.relative_to(tree).as_posix(): p.stat().st_ino for p in sorted(tree.rglob("*")) if p.is_file()}


def is_level(site: Path) -> bool:
    """The spare tree holds the live tree's very files (hard links), and its record says so."""
    live, spare = trees(site)
    record = json.loads(Layout(site / "site").state_file.read_text())
    return spare.is_dir() and files(spare) == files(live) and record["lag"] == {"changed": [], "removed": []}


def test_the_start_leaves_the_spare_tree_level(session):
    """The first build made one tree; the warm-up makes the second, not the first edit."""
    site, _, _ = session
    assert is_level(site)


def test_a_template_edit_then_a_title_edit(session, tmp_path):
    site, live, models = session
    (site / FOOTER).write_text("<footer><p>Footer 1</p></footer>\n")
    assert live.rebuild({FOOTER}).ok
    assert is_level(site)
    assert same_as_clean(site, tmp_path, "clean-1")
    before = len(models)
    (site / EDITED).write_text(article("Story 0 retitled", "2025-06-10 10:00", tags="[T0, Шесть]"))
    assert live.rebuild({EDITED}).ok
    # one model: the live tree's stamps, moved by the links, are the state's (else: a hand edit, a full build)
    assert len(models) - before == 1
    assert same_as_clean(site, tmp_path, "clean-2")
    assert "Story 0 retitled" in (site / "site/index.html").read_text()


def test_a_body_edit_after_a_template_edit(session, tmp_path):
    site, live, models = session
    (site / FOOTER).write_text("<footer><p>Footer 2</p></footer>\n")
    assert live.rebuild({FOOTER}).ok
    before = len(models)
    (site / EDITED).write_text(
        article("Story 0", "2025-06-10 10:00", "Body text.\n\nA second paragraph.", tags="[T0, Шесть]")
    )
    assert live.rebuild({EDITED}).ok
    assert len(models) == before  # the body short cut, and no full build after it
    assert same_as_clean(site, tmp_path, "clean")


def test_the_saved_cache_knows_the_new_stamps(session, tmp_path):
    """The build cache serve saves records the output as the links left it (a link moves a
    file's ctime): else the next `build` finds the output changed by hand, walks it and
    builds in full."""
    site, live, _ = session
    (site / FOOTER).write_text("<footer><p>Footer 3</p></footer>\n")
    assert live.rebuild({FOOTER}).ok
    assert is_level(site)
    live.save_cache()
    saved, note = cache.load(site, site / "site")
    assert note is None
    assert saved.stamps == write.live_stamps(site / "site")
    assert run_cli("build", "--site", site, "--now", NOW.isoformat()).code == 0
    assert same_as_clean(site, tmp_path, "clean")


def test_a_hand_edit_in_the_live_tree_still_shows(session, tmp_path, monkeypatch):
    """A page edited by hand in the output after a template edit, before the spare tree is
    levelled, keeps its old record: the next build puts it right."""
    site, live, _ = session
    (site / FOOTER).write_text("<footer><p>Footer 4</p></footer>\n")
    page = site / "site/index.html"
    level = session_module.LiveSite._level_spare

    def edit_then_level(self):
        page.write_text("scribbled over")
        level(self)

    monkeypatch.setattr(session_module.LiveSite, "_level_spare", edit_then_level)
    assert live.rebuild({FOOTER}).ok
    monkeypatch.setattr(session_module.LiveSite, "_level_spare", level)
    (site / EDITED).write_text(article("Story 0 revised", "2025-06-10 10:00", tags="[T0, Шесть]"))
    assert live.rebuild({EDITED}).ok
    assert same_as_clean(site, tmp_path, "clean")


def test_not_while_another_build_holds_the_output(session, tmp_path, monkeypatch):
    """A `build` of the same output holding its lock: the session leaves the spare tree to
    it (or to its own next build); once the lock is free, it levels."""
    site, live, _ = session
    monkeypatch.setattr(session_module, "LEVEL_SPARE_FROM", 10**6)  # this edit's build leaves it unlevelled
    (site / FOOTER).write_text("<footer><p>Footer 5</p></footer>\n")
    assert live.rebuild({FOOTER}).ok
    assert not is_level(site)
    with output_folder.output_lock(site / "site") as busy:
        assert busy is None
        live._level_spare()
        assert not is_level(site)
    live._level_spare()
    assert is_level(site)
    (site / EDITED).write_text(article("Story 0 revised", "2025-06-10 10:00", tags="[T0, Шесть]"))
    assert live.rebuild({EDITED}).ok
    assert same_as_clean(site, tmp_path, "clean")


def test_a_start_saved_before_the_warm_up_levels_is_saved_again(started):
    """As `serve` starts: its first build, the cache saved, then the warm-up levels the spare
    tree (moving the live files' ctimes), then the session's last save. That save records
    the stamps the links left: it once kept the first save's, and every later `build` and
    `serve` start found the output changed, rendered every page again, wrote none, and
    saved nothing (5 s at 10,000 articles instead of 0.4 s)."""
    site, live, _ = started
    live.save_cache()
    live.warm()
    assert is_level(site)
    live.save_cache(last=True)
    saved, note = cache.load(site, site / "site")
    assert note is None
    assert saved.stamps == write.live_stamps(site / "site")


def test_no_warm_up_after_the_last_save(started):
    """Ctrl-C right after "Serving": a warm-up that had not begun does nothing once the
    session made its last save, as its links would leave stamps no save records."""
    site, live, _ = started
    live.save_cache(last=True)
    live.warm()
    assert not trees(site)[1].is_dir()  # not levelled: the start's build made one tree
    saved, _ = cache.load(site, site / "site")
    assert saved.stamps == write.live_stamps(site / "site")


def pool_files(site: Path) -> dict[str, int]:
    """The files set aside in the trees folder's pool, with their inodes."""
    pool = Layout(site / "site").trees / write.POOL
    return {p.relative_to(pool).as_posix(): p.stat().st_ino for p in sorted(pool.rglob("*")) if p.is_file()}


@pytest.mark.skipif(not write.NO_FOLLOW, reason="files are rewritten in place only with O_NOFOLLOW")
def test_a_template_edit_after_levelling_writes_into_the_files_set_aside(session, tmp_path):
    """Levelling links the live pages into the spare tree and sets that tree's own files
    aside; the next template edit writes each page into the file set aside for it, moved
    back, so no file is freed and none made (a file system without a journal checks every
    free inode before it hands one out: seconds at 10,000 articles). The same bytes as a
    clean build."""
    site, live, _ = session
    (site / FOOTER).write_text("<footer><p>Footer A</p></footer>\n")
    assert live.rebuild({FOOTER}).ok and is_level(site)
    aside = pool_files(site)
    assert len(aside) >= 5
    (site / FOOTER).write_text("<footer><p>Footer B</p></footer>\n")
    assert live.rebuild({FOOTER}).ok
    now_live = files(trees(site)[0])
    reused = {rel for rel, inode in aside.items() if now_live.get(rel) == inode}
    assert reused == set(aside)  # every page set aside was written in place, not made anew
    assert same_as_clean(site, tmp_path, "clean")


@pytest.mark.skipif(not write.NO_FOLLOW, reason="files are rewritten in place only with O_NOFOLLOW")
def test_a_file_set_aside_that_another_name_links_to_is_not_written_through(session, tmp_path):
    """Someone's hard link to a file in the pool (a backup with `cp -al`) keeps its bytes:
    that file is not taken back, the page is made anew."""
    site, live, _ = session
    (site / FOOTER).write_text("<footer><p>Footer C</p></footer>\n")
    assert live.rebuild({FOOTER}).ok
    pool = Layout(site / "site").trees / write.POOL
    rel = next(iter(pool_files(site)))
    backup = tmp_path / "backup.html"
    os.link(pool / rel, backup)
    before = backup.read_bytes()
    (site / FOOTER).write_text("<footer><p>Footer D</p></footer>\n")
    assert live.rebuild({FOOTER}).ok
    assert backup.read_bytes() == before
    assert same_as_clean(site, tmp_path, "clean")


def test_a_page_removed_leaves_nothing_in_the_pool(session, tmp_path):
    """The pool holds pages the site still has: a page a build removes goes from it too."""
    site, live, _ = session
    (site / FOOTER).write_text("<footer><p>Footer E</p></footer>\n")
    assert live.rebuild({FOOTER}).ok
    before, pooled = set(files(trees(site)[0])), set(pool_files(site))
    (site / EDITED).unlink()
    assert live.rebuild({EDITED}).ok
    gone = before - set(files(trees(site)[0]))
    assert gone & pooled  # the pool held pages of the article removed
    (site / FOOTER).write_text("<footer><p>Footer F</p></footer>\n")
    assert live.rebuild({FOOTER}).ok
    assert not gone & set(pool_files(site))
    assert set(pool_files(site)) <= set(files(trees(site)[0]))
    assert same_as_clean(site, tmp_path, "clean")


@pytest.mark.skipif(not write.NO_FOLLOW, reason="files are rewritten in place only with O_NOFOLLOW")
def test_a_symlink_where_the_pool_goes_is_never_followed(session, tmp_path):
    """A link at `.site.trees/pool` to a folder elsewhere: no file of that folder is moved
    into the output or written over, and none of the output's is moved there."""
    site, live, _ = session
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "2025/06/10").mkdir(parents=True)
    (elsewhere / "index.html").write_text("someone else's page")
    mine = {p: p.read_bytes() for p in elsewhere.rglob("*") if p.is_file()}
    pool = Layout(site / "site").trees / write.POOL
    shutil.rmtree(pool, ignore_errors=True)
    pool.symlink_to(elsewhere, target_is_directory=True)
    for n in range(2):
        (site / FOOTER).write_text(f"<footer><p>Footer link {n}</p></footer>\n")
        assert live.rebuild({FOOTER}).ok
    assert {p: p.read_bytes() for p in elsewhere.rglob("*") if p.is_file()} == mine
    assert same_as_clean(site, tmp_path, "clean")


def html_pages(tree: Path) -> set[str]:
    return {rel for rel in files(tree) if rel.endswith(".html")}


@pytest.mark.skipif(not write.NO_FOLLOW, reason="files are rewritten in place only with O_NOFOLLOW")
@pytest.mark.parametrize("first", ["build", "serve"])
def test_after_a_first_build_the_warm_up_makes_the_files_the_first_template_edit_writes(
    make_site, monkeypatch, tmp_path, first
):
    """A `build` from nothing (or serve's own start) leaves one tree: the first template
    edit would make the second, a new file for every page (on a file system that checks
    every free inode for a recent deletion, that edit took twice as long as the next).
    The warm-up makes that tree and an empty file in the pool for each page instead, and
    the edit writes every page into one of those: no file is made. Inodes read off the
    file system; the same bytes as a clean build."""
    monkeypatch.setattr(session_module, "LEVEL_SPARE_FROM", 5)
    monkeypatch.setattr(session_module, "POOL_CHUNK", 3)  # several chunks
    site = make_site(FILES, SETTINGS)
    if first == "build":
        assert run_cli("build", "--site", site, "--now", NOW.isoformat()).code == 0
    server = DevServer(site / "site", "/", "127.0.0.1", 0)
    server.listen()
    try:
        live = LiveSite(BuildRequest(site, now=NOW), server, out=io.StringIO())
        assert live.rebuild().ok
        assert not trees(site)[1].is_dir()
        live.warm()
        assert is_level(site)
        pooled = pool_files(site)
        assert set(pooled) == html_pages(trees(site)[0]) and len(pooled) > 3
        assert all((Layout(site / "site").trees / write.POOL / rel).stat().st_size == 0 for rel in pooled)
        (site / FOOTER).write_text("<footer><p>Footer after the warm-up</p></footer>\n")
        assert live.rebuild({FOOTER}).ok
        written = files(trees(site)[0])
        assert {rel: written[rel] for rel in pooled} == pooled  # each page in its pool file
        assert set(pool_files(site).values()).isdisjoint(pooled.values())  # all taken
    finally:
        server.stop()
    assert same_as_clean(site, tmp_path, "clean")


def test_a_save_before_the_warm_up_makes_the_pool_files_leaves_them_to_the_edit(started, tmp_path):
    """An edit saved while the warm-up builds: the warm-up does not go on to make the spare
    tree's files (the edit would wait for them); the edit makes what it writes, as ever."""
    site, live, _ = started
    plain = live.build
    editing = []

    def edited_meanwhile(request, state, **options):
        report = plain(request, state, **options)
        if options.get("model_wanted") and not editing:  # the warm-up's build: a save comes in
            (site / EDITED).write_text(article("Story 0 saved early", "2025-06-10 10:00", tags="[T0, Шесть]"))
            editing.append(threading.Thread(target=live.rebuild, args=({EDITED},)))
            editing[0].start()
            assert live._edited.wait(5)
        return report

    live.build = edited_meanwhile
    live.warm()
    editing[0].join(30)
    pool = Layout(site / "site").trees / write.POOL
    assert not [rel for rel in pool_files(site) if (pool / rel).stat().st_size == 0]  # none made ahead
    assert same_as_clean(site, tmp_path, "clean")


@pytest.mark.skipif(not write.NO_FOLLOW, reason="files are made only with O_NOFOLLOW")
def test_the_pool_files_made_ahead_never_follow_a_symlink_nor_touch_a_file(make_site, tmp_path):
    """`write.fill_pool` in a pool someone tampered with: a symlink where a folder goes is
    replaced by a folder (nothing made in the folder it named), a symlink where a file
    goes is left as it is (its target not made), a file already there keeps its bytes."""
    site = make_site(FILES, SETTINGS)
    assert run_cli("build", "--site", site, "--now", NOW.isoformat()).code == 0
    pages = sorted(html_pages(trees(site)[0]))
    nested = next(rel for rel in pages if rel.count("/") >= 2)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    pool = Layout(site / "site").trees / write.POOL
    (pool / nested).parent.parent.mkdir(parents=True)
    (pool / nested).parent.symlink_to(elsewhere, target_is_directory=True)
    flat = next(rel for rel in pages if rel.count("/") == 1 and not rel.startswith(nested.split("/")[0]))
    (pool / flat).parent.mkdir(parents=True, exist_ok=True)
    (pool / flat).symlink_to(tmp_path / "target.html")
    kept = next(rel for rel in pages if rel not in (nested, flat) and not rel.startswith(nested.rpartition("/")[0]))
    (pool / kept).parent.mkdir(parents=True, exist_ok=True)
    (pool / kept).write_bytes(b"already here")
    with output_folder.output_lock(site / "site"):
        made = write.fill_pool(site / "site", pages)
    assert made == len(pages) - 2
    assert list(elsewhere.iterdir()) == [] and not (tmp_path / "target.html").exists()
    assert (pool / nested).parent.is_dir() and not (pool / nested).parent.is_symlink()
    assert (pool / nested).is_file() and (pool / flat).is_symlink()
    assert (pool / kept).read_bytes() == b"already here"
