"""Save-to-reload time in `serve` mode: from the moment an editor's write returns to the
moment the reload event reaches a browser's event stream (a hair after the server sends it), for a body edit, a title edit and a
template edit.

    python bench/live.py 1000 10000 [--repeat 5] [--start-only]
    python bench/live.py 10000 --site DIR --edits title   # one kind of edit, on a kept corpus

`--site DIR` keeps the corpus (of the first size given) and its build cache in DIR between
runs, so serve's first build there reads the cache instead of parsing 10,000 articles;
`--edits` measures only the kinds of edit named (body, title, template).

First, how long `broadsheet serve` (a real process) takes to say "Serving": on a site
never built (no output, no build cache), and on an unchanged site that `build` built
(as fast as a no-change build when serve reads the build cache), beside that no-change
`build` itself.

Runs the real pieces in one process (watchdog observer, DevServer, LiveSite) with a
real event-stream client over HTTP, so both moments are read off the same clock. Beside
each kind of edit, the median CPU time of the rebuild it caused (time.thread_time of the
rebuilding thread, builds that edit started summed): on a loaded machine less moved by
other work than the wall time.
"""

from __future__ import annotations

import argparse
import http.client
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from broadsheet.build import pipeline, pool
from broadsheet.build.request import BuildRequest
from broadsheet.serve.server import DevServer
from broadsheet.serve.session import LiveSite
from broadsheet.serve.watch import Watcher

from corpus import write_corpus


class EventClient(threading.Thread):
    """Reads the event stream and counts events, so the bench can wait for the next one."""

    def __init__(self, port: int, path: str):
        super().__init__(daemon=True)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.conn.request("GET", path)
        self.response = self.conn.getresponse()
        self.events: list[tuple[str, float]] = []  # (name, when it arrived)
        self.arrived = threading.Condition()

    def run(self) -> None:
        for raw in self.response:
            line = raw.decode().strip()
            if line.startswith("event: "):
                with self.arrived:
                    self.events.append((line[7:], time.perf_counter()))
                    self.arrived.notify_all()

    def next_after(self, count: int, timeout: float = 600) -> tuple[str, float]:
        """The first event after the first `count` ones."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.events) > count, timeout)
            return self.events[count]

    def settle(self, quiet: float = 0.5) -> int:
        """Wait until no event has come for `quiet` seconds; the number seen so far."""
        while True:
            with self.arrived:
                count = len(self.events)
                self.arrived.wait(quiet)
                if len(self.events) == count:
                    return count


def edits(site: Path):
    """(name, function that changes the site by one save) for each kind of edit."""
    article = sorted((site / "content/world").glob("*.md"))[len(list((site / "content/world").glob("*.md"))) // 2]
    template = site / "templates/_footer.html"
    template.parent.mkdir(exist_ok=True)

    def body(n: int) -> None:
        text = article.read_text()
        article.write_text(text + f"\nAn added sentence, number {n}.\n")

    def title(n: int) -> None:
        lines = article.read_text().split("\n")
        lines[1] = f'title: "A retitled story, take {n}"'
        article.write_text("\n".join(lines))

    def footer(n: int) -> None:
        template.write_text(f"<footer><p>Footer edit {n}</p></footer>\n")

    return [("body edit", body), ("title edit", title), ("template edit", footer)]


ROOT = Path(__file__).resolve().parent.parent


def _cli(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "broadsheet", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def serve_start(site: Path) -> float:
    """Seconds from starting `broadsheet serve` to its "Serving" line; then Ctrl-C."""
    started = time.perf_counter()
    process = _cli("serve", "--site", str(site), "--port", "0")
    assert process.stderr is not None
    for line in process.stderr:
        if line.startswith("Serving"):
            break
    else:
        raise SystemExit(f"serve did not start: {process.wait()}")
    seconds = time.perf_counter() - started
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=600)
    return seconds


def no_change_build(site: Path) -> float:
    started = time.perf_counter()
    process = _cli("build", "--site", str(site), "--quiet")
    _, err = process.communicate(timeout=600)
    if process.returncode:
        raise SystemExit(f"build failed: {err}")
    return time.perf_counter() - started


def measure_start(n: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site-src"
        write_corpus(site, n)
        cold = []
        for _ in range(repeat):
            for made in (site / "site", site / ".site.trees", site / ".broadsheet"):  # the output, its trees, the cache
                subprocess.run(["rm", "-rf", str(made)], check=True)
            cold.append(serve_start(site))
        no_change_build(site)
        warm = [serve_start(site) for _ in range(repeat)]
        builds = [no_change_build(site) for _ in range(repeat)]
    print(f"\n{n} articles: serve start (process start to 'Serving', median of {repeat})")
    for name, times in (("never built", cold), ("unchanged site", warm), ("no-change build", builds)):
        print(f"  {name:16} median {statistics.median(times):7.2f} s   min {min(times):7.2f}   max {max(times):7.2f}")


def measure(n: int, repeat: int, kept: Path | None = None, kinds: set[str] | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        site = kept or Path(tmp) / "site-src"
        if not (site / "broadsheet.yaml").exists():
            write_corpus(site, n)
        pool.start_forkserver()  # as serve does, before any thread
        server = DevServer(site / "site", "/", "127.0.0.1", 0)
        server.listen()
        spent: list[float] = []  # CPU seconds of each build since the last edit was measured

        def build(*args, **kwargs):
            started = time.thread_time()
            try:
                return pipeline.build(*args, **kwargs)
            finally:
                spent.append(time.thread_time() - started)

        out = sys.stderr if "-v" in sys.argv else open(os.devnull, "w")  # noqa: SIM115 (lives as long as the bench)
        live = LiveSite(BuildRequest(site), server, out=out, build=build)
        started = time.perf_counter()
        live.rebuild()  # as serve's first build: no thread yet, so its workers are forked
        cold = time.perf_counter() - started
        server.serve()
        watcher = Watcher(site, live.rebuild)
        watcher.start()
        started = time.perf_counter()
        warm_up = threading.Thread(target=live.warm)  # as serve does once serving: after a start from the cache
        warm_up.start()
        client = EventClient(server.port, "/__broadsheet/events")
        client.start()
        server.wait_for_clients(1, 10)
        warm_up.join()  # the edits below are measured after it (an editor's first save comes seconds later)
        warm = time.perf_counter() - started
        print(
            f"\n{n} articles: first build in serve mode {cold:.2f} s, then its warm-up {warm:.2f} s (in the background)"
        )
        for name, edit in edits(site):
            if kinds and name.split()[0] not in kinds:
                continue
            times, cpu = [], []
            for i in range(repeat):
                seen = client.settle()  # the previous rebuild is over
                spent.clear()
                edit(i)
                saved = time.perf_counter()
                _, arrived = client.next_after(seen)
                times.append(arrived - saved)
                client.settle()  # and any build it led to (a hand edit found in the output)
                cpu.append(sum(spent))
            print(
                f"  {name:14} median {statistics.median(times) * 1000:7.0f} ms   min {min(times) * 1000:7.0f}   "
                f"max {max(times) * 1000:7.0f}   first {times[0] * 1000:7.0f}   CPU median {statistics.median(cpu) * 1000:5.0f} ms"
            )
        watcher.stop()
        server.stop()
        live.save_cache()  # a kept corpus starts its next run from what this one built
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory so far {peak:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("-v", action="store_true", help="print each rebuild")
    parser.add_argument("--start-only", action="store_true", help="measure only serve's start")
    parser.add_argument("--site", type=Path, help="keep the corpus and its build cache here (one size only)")
    parser.add_argument("--edits", nargs="+", choices=["body", "title", "template"], help="only these edits")
    args = parser.parse_args()
    for n in args.sizes:
        if not args.site:  # serve's start is measured from nothing, which a kept corpus is not
            measure_start(n, args.repeat)
        if not args.start_only:
            measure(n, args.repeat, args.site, set(args.edits or ()))


if __name__ == "__main__":
    main()
