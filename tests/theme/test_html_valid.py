"""Every page of the built demo passes the Nu Html Checker (vnu.jar from npm, run with Java)
with no errors: one run of the checker for all pages, as starting Java is the costly part."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from browser import NPM_CI, VNU, needs_file
from conftest import copy_demo, run_cli

# Marks on the test rather than a module-level skip, as in the browser tests: a check added
# here that needs neither the checker nor Java still runs without them.
needs_java = pytest.mark.skipif(
    shutil.which("java") is None, reason="java not found: apt-get install default-jre-headless"
)


@needs_file(VNU, NPM_CI)
@needs_java
def test_every_page_of_the_demo_is_valid_html(tmp_path):
    copy_demo(tmp_path)
    assert run_cli("build", "--site", tmp_path).code == 0
    pages = sorted((tmp_path / "site").rglob("*.html"))
    assert len(pages) > 90  # every page of the demo, not a sample
    checked = subprocess.run(
        ["java", "-jar", str(VNU), "--format", "json", "--errors-only", *map(str, pages)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    messages = json.loads(checked.stderr or '{"messages": []}')["messages"]
    problems = [
        f"{m.get('url', '').split('/site/', 1)[-1]}:{m.get('lastLine', 0)}: {m.get('message')} [{m.get('extract', '').strip()}]"
        for m in messages
        if m.get("type") in ("error", "non-document-error")
    ]
    assert problems == [], "\n".join(problems)
    assert checked.returncode == 0, checked.stderr
