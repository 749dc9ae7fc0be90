"""A build where the POSIX-only calls are not to be had (as on Windows): no os.sync, no
SIGALRM timer, no fcntl locks, no O_NOFOLLOW, no pread, no fork. Each is taken away in a subprocess
before Broadsheet is imported, so the build runs its own fallbacks, and must give the same
bytes as a build that had them all. Where the output's link cannot be made at all (symbolic
links refused, as on Windows without Developer Mode, and no junctions, as anywhere but
Windows), the build says so in one line and leaves the last output as it was."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import article, tree_bytes

REPO = Path(__file__).resolve().parents[2]
WITHOUT_POSIX = """
import multiprocessing, os, signal, sys
del os.sync, os.O_NOFOLLOW, os.pread, signal.setitimer, signal.SIGALRM
sys.modules["fcntl"] = None  # import fcntl raises ImportError, as on Windows
multiprocessing.get_all_start_methods = lambda: ["spawn"]
from broadsheet.cli import main
sys.exit(main(sys.argv[1:]))
"""
LINKS_REFUSED = """
import errno, os, sys
def refused(*args, **kwargs):
    raise PermissionError(errno.EPERM, os.strerror(errno.EPERM), args[-1])
os.symlink = refused  # as on vfat, or on Windows without the privilege
sys.modules["_winapi"] = None  # no junctions either
from broadsheet.cli import main
sys.exit(main(sys.argv[1:]))
"""
PLAIN = "import sys; from broadsheet.cli import main; sys.exit(main(sys.argv[1:]))"
STORIES = 70  # over write.FSYNC_UP_TO files changed, where a POSIX build syncs the whole system


def _build(site: Path, out: Path, code: str = PLAIN) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-c", code, "build", "--site", site, "--output", out],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=out.parent,
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
        portable = _build(site, tmp_path / "portable", WITHOUT_POSIX)
        assert portable.returncode == 0, (attempt, portable.stderr)
        assert "Traceback" not in portable.stderr
    assert tree_bytes(tmp_path / "portable") == tree_bytes(tmp_path / "plain")


REFUSED = [
    "site: cannot make the output link here (symbolic links and junctions are refused): Operation not permitted",
    "Build failed: 1 error; the previous output was left as it was.",
]


def test_where_no_link_can_be_made_the_build_says_so_and_leaves_the_output(make_site, tmp_path):
    site = make_site({"content/news/one.md": article("One", "2025-06-01T09:00:00Z")})
    out = tmp_path / "site"
    first = _build(site, out, LINKS_REFUSED)  # no output yet: none is left half made
    assert (first.returncode, first.stderr.splitlines()) == (1, REFUSED)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site-src"]
    assert _build(site, out).returncode == 0
    before, link = tree_bytes(out), os.readlink(out)
    (site / "content/news/two.md").write_text(article("Two", "2025-06-02T09:00:00Z"), encoding="utf-8")
    refused = _build(site, out, LINKS_REFUSED)
    assert (refused.returncode, refused.stderr.splitlines()) == (1, REFUSED)
    assert (tree_bytes(out), os.readlink(out)) == (before, link)
    assert _build(site, out).returncode == 0  # where links work, the next build goes on as usual
    assert tree_bytes(out) != before
