"""Whole-process build times: `broadsheet build` run as a child process, on a generated corpus.

    python bench/build.py 1000 10000 [--repeat 3]

For each size N it writes the deterministic corpus (bench/corpus.py) into a temporary folder
and times three kinds of build, each run as `python -m broadsheet build --site DIR --quiet`
(without --quiet where this Broadsheet does not accept it yet):

- cold: DIR/site and the build cache DIR/.broadsheet/cache removed before every run;
- no change: the output and the cache of the previous build are there, nothing changed;
- body edit: one fixed article gets a sentence appended, then a build.

The cold builds run with -v instead of --quiet, and the stage lines of the median one are
printed under its row: each stage's seconds and the peak resident memory so far of the
build process and of its largest worker.

It prints the median, min and max wall time, the median CPU time (user + sys of the child
and the workers it waited for: less disturbed by the machine's other load) and the child's
peak resident memory (ru_maxrss of the child, read with os.wait4), so interpreter start-up
and imports are counted too. Where the build uses worker processes, ru_maxrss is that of the
largest single process, not the sum.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import write_corpus

CACHE_DIRS = (".broadsheet/cache", ".broadsheet-cache")  # today's, and where older versions kept it
LEFTOVERS = ("site", *CACHE_DIRS, ".site.trees")  # the output is a link to one of two trees


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_kib: int
    cpu: float = 0.0  # user + sys seconds of the child and the workers it waited for
    output: str = ""  # what it printed (stdout and stderr)


def run_child(command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> Run:
    """Run a command to its end; its wall time, peak RSS and CPU time. Raises if it fails."""
    with tempfile.TemporaryFile() as printed:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, env=env, stdout=printed, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        printed.seek(0)
        output = printed.read().decode(errors="replace")
        if child.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} exited with {child.returncode}:\n{output[-2000:]}")
    return Run(seconds, usage.ru_maxrss, usage.ru_utime + usage.ru_stime, output)  # KiB on Linux


def broadsheet_command(site: Path, verbose: bool = False) -> list[str]:
    command = [sys.executable, "-m", "broadsheet", "build", "--site", str(site)]
    if verbose:
        return command + ["-v"]
    return command + ["--quiet"] if accepts_quiet() else command


_QUIET: list[bool] = []


def accepts_quiet() -> bool:
    """Whether this Broadsheet's `build` takes --quiet (asked once, from its --help)."""
    if not _QUIET:
        help_text = subprocess.run(
            [sys.executable, "-m", "broadsheet", "build", "--help"], capture_output=True, text=True, check=True
        ).stdout
        _QUIET.append("--quiet" in help_text)
    return _QUIET[0]


def broadsheet_version() -> str:
    result = subprocess.run([sys.executable, "-m", "broadsheet", "--version"], capture_output=True, text=True)
    return result.stdout.strip() or result.stderr.strip()


def clear_build_state(site: Path) -> None:
    """Remove the output, the build cache and the output's trees: the next build is cold."""
    for name in LEFTOVERS:
        path = site / name
        if path.is_symlink():
            path.unlink()
        else:
            shutil.rmtree(path, ignore_errors=True)


def cold_build(site: Path, verbose: bool = False) -> Run:
    clear_build_state(site)
    return run_child(broadsheet_command(site, verbose))


def warm_build(site: Path) -> Run:
    return run_child(broadsheet_command(site))


def edited_article(site: Path) -> Path:
    """The fixed article the body edit appends to: the middle one of the world section."""
    articles = sorted((site / "content/world").glob("*.md"))
    return articles[len(articles) // 2]


def body_edit_build(site: Path, n: int) -> Run:
    article = edited_article(site)
    with article.open("a", encoding="utf-8") as file:
        file.write(f"\nAn added sentence for the benchmark, number {n}.\n")
    return run_child(broadsheet_command(site))


def repeat(action: Callable[[int], Run], times: int) -> list[Run]:
    return [action(i) for i in range(times)]


def seconds(value: float) -> str:
    return f"{value:7.2f} s"


def figures(runs: list[Run]) -> tuple[float, float, float, float]:
    """Median, min and max seconds, and the peak memory in MiB, of a set of runs."""
    times = [run.seconds for run in runs]
    return statistics.median(times), min(times), max(times), max(run.peak_kib for run in runs) / 1024


def table_row(n: int, name: str, runs: list[Run]) -> str:
    median, low, high, peak_mib = figures(runs)
    cpu = statistics.median(run.cpu for run in runs)
    return f"{n:>8}  {name:<10} {seconds(median)} {seconds(low)} {seconds(high)} {seconds(cpu)} {peak_mib:8.0f} MiB"


def stage_lines(runs: list[Run]) -> str:
    """The -v stage lines of the run with the median wall time (the lower middle one)."""
    middle = sorted(runs, key=lambda run: run.seconds)[(len(runs) - 1) // 2]
    lines = [line for line in middle.output.splitlines() if line.startswith("  ")]
    return "\n".join(f"{'':>8}  {line}" for line in lines)


def table_header() -> str:
    return f"{'articles':>8}  {'build':<10} {'median':>9} {'min':>9} {'max':>9} {'CPU':>9} {'peak RSS':>12}"


def output_size(site: Path) -> str:
    files = [path for path in (site / "site").rglob("*") if path.is_file()]
    total = sum(path.stat().st_size for path in files) / 2**20
    return f"{len(files)} files, {total:.0f} MiB"


def measure(n: int, times: int) -> None:
    with tempfile.TemporaryDirectory(prefix="broadsheet-bench-") as tmp:
        site = Path(tmp) / "site-src"
        write_corpus(site, n)
        cold = repeat(lambda i: cold_build(site, verbose=True), times)
        print(table_row(n, "cold", cold), flush=True)
        print(stage_lines(cold), flush=True)
        print(table_row(n, "no change", repeat(lambda i: warm_build(site), times)), flush=True)
        print(table_row(n, "body edit", repeat(lambda i: body_edit_build(site, i), times)), flush=True)
        print(f"{'':>8}  output: {output_size(site)}", flush=True)


def describe_machine() -> str:
    return (
        f"{broadsheet_version()}, Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=[1000], help="corpus sizes (default: 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each kind of build (default: 3)")
    args = parser.parse_args()
    print(describe_machine())
    command = " ".join(broadsheet_command(Path("DIR")))
    print(f"whole process: {command} (cold: -v instead of --quiet); {args.repeat} runs of each")
    print(table_header(), flush=True)
    for n in args.sizes:
        measure(n, args.repeat)


if __name__ == "__main__":
    main()
