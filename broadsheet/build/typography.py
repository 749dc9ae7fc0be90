"""Typographic quotes, dashes and ellipses: Python-Markdown's `smarty`, as one pass over text.

`smarty` runs its sixteen patterns through a second copy of Python-Markdown's inline
processor, which rebuilds every text node of the tree through placeholders and node
stashes: about 40% of parsing a long article. This pass gives the same bytes for much
less: it walks the same text nodes at the same moment (a treeprocessor at `smarty`'s
priority, after inline parsing, before the table of contents and unescaping), applies
the same regular expressions (a few written to match the same text faster) in the same
order with the same rules, and stores each
replacement (`&ldquo;`...) in the HTML stash just as `smarty` does, so the output is
written the same way.

What `smarty` does, and so this pass too:
- Each text node (an element's text, or the text after it) is educated on its own: a
  quote at the start of `*"no"*`'s text does not see what precedes the `<em>`.
- Text Python-Markdown marks as final (AtomicString: code spans, code blocks, autolinks)
  and attribute values (link titles, image alt text) are left as written; so is raw
  HTML, which is stashed away before this runs. Text inside code, pre, kbd, samp,
  script and style elements is skipped too (such elements only hold Markdown-parsed text
  with extensions like md_in_html, where `smarty` would curl it: a deliberate difference).
- After each replacement a pattern searches again from the start, seeing the
  replacement as a placeholder (`\\x02...\\x03`): neither a word character, a space nor
  punctuation. The characters a pattern's first group took (the space before an opening
  quote) are hidden inside the placeholder from later patterns, as in `smarty`.

The PyPI `smartypants` package implements the original Perl rules, which curl quotes
differently (and write numeric entities): it would change published pages.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from collections.abc import Callable, Sequence

from markdown import Markdown
from markdown.extensions import Extension, smarty as _smarty
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

from broadsheet.build.markdown_settings import TYPOGRAPHY_VERSION

VERSION = TYPOGRAPHY_VERSION  # raise it in markdown_settings, when this pass's output changes for some input
NAME = "smarty"  # the setting's name: `markdown: disable: [smarty]` still means straight quotes
SKIPPED_TAGS = frozenset({"code", "pre", "kbd", "samp", "script", "style"})
# Python-Markdown's priority for `smarty`: after attr_list (8), before toc (5) and unescape (0).
PRIORITY = 6
# How far before a replacement a later match of the same pattern can start and still see
# it (a first group such as `&#8211;` plus the quote plus a lookahead): searching again from
# there instead of from 0 finds the same matches, as nothing before it changed.
REACH = 12
# Our own placeholder for a replacement that keeps a group while the patterns run; `\x02`
# and `\x03` are what smarty's placeholders (and the HTML stash's) show to lookbehinds and lookaheads.
TOKEN = re.compile("\x02bstypo([0-9]+)\x03")

# One rule: the text every match holds (a quick test that skips the search), the pattern,
# and what replaces a match (group numbers kept, text stored as HTML).
Rule = tuple[str, "re.Pattern[str]", tuple[int | str, ...]]

# The options `smarty` takes that this pass does too. `smart_angled_quotes` also changes how
# inline HTML is parsed; with it on, Python-Markdown's own `smarty` is used (supports()).
OPTIONS = {"smart_quotes": True, "smart_dashes": True, "smart_ellipses": True, "substitutions": {}}


def supports(options: dict[str, object]) -> bool:
    """Whether this pass can stand in for `smarty` with these options."""
    return set(options) <= {*OPTIONS, "smart_angled_quotes"} and not options.get("smart_angled_quotes")


def extension(name: str, options: dict[str, object]) -> Extension | str:
    """What Python-Markdown is given for a `markdown.extensions` entry: this pass in
    place of `smarty` where it can stand in, else the name as it was."""
    if name == NAME and supports(options):
        return TypographyExtension(**{k: v for k, v in options.items() if k in OPTIONS})
    return name


def rules(options: dict[str, object]) -> list[Rule]:
    """The patterns `smarty` registers for these options, in the order it runs them
    (dashes 50, 45; quotes 30 down to 16; ellipses 10)."""
    given = {**OPTIONS, **options}
    sub = dict(_smarty.substitutions)
    sub.update(given["substitutions"])  # type: ignore[call-overload]
    found: list[tuple[str, str, tuple[int | str, ...]]] = []  # (needle, pattern, replacement)
    if given["smart_dashes"]:
        # smarty's (?<!-)---(?!-) and (?<!-)--(?!-), written dashes first (see below)
        found += [("---", r"---(?<!----)(?!-)", (sub["mdash"],)), ("--", r"--(?<!---)(?!-)", (sub["ndash"],))]
    if given["smart_quotes"]:
        lsquo, rsquo = sub["left-single-quote"], sub["right-single-quote"]
        ldquo, rdquo = sub["left-double-quote"], sub["right-double-quote"]
        s, close = _smarty, _smarty.closeClass
        # smarty's patterns; those that begin with a lookbehind are written quote first, the
        # lookbehind moved after it (`(?<=C)"` is `"(?<=C")`): the same matches, but the
        # regular expression engine then skips straight to the next quote instead of trying
        # the lookbehind at every character.
        found += [
            ("'", s.singleQuoteStartRe, (rsquo,)),
            ('"', s.doubleQuoteStartRe, (rdquo,)),
            ("\"'", s.doubleQuoteSetsRe, (ldquo + lsquo,)),
            ("'\"", s.singleQuoteSetsRe, (lsquo + ldquo,)),
            ("'\"", rf"'\"(?<={close}'\")", (rsquo + rdquo,)),  # doubleQuoteSetsRe2
            ("\"'", rf"\"'(?<={close}\"')", (rdquo + rsquo,)),  # singleQuoteSetsRe2
            ("'", r"'(?<!\w')(?=\d{2}s)", (rsquo,)),  # decadeAbbrRe
            ("'", s.openingSingleQuotesRegex, (1, lsquo)),
            ("'", rf"'(?<={close}')(?!\s|s\b|\d)", (rsquo,)),  # closingSingleQuotesRegex
            ("'", s.closingSingleQuotesRegex2, (rsquo, 1)),
            ("'", s.remainingSingleQuotesRegex, (lsquo,)),
            ('"', s.openingDoubleQuotesRegex, (1, ldquo)),
            ('"', s.closingDoubleQuotesRegex, (rdquo,)),
            ('"', rf'"(?<={close}")', (rdquo,)),  # closingDoubleQuotesRegex2
            ('"', s.remainingDoubleQuotesRegex, (ldquo,)),
        ]
    if given["smart_ellipses"]:
        found += [("...", r"\.{3}(?<!\.{4})(?!\.)", (sub["ellipsis"],))]  # smarty's (?<!\.)\.{3}(?!\.)
    return [(needle, re.compile(pattern, re.DOTALL), parts) for needle, pattern, parts in found]


def _triggers(options: dict[str, object]) -> re.Pattern[str]:
    """Text without any of these is left alone without running a pattern: most text nodes."""
    given = {**OPTIONS, **options}
    chars = ("'\"" if given["smart_quotes"] else "") + ("-" if given["smart_dashes"] else "")
    alternatives = [f"[{re.escape(chars)}]"] if chars else []
    alternatives += [r"\.\.\."] if given["smart_ellipses"] else []
    return re.compile("|".join(alternatives) or "(?!)")


def educate(text: str, rules: Sequence[Rule], store: Callable[[str], str]) -> str:
    """`text` with each rule applied in turn as `smarty` applies it: after a match, the
    pattern searches again over the text with that match replaced by a placeholder.
    `store` turns an entity into what stands for it in the tree (the HTML stash's placeholder)."""
    hidden: list[str] = []  # what each of our own placeholders finally becomes
    for needle, pattern, parts in rules:
        if needle not in text:  # most patterns, once the quotes before them are replaced
            continue
        start = 0
        # Every match holds the needle, at most REACH characters after the match's start:
        # the search can begin there rather than scan the text before it.
        while (found := text.find(needle, start)) >= 0 and (
            match := pattern.search(text, max(start, found - REACH))
        ) is not None:
            if len(parts) == 1:  # the stash's placeholder looks to the patterns as smarty's does
                replacement = store(parts[0])  # type: ignore[arg-type]
            else:  # a first group kept (the space before an opening quote): hidden from later patterns
                hidden.append("".join(match.group(p) if isinstance(p, int) else store(p) for p in parts))
                replacement = f"\x02bstypo{len(hidden) - 1}\x03"
            text = f"{text[: match.start()]}{replacement}{text[match.end() :]}"
            start = max(0, match.start() - REACH)
    return TOKEN.sub(lambda m: hidden[int(m.group(1))], text) if hidden else text


class TypographyTreeprocessor(Treeprocessor):
    """Educates every text node of the tree that `smarty` would, in place."""

    def __init__(self, md: Markdown, options: dict[str, object]) -> None:
        super().__init__(md)
        self.rules = rules(options)
        self.triggers = _triggers(options)

    def run(self, root: etree.Element) -> None:
        # The root's own text is not a node smarty visits (it is always empty here).
        self._children(root)

    def _walk(self, element: etree.Element) -> None:
        element.text = self._educated(element.text)
        self._children(element)

    def _children(self, element: etree.Element) -> None:
        for child in element:
            if child.tag not in SKIPPED_TAGS:
                self._walk(child)
            child.tail = self._educated(child.tail)

    def _educated(self, text: str | None) -> str | None:
        if not text or isinstance(text, AtomicString) or not self.triggers.search(text):
            return text
        return educate(text, self.rules, self.md.htmlStash.store)


class TypographyExtension(Extension):
    """Registered as `smarty`, in its place: takes the same options (but smart_angled_quotes)."""

    def __init__(self, **kwargs: object) -> None:
        self.config = {
            "smart_quotes": [True, "Educate quotes"],
            "smart_dashes": [True, "Educate dashes"],
            "smart_ellipses": [True, "Educate ellipses"],
            "substitutions": [{}, "Overwrite default substitutions"],
        }
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:
        md.treeprocessors.register(TypographyTreeprocessor(md, self.getConfigs()), NAME, PRIORITY)
        md.ESCAPED_CHARS.extend(['"', "'"])  # as smarty: \" and \' stay straight
