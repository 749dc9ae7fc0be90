"""The demo digest in the repository builds and shows what the README promises."""

import subprocess
import sys

from conftest import REPO, copy_demo, tree_bytes
from linkcheck import broken_links


def test_demo_builds_with_python_build_py(tmp_path):
    site = copy_demo(tmp_path / "demo")
    result = subprocess.run(
        [sys.executable, str(REPO / "build.py"), "--site", str(site)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Built 27 articles into")
    out = site / "site"
    first = tree_bytes(out)
    assert broken_links(out, "https://example.org", "/") == []

    editions = sorted(p.parent.relative_to(out).as_posix() for p in out.glob("2025/06/??/index.html"))
    assert len(editions) >= 4
    assert len(list((out / "sections").glob("*/index.html"))) >= 3
    assert len(list((out / "sources").glob("*/index.html"))) >= 5
    everything = "".join(p.read_text() for p in out.rglob("*.html"))
    assert 'lang="ru"' in everything
    assert "Putin" in everything and "5% of GDP" in everything and "The Moscow Times" in everything
    assert "Pressure grows in Brussels" not in everything  # the draft stays out
    assert list(out.glob("2025/06/*/*/*.svg")), "the bundle's own image is published beside its page"

    result = subprocess.run(
        [sys.executable, str(REPO / "build.py"), "--site", str(site)], capture_output=True, text=True
    )
    assert result.returncode == 0 and tree_bytes(out) == first
