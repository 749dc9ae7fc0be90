"""Rendering workers put the pages they render into the tree being written themselves
(write.PageWriter), so a template edit's thousands of new files are not all created by the
build's process; the output is a clean build's, and a build whose workers were lost partway
leaves a record that makes the next build compare the trees in full (a worker may have
written a file the build's process was never told of). Real files, real worker processes."""

from __future__ import annotations

import os
from concurrent.futures.process import BrokenProcessPool

import pytest

from broadsheet.build import render, write

from conftest import run_cli, stories, tree_bytes

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
