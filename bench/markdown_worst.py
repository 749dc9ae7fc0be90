"""The worst Markdown we know for Python-Markdown, timed three ways.

    python bench/markdown_worst.py [--limit 30] [--only NAME ...]

For each input:
- unbounded: MarkdownRenderer.convert with no time budget (as before markdown.timeout), in a
  child process stopped after --limit seconds (">30 s"), or what it raised;
- build: a real `broadsheet build` of a site holding that one article, default settings
  (markdown.timeout 5 s): wall time of the whole process and its outcome;
- imported: the input through the importer's clean_markdown (sanitise and defuse), then
  converted: the time of each step.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PARAGRAPH = (
    "The council met on *Tuesday* to discuss the [harbour plan](https://example.org/plan), "
    "which **residents** say has been delayed for years (again). " * 4
)


def cases() -> dict[str, str]:
    return {
        "20 KB of '['": "[" * 20_000,
        "5,000 '[a '": "[a " * 5_000,
        "5,000 '[a]('": "[a](" * 5_000,
        "20,000 nested '*'": "*" * 20_000 + "a" + "*" * 20_000,
        "5,000 '*a _a '": "*a _a " * 5_000,
        "list 3,000 deep": "".join("  " * depth + "- x\n" for depth in range(3_000)),
        "quote 3,000 deep": ">" * 3_000 + " x\n",
        "table 20,000 rows": "|a|b|\n|-|-|\n" + "|x|y|\n" * 20_000,
        "9 MiB of prose": "\n\n".join([PARAGRAPH] * (9 * 1024 * 1024 // (len(PARAGRAPH) + 2))),
    }


def unbounded(name: str) -> None:
    """Child process: convert one case with no budget, print the seconds or the error."""
    from broadsheet.build.markup import MarkdownRenderer

    text = cases()[name]
    start = time.perf_counter()
    try:
        MarkdownRenderer().convert(text, "content")
    except RecursionError:
        print(f"RecursionError after {time.perf_counter() - start:.2f} s")
        return
    print(f"{time.perf_counter() - start:.2f} s")


def run_unbounded(name: str, limit: float) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--child", name], capture_output=True, text=True, timeout=limit, env=env
        )
    except subprocess.TimeoutExpired:
        return f"> {limit:g} s (stopped)"
    return done.stdout.strip() or done.stderr.strip().splitlines()[-1]


def run_build(name: str) -> str:
    with tempfile.TemporaryDirectory() as folder:
        site = Path(folder)
        (site / "content").mkdir()
        (site / "broadsheet.yaml").write_text("title: Bench\nbase_url: https://example.org/\n")
        (site / "content/x.md").write_text("---\ntitle: Worst\ndate: 2025-06-19\n---\n" + cases()[name])
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "broadsheet", "build", "--site", str(site), "--quiet"],
            capture_output=True,
            text=True,
            env=env,
        )
        took = time.perf_counter() - start
    outcome = "ok" if done.returncode == 0 else (done.stderr.strip().splitlines() or ["?"])[0].split(": ", 2)[-1][:60]
    return f"{took:.2f} s, exit {done.returncode}: {outcome}"


def run_imported(name: str) -> str:
    from broadsheet.build.markup import MarkdownRenderer
    from broadsheet.importer.markdown import clean_markdown

    start = time.perf_counter()
    text = clean_markdown(cases()[name])
    cleaned = time.perf_counter() - start
    start = time.perf_counter()
    try:
        MarkdownRenderer().convert(text, "content")
        result = f"{time.perf_counter() - start:.2f} s"
    except RecursionError:
        result = "RecursionError"
    return f"clean {cleaned:.2f} s, convert {result}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=float, default=30.0, help="seconds an unbounded conversion may run")
    parser.add_argument("--only", nargs="*", help="names of cases (a word of each suffices)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        unbounded(args.child)
        return
    sys.path.insert(0, str(REPO))
    names = [n for n in cases() if not args.only or any(word in n for word in args.only)]
    for name in names:
        print(name, flush=True)
        print(f"  unbounded  {run_unbounded(name, args.limit)}", flush=True)
        print(f"  build      {run_build(name)}", flush=True)
        print(f"  imported   {run_imported(name)}", flush=True)


if __name__ == "__main__":
    main()
