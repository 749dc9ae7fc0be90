"""How long `broadsheet check` takes, and how much of it is the check itself.

    python bench/check.py 1000 10000 [--repeat 3]

For each size N it writes the deterministic corpus (bench/corpus.py) into a temporary folder,
builds it once, then times, each as a child process (so start-up and imports count, and the
peak memory is the child's own, read with os.wait4):

- check: `broadsheet check --quiet`, a no-change build followed by the check;
- check alone: the check of the built output without a build (`check_output`), to show it
  grows linearly with the output and what it adds to a build.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from build import output_size, run_child, table_header, table_row

from corpus import write_corpus

CHECK_ALONE = (
    "import sys; from pathlib import Path; from broadsheet.check.command import check_output; "
    "report = check_output(Path(sys.argv[1]), 'http://localhost:8000/', {}); "
    "sys.exit(1 if report.problems else 0)"
)


def measure(size: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix=f"broadsheet-check-{size}-") as folder:
        site = Path(folder)
        write_corpus(site, size)
        run_child([sys.executable, "-m", "broadsheet", "build", "--site", str(site), "--quiet"])
        print(f"{size} articles: output {output_size(site)}")
        whole = [
            run_child([sys.executable, "-m", "broadsheet", "check", "--site", str(site), "--quiet"])
            for _ in range(repeat)
        ]
        alone = [run_child([sys.executable, "-c", CHECK_ALONE, str(site / "site")]) for _ in range(repeat)]
        print(table_row(size, "check", whole))
        print(table_row(size, "alone", alone))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", type=int, nargs="+")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(table_header())
    for size in args.sizes:
        measure(size, args.repeat)


if __name__ == "__main__":
    main()
