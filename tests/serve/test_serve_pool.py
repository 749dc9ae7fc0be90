"""A template edit in `serve` re-renders every page in worker processes although the dev
server's threads keep its process from forking (build/pool.py): the pages travel to
forkserver workers, and what they render is byte for byte what one process renders.
Real folders, the real session and server, real worker processes."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
from test_live import big_site, free_port, group_members

from broadsheet.build import render
from broadsheet.build.request import BuildRequest
from broadsheet.serve.server import DevServer
from broadsheet.serve.session import LiveSite

from conftest import run_cli, stories, tree_bytes

SETTINGS = "title: Pooled\nbase_url: https://example.org/digest/\ntimezone: UTC\nrelative_urls: true\n"


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: builds never start worker processes")
def test_a_template_edit_in_serve_is_rendered_by_workers_as_one_process_renders_it(make_site, tmp_path, monkeypatch):
    files = stories(60, desks=4)
    site = make_site(files, SETTINGS)
    footer = site / "templates/_footer.html"
    footer.parent.mkdir()
    footer.write_text("<footer><p>First footer</p></footer>\n")
    monkeypatch.setattr(render, "PARALLEL_FROM", 10)
    monkeypatch.setattr(render, "CHUNK", 9)
    here = []  # chunks rendered in this process
    render_here = render._RenderJob.render
    monkeypatch.setattr(
        render._RenderJob, "render", lambda job, bounds: here.append(bounds) or render_here(job, bounds)
    )

    server = DevServer(site / "site", "/digest/", "127.0.0.1", 0)
    server.start()  # its thread: from here on this process may not fork
    try:
        live = LiveSite(BuildRequest(site), server, out=io.StringIO())
        assert live.rebuild().ok
        footer.write_text("<footer><p>Second footer, {{ site.title }}</p></footer>\n")
        here.clear()
        report = live.rebuild({"templates/_footer.html"})
    finally:
        server.stop()
    assert report.ok and report.rendered == report.pages > 80
    assert here == [], "pages were rendered in the server's process"

    monkeypatch.setattr(render, "PARALLEL_FROM", 10**9)  # one process
    assert run_cli("build", "--site", site, "--no-cache", "--output", tmp_path / "one").code == 0
    assert tree_bytes(site / "site") == tree_bytes(tmp_path / "one")


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: builds never start worker processes")
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="lists processes through /proc")
def test_ctrl_c_while_workers_render_a_template_edit_stops_cleanly(tmp_path):
    phases = _Phases()
    site = big_site(tmp_path / "big", 700)  # enough pages for two workers
    footer = site / "templates/_footer.html"
    footer.parent.mkdir(exist_ok=True)
    footer.write_text("<footer><p>First footer</p></footer>\n")
    assert run_cli("build", "--site", site).code == 0
    before = tree_bytes(site / "site")
    footer.write_text("<footer><p>Second footer</p></footer>\n")
    assert run_cli("build", "--site", site, "--no-cache", "--output", tmp_path / "after").code == 0
    after = tree_bytes(tmp_path / "after")
    footer.write_text("<footer><p>First footer</p></footer>\n")
    phases.mark("two builds")

    process = subprocess.Popen(
        [sys.executable, "-m", "broadsheet", "serve", "--site", str(site), "--port", str(free_port())],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        for line in process.stderr:
            if line.startswith("Serving"):
                break
        phases.mark("serving")
        serving = set(group_members(process.pid))  # the server and its forkserver
        footer.write_text("<footer><p>Second footer</p></footer>\n")
        deadline = time.monotonic() + 60
        while not set(group_members(process.pid)) - serving:  # until the workers start
            assert time.monotonic() < deadline and process.poll() is None, "no worker process started"
            time.sleep(0.02)
        phases.mark("workers started")
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in a terminal reaches the whole process group
        _, err = process.communicate(timeout=120)
        phases.mark("stopped")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    assert process.returncode == 0, err  # the site was served
    lines = [line for line in err.splitlines() if line and not line.startswith("Rebuilt (")]
    assert lines == ["Stopped."], err
    deadline = time.monotonic() + 10  # the forkserver and its workers notice the server's end within a second or two
    while group_members(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert group_members(process.pid) == [], "worker processes left running"
    assert tree_bytes(site / "site") in (before, after)
    phases.report_if_slow(60.0)


class _Phases:
    """Where a slow run of the test spent its time: it took 124 s once in a whole-suite run
    and 7-13 s in every run alone, loaded or not; the next slow run says which phase."""

    def __init__(self) -> None:
        self.start = self.last = time.monotonic()
        self.times: list[str] = []

    def mark(self, phase: str) -> None:
        now = time.monotonic()
        self.times.append(f"{phase} {now - self.last:.1f} s")
        self.last = now

    def report_if_slow(self, limit: float) -> None:
        if time.monotonic() - self.start > limit:
            warnings.warn("slow Ctrl-C test: " + ", ".join(self.times), stacklevel=2)
