"""Rendering workers put the pages they render into the tree being written themselves
(write.PageWriter), so a template edit's thousands of new files are not all created by the
build's process; the output is a clean build's, and a build whose workers were lost partway
leaves a record that makes the next build compare the trees in full (a worker may have
written a file the build's process was never told of). Real files, real worker processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from broadsheet.build import output_folder, render, write

from conftest import REPO, run_cli, stories, tree_bytes

pytestmark = pytest.mark.skipif(
    (os.cpu_count() or 1) < 2 or write.fcntl is None, reason="needs two cores (workers) and flock"
)


def site_with_footer(make_site, footer: str):
    site = make_site(stories(40, desks=3))
    (site / "templates").mkdir(exist_ok=True)
    (site / "templates/_footer.html").write_text(f"<footer><p>{footer}</p></footer>\n")
    return site


def logged_writes(monkeypatch, log) -> None:
    """Each new file's path, and the process that wrote it, appended to `log` (one write of
    a line each: processes share the file)."""
    write_new = write._write_new

    def logged(room, rel, data):
        write_new(room, rel, data)
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, f"{os.getpid()} {rel}\n".encode())
        finally:
            os.close(fd)

    monkeypatch.setattr(write, "_write_new", logged)


def test_a_template_edits_pages_are_written_by_the_workers_and_come_out_as_a_clean_build(
    make_site, tmp_path, monkeypatch
):
    monkeypatch.setattr(render, "PARALLEL_FROM", 10)
    monkeypatch.setattr(render, "CHUNK", 7)
    site = site_with_footer(make_site, "First footer")
    assert run_cli("build", "--site", site).code == 0
    (site / "templates/_footer.html").write_text("<footer><p>Second footer</p></footer>\n")
    log = tmp_path / "writes.log"
    logged_writes(monkeypatch, log)
    assert run_cli("build", "--site", site).code == 0
    writers = {}
    for line in log.read_text().splitlines():
        pid, rel = line.split(" ", 1)
        writers[rel] = int(pid)
    pages = [rel for rel in writers if rel.endswith(".html")]
    assert len(pages) > 40
    assert all(writers[rel] != os.getpid() for rel in pages), "pages written by the build's process"
    assert len({writers[rel] for rel in pages}) >= 2
    assert run_cli("build", "--site", site, "--no-cache", "--output", tmp_path / "clean").code == 0
    assert tree_bytes(site / "site") == tree_bytes(tmp_path / "clean")


def test_workers_rewrite_in_place_the_pages_the_tree_being_written_holds_of_its_own(make_site, tmp_path, monkeypatch):
    """A third template edit: the tree the workers write holds the first edit's pages, files
    of its own (the second edit made new ones for the live tree), and they write over them
    (a file held open there shows the new page), and the output is a clean build's."""
    monkeypatch.setattr(render, "PARALLEL_FROM", 10)
    monkeypatch.setattr(render, "CHUNK", 7)
    site = site_with_footer(make_site, "First footer")
    for footer in ("Second footer", "A longer third footer"):
        (site / "templates/_footer.html").write_text(f"<footer><p>{footer}</p></footer>\n")
        assert run_cli("build", "--site", site).code == 0
    layout = output_folder.Layout(site / "site")
    idle = layout.tree(next(name for name in output_folder.TREES if name != layout.live()))
    pages = sorted(idle.rglob("index.html"))
    assert len(pages) > 40
    held = [os.open(page, os.O_RDONLY) for page in pages]
    try:
        (site / "templates/_footer.html").write_text("<footer><p>Fourth</p></footer>\n")
        assert run_cli("build", "--site", site).code == 0
        shown = [os.pread(fd, 1 << 20, 0) for fd in held]
    finally:
        for fd in held:
            os.close(fd)
    assert all(b"<footer><p>Fourth</p></footer>\n" in page for page in shown)
    assert run_cli("build", "--site", site, "--no-cache", "--output", tmp_path / "clean").code == 0
    assert tree_bytes(site / "site") == tree_bytes(tmp_path / "clean")


def edit_a_body(site, words: str) -> None:
    story = sorted((site / "content").rglob("*.md"))[0]
    story.write_text(story.read_text() + f"\n{words}\n")


def test_workers_lost_partway_leave_the_trees_to_be_compared_in_full(make_site, tmp_path, monkeypatch):
    """A template edit whose workers die after putting some pages into the tree; the build
    fails. The next build, a body edit, writes a few pages into that same tree: the pages
    the lost workers wrote there were never told of, so only a full comparison of the
    trees finds them (the last build's record lists the few files it changed)."""
    monkeypatch.setattr(render, "PARALLEL_FROM", 10)
    monkeypatch.setattr(render, "CHUNK", 7)
    site = site_with_footer(make_site, "First footer")
    assert run_cli("build", "--site", site).code == 0
    (site / "templates/_footer.html").write_text("<footer><p>Second footer</p></footer>\n")
    assert run_cli("build", "--site", site).code == 0
    edit_a_body(site, "A first added sentence.")
    assert run_cli("build", "--site", site).code == 0  # the idle tree now lags by a few files
    expected = tree_bytes(site / "site")

    render_here = render._RenderJob.render
    parent = os.getpid()

    def dies_after_one_chunk(job, bounds):
        rendered = render_here(job, bounds)
        if os.getpid() != parent and bounds[0] >= render.CHUNK:  # a worker, past the first chunk: lost
            os._exit(1)
        return rendered

    monkeypatch.setattr(render._RenderJob, "render", dies_after_one_chunk)
    (site / "templates/_footer.html").write_text("<footer><p>Third footer</p></footer>\n")
    with pytest.raises(BrokenProcessPool):
        run_cli("build", "--site", site)
    assert tree_bytes(site / "site") == expected  # the switch never happened

    monkeypatch.setattr(render._RenderJob, "render", render_here)
    (site / "templates/_footer.html").write_text("<footer><p>Second footer</p></footer>\n")
    edit_a_body(site, "A second added sentence.")
    assert run_cli("build", "--site", site).code == 0
    assert b"Third footer" not in b"".join(tree_bytes(site / "site").values())
    assert run_cli("build", "--site", site, "--no-cache", "--output", tmp_path / "clean").code == 0
    assert tree_bytes(site / "site") == tree_bytes(tmp_path / "clean")


def blocked_on(lock: Path, pid: int) -> bool:
    """The process waits for a flock on this file (the kernel's list of locks says so)."""
    inode = os.stat(lock).st_ino
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if "->" in fields and fields[-4] == str(pid) and fields[-3].endswith(f":{inode}"):
            return True
    return False


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="reads the kernel's list of locks")
def test_a_build_waits_for_a_killed_builds_workers_before_levelling_the_tree(make_site, tmp_path):
    """A build killed while its workers write leaves the trees to be compared in full, and
    its workers finish their pages after it is gone. The next build compares the trees only
    once they have: a page an orphaned worker writes while the next build waits is found."""
    site = site_with_footer(make_site, "First footer")
    for footer in ("Second footer", "First footer"):
        (site / "templates/_footer.html").write_text(f"<footer><p>{footer}</p></footer>\n")
        assert run_cli("build", "--site", site).code == 0
    layout = output_folder.Layout(site / "site")
    live = layout.live()
    idle = layout.tree(next(name for name in output_folder.TREES if name != live))
    output_folder.write_state(layout, output_folder.TreeState(live))  # as _level leaves it, before any write
    pages = sorted(str(p.relative_to(idle)) for p in idle.rglob("index.html"))
    orphan = write.PageWriter(
        write.Into(str(idle), None, str(site / "site"), {}, frozenset(), str(layout.trees / "writers.lock"), owner=0)
    )
    assert orphan.put(pages[0], b"a killed build's page\n")  # takes the writers' lock, as a worker does

    edit_a_body(site, "An added sentence.")
    process = subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), "--site", str(site), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while process.poll() is None and not blocked_on(layout.trees / "writers.lock", process.pid):
            time.sleep(0.01)
        waited = process.poll() is None
        assert orphan.put(pages[-1], b"its last page, written while the next build waits\n")
    finally:
        assert orphan.lock is not None
        os.close(orphan.lock)  # the orphan's end
        process.wait()
    assert waited, "the build did not wait for the writers' lock"
    assert process.returncode == 0
    assert run_cli("build", "--site", site, "--no-cache", "--output", tmp_path / "clean").code == 0
    assert tree_bytes(site / "site") == tree_bytes(tmp_path / "clean")
