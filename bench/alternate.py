"""Two versions of Broadsheet, before and after a change, timed in turns on the same corpus.

    python bench/alternate.py 10000 --old OLD_CHECKOUT --new NEW_CHECKOUT [--rounds 9]
    python bench/alternate.py 10000 --old OLD_CHECKOUT --new NEW_CHECKOUT --sites OLD_SITE NEW_SITE --kinds "body edit"

On a shared, noisy machine one version's runs measured after the other's say little; here
each gets its own copy of the deterministic corpus (bench/corpus.py), one cold build, and
then the two run in turns (old-new, new-old, ...): `build --quiet` with nothing changed,
then with one fixed article's body edited before each run (the same edits in both copies).
Each run is a whole process with PYTHONPATH set to the checkout; it prints the median and
minimum wall time, the median CPU time (user + sys of the process and the workers it
waited for: less moved by other work on the machine than the wall time) and the peak RSS.
`--compiled`: both checkouts' modules compiled to bytecode first (`compileall`), as pip
leaves an installed copy; without it, where PYTHONDONTWRITEBYTECODE is set (as in the
helpers' sessions), every run compiles every module of the checkout from source (~0.1 s
of CPU at start-up, the same for both). `--each`: every run printed as it ends, and the median peak besides the largest. `--sites`: two copies of a corpus each version
has built already (its output and build cache in place; one site per version, as caches
of two versions do not mix), instead of a corpus written and built cold here; `--kinds`:
which of the two kinds of run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from build import edited_article

from corpus import write_corpus


def timed(checkout: Path, site: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak MiB of one `broadsheet build` of the site."""
    env = dict(os.environ, PYTHONPATH=str(checkout))
    command = [sys.executable, "-m", "broadsheet", "build", "--site", str(site), "--quiet"]
    started = time.perf_counter()
    # run from the checkout: `python -m` puts the current folder first on the path, before PYTHONPATH
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=checkout)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{checkout}: build failed:\n{child.stderr.read().decode(errors='replace')[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def edit(site: Path, number: int) -> None:
    with edited_article(site).open("a", encoding="utf-8") as file:
        file.write(f"\nAn added sentence for the benchmark, number {number}.\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("size", type=int)
    parser.add_argument("--old", type=Path, required=True, help="checkout of the version before")
    parser.add_argument("--new", type=Path, required=True, help="checkout of the version after")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--sites", type=Path, nargs=2, metavar=("OLD_SITE", "NEW_SITE"), help="built copies to use")
    parser.add_argument("--kinds", nargs="+", choices=("no change", "body edit"), default=("no change", "body edit"))
    parser.add_argument(
        "--compiled",
        action="store_true",
        help="compile both checkouts' modules to bytecode first, as an installed copy is (else, where "
        "PYTHONDONTWRITEBYTECODE is set, every run compiles them from source)",
    )
    parser.add_argument(
        "--each", action="store_true", help="print every run as it ends (wall, CPU, peak, load) and the peak's median"
    )
    args = parser.parse_args()
    checkouts = {"old": args.old.resolve(), "new": args.new.resolve()}
    for checkout in checkouts.values() if args.compiled else ():
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(checkout / "broadsheet")], check=True)
    with tempfile.TemporaryDirectory(prefix="broadsheet-alternate-") as tmp:
        sites = {name: Path(tmp) / name for name in checkouts}
        if args.sites:
            sites = dict(zip(checkouts, args.sites, strict=True))
        for name, site in sites.items() if not args.sites else ():
            write_corpus(site, args.size)
            timed(checkouts[name], site)  # the cold build that leaves output and cache
        for kind in args.kinds:
            runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in checkouts}
            for number in range(args.rounds):
                for name in ("old", "new") if number % 2 == 0 else ("new", "old"):
                    if kind == "body edit":
                        edit(sites[name], number)
                    runs[name].append(timed(checkouts[name], sites[name]))
                    if args.each:
                        wall, cpu, peak = runs[name][-1]
                        print(
                            f"{kind} {name}: wall {wall:.2f} s, CPU {cpu:.2f} s, peak {peak:.0f} MiB, load {os.getloadavg()[0]:.1f}"
                        )
            for name, found in runs.items():
                walls, cpus = [r[0] for r in found], [r[1] for r in found]
                print(
                    f"{args.size:>6}  {kind:<10} {name}: wall median {statistics.median(walls):5.2f} s (min {min(walls):5.2f}), "
                    f"CPU median {statistics.median(cpus):5.2f} s, peak {max(r[2] for r in found):4.0f} MiB"
                    + (f" (median {statistics.median(r[2] for r in found):4.0f})" if args.each else ""),
                    flush=True,
                )


if __name__ == "__main__":
    main()
