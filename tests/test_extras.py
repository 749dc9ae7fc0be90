"""Broadsheet installed from its wheel without the `import` extra (the `standalone` fixture of
tests/standalone.py): every command but `import` works, and `import` says which extra to install."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from standalone import Standalone

EXTRA_ONLY = ("trafilatura", "feedparser", "nh3", "markdownify", "htmldate", "dateparser", "lxml", "justext")


def _without_pythonpath() -> dict[str, str]:
    """The wheel's code, not the repository's (which would also pass for installed)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def _cli(installed: Standalone, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [installed.bin / "broadsheet", *args],
        cwd=cwd,
        env=_without_pythonpath(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_without_the_import_extra_none_of_its_packages_is_installed(standalone):
    python = standalone.bin / "python"
    found = subprocess.run(
        [python, "-c", f"import importlib.util as u; print([m for m in {EXTRA_ONLY!r} if u.find_spec(m)])"],
        env=_without_pythonpath(), capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert found.stdout.strip() == "[]"


def test_every_command_but_import_works_without_the_import_extra(standalone, tmp_path):
    for args in (["init", "paper"], ["new", "First story"], ["build"], ["check"], ["drafts"]):
        cwd = tmp_path if args[0] == "init" else tmp_path / "paper"
        result = _cli(standalone, cwd, *args)
        assert result.returncode == 0, (args, result.stderr)
        assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["import", "story.txt"], ["import", "--subscriptions"]])
def test_import_without_its_extra_names_the_extra_in_one_line(standalone, tmp_path, args):
    assert _cli(standalone, tmp_path, "init", "paper").returncode == 0
    site = tmp_path / "paper"
    (site / "story.txt").write_text("A headline\n\nA first paragraph of the story.\n", encoding="utf-8")
    result = _cli(standalone, site, *args)
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert (
        line.startswith("broadsheet: error: import needs the 'import' extra")
        and "pip install 'broadsheet[import]'" in line
    )
