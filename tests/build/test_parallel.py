"""Parsing and rendering across processes give the same bytes as doing it in one."""

import contextlib
import functools
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import pytest

from broadsheet.build import config, content, pool, render
from broadsheet.build.routes import Page

from conftest import REPO, article, run_cli, stories, tree_bytes


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: builds never start worker processes")
def test_parallel_build_equals_sequential_build(make_site, tmp_path, monkeypatch):
    files = stories(80)
    site = make_site(files)
    assert run_cli("build", "--site", site, "--no-cache", "--output", tmp_path / "one").code == 0

    monkeypatch.setattr(content, "PARALLEL_FROM", 10)  # worker processes from 20 files up
    monkeypatch.setattr(render, "PARALLEL_FROM", 10)
    assert threading.active_count() == 1, "rendering forks only in a process without other threads"
    assert run_cli("build", "--site", site, "--no-cache", "--output", tmp_path / "many").code == 0
    assert tree_bytes(tmp_path / "one") == tree_bytes(tmp_path / "many")


# --- rendering where this process may not fork (the dev server's threads) ---------------------


@contextlib.contextmanager
def a_thread_running():
    """A thread besides the main one, as the dev server has: this process may not fork then."""
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: builds never start worker processes")
def test_pages_rendered_by_workers_not_forked_from_here_equal_the_one_process_render(make_site, tmp_path, monkeypatch):
    files = stories(60)
    files["templates/_footer.html"] = "<footer><p>{{ site.title }}, {{ 'Forty' | upper }}</p></footer>\n"
    site = make_site(files)
    monkeypatch.setattr(render, "PARALLEL_FROM", 10**9)  # one process
    assert run_cli("build", "--site", site, "--no-cache", "--output", tmp_path / "one").code == 0

    here = []  # chunks rendered in this process
    render_here = render._RenderJob.render
    monkeypatch.setattr(
        render._RenderJob, "render", lambda job, bounds: here.append(bounds) or render_here(job, bounds)
    )
    monkeypatch.setattr(render, "PARALLEL_FROM", 10)
    monkeypatch.setattr(render, "CHUNK", 7)
    with a_thread_running():
        result = run_cli("build", "--site", site, "--no-cache", "--output", tmp_path / "many")
    assert result.code == 0, result.err
    assert here == [], "pages were rendered here, not by the workers"
    assert tree_bytes(tmp_path / "one") == tree_bytes(tmp_path / "many")


class Here(str):
    """A value that reads "here" in this process and "travelled" once pickled."""

    def __reduce__(self):
        return (str, ("travelled",))


class Renamed(Page):
    """A page that, pickled, comes out as another page (another path)."""

    def __reduce__(self):
        return (Page, (self.path + "elsewhere/", self.url, self.template, self.context))


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: builds never start worker processes")
def test_a_chunk_a_worker_renders_for_other_pages_is_rendered_here_instead(make_site, monkeypatch):
    site = make_site({"templates/plain.html": "{{ title }} {{ where }}\n"})
    settings, _ = config.load_settings(site)
    recipe = functools.partial(render.environment, site, settings, {})
    pages = [Page(f"p{i}/", f"/p{i}/", "plain.html", {"title": f"Page {i}", "where": Here("here")}) for i in range(40)]
    pages[17] = Renamed(*vars(pages[17]).values())  # in the third chunk of eight
    monkeypatch.setattr(render, "PARALLEL_FROM", 10)
    monkeypatch.setattr(render, "CHUNK", 8)
    with a_thread_running():
        result = render.render_pages(pages, recipe(), site, {}, recipe=recipe)
    assert result.problems == [] and result.rendered == 40
    where = [html.decode().split()[-1] for html in result.pages.values()]
    assert list(result.pages) == [page.path for page in pages]
    assert where == ["travelled"] * 16 + ["here"] * 8 + ["travelled"] * 16


def touch_and_return(folder, chunk):
    (folder / f"{chunk}").touch()  # this chunk was begun
    return chunk


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: builds never start worker processes")
def test_workers_run_at_most_two_chunks_each_ahead_of_the_caller(tmp_path):
    """Results the caller has not taken wait in its memory: a caller slower than the
    workers (rendered pages are written as they come) must not receive a whole site."""
    results = pool.run(functools.partial(touch_and_return, tmp_path), list(range(40)), 2)
    assert next(results) == 0
    time.sleep(1)  # the workers would finish every chunk in this time
    begun = len(list(tmp_path.iterdir()))
    assert begun <= 4, f"{begun} chunks begun before the caller took the second"
    assert list(results) == list(range(1, 40))


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: builds never start worker processes")
def test_a_job_that_cannot_be_pickled_runs_here_where_this_process_may_not_fork():
    here = os.getpid()
    with a_thread_running():
        results = list(pool.run(lambda chunk: (chunk, os.getpid()), list(range(6)), 2, picklable=True))
    assert results == [(chunk, here) for chunk in range(6)]


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: builds never start worker processes")
def test_the_pickled_job_is_removed_when_the_workers_are_done_or_the_caller_stops(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    job = functools.partial(touch_and_return, tmp_path)
    with a_thread_running():
        assert list(pool.run(job, list(range(6)), 2, picklable=True)) == list(range(6))
        assert list((tmp_path / "tmp").iterdir()) == []
        results = pool.run(job, list(range(6)), 2, picklable=True)
        assert next(results) == 0
        assert len(list((tmp_path / "tmp").iterdir())) == 1  # the job, while the workers may need it
        results.close()
    assert list((tmp_path / "tmp").iterdir()) == []


ELSEWHERE = """
import multiprocessing, sys, threading

def main():
    sys.path.insert(0, sys.argv[1])  # this checkout, ahead of the copy in the working folder
    from broadsheet.build import pool, render
    from broadsheet.cli import main as cli
    multiprocessing.set_forkserver_preload(["broadsheet.build.pipeline"])  # imported from the forkserver's own path
    pool.start_forkserver()
    render.PARALLEL_FROM, render.CHUNK = 10, 7
    threading.Thread(target=threading.Event().wait, daemon=True).start()  # as the dev server's
    sys.exit(cli(["build", "--site", sys.argv[2], "--no-cache", "--output", sys.argv[3]]))

if __name__ == "__main__":
    main()
"""


@pytest.mark.skipif("forkserver" not in multiprocessing.get_all_start_methods(), reason="no forkserver")
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: builds never start worker processes")
def test_pages_from_workers_running_another_copy_of_broadsheet_are_rendered_here(make_site, tmp_path):
    """Python 3.11's forkserver imports what it is told to preload from its own path, not
    this process's: its workers may run another copy of Broadsheet (here one that renders
    every page wrong). Their pages are not used."""
    site = make_site({f"content/s/a{i}.md": article(f"Story {i}", f"2025-06-1{i % 9} 10:00") for i in range(30)})
    assert run_cli("build", "--site", site, "--no-cache", "--output", tmp_path / "one").code == 0
    copy = tmp_path / "elsewhere"
    shutil.copytree(REPO / "broadsheet", copy / "broadsheet", ignore=shutil.ignore_patterns("__pycache__"))
    wrong = copy / "broadsheet/build/render.py"
    wrong.write_text(
        wrong.read_text().replace(
            "        start, stop = bounds\n",
            "        start, stop = bounds\n        return [b'wrong'] * (stop - start)\n",
            1,
        )
    )
    script = tmp_path / "script" / "build_with_a_thread.py"
    script.parent.mkdir()
    script.write_text(ELSEWHERE)
    done = subprocess.run(
        [sys.executable, script, REPO, site, tmp_path / "many"], cwd=copy, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert tree_bytes(tmp_path / "one") == tree_bytes(tmp_path / "many")


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: builds never start worker processes")
def test_render_workers_have_exited_when_rendering_returns(make_site, monkeypatch):
    """The render workers hold a copy of the whole site: left to exit when the build is
    over, they held it through the feeds and the write (seen as memory in `build -v`)."""
    site = make_site({"templates/plain.html": "{{ title }}\n"})
    settings, _ = config.load_settings(site)
    env = render.environment(site, settings, {})
    pages = [Page(f"p{i}/", f"/p{i}/", "plain.html", {"title": f"Page {i}"}) for i in range(40)]
    monkeypatch.setattr(render, "PARALLEL_FROM", 10)
    monkeypatch.setattr(render, "CHUNK", 8)
    if threading.active_count() > 1:
        pytest.skip("another test left a thread running: this process may not fork")
    result = render.render_pages(pages, env, site, {})
    assert result.rendered == 40
    assert multiprocessing.active_children() == []


def test_a_page_travels_to_a_worker_without_what_this_process_worked_out_from_it():
    """serve's render workers get the pages pickled: the claims and the like this process
    keeps with each page (Page.derived) stay here, not pickled 14,000 times over."""
    import pickle

    from broadsheet.build.routes import Page

    page = Page("a/index.html", "/a/", "article.html", {"entry": "x"})
    page.derived["claim"] = ("worked out", page.context)
    arrived = pickle.loads(pickle.dumps(page, pickle.HIGHEST_PROTOCOL))
    assert (arrived.path, arrived.url, arrived.template, arrived.context) == (
        page.path,
        page.url,
        page.template,
        page.context,
    )
    assert arrived.derived == {}
