"""`broadsheet build -v` prints, per stage, the peak resident memory so far of the build
process and of the worker processes it has waited for: measured here against what the
kernel says of the whole process from outside (os.wait4)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, article

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="no getrusage on Windows: no memory column")

MAXRSS_BYTES = 1 if sys.platform == "darwin" else 1024
ROW = re.compile(r"  (\S+) +\d+\.\d{3} s +(\d+) MiB +(?:(\d+) MiB|-)")


def run_measured(args: list[str], out: Path) -> tuple[int, str, float]:
    """Run a Python child; its exit code, output, and peak resident memory in MiB as the
    kernel gives it to the parent that waits for it (the child's and its own children's).
    On Linux a process's peak starts at what its parent held when it exec'd: the same
    for both children here, so their figures stay comparable."""
    with out.open("w") as sink:
        process = subprocess.Popen([sys.executable, *args], cwd=REPO, stdout=sink, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, out.read_text(), usage.ru_maxrss * MAXRSS_BYTES / 2**20


def test_verbose_prints_the_peak_memory_of_each_stage(make_site, tmp_path):
    # 130 articles: two parse workers on two cores (content.PARALLEL_FROM is 64)
    files = {f"content/s{i % 3}/a{i}.md": article(f"Story {i}", f"2025-06-{10 + i % 9} 12:00") for i in range(130)}
    site = make_site(files)
    _, _, at_start = run_measured(["-c", "import broadsheet.cli"], tmp_path / "imports.txt")

    code, out, whole = run_measured(["-m", "broadsheet", "build", "--site", str(site), "-v"], tmp_path / "out.txt")

    assert code == 0, out
    lines = out.splitlines()
    assert lines[1].split() == ["stage", "time", "peak", "build", "peak", "workers"]
    rows = [ROW.fullmatch(line) for line in lines[2:]]
    assert all(rows), lines[2:]
    stages = [row[1] for row in rows if row]
    assert stages == ["scan", "parse", "model", "routes", "render", "feeds", "write"]
    own = [int(row[2]) for row in rows if row]
    # at least what the process held once its modules were imported, never falling, never
    # more than the kernel's own figure for the whole process (1 MiB of rounding either way)
    assert own[0] >= at_start - 1 and own == sorted(own) and own[-1] <= whole + 1, (own, at_start, whole)
    workers = [row[3] for row in rows if row]
    assert workers[0] is None  # no worker before parsing
    if (os.cpu_count() or 1) >= 2:
        assert all(w is not None and 0 < int(w) <= whole + 1 for w in workers[1:]), (workers, whole)
