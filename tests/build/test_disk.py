"""When the disk says no: a full disk, and a build cache that cannot be saved. One line
each, never a traceback, nothing temporary left behind, the last good output as it was,
and the next build works once there is room again."""

from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

import pytest

from conftest import SETTINGS, article, copy_demo, run_cli, tree_bytes, write_tree


@pytest.fixture
def small_disk(tmp_path):
    """A real file system of 6 MiB (tmpfs), mounted for the test: needs root, as CI has."""
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs (CI runs as root)")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(disk)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    yield disk
    subprocess.run(["umount", str(disk)], check=False)


def fill(disk: Path) -> Path:
    """Take every byte left on the disk; returns the file that holds them."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 65536)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return filler


def leftovers(disk: Path) -> list[str]:
    """Anything a build leaves beside its output or in a cache folder but the output, its two
    trees, their record and the lock its render workers share while they write, and the caches."""
    found = [p.name for p in disk.iterdir() if p.name not in ("out", ".out.trees", "filler", ".broadsheet")]
    trees = disk / ".out.trees"
    kept = ("a", "b", "state.json", "writers.lock")
    found += [p.name for p in trees.iterdir() if p.name not in kept] if trees.is_dir() else []
    return found + [p.name for p in (disk / ".broadsheet").rglob("*.tmp")]


def test_a_full_disk_is_one_line_and_leaves_the_last_output(small_disk, tmp_path):
    site = copy_demo(tmp_path / "demo")
    out = small_disk / "out"
    assert run_cli("build", "--site", site, "--output", out).code == 0
    before = tree_bytes(out)
    story = next((site / "content").rglob("*.md"))
    story.write_text(story.read_text() + "\nOne more paragraph, long enough to change the page.\n")
    filler = fill(small_disk)

    result = run_cli("build", "--site", site, "--output", out)
    assert result.code == 1
    assert "No space left on device" in result.err and "Traceback" not in result.err
    assert tree_bytes(out) == before
    assert leftovers(small_disk) == []

    filler.unlink()  # room again: the next build works and equals a clean one
    assert run_cli("build", "--site", site, "--output", out).code == 0
    assert run_cli("build", "--site", site, "--output", tmp_path / "clean", "--no-cache").code == 0
    assert tree_bytes(out) == tree_bytes(tmp_path / "clean")


def test_a_first_build_on_a_full_disk_leaves_nothing(small_disk, tmp_path):
    site = copy_demo(tmp_path / "demo")
    fill(small_disk)
    result = run_cli("build", "--site", site, "--output", small_disk / "out", "--no-cache")
    assert result.code == 1
    assert "No space left on device" in result.err and "Traceback" not in result.err
    assert (
        leftovers(small_disk) == [] and not (small_disk / "out").exists() and not (small_disk / ".out.trees").exists()
    )


def test_a_cache_that_cannot_be_saved_is_a_warning(make_site):
    site = make_site({"content/a.md": article("A", "2025-06-19")})
    (site / ".broadsheet").write_text("a file where the cache folder goes\n")
    result = run_cli("build", "--site", site)
    assert result.code == 0, result.err
    assert "warning: the build cache was not saved, so the next build starts afresh" in result.err
    assert "Traceback" not in result.err
    assert (site / "site/index.html").is_file()
    assert [p.name for p in site.iterdir() if p.name.endswith(".tmp")] == []


def test_a_cache_on_a_full_disk_is_a_warning_and_leaves_nothing(small_disk, tmp_path):
    """The cache lives in the site folder: a site on a full disk builds into an output
    elsewhere, warns that the cache was not saved, and leaves no temporary file."""
    site = write_tree(small_disk / "site", {"broadsheet.yaml": SETTINGS, "content/a.md": article("A", "2025-06-19")})
    out = tmp_path / "out"
    assert run_cli("build", "--site", site, "--output", out).code == 0
    (site / "content/a.md").write_text(article("A, changed", "2025-06-19"))
    filler = fill(small_disk)
    result = run_cli("build", "--site", site, "--output", out)
    assert result.code == 0, result.err
    assert "warning: the build cache was not saved" in result.err and "No space left on device" in result.err
    assert "Traceback" not in result.err and "A, changed" in (out / "index.html").read_text()
    assert [p.name for p in (site / ".broadsheet").rglob("*.tmp")] == []
    filler.unlink()
    again = run_cli("build", "--site", site, "--output", out)
    assert again.code == 0 and again.err == ""


def test_a_read_only_output_is_one_line_and_left_as_it_was(small_disk, tmp_path):
    site = copy_demo(tmp_path / "demo")
    out = small_disk / "out"
    assert run_cli("build", "--site", site, "--output", out, "--no-cache").code == 0
    before = tree_bytes(out)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    story = next((site / "content").rglob("*.md"))
    story.write_text(story.read_text() + "\nA late correction.\n")
    result = run_cli("build", "--site", site, "--output", out, "--no-cache")
    assert result.code == 1
    assert "Read-only file system" in result.err and "Traceback" not in result.err
    assert tree_bytes(out) == before
