"""A build where the POSIX-only calls are not to be had (as on Windows): no os.sync, no
SIGALRM timer, no fcntl locks, no O_NOFOLLOW, no fork. Each is taken away in a subprocess
before Broadsheet is imported, so the build runs its own fallbacks, and must give the same
bytes as a build that had them all."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import article, tree_bytes

REPO = Path(__file__).resolve().parents[2]
WITHOUT_POSIX = """
import multiprocessing, os, signal, sys
del os.sync, os.O_NOFOLLOW, signal.setitimer, signal.SIGALRM
sys.modules["fcntl"] = None  # import fcntl raises ImportError, as on Windows
multiprocessing.get_all_start_methods = lambda: ["spawn"]
from broadsheet.cli import main
sys.exit(main(sys.argv[1:]))
"""
STORIES = 70  # over write.FSYNC_UP_TO files changed, where a POSIX build syncs the whole system


def _build(site: Path, out: Path, *prelude: str) -> subprocess.CompletedProcess[str]:
    code = WITHOUT_POSIX if prelude else "import sys; from broadsheet.cli import main; sys.exit(main(sys.argv[1:]))"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-c", code, "build", "--site", site, "--output", out],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_a_build_without_the_posix_calls_gives_the_same_site(make_site, tmp_path):
    site = make_site(
        {
            f"content/news/story-{n}.md": article(f"Story {n}", f"2025-06-{1 + n % 28:02d}T09:00:00Z")
            for n in range(STORIES)
        }
    )
    plain = _build(site, tmp_path / "plain")
    assert plain.returncode == 0, plain.stderr
    for attempt in ("first", "again"):  # a new output, then one whose trees exist
        portable = _build(site, tmp_path / "portable", "without posix")
        assert portable.returncode == 0, (attempt, portable.stderr)
        assert "Traceback" not in portable.stderr
    assert tree_bytes(tmp_path / "portable") == tree_bytes(tmp_path / "plain")
