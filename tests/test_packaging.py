"""The distributions as a package index and its users get them: the sdist and the wheel
built from this tree by `python -m build` (the standard front end, in an isolated
environment, as a release is built), then looked into as archives."""

from __future__ import annotations

import email.parser
import os
import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest
import readme_renderer.markdown
from selectolax.lexbor import LexborHTMLParser

import broadsheet

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # Run from the output folder and without PYTHONPATH: where the repository is on the path,
    # `-m build` would find the demo's build.py.
    result = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(REPO)],
        cwd=out,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out


def _wheel(dist: Path) -> zipfile.ZipFile:
    (path,) = dist.glob("broadsheet-*.whl")
    return zipfile.ZipFile(path)


def _sdist_names(dist: Path) -> dict[str, bytes]:
    (path,) = dist.glob("broadsheet-*.tar.gz")
    with tarfile.open(path) as sdist:
        return {
            member.name.split("/", 1)[1]: sdist.extractfile(member).read()
            for member in sdist.getmembers()
            if member.isfile() and "/" in member.name
        }


def _metadata(wheel: zipfile.ZipFile) -> email.message.Message:
    (name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    return email.parser.BytesParser().parsebytes(wheel.read(name))


def test_the_license_is_in_the_repository_the_wheel_and_the_sdist(dist):
    license_text = (REPO / "LICENSE").read_bytes()
    assert license_text.startswith(b"MIT License\n")
    wheel = _wheel(dist)
    assert [wheel.read(n) for n in wheel.namelist() if n.endswith(".dist-info/licenses/LICENSE")] == [license_text]
    assert _metadata(wheel)["License-Expression"] == "MIT"
    sdist = _sdist_names(dist)
    assert sdist["LICENSE"] == license_text
    assert "CHANGELOG.md" in sdist and "README.md" in sdist  # the manual and the changes travel with the source


def test_the_wheel_marks_the_package_typed(dist):
    assert "broadsheet/py.typed" in _wheel(dist).namelist()


def test_the_installed_wheel_says_the_version_its_metadata_says(dist, standalone, tmp_path):
    """One source for the version: the wheel's metadata, `broadsheet --version` of the
    installed wheel and broadsheet.__version__ in this tree all agree."""
    result = subprocess.run(
        [str(standalone.bin / "broadsheet"), "--version"],
        cwd=tmp_path,
        env=standalone.env(),
        capture_output=True,
        text=True,
        check=False,
    )
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "version" not in project and "version" in project["dynamic"]  # read from broadsheet/__init__.py
    version = _metadata(_wheel(dist))["Version"]
    assert result.stdout.strip() == f"broadsheet {version}", result.stderr
    assert version == broadsheet.__version__


def test_the_long_description_renders_on_a_package_index(dist):
    """What a package index shows: the metadata's description, rendered by readme_renderer
    (PyPI's own renderer), as Markdown; nothing in it may point at a file of the repository,
    which an index page has no copy of, and it starts with how to install."""
    metadata = _metadata(_wheel(dist))
    assert metadata["Description-Content-Type"].startswith("text/markdown")
    description = metadata.get_payload()
    html = readme_renderer.markdown.render(description)
    assert html, "the description does not render"
    root = LexborHTMLParser(html).root
    assert root is not None
    ids = {node.attributes.get("id") for node in root.traverse()}
    for node in root.traverse():
        for name in ("href", "src"):
            target = node.attributes.get(name)
            if target is None or (target.startswith("#") and target[1:] in ids):  # a heading's own anchor
                continue
            assert re.match(r"https://", target), f"<{node.tag} {name}={target!r}> does not work on an index page"
    install = description.index("pip install broadsheet")
    assert "make" not in description.split()  # `make` is for contributors, in README.md
    assert description.index("## ") <= install < description.index("broadsheet init")
