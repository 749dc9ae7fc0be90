"""A real site (`broadsheet init`) and a real bare git repository to publish it to over file://,
with `git` itself to read what landed there."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import run_cli

needs_git = pytest.mark.skipif(
    shutil.which("git") is None, reason="git is not installed: install it (apt-get install git) to test the git target"
)


def git(*args: str | Path, cwd: Path | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    result = subprocess.run(["git", *map(str, args)], cwd=cwd, capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def bare_remote(path: Path) -> Path:
    git("init", "--bare", "--quiet", path)
    return path


def new_site(tmp_path: Path, publish: str) -> Path:
    """An init site whose links all resolve (its base_url is not the address its sample
    article links to), with `publish:` appended to its settings."""
    site = tmp_path / "digest"
    assert run_cli("init", site).code == 0
    settings = site / "broadsheet.yaml"
    text = settings.read_text(encoding="utf-8").replace(
        "base_url: https://example.org/", "base_url: https://digest.example.org/"
    )
    settings.write_text(text + publish, encoding="utf-8")
    return site


def git_target(remote: Path, name: str = "pages", **keys: str) -> str:
    lines = [
        f"  {name}:",
        "    type: git",
        f"    remote: {remote.as_uri()}",
        *(f"    {k}: {v}" for k, v in keys.items()),
    ]
    return "publish:\n" + "\n".join(lines) + "\n"


def tree(remote: Path, ref: str = "gh-pages") -> list[str]:
    return git("--git-dir", remote, "ls-tree", "-r", "--name-only", "-z", ref).split("\0")[:-1]


def refs(remote: Path) -> str:
    return git("--git-dir", remote, "for-each-ref", "--format=%(refname) %(objectname)")


def commits(remote: Path, ref: str = "gh-pages") -> int:
    return int(git("--git-dir", remote, "rev-list", "--count", ref))


def output_files(site: Path) -> dict[str, bytes]:
    out = (site / "site").resolve()
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def edit_body(site: Path) -> None:
    article = next((site / "content").rglob("*.md"))
    article.write_text(article.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")


def publish(site: Path, *args: str):
    return run_cli("publish", "--site", site, *args)
