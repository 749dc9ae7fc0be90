"""A body edit in `serve`, taken apart: from the moment the editor's write returns to the
moment the reload event reaches the browser's event stream, when each part began or ended
and how long the rebuild spent in each step, per edit, with medians.

    python bench/edit_parts.py SITE [--repeat 9] [--profile]

SITE is a corpus kept as bench/live.py's --site keeps it (copy /work/c10k to /dev/shm
first; never build in a shared one): serve's first build there reads the build cache.
Runs the real pieces in one process, as bench/live.py does (watchdog observer, DevServer,
LiveSite, an event-stream client over HTTP), with each step wrapped to note its wall time
(the rows after `cpu`, summed over the edit's calls; a wrapped step inside another counts
in both). Marks, from the write's return: `inotify` the watcher's first event, `debounced`
the rebuild called, `build>`/`build<` the recipe, `notify` the reload event broadcast,
`arrived` read by the client. `cpu`: time.thread_time of the rebuilding thread.
`--profile` adds cProfile of the rebuilds (sorted by cumulative time).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from broadsheet.build import output_folder, pipeline, pool, render, write
from broadsheet.build.request import BuildRequest
from broadsheet.incremental import body_edits
from broadsheet.outputs import feeds, search
from broadsheet.serve import server as dev_server, session, watch

from live import EventClient, edits

STEPS = [
    (body_edits, "apply"), (body_edits, "_parse_edits"), (body_edits, "_same_stories"), (body_edits, "_outputs"),
    (render, "render_pages"), (feeds, "feeds_showing"), (body_edits, "_search_index"),
    (search.SearchIndex, "replace"), (search.SearchIndex, "encode"),
    (write.OutputWriter, "_level"), (write.OutputWriter, "put"), (write.OutputWriter, "commit"),
    (write, "_sync"), (write, "point_output_at"), (write, "write_state"), (output_folder, "_fsync_folder"),
]  # fmt: skip


class Parts:
    def __init__(self) -> None:
        self.marks: list[tuple[str, float]] = []
        self.spans: dict[str, list[float]] = {}
        self.cpu: list[float] = []

    def clear(self) -> None:
        self.marks.clear()
        self.spans.clear()
        self.cpu.clear()

    def mark(self, name: str, at: float | None = None) -> None:
        self.marks.append((name, time.perf_counter() if at is None else at))

    def wrap(self, owner, name: str) -> None:
        function = getattr(owner, name)
        label = f"{owner.__name__.rpartition('.')[2]}.{name}"

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.spans.setdefault(label, []).append(time.perf_counter() - started)

        setattr(owner, name, timed)

    def hook(self, owner, name: str, mark: str, first_only: bool = False) -> None:
        function = getattr(owner, name)

        def marked(*args, **kwargs):
            if not (first_only and any(m == mark for m, _ in self.marks)):
                self.mark(mark)
            return function(*args, **kwargs)

        setattr(owner, name, marked)

    def row(self) -> dict[str, float]:
        saved = dict(self.marks)["saved"]
        row = {name: (at - saved) * 1000 for name, at in self.marks}
        row["cpu"] = sum(self.cpu) * 1000
        row.update({name: sum(times) * 1000 for name, times in self.spans.items()})
        return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("site", type=Path)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    parts = Parts()
    for owner, name in STEPS:
        parts.wrap(owner, name)
    parts.hook(watch.Watcher, "event", "inotify", first_only=True)
    parts.hook(session.LiveSite, "rebuild", "debounced")
    parts.hook(dev_server.DevServer, "notify_reload", "notify")
    profile = cProfile.Profile() if args.profile else None

    def build(*a, **k):
        parts.mark("build>")
        started = time.thread_time()
        if profile:
            profile.enable()
        try:
            return pipeline.build(*a, **k)
        finally:
            if profile:
                profile.disable()
            parts.cpu.append(time.thread_time() - started)
            parts.mark("build<")

    site = args.site
    pool.start_forkserver()
    server = dev_server.DevServer(site / "site", "/", "127.0.0.1", 0)
    server.listen()
    live = session.LiveSite(BuildRequest(site), server, out=open(os.devnull, "w"), build=build)  # noqa: SIM115
    live.rebuild()
    server.serve()
    watcher = watch.Watcher(site, live.rebuild)
    watcher.start()
    warm_up = threading.Thread(target=live.warm)
    warm_up.start()
    client = EventClient(server.port, "/__broadsheet/events")
    client.start()
    server.wait_for_clients(1, 10)
    warm_up.join()
    if profile:
        profile = cProfile.Profile()  # the edits' alone
    _, body = edits(site)[0]
    rows = []
    for i in range(args.repeat):
        seen = client.settle()
        parts.clear()
        body(10_000 + i)
        parts.mark("saved")
        _, arrived = client.next_after(seen)
        parts.mark("arrived", arrived)
        client.settle()
        rows.append(parts.row())
    names = list(dict.fromkeys(name for row in rows for name in row))
    print(f"{len(rows)} body edits (ms from the write's return; steps: ms spent), medians first")
    for name in names:
        values = [row[name] for row in rows if name in row]
        print(f"  {name:28} {statistics.median(values):7.1f}   " + " ".join(f"{v:6.1f}" for v in values))
    print(f"  load average {' '.join(f'{n:.2f}' for n in os.getloadavg())}")
    watcher.stop()
    server.stop()
    live.save_cache()
    if profile:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
