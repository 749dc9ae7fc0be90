"""CPU time spent in named functions during one `broadsheet build`, measured in its process.

    python bench/stage_times.py SITE [--edit]

One build of SITE (its output and build cache as the last build left them) in this process,
with a list of the build's functions each wrapped to add up the process CPU time spent in it
(`time.process_time`, so other work on a shared machine counts less than in wall times); then
one line per function (milliseconds, calls) and the process's total. `--edit` first appends a
sentence to the fixed article `bench/alternate.py` edits (a body edit). A function that calls
another listed one counts its time too; a function called 10,000 times carries about 1 us of
the wrapper's own per call. For where the time goes, not for before/after figures
(`bench/alternate.py` gives those, a whole process at a time).
"""

from __future__ import annotations

import argparse
import collections
import functools
import importlib
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from alternate import edit

WATCHED = (
    ("broadsheet.incremental.cache", "load"),
    ("broadsheet.incremental.rebuild", "Rebuild.nothing_to_do"),
    ("broadsheet.build.write", "live_stamps"),
    ("broadsheet.incremental.articles", "key_all"),
    ("broadsheet.incremental.rebuild", "Rebuild.parse"),
    ("broadsheet.incremental.state", "BuildState.read_rest"),
    ("broadsheet.incremental.codec", "decode_parsed"),
    ("broadsheet.incremental.codec", "decode_search_document"),
    ("broadsheet.build.content", "parse_many"),
    ("broadsheet.build.model", "build_model"),
    ("broadsheet.build.model", "_entry"),
    ("broadsheet.build.model", "_article_paths"),
    ("broadsheet.build.model", "_related"),
    ("broadsheet.build.coverage", "find"),
    ("broadsheet.build.model", "_editions"),
    ("broadsheet.build.model", "_taxonomies"),
    ("broadsheet.build.routes", "plan"),
    ("broadsheet.build.routes", "too_long"),
    ("broadsheet.build.pipeline", "_claims"),
    ("broadsheet.build.claims", "check"),
    ("broadsheet.incremental.rebuild", "Rebuild.bodies_only"),
    ("broadsheet.build.render", "render_pages"),
    ("broadsheet.build.write", "put_generated"),
    ("broadsheet.outputs.search", "search_outputs"),
    ("broadsheet.incremental.cache", "_last_search_index"),
    ("broadsheet.build.write", "OutputWriter.commit"),
    ("broadsheet.incremental.rebuild", "Rebuild.finish"),
    ("broadsheet.incremental.cache", "save"),
    ("broadsheet.build.pipeline", "build"),
)


def watch(module_name: str, qualified: str, totals: dict[str, float], calls: collections.Counter) -> None:
    """Replace the function where it is looked up (its module or class) by one that adds up its CPU time."""
    owner: object = importlib.import_module(module_name)
    *path, name = qualified.split(".")
    for part in path:
        owner = getattr(owner, part)
    function: Callable = getattr(owner, name)

    @functools.wraps(function)
    def timed(*args, **kwargs):
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            totals[qualified] += time.process_time() - started
            calls[qualified] += 1

    setattr(owner, name, timed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("site", type=Path)
    parser.add_argument("--edit", action="store_true", help="append a sentence to the fixed article first")
    args = parser.parse_args()
    if args.edit:
        edit(args.site, time.time_ns())
    totals: dict[str, float] = collections.defaultdict(float)
    calls: collections.Counter = collections.Counter()
    for module_name, qualified in WATCHED:
        watch(module_name, qualified, totals, calls)
    from broadsheet import cli

    code = cli.main(["build", "--site", str(args.site), "--quiet"])  # in this process: no early end
    for _, qualified in WATCHED:
        print(f"{qualified:32} {totals[qualified] * 1000:7.0f} ms  x{calls[qualified]}")
    print(f"{'process total':32} {time.process_time() * 1000:7.0f} ms  (exit {code})")


if __name__ == "__main__":
    main()
