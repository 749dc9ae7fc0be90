"""A template edit in `serve`, taken apart: where the save-to-reload time of an edit of a
template every page includes goes, between the main process's CPU, the writer's waits on
the disk and the render workers.

    python bench/template_edit.py SITE_DIR [--repeat 3] [--pause 0.5]

SITE_DIR is a kept corpus (bench/corpus.py; a copy, as its output and cache are written),
best one whose build cache is warm (`bench/live.py N --site DIR` leaves it so). As serve
does: the forkserver started first, one LiveSite, its first build, a thread running (so the
workers are the forkserver's), the warm-up; then each edit rewrites templates/_footer.html
and rebuilds. Per edit: wall time, the main process's CPU time (and its user and sys), and, wall
and CPU, the writer's levelling of the tree it writes (`_level`: unlinking the files the
last build changed), its writing of new files (`_write_new`) and all its `put`s (the
rest of `put` is comparing a page with the live tree's). Where the workers write the pages
(write.PageWriter), `_write_new` and most of `put` happen in them, not here. The workers'
CPU (user and sys, all of them together, and each part) is read off the forkserver, which reaps them:
its children's times in /proc (Linux; shown as "?" elsewhere).

`--then-title`: after each template edit, a title edit of the article bench/build.py's
body edits append to (its URL and every list showing it change), timed the same way: the
first edit after a template edit links the pages the template edit rewrote into the tree
that edit left behind (write.OutputWriter._relink_all).
"""

from __future__ import annotations

import argparse
import multiprocessing.forkserver
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from broadsheet.build import pool, write
from broadsheet.build.request import BuildRequest
from broadsheet.serve.server import DevServer
from broadsheet.serve.session import LiveSite
from build import edited_article  # bench/build.py

SPENT: dict[str, list[float]] = {}  # what -> [wall, CPU of the calling thread]


def timed(owner: object, name: str) -> None:
    plain: Callable = getattr(owner, name)

    def measured(*args, **kwargs):
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return plain(*args, **kwargs)
        finally:
            spent = SPENT.setdefault(name, [0.0, 0.0])
            spent[0] += time.perf_counter() - wall
            spent[1] += time.thread_time() - cpu

    setattr(owner, name, measured)


def workers_cpu() -> tuple[float, float] | None:
    """CPU time (user, system) of the forkserver's children it has reaped (the render
    workers), in seconds."""
    pid = multiprocessing.forkserver._forkserver._forkserver_pid  # type: ignore[attr-defined]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except (OSError, TypeError):
        return None
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[13]) / tick, int(fields[14]) / tick  # cutime, cstime


def title_edit(live: LiveSite, site: Path, n: int) -> tuple[float, float]:
    """One title edit of the fixed article and its rebuild: (wall, main CPU) seconds."""
    article = edited_article(site)
    lines = article.read_text(encoding="utf-8").split("\n")
    lines[1] = f'title: "A story retitled after a template edit, take {n}"'
    article.write_text("\n".join(lines), encoding="utf-8")
    wall, cpu = time.perf_counter(), time.process_time()
    report = live.rebuild({article.relative_to(site).as_posix()})
    spent = time.perf_counter() - wall, time.process_time() - cpu
    print(f"  title edit after it: {report.rendered} pages, wall {spent[0]:6.2f} s, main CPU {spent[1]:5.2f} s")
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("site", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--pause", type=float, default=0.5, help="seconds between one edit's end and the next (what runs after a build)"
    )
    parser.add_argument("--then-title", action="store_true", help="a title edit after each template edit, timed too")
    args = parser.parse_args()
    pool.start_forkserver()  # as serve does, before any thread
    server = DevServer(args.site / "site", "/", "127.0.0.1", 0)
    server.listen()
    live = LiveSite(BuildRequest(args.site), server, out=open(os.devnull, "w"))  # noqa: SIM115 (lives as long as the bench)
    live.rebuild()
    threading.Thread(target=threading.Event().wait, daemon=True).start()  # as the server's: no fork from here on
    started = time.perf_counter()
    live.warm()  # with, where the output has no second tree yet, that tree and the pool's files made
    print(f"warm-up: {time.perf_counter() - started:.2f} s")
    for owner, name in ((write.OutputWriter, "_level"), (write, "_write_new"), (write.OutputWriter, "put")):
        timed(owner, name)
    walls, cpus, workers = [], [], []
    titles: list[tuple[float, float]] = []
    for n in range(args.repeat):
        SPENT.clear()
        (args.site / "templates/_footer.html").write_text(f"<footer><p>Footer edit {n} at {time.time()}</p></footer>\n")
        wall, cpu, mine, theirs = time.perf_counter(), time.process_time(), os.times(), workers_cpu()
        report = live.rebuild({"templates/_footer.html"})
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        mine_after = os.times()
        time.sleep(args.pause)  # the forkserver reaps the workers as they exit
        after = workers_cpu()
        split = None if theirs is None or after is None else (after[0] - theirs[0], after[1] - theirs[1])
        spent = None if split is None else sum(split)
        workers.append(spent)
        parts = "  ".join(f"{name} {w:5.2f}/{c:4.2f}" for name, (w, c) in SPENT.items())
        print(
            f"edit {n}: {report.rendered} pages, wall {walls[-1]:6.2f} s, main CPU {cpus[-1]:5.2f} s, "
            f"(user {mine_after.user - mine.user:4.2f}, sys {mine_after.system - mine.system:4.2f}), "
            f"workers' CPU {'?' if split is None else f'{sum(split):5.2f} s (user {split[0]:5.2f}, sys {split[1]:4.2f})'}, "
            f"load {os.getloadavg()[0]:.1f}; wall/CPU s: {parts}"
        )
        if args.then_title:
            titles.append(title_edit(live, args.site, n))
            time.sleep(args.pause)
    known = [spent for spent in workers if spent is not None]
    theirs = f"{statistics.median(known):.2f} s" if known else "?"
    print(
        f"median wall {statistics.median(walls):.2f} s, main CPU {statistics.median(cpus):.2f} s, "
        f"workers' CPU {theirs} (both together)"
    )
    if titles:
        print(
            f"title edits after them: median wall {statistics.median(w for w, _ in titles):.2f} s, "
            f"main CPU {statistics.median(c for _, c in titles):.2f} s"
        )
    live.save_cache()


if __name__ == "__main__":
    main()
