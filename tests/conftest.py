"""Tests build real little sites in temporary folders from inline file trees."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import textwrap
from dataclasses import dataclass
from pathlib import Path

import hypothesis
import pytest

from broadsheet.cli import main

from standalone import standalone  # noqa: F401  (a session fixture: the wheel installed in a fresh venv)

REPO = Path(__file__).resolve().parent.parent

# The tests press Ctrl-C on the commands they start. A suite started in the background of a
# script (`make test &`) begins with SIGINT ignored, which every child inherits, and Python
# leaves an ignored SIGINT ignored: those commands would never see the Ctrl-C. A handler of
# our own is reset to the default in each child, so the children get Ctrl-C as a terminal's.
signal.signal(signal.SIGINT, signal.default_int_handler)

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


def tree_bytes(folder: Path) -> dict[str, bytes]:
    """Every file below a folder, by relative path: for comparing whole outputs."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module (modules call browser.require_browser() first)."""
    from browser import chromium

    with chromium() as chromium_browser:
        yield chromium_browser
