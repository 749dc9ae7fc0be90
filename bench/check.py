"""How long `broadsheet check` takes on top of the build, on a generated corpus.

    python bench/check.py 1000 10000 [--repeat 3]

For each size N it writes the deterministic corpus (bench/corpus.py) into a temporary folder,
builds it once, then times the check of the output alone (reading every page and stylesheet,
resolving every link) --repeat times, and prints the median, min and max with the number of
pages and megabytes of HTML read, so the figures can be compared across sizes: the check
should grow linearly with the output.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from corpus import write_corpus  # noqa: E402

from broadsheet.check import check_output  # noqa: E402
from broadsheet.pipeline import BuildRequest, build  # noqa: E402


def measure(size: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix=f"broadsheet-check-{size}-") as folder:
        site = Path(folder)
        write_corpus(site, size)
        report = build(BuildRequest(site))
        if not report.ok or report.output is None:
            raise SystemExit(f"the {size}-article corpus did not build: {report.problems[:3]}")
        html = sum(p.stat().st_size for p in report.output.rglob("*.html"))
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            checked = check_output(report.output, report.base_url, report.sources)
            times.append(time.perf_counter() - started)
        print(
            f"{size} articles: {checked.pages} pages, {html / 1e6:.1f} MB of HTML, {len(checked.problems)} problems; "
            f"check median {statistics.median(times):.2f} s  min {min(times):.2f}  max {max(times):.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", type=int, nargs="+")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for size in args.sizes:
        measure(size, args.repeat)


if __name__ == "__main__":
    main()
