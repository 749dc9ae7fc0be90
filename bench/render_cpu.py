"""CPU time of the render stage alone (Jinja, and writing the pages it hands the writer).

    python bench/render_cpu.py SITE_DIR [--repeat 5] [--cold]

Each run is a child process running one build of SITE_DIR (for example a corpus from
bench/corpus.py) with its output removed first; with --cold the build cache goes too, else
the articles come from the cache and only the stages after parsing do their work (rendering
every page, as none is on disk). In the child, render.render_pages is timed: CPU time of the
main process (user and sys: its sys time is mostly the
kernel making the output's folders and files, which on a busy disk varies from run to run) plus that of the render workers (RUSAGE_CHILDREN, read
after the build, as the pool's workers are reaped only then). Prints each run's figures and the medians. Wall time is printed but,
on a shared machine, means little.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from broadsheet.build import pipeline, render
from broadsheet.build.request import BuildRequest

figures = {}
plain = render.render_pages

def timed(*args, **kwargs):
    me, kids, wall = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    result = plain(*args, **kwargs)
    after = resource.getrusage(resource.RUSAGE_SELF)
    figures["main_user"], figures["main_sys"] = after.ru_utime - me.ru_utime, after.ru_stime - me.ru_stime
    figures["main"] = figures["main_user"] + figures["main_sys"]
    figures["kids"] = kids.ru_utime + kids.ru_stime
    figures["wall"] = time.perf_counter() - wall
    figures["rendered"] = result.rendered
    return result

render.render_pages = timed
report = pipeline.build(BuildRequest(Path(sys.argv[1])))
assert report.ok, report.problems
# the render workers are reaped once the build is over (nothing after rendering uses workers)
after = resource.getrusage(resource.RUSAGE_CHILDREN)
figures["workers"] = after.ru_utime + after.ru_stime - figures.pop("kids")
print(json.dumps(figures))
"""


def one_run(site: Path, cold: bool) -> dict:
    shutil.rmtree(site / "site", ignore_errors=True)
    shutil.rmtree(site / ".site.trees", ignore_errors=True)
    if cold:
        shutil.rmtree(site / ".broadsheet", ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    out = subprocess.run([sys.executable, "-c", CHILD, str(site)], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("site", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cold", action="store_true")
    args = parser.parse_args()
    one_run(args.site, args.cold)  # warms the build cache (and the disk's)
    runs = [one_run(args.site, args.cold) for _ in range(args.repeat)]
    for r in runs:
        print(
            f"pages {r['rendered']}  main {r['main']:.2f} s (user {r['main_user']:.2f}, sys {r['main_sys']:.2f})  "
            f"workers {r['workers']:.2f} s  "
            f"cpu {r['main'] + r['workers']:.2f} s  wall {r['wall']:.2f} s"
        )
    med = {k: statistics.median(r[k] for r in runs) for k in ("main", "workers", "wall")}
    total = statistics.median(r["main"] + r["workers"] for r in runs)
    print(
        f"median: main {med['main']:.2f} s  workers {med['workers']:.2f} s  cpu {total:.2f} s  wall {med['wall']:.2f} s"
    )


if __name__ == "__main__":
    main()
