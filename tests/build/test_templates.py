"""A template in the site's templates/ overrides the theme's file of the same name."""

import os
import socket
import subprocess
import sys

import pytest

from conftest import REPO, article, run_cli, tree_bytes


def test_site_template_overrides_one_theme_file(make_site):
    site = make_site({
        "content/a.md": article("A story", "2025-06-19"),
        "templates/_footer.html": "<footer><p>Our own footer</p></footer>\n",
    })  # fmt: skip
    assert run_cli("build", "--site", site).code == 0
    page = (site / "site/2025/06/19/a-story/index.html").read_text()
    assert "Our own footer" in page
    assert 'class="masthead"' in page  # the rest of the theme is still the theme's


def test_demo_site_overrides_the_footer():
    assert (REPO / "templates/_footer.html").is_file()
    assert (REPO / "broadsheet/theme/templates/_footer.html").is_file()


def test_templates_autoescape(make_site):
    site = make_site({"content/a.md": article("'<script>alert(1)</script>'", "2025-06-19")})
    assert run_cli("build", "--site", site).code == 0
    html = (site / "site/index.html").read_text()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


def test_fingerprinted_stylesheet(make_site):
    site = make_site({"content/a.md": article("A", "2025-06-19"), "static/css/broadsheet.css": "body { color: red }\n"})
    assert run_cli("build", "--site", site).code == 0
    css = [p for p in (site / "site/css").iterdir() if p.name.startswith("broadsheet.") and p.name != "broadsheet.css"]
    assert len(css) == 1 and css[0].read_text() == "body { color: red }\n"
    assert f'href="/css/{css[0].name}"' in (site / "site/index.html").read_text()


# --- a template's problem is `templates/<file>:<line>: template: <message>` --------------


def problem_line(err: str, site, rel: str) -> str:
    """The one stderr line about the site's file `rel`: no traceback, no other report of it."""
    assert "Traceback" not in err, err
    found = [line for line in err.splitlines() if line.startswith(f"{site}/{rel}:")]
    assert len(found) == 1, err
    return found[0][len(f"{site}/") :]


def test_a_template_that_is_not_utf8_is_one_line_in_build_check_and_serve(make_site):
    site = make_site({"content/a.md": article("A story", "2025-06-19")})
    assert run_cli("build", "--site", site).code == 0
    before = tree_bytes(site / "site")
    footer = (REPO / "broadsheet/theme/templates/_footer.html").read_bytes()
    (site / "templates").mkdir()
    (site / "templates/_footer.html").write_bytes(b"<p>ok</p>\n<p>Caf\xe9 society</p>\n" + footer)
    expected = "templates/_footer.html:2: template: not UTF-8 (byte 0xE9 at column 7; save the file as UTF-8)"
    for command in ("build", "check"):
        result = run_cli(command, "--site", site)
        assert result.code == 1, result.err
        assert problem_line(result.err, site, "templates/_footer.html") == expected
        assert tree_bytes(site / "site") == before
    served = serve_first_build(site)
    assert problem_line(served, site, "templates/_footer.html") == expected
    assert tree_bytes(site / "site") == before


def serve_first_build(site) -> str:
    """What `broadsheet serve` says about its first build, from a real process."""
    process = subprocess.Popen(
        [sys.executable, "-m", "broadsheet", "serve", "--site", str(site), "--port", str(free_port())],
        stderr=subprocess.PIPE, text=True, cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    said = []
    try:
        for line in process.stderr:
            said.append(line)
            if line.startswith(("Serving ", "Traceback")):
                break
    finally:
        process.terminate()
        said += process.communicate(timeout=10)[1]
    return "".join(said)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


MISSING_TEMPLATES = {  # a template asking for one that is not there: the line of its include or extends
    "include": (
        "templates/_footer.html",
        '<footer>\n  <p>Ours</p>\n  {% include "_credits.html" %}\n</footer>\n',
        3,
        "_credits.html",
    ),
    "extends": ("templates/search.html", '{# our own search page #}\n{% extends "plain.html" %}\n', 2, "plain.html"),
}


@pytest.mark.parametrize("tag", sorted(MISSING_TEMPLATES))
def test_a_missing_template_names_the_line_that_asks_for_it(make_site, tag):
    name, text, number, missing = MISSING_TEMPLATES[tag]
    site = make_site({"content/a.md": article("A story", "2025-06-19"), name: text})
    result = run_cli("build", "--site", site)
    assert result.code == 1
    assert (
        problem_line(result.err, site, name)
        == f"{name}:{number}: template: '{missing}' not found (in templates/ or the theme)"
    )
    assert not (site / "site").exists()
