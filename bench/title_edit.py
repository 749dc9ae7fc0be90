"""A title edit in `serve`, in this process: what one rebuild costs, stage by stage (issue 19,
item 3: under 1 s at 10,000 articles).

    python bench/title_edit.py 10000 [--repeat 5] [--site DIR] [--profile FILE]

Builds the generated corpus (bench/corpus.py) as `serve` does (the build cache loaded,
`BuildState(keep_last=True)`, the first build done in full), then retitles one article
`--repeat` times, each a `build(request, state, changed={file})` as serve's watcher asks for
it. Prints the medians of CPU time (time.process_time: this process only, and the rebuild
renders a title edit's pages here) and wall time, and each stage's median wall time
(`BuildReport.stages`). `--site DIR` keeps the corpus and its build cache between runs, so a
second run skips the cold build's parsing; `--profile FILE` profiles one more edit (cProfile,
written to FILE, the top of it printed by cumulative time).

The title is one the corpus never has, so the article's slug, URL and every list, feed,
sitemap and search document that names it change. Prints figures; asserts only that each
rebuild succeeded.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from broadsheet.build.pipeline import build
from broadsheet.build.request import BuildRequest
from broadsheet.incremental import cache

from corpus import write_corpus

EDITED = "content/world/article-00010.md"  # bench/corpus.py puts article 10 in world/


def retitle(site: Path, n: int) -> None:
    path = site / EDITED
    lines = path.read_text(encoding="utf-8").split("\n")
    title = next(i for i, line in enumerate(lines) if line.startswith("title:"))
    lines[title] = f'title: "A retitled story, take {n}"'
    path.write_text("\n".join(lines), encoding="utf-8")


def measure(site: Path, repeat: int, profile: str | None) -> None:
    request = BuildRequest(site)
    state, _ = cache.load(site, request.output_dir)
    state.keep_last = True  # as serve's LiveSite
    started = time.perf_counter()
    report = build(request, state)
    assert report.ok, report.problems[:3]
    print(f"  first build (serve's, cache {'used' if state.files else 'empty'}): {time.perf_counter() - started:.1f} s")
    cache.save(site, request.output_dir, state)  # the next run of this bench parses nothing
    cpu, wall, stages = [], [], defaultdict(list)
    for n in range(repeat):
        retitle(site, n)
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        report = build(request, state, changed={EDITED})
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start_wall)
        assert report.ok, report.problems[:3]
        for stage, seconds in report.stages.items():
            stages[stage].append(seconds)
    print(
        f"  title edit, median of {repeat}: CPU {statistics.median(cpu) * 1000:.0f} ms "
        f"(min {min(cpu) * 1000:.0f}, max {max(cpu) * 1000:.0f}), "
        f"wall {statistics.median(wall) * 1000:.0f} ms (min {min(wall) * 1000:.0f}, max {max(wall) * 1000:.0f}); "
        f"rendered {report.rendered}"
    )
    print("  stages (median wall): " + ", ".join(f"{k} {statistics.median(v) * 1000:.0f}" for k, v in stages.items()))
    if profile:
        retitle(site, repeat)
        profiler = cProfile.Profile()
        profiler.enable()
        build(request, state, changed={EDITED})
        profiler.disable()
        profiler.dump_stats(profile)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(45)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("size", type=int)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--site", type=Path, help="keep the corpus (and its cache) here between runs")
    parser.add_argument("--profile", help="profile one more edit into this file")
    args = parser.parse_args()
    print(f"{args.size} articles:")
    if args.site:
        if not (args.site / "broadsheet.yaml").exists():
            write_corpus(args.site, args.size)
        measure(args.site, args.repeat, args.profile)
        return
    with tempfile.TemporaryDirectory() as tmp:
        write_corpus(Path(tmp), args.size)
        measure(Path(tmp), args.repeat, args.profile)


if __name__ == "__main__":
    main()
