"""The `markdown:` setting: extensions added and removed, options passed, every bad entry a
`broadsheet.yaml:LINE: markdown.extensions[i]:` line; and code highlighted by Pygments."""

from __future__ import annotations

import re

from conftest import SETTINGS, article, run_cli, tree_bytes, write_tree

CODE = '```python\ndef greet(name):\n    return "hello " + name  # say it\n```\n'
BODY = f'## A part\n\nShe said "yes".[^1]\n\n{CODE}\n[^1]: A note.\n'
FILES = {
    "content/a.md": article("With code", "2025-06-19T08:00:00+00:00", BODY),
    "content/b.md": article("Plain", "2025-06-19T09:00:00+00:00", 'Just "words" here.'),
}
A_PAGE, B_PAGE = "2025/06/19/with-code/index.html", "2025/06/19/plain/index.html"
GOOD = """markdown:
  extensions:
    - admonition
    - toc: {permalink: true}
  disable: [smarty]
"""


def _site(tmp_path, extra: str = "", name: str = "src"):
    return write_tree(tmp_path / name, {"broadsheet.yaml": SETTINGS + extra, **FILES})


def test_the_defaults_highlight_fenced_code_with_classes_and_link_the_code_stylesheet(tmp_path):
    site = _site(tmp_path)
    assert run_cli("build", "--site", site).code == 0
    page = (site / "site" / A_PAGE).read_text()
    assert '<div class="highlight"><pre><span></span><code><span class="k">def</span>' in page
    assert '<span class="c1"># say it</span>' in page
    assert "style=" not in page.split("<main", 1)[1]  # classes, never inline colours
    assert re.search(r'<link rel="stylesheet" href="/css/code\.[0-9a-f]+\.css">', page)
    assert "&ldquo;yes&rdquo;" in page and 'id="fn:1"' in page  # smarty and footnotes, as before
    assert "css/code." not in (site / "site" / B_PAGE).read_text()  # no code, no extra request


def test_extensions_are_added_removed_and_given_options(tmp_path):
    site = _site(tmp_path, GOOD)
    result = run_cli("build", "--site", site)
    assert result.code == 0, result.err
    page = (site / "site" / A_PAGE).read_text()
    assert 'class="headerlink" href="#a-part" title="Permanent link"' in page  # toc's option over the default's
    assert '"yes"' in page and "&ldquo;" not in page  # smarty disabled
    assert 'id="fn:1"' in page and "highlight" in page  # the other defaults kept


def test_the_same_settings_give_the_same_bytes(tmp_path):
    outputs = []
    for name in ("one", "two"):
        site = _site(tmp_path, GOOD, name)
        assert run_cli("build", "--site", site, "--no-cache").code == 0
        outputs.append(tree_bytes(site / "site"))
    assert outputs[0] == outputs[1]


def test_changing_the_setting_rebuilds_every_article(tmp_path):
    site = _site(tmp_path)
    assert run_cli("build", "--site", site).code == 0  # the cache remembers these parses
    before = tree_bytes(site / "site")
    (site / "broadsheet.yaml").write_text(SETTINGS + "markdown:\n  disable: [smarty]\n")
    assert run_cli("build", "--site", site).code == 0
    after = tree_bytes(site / "site")
    for page in (A_PAGE, B_PAGE):  # both articles read again with the new extensions
        assert before[page] != after[page] and b"&ldquo;" not in after[page]
    clean = _site(tmp_path, "markdown:\n  disable: [smarty]\n", "clean")
    assert run_cli("build", "--site", clean, "--no-cache").code == 0
    assert tree_bytes(clean / "site") == after  # the rebuild is what a clean build makes


BAD = """markdown:
  extensions:
    - footnotes
    - toc: {permalink: true, colour: red}
    - no_such_extension
    - toc: {baselevel: deep}
    - toc: {slugify: x}
    - codehilite: {guess_lang: "no"}
    - 42
    - footnotes: {UNIQUE_IDS: true}
    - pymdownx.snippets
    - smarty
  disable: [smarty, nope]
"""


def test_every_bad_entry_is_one_line_with_its_line_and_nothing_is_written(tmp_path):
    site = _site(tmp_path)
    assert run_cli("build", "--site", site).code == 0
    before = tree_bytes(site / "site")
    (site / "broadsheet.yaml").write_text(SETTINGS + BAD)
    result = run_cli("build", "--site", site)
    assert result.code == 1
    assert "Traceback" not in result.err
    lines = [
        re.sub(r"^.*?(?=broadsheet\.yaml:)", "", line) for line in result.err.splitlines() if "broadsheet.yaml:" in line
    ]
    first = SETTINGS.count("\n") + 3  # the line of markdown.extensions[0]
    expected = {
        f"broadsheet.yaml:{first + 1}: markdown.extensions[1]: toc has no option 'colour'",
        f"broadsheet.yaml:{first + 2}: markdown.extensions[2]: unknown extension 'no_such_extension': not installed",
        f"broadsheet.yaml:{first + 3}: markdown.extensions[3]: toc fails with these options: ValueError",
        f"broadsheet.yaml:{first + 4}: markdown.extensions[4]: toc: option 'slugify' takes a Python function",
        f"broadsheet.yaml:{first + 5}: markdown.extensions[5]: codehilite: option 'guess_lang' expected true or false",
        f"broadsheet.yaml:{first + 6}: markdown.extensions[6]: expected an extension's name",
        f"broadsheet.yaml:{first + 7}: markdown.extensions[7]: footnotes: UNIQUE_IDS makes ids depend on the order",
        f"broadsheet.yaml:{first + 8}: markdown.extensions[8]: pymdownx.snippets copies other files into pages",
        f"broadsheet.yaml:{first + 9}: markdown.extensions[9]: smarty is also under markdown.disable",
        f"broadsheet.yaml:{first + 10}: markdown.disable[1]: expected the name of a default extension",
    }
    assert len(lines) == len(expected), result.err
    for start in expected:
        assert any(line.startswith(start) for line in lines), (start, result.err)
    assert tree_bytes(site / "site") == before  # the last good output left as it was


def test_a_module_beside_the_site_is_never_run_as_an_extension(tmp_path, monkeypatch):
    """`python -m broadsheet` puts the current folder first on sys.path: a contributor's
    evil.py in the site must not become an extension (which would run it)."""
    site = _site(tmp_path, "markdown:\n  extensions: [evil_extension]\n")
    marker = tmp_path / "ran"
    (site / "evil_extension.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    monkeypatch.chdir(site)
    monkeypatch.syspath_prepend(str(site))
    result = run_cli("build", "--site", site)
    assert result.code == 1
    assert "markdown.extensions[0]: evil_extension: evil_extension is a module of the current folder" in result.err
    assert not marker.exists()


FLAKY = """
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor


class Boom(Preprocessor):
    def run(self, lines):
        if any("BOOM" in line for line in lines):
            raise ValueError("cannot take a BOOM")
        return lines


class FlakyExtension(Extension):
    def extendMarkdown(self, md):
        md.preprocessors.register(Boom(md), "boom", 50)


def makeExtension(**kwargs):
    return FlakyExtension(**kwargs)
"""


def test_an_extension_failing_on_one_article_is_that_article_s_error(tmp_path, monkeypatch):
    """An installed extension that passes the settings check but raises on some article's
    text: that article's `file:1: body:` error, not a traceback; the others still parse."""
    installed = tmp_path / "installed"
    write_tree(installed, {"flaky_extension.py": FLAKY})
    monkeypatch.syspath_prepend(str(installed))  # a folder of installed modules, not the current one
    site = _site(tmp_path, "markdown:\n  extensions: [flaky_extension]\n")
    (site / "content/c.md").write_text(article("Boom", "2025-06-19T10:00:00+00:00", "A BOOM here."))
    result = run_cli("build", "--site", site)
    assert result.code == 1
    assert "Traceback" not in result.err
    assert "c.md:1: body: a Markdown extension failed on this article: ValueError: cannot take a BOOM" in result.err
    assert result.err.count("error") <= 2 and "a.md" not in result.err and "b.md" not in result.err
