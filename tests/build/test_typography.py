"""Our typography pass against the truth it replaces: every case, and random text, converted
with Python-Markdown's own `smarty` and with ours (the same other extensions) must give the
same bytes. No deliberate difference shows with the default extensions: the only one (text
inside code/pre/kbd/samp/script/style elements that Markdown parsed, which only md_in_html
makes) is tested on its own below."""

from __future__ import annotations

import xml.etree.ElementTree as etree
from pathlib import Path

import markdown
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from broadsheet.build import content, typography
from broadsheet.build.content import ParseSettings
from broadsheet.build.markdown_settings import DEFAULT_EXTENSIONS, extension
from broadsheet.build.markup import MarkdownRenderer
from broadsheet.build.scan import SourceFile

CASES = [
    # Plain quotes and apostrophes
    '"Hello," she said.',
    "'Hello,' she said.",
    "He said \"it's 'fine'\" and left.",
    "\"'Quoted' words in a larger quote.\"",
    "'\"Double inside single\" words.'",
    "Don't, won't, can't, y'all, rock 'n' roll.",
    "The dogs' bones and the boss's desk.",
    "'Tis the season; 'twas the night.",
    "In the '90s and the '80s, not '9s; '1990s' and 1990's.",
    "Ends with an apostrophe: the students'",
    'Ends with a quote: he said "no"',
    '"Starts the paragraph" and goes on.',
    "'Single at start' here.",
    '"..." and \'...\' and "." alone',
    '"!" said the sign',
    "'s start with s",
    "Numbers: 5'10\" tall, 6' and 12\".",
    'Nested: "She said \'he said "yes"\' twice".',
    "Empty: \"\" and '' and \"'\" and '\"'.",
    'Quote after bracket: ("word") [\'word\'] {"w"}',
    "Quote after dash: --\"word\" and ---'word' and \u2014\"word\" and \u2013'word'.",
    "Spaced dash -- \"quoted\" -- and 'single'.",
    "Quote before punctuation: \"word\", 'word'; \"word\": 'word'!",
    'Tab\t"quoted"\tend and newline\n"quoted" next line',
    # Dashes and ellipses
    "An en--dash, an em---dash, a ----run and - single - hyphens.",
    "Wait... what.... and .. and ......",
    'Dots..."quote" and "quote"...',
    "1990--2000 and pp. 10--20---done",
    # Inline markup
    'He said *"no"*.',
    'He said "*no*".',
    '"*no*"',
    "**\"Bold\"** and __'bold'__ and *it's*",
    '*\'emphasis\'* and _"under"_ and ***"both"***',
    '"[a link](https://example.org)" and [a "quoted" link](https://example.org)',
    '[it\'s](https://example.org "a title with \\"quotes\\" and it\'s") after',
    "![an \"alt\" it's](img.png \"it's a 'title'\")",
    '<https://example.org/it\'s> and "autolink"',
    'A `"code"` span and ``it\'s `code` too`` then "after"',
    '`code`"quote" and "quote"`code`',
    "Escaped \\\"quotes\\\" and \\'single\\' and \\-- dash",
    'Line break at end  \n"next" line',
    'Footnote "ref"[^1].\n\n[^1]: The "note" it\'s.',
    # Code blocks stay straight
    '```\n"fenced" it\'s -- ...\n```',
    '```python\nprint("hi")  # it\'s -- ...\n```',
    '    indented "code" it\'s -- ...',
    # Non-English text and other quotes left alone
    '\u00abGuillemets\u00bb et \u00ab "mixte" \u00bb',
    '\u201eGerman\u201c und \u201aeinfach\u2018 und "straight"',
    "Already \u201ccurly\u201d and \u2018curly\u2019 text",
    "Caf\u00e9 \"na\u00efve\" l'\u00e9t\u00e9 d'\u00e9t\u00e9",
    "\u65e5\u672c\u8a9e\"\u5f15\u7528\"\u3068'\u5358'",
    # Block contexts
    '# A "heading" it\'s',
    "## Heading -- with... 'quotes'",
    "- \"list\" item\n- it's\n- '90s",
    "1. \"first\"\n2. 'second'",
    '> "Quoted" block\n> it\'s',
    '| "a" | \'b\' |\n|---|---|\n| it\'s | "c" -- d... |',
    'Term with attr {: title="it\'s \\"x\\"" }',
    '## Part "one" {: #part }',
    # HTML entities and raw HTML
    '&nbsp;"quote" and &mdash;\'quote\' and &#8212;"q" and &amp;"q"',
    "AT&T's \"deal\" &copy; it's",
    '<span title="it\'s">"inline html"</span> it\'s',
    '<div>\n"raw block" it\'s -- ...\n</div>',
    '<!-- "comment" it\'s -->\n\n"after"',
    'Text <br> "after br" and <em>"em html"</em>',
    "<kbd>\"key\"</kbd> and <code>'c'</code>",
    # Edges
    '"',
    "'",
    "--",
    "...",
    "\"'",
    "'\"",
    "a\"'b",
    "word'\"",
    "\"'word'\"",
    "''double single'' and \"\"double double\"\"",
    "x'\"' y",
    "it's'",
    "Sentence.\" Then 'next'.",
    "[TOC]\n\n# \"Title\" it's\n\n## Sub -- 'part'",
]


def _renderers(extensions=DEFAULT_EXTENSIONS) -> tuple[markdown.Markdown, markdown.Markdown]:
    """(Python-Markdown with its smarty, Python-Markdown with our pass), the other extensions the same."""
    names = [e.name for e in extensions]
    configs = {e.name: e.configs() for e in extensions}
    truth = markdown.Markdown(extensions=names, extension_configs=configs, output_format="html")
    ours = [typography.extension(e.name, e.configs()) for e in extensions]
    assert any(isinstance(e, typography.TypographyExtension) for e in ours)
    others = {e.name: e.configs() for e, o in zip(extensions, ours) if isinstance(o, str)}
    return truth, markdown.Markdown(extensions=ours, extension_configs=others, output_format="html")


TRUTH, OURS = _renderers()


def _both(text: str, truth: markdown.Markdown = TRUTH, ours: markdown.Markdown = OURS) -> tuple[str, str]:
    truth.reset()
    ours.reset()
    return truth.convert(text), ours.convert(text)


@pytest.mark.parametrize("text", CASES)
def test_same_bytes_as_smarty(text):
    expected, got = _both(text)
    assert got == expected


def test_the_cases_exercise_smarty():
    """The corpus is worth something only if smarty changes most of it."""
    plain = markdown.Markdown(extensions=[e.name for e in DEFAULT_EXTENSIONS if e.name != "smarty"])
    changed = sum(_both(text)[0] != plain.reset().convert(text) for text in CASES)
    assert len(CASES) >= 60 and changed >= 60


@pytest.mark.parametrize(
    "options",
    [
        {"smart_quotes": False},
        {"smart_dashes": False},
        {"smart_ellipses": False},
        {"smart_angled_quotes": False},
        {"substitutions": {"left-double-quote": "&bdquo;", "right-double-quote": "&ldquo;", "mdash": "---"}},
    ],
)
def test_same_bytes_with_smartys_options(options):
    extensions = tuple(extension("smarty", **options) if e.name == "smarty" else e for e in DEFAULT_EXTENSIONS)
    truth, ours = _renderers(extensions)
    for text in CASES:
        expected, got = _both(text, truth, ours)
        assert got == expected, text


def test_angled_quotes_use_python_markdowns_smarty():
    """smart_angled_quotes also changes how inline HTML is read: that option keeps the original."""
    assert typography.extension("smarty", {"smart_angled_quotes": True}) == "smarty"
    renderer = MarkdownRenderer((*DEFAULT_EXTENSIONS[:5], extension("smarty", smart_angled_quotes=True)))
    assert renderer.convert('<<a>> "b"', "")[0] == "<p>&laquo;a&raquo; &ldquo;b&rdquo;</p>"


def test_the_renderer_uses_our_pass_under_smartys_name():
    renderer = MarkdownRenderer()
    processor = renderer.md.treeprocessors["smarty"]
    assert isinstance(getattr(processor.run, "__self__", processor), typography.TypographyTreeprocessor)
    assert renderer.convert('It\'s "so"...', "")[0] == "<p>It&rsquo;s &ldquo;so&rdquo;&hellip;</p>"


def test_disabled_means_straight_quotes():
    renderer = MarkdownRenderer(tuple(e for e in DEFAULT_EXTENSIONS if e.name != "smarty"))
    assert renderer.convert('It\'s "so" -- ...', "")[0] == '<p>It\'s "so" -- ...</p>'


def test_code_elements_in_the_tree_stay_straight():
    """The one deliberate difference: text inside code, kbd... elements of the tree that is
    not marked final (only a third-party extension makes such elements) is left as typed,
    where smarty would curl it. Their tails are ordinary text."""
    md = markdown.Markdown()
    root = etree.fromstring('<div><p><kbd>"Ctrl" it\'s</kbd> "x"<samp>\'s\'</samp></p></div>')
    typography.TypographyTreeprocessor(md, {}).run(root)
    html = md.postprocessors["raw_html"].run(etree.tostring(root, encoding="unicode"))
    assert html == "<div><p><kbd>\"Ctrl\" it's</kbd> &ldquo;x&rdquo;<samp>'s'</samp></p></div>"


WORDS = st.sampled_from(["word", "it", "s", "90s", "'90s", "x1", "caf\u00e9", "\u00abq\u00bb", "\u201eq\u201c", "n't"])
PUNCT = st.sampled_from(
    ['"', "'", '"', "'", "--", "---", "...", ".", ",", "(", ")", "[", "]", "!", "?", ":", "-", "\u2014"]
)
MARKUP = st.sampled_from(["*", "**", "_", "`", "\\", "[", "](https://example.org)", "<em>", "</em>", "&amp;", "&nbsp;"])
SPACE = st.sampled_from([" ", " ", "\n", "  \n", "\t"])
PIECE = st.one_of(WORDS, PUNCT, PUNCT, MARKUP, SPACE)
BLOCK = st.sampled_from(["", "", "# ", "- ", "> ", "1. ", "| ", "    "])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(BLOCK, st.lists(PIECE, max_size=25)), min_size=1, max_size=4))
def test_random_text_same_bytes_as_smarty(paragraphs):
    text = "\n\n".join(block + "".join(pieces) for block, pieces in paragraphs)
    expected, got = _both(text)
    assert got == expected


def test_cache_keys_follow_the_passs_version(monkeypatch):
    """A change to the pass's output (its VERSION raised) parses every article again."""
    source = SourceFile("content/a.md", Path("content/a.md"))
    settings = ParseSettings("UTC", 200)
    before = content.cache_key(source, "0" * 64, settings)
    monkeypatch.setattr(content, "TYPOGRAPHY_VERSION", typography.VERSION + 1)
    assert content.cache_key(source, "0" * 64, settings) != before
