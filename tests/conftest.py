"""Tests build real little sites in temporary folders from inline file trees."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import hypothesis
import pytest

from broadsheet.cli import main
from broadsheet.incremental.articles import SETTLE_NS

from standalone import standalone  # noqa: F401  (a session fixture: the wheel installed in a fresh venv)

REPO = Path(__file__).resolve().parent.parent

# The tests press Ctrl-C on the commands they start. A suite started in the background of a
# script (`make test &`) begins with SIGINT ignored, which every child inherits, and Python
# leaves an ignored SIGINT ignored: those commands would never see the Ctrl-C. A handler of
# our own is reset to the default in each child, so the children get Ctrl-C as a terminal's.
signal.signal(signal.SIGINT, signal.default_int_handler)

# The tests' temporary folders go to memory (/dev/shm, a tmpfs) unless TMPDIR names a place:
# the suite writes, fsyncs and deletes tens of thousands of small files, and on this
# machine's disk (ext4) those calls took nearly half of test_incremental.py's time. They
# are the same files and the same calls on tmpfs, only without the disk. Set at import, so
# before pytest makes its base folder and before any test starts a command (which inherits it).
MEMORY_TMP = Path("/dev/shm")


def _temporary_folders_in_memory() -> None:
    if os.environ.get("TMPDIR") or not MEMORY_TMP.is_dir() or not os.access(MEMORY_TMP, os.W_OK):
        return
    if shutil.disk_usage(MEMORY_TMP).free < 4 << 30:  # a small /dev/shm (a container's 64 MB) is no place for it
        return
    if os.statvfs(MEMORY_TMP).f_flag & os.ST_NOEXEC:  # containers mount it noexec: the wheel's venv could not run there
        return
    folder = MEMORY_TMP / f"broadsheet-tests-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    os.environ["TMPDIR"] = str(folder)
    tempfile.tempdir = None  # gettempdir() asks again


_temporary_folders_in_memory()

# The property tests' example counts are for `make test`, which must stay within ten
# minutes on two cores; `PROPERTY_SCALE=5 make test` runs five times as many (a long, thorough run).
PROPERTY_SCALE = float(os.environ.get("PROPERTY_SCALE") or 1)


def examples(count: int) -> int:
    """How many examples a property test runs: its count for `make test`, scaled."""
    return max(1, round(count * PROPERTY_SCALE))


# No property test has a time limit: Hypothesis's default (200 ms an example) fails a test
# when the shared machine pauses it (an example of test_xml took 499 ms once in CI and 0.3 ms
# when replayed), and speed is measured by bench/, never asserted.
hypothesis.settings.register_profile("broadsheet", deadline=None)
hypothesis.settings.load_profile("broadsheet")


SETTINGS = """\
title: Test Digest
base_url: https://example.org/
timezone: Europe/London
"""


def article(title: str, date: str, body: str = "Body text.", **keys: str) -> str:
    """A small article file; extra keys are written as given (YAML values)."""
    lines = [f"title: {title}", f"date: {date}", *(f"{k}: {v}" for k, v in keys.items())]
    return "---\n" + "\n".join(lines) + "\n---\n" + body + "\n"


def stories(count: int, desks: int = 3) -> dict[str, str]:
    """`count` small articles over `desks` sections, five tags (and one in Cyrillic shared
    by all) and nine days: enough pages for a build to start worker processes."""
    return {
        f"content/s{i % desks}/a{i}.md": article(
            f"Story {i}", f"2025-06-{10 + i % 9} 1{i % 10}:00", tags=f"[T{i % 5}, Шесть]"
        )
        for i in range(count)
    }


DEMO_FILES = ("content", "templates", "broadsheet.yaml")


def copy_demo(dest: Path) -> Path:
    """A copy of the repository's demo digest (its inputs only) in dest; returns dest."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in DEMO_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, dest / name)
        else:
            shutil.copy(source, dest / name)
    return dest


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(textwrap.dedent(data) if data.startswith("\n") else data, encoding="utf-8")
    return root


@dataclass
class Run:
    code: int
    out: str
    err: str


def run_cli(*args: str | Path, default_command: str | None = None) -> Run:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args], default_command=default_command)
        except SystemExit as exc:  # argparse exits on usage errors
            code = exc.code if isinstance(exc.code, int) else 1
    return Run(code, out.getvalue(), err.getvalue())


@pytest.fixture
def make_site(tmp_path: Path):
    """make_site({"content/a.md": "...", ...}) -> the site folder, with default settings."""

    def make(files: dict[str, str | bytes], settings: str | None = SETTINGS) -> Path:
        site = tmp_path / "site-src"
        site.mkdir(exist_ok=True)
        if settings is not None:
            files = {"broadsheet.yaml": settings, **files}
        return write_tree(site, files)

    return make


# Changes made by hand to a live output tree, each of which the next build must see and put
# right (a file edited, deleted, added; a folder added; a file made a folder; a rename), by name.
HAND_CHANGES: dict[str, Callable[[Path], object]] = {
    "edited": lambda live: (live / "index.html").write_text("edited by hand"),
    "deleted": lambda live: (live / "tags/index.html").unlink(),
    "added": lambda live: (live / "stray.html").write_text("added by hand"),
    "added-below": lambda live: (live / "tags/stray.html").write_text("added by hand"),
    "folder-added": lambda live: (live / "tags/empty").mkdir(),
    "file-to-folder": lambda live: ((live / "tags/index.html").unlink(), (live / "tags/index.html").mkdir()),
    "renamed": lambda live: os.rename(live / "tags/index.html", live / "tags/moved.html"),
}


def tree_bytes(folder: Path) -> dict[str, bytes]:
    """Every file below a folder, by relative path: for comparing whole outputs."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module (modules call browser.require_browser() first)."""
    from browser import chromium

    with chromium() as chromium_browser:
        yield chromium_browser


class SettledTrees:
    """Folders of files older than the build's racy-clean margin (SETTLE_NS), as a site's
    files are in real use: a build then trusts their stamps. Made a batch at a time and
    handed out one each, so that one wait of 2.2 s serves a batch rather than one test
    (those waits were a minute of the suite). `files` is a function that returns the tree,
    the key of its batch."""

    BATCH = 6

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self._factory = factory
        self._ready: dict[Callable[[], dict], list[Path]] = {}
        self._settled_at: dict[Callable[[], dict], float] = {}

    def take(self, files: Callable[[], dict]) -> Path:
        pool = self._ready.setdefault(files, [])
        if not pool:
            pool.extend(write_tree(self._factory.mktemp("settled") / "site-src", files()) for _ in range(self.BATCH))
            self._settled_at[files] = time.monotonic() + SETTLE_NS / 1e9 + 0.2
        time.sleep(max(0.0, self._settled_at[files] - time.monotonic()))  # nothing once the batch is old enough
        return pool.pop()


@pytest.fixture(scope="session")
def settled_trees(tmp_path_factory) -> SettledTrees:
    return SettledTrees(tmp_path_factory)


def real_articles(site: Path, base_url: str | None = None) -> tuple:
    """The settings and the articles a build of `site` reads, by the stages' own public
    functions (for tests that make a model of their own)."""
    from broadsheet.build import config, content, scan
    from broadsheet.build.markup import MarkdownRenderer

    settings, problems = config.load_settings(site, base_url)
    assert problems == []
    sources, _ = scan.scan_content(site)
    parse = content.ParseSettings(settings.timezone, settings.words_per_minute)
    renderer = MarkdownRenderer()
    return settings, [content.parse(s, content.read_bytes(s), parse, renderer)[0] for s in sources]
