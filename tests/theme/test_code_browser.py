"""Highlighted code as readers see it: an article with fenced code in several languages,
valid for the Nu Html Checker, and axe-clean (colour contrast of every token included) in
a real Chromium, light and dark."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from browser import AXE, NPM_CI, VNU, axe_violations, console_errors, needs_file, require_browser, serving
from conftest import SETTINGS, article, run_cli, write_tree

require_browser()

BLOCKS = {
    "python": '@decorator\nclass Greeter(Base):\n    """Doc."""\n    def greet(self, name: str) -> str:\n        # a comment\n        return f"hello {name}" + str(0x1F) if name else None\n',
    "html": '<!DOCTYPE html>\n<p class="x" id=y>Text &amp; more<!-- note --></p>\n<script>let a = 1;</script>\n',
    "javascript": "const re = /a+b/g;\nexport async function f(x) { return await x?.y ?? `t ${x}`; }\n",
    "bash": '#!/bin/sh\nfor f in *.md; do echo "$f" | grep -c x; done  # count\n',
    "diff": "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old\n+new\n",
    "json": '{"key": [1, 2.5, true, null, "s"]}\n',
    "sql": "SELECT name, COUNT(*) FROM t WHERE id = 'x' GROUP BY 1; -- done\n",
    "yaml": "key: value\nlist: [1, 'two']  # comment\n",
    "css": "@media (min-width: 1px) { .a > b::before { color: #fff !important; } }\n",
    "rust": 'fn main() { let s: &str = "x"; println!("{}", s); }\n',
}
BODY = "Some code.\n\n" + "\n".join(f"```{lang}\n{code}```\n" for lang, code in BLOCKS.items())
PAGE = "2025/06/19/code/"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    site = write_tree(tmp_path_factory.mktemp("code"), {
        "broadsheet.yaml": SETTINGS, "content/code.md": article("Code", "2025-06-19T08:00:00+00:00", BODY),
    })  # fmt: skip
    result = run_cli("build", "--site", site)
    assert result.code == 0, result.err
    html = (site / "site" / PAGE / "index.html").read_text()
    assert html.count('<div class="highlight">') == len(BLOCKS) and html.count("<span class=") > 150
    return site / "site"


@needs_file(AXE, NPM_CI)
@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_highlighted_code_is_axe_clean(browser, built, dark):
    with serving(built) as url:
        page = browser.new_page(color_scheme="dark" if dark else "light")
        errors = console_errors(page)
        page.goto(url + PAGE)
        # the code stylesheet applied: a keyword is not the colour of plain text
        keyword = page.evaluate("getComputedStyle(document.querySelector('.highlight .k')).color")
        text = page.evaluate("getComputedStyle(document.querySelector('.highlight pre')).color")
        assert keyword != text
        assert axe_violations(page, ("minor", "moderate", "serious", "critical")) == []
        assert errors == []
        page.close()


@needs_file(VNU, NPM_CI)
@pytest.mark.skipif(shutil.which("java") is None, reason="java not found: apt-get install default-jre-headless")
def test_a_page_with_highlighted_code_is_valid_html(built):
    checked = subprocess.run(
        ["java", "-jar", str(VNU), "--format", "json", "--errors-only", str(built / PAGE / "index.html")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    messages = json.loads(checked.stderr or '{"messages": []}')["messages"]
    assert [m for m in messages if m.get("type") in ("error", "non-document-error")] == []
    css = sorted(built.glob("css/code.*.css"))
    assert css, "the code stylesheet is in the output"
    checked = subprocess.run(
        ["java", "-jar", str(VNU), "--css", "--errors-only", str(css[0])], capture_output=True, text=True, timeout=300
    )
    assert checked.returncode == 0, checked.stderr
