"""Python-Markdown's own stages, the same bytes for less work.

A digest is mostly lists of links, and turning a paragraph's text into links, emphasis and
code is most of what converting one costs (on This Week in Rust's issues, 60% before this): Python-Markdown's inline processor tries each
of its fifteen patterns on every piece of text, in order, again after every match, and
reads the text between brackets and parentheses a character at a time (twice for every
link: the reference pattern reads it before the link pattern does). This module changes
how that work is done, never what it finds:

- a pattern is tried only where its regular expression finds something: the search the
  processor would start anyway, done first, so a pattern that cannot match costs one
  search, not a call into the processor (and the patterns are held in a list, not looked
  up in Python-Markdown's registry at every step);
- a code-span pattern is not searched for in text without a backtick (its expression has
  no fixed first character, so searching costs a step at every position);
- the four reference patterns are skipped in a document that defines no reference: they
  then never make a node and never change the text (what they return only moves their
  own search on), so the text the next pattern sees is the same;
- the stock link and image patterns read `[text]` by jumping from bracket to bracket, and
  a plain `(url)` (no quote, no parenthesis inside) by finding its closing parenthesis,
  both to the same text and end as the character loops they stand in for; any other
  target goes through Python-Markdown's own reading;
- the block parser asks every block processor in turn whether a block is its kind: the
  `#` heading, the quote and the table ask no regular expression about a block without a
  `#`, a `>` or a `|`, which each of their tests needs to say yes;
- the table of contents looks for its marker (`[TOC]`) in each element's own text without
  first joining all the text under it (the join only ruled out elements without text,
  which cannot hold a marker that is not blank).

Only Python-Markdown's own classes are replaced or given a quicker test (a pattern or a
processor an extension brought is used as it is), and the inline processor only where
Python-Markdown has the two private methods it builds on; else everything stays as it
was. tests/build/test_markdown_speed.py holds the output to Python-Markdown's, byte for
byte, on cases, on This Week in Rust-like lists and on random text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import markdown
from markdown import Markdown, blockprocessors, inlinepatterns as stock
from markdown.extensions import Extension, tables, toc
from markdown.treeprocessors import InlineProcessor
from markdown.util import AtomicString

# Patterns whose every match holds a character after where the search starts: no such
# character, no search. The code span's expression matches backslashes before a backtick,
# or a backtick.
_NEEDS = {stock.BACKTICK_RE: "`"}
_BRACKET = re.compile(r"[\[\]]")
_TARGET_END = re.compile(r"[()'\"]")  # what ends a plain target, or makes it not plain


class _Inline(InlineProcessor):
    """Python-Markdown's inline processor, its pattern loop done with less work (above)."""

    def run(self, tree: Any, ancestors: list[str] | None = None) -> Any:
        no_references = not self.md.references  # the block parser has read every definition
        self._patterns = [
            (
                pattern,
                pattern.getCompiledRegExp(),
                isinstance(pattern, stock.InlineProcessor),
                no_references and type(pattern) in _IDLE_WITHOUT_REFERENCES,
                _NEEDS.get(pattern.pattern, "") if type(pattern) is stock.BacktickInlineProcessor else "",
            )
            for pattern in self.md.inlinePatterns
        ]
        return super().run(tree, ancestors)

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        """The loop of Python-Markdown's `__handleInline`: each pattern from `patternIndex`
        on, again from where its last match ended until it matches no more. A pattern the
        processor would find no match for (or skip) gives back the text unchanged and
        moves on to the next, from the start: that is what happens here without the call."""
        if isinstance(data, AtomicString):
            return data
        patterns, apply, start = self._patterns, self._InlineProcessor__applyPattern, 0  # type: ignore[attr-defined]
        while patternIndex < len(patterns):
            pattern, regex, searched_here, idle, needs = patterns[patternIndex]
            if idle or (needs and data.find(needs, start) < 0) or (searched_here and not regex.search(data, start)):
                patternIndex, start = patternIndex + 1, 0
                continue
            data, matched, start = apply(pattern, data, patternIndex, start)
            if not matched:
                patternIndex += 1
        return data


class _Brackets:
    """`getText` of the link patterns: the text up to the `]` that closes the `[` before
    `index`, brackets inside counted; where none closes it, the rest of the text."""

    def getText(self, data: str, index: int) -> tuple[str, int, bool]:
        depth = 1
        for bracket in _BRACKET.finditer(data, index):
            depth += 1 if bracket.group() == "[" else -1
            if depth == 0:
                return data[index : bracket.start()], bracket.end(), True
        return data[index:], len(data), False


class _PlainTarget(_Brackets):
    """`getLink` of the link and image patterns: a target in parentheses with no quote
    and no parenthesis inside ends at the first `)`, which is where the character loop
    of Python-Markdown's `getLink` ends it too (with no title); any other is left to it."""

    RE_LINK: re.Pattern[str]

    def getLink(self, data: str, index: int) -> tuple[str, str | None, int, bool]:
        opened = self.RE_LINK.match(data, pos=index)
        if opened and not opened.group(1):  # not `(<url> "title")`
            end = _TARGET_END.search(data, opened.end())
            if end is not None and end.group() == ")":
                return self.unescape(data[opened.end() : end.start()]).strip(), None, end.end(), True  # type: ignore[attr-defined]
        return super().getLink(data, index)  # type: ignore[misc]


class _Link(_PlainTarget, stock.LinkInlineProcessor):
    pass


class _Image(_PlainTarget, stock.ImageInlineProcessor):
    pass


class _Reference(_Brackets, stock.ReferenceInlineProcessor):
    pass


class _ShortReference(_Brackets, stock.ShortReferenceInlineProcessor):
    pass


class _ImageReference(_Brackets, stock.ImageReferenceInlineProcessor):
    pass


class _ShortImageReference(_Brackets, stock.ShortImageReferenceInlineProcessor):
    pass


_FASTER: dict[type, type] = {
    stock.LinkInlineProcessor: _Link,
    stock.ImageInlineProcessor: _Image,
    stock.ReferenceInlineProcessor: _Reference,
    stock.ShortReferenceInlineProcessor: _ShortReference,
    stock.ImageReferenceInlineProcessor: _ImageReference,
    stock.ShortImageReferenceInlineProcessor: _ShortImageReference,
}


# The reference patterns, Python-Markdown's and ours: with no reference defined, each
# returns no node, whatever it reads.
_IDLE_WITHOUT_REFERENCES = (
    stock.ReferenceInlineProcessor,
    stock.ShortReferenceInlineProcessor,
    stock.ImageReferenceInlineProcessor,
    stock.ShortImageReferenceInlineProcessor,
    _Reference,
    _ShortReference,
    _ImageReference,
    _ShortImageReference,
)


# The Python-Markdown releases (major, minor) this module was checked against, byte for byte
# (tests/build/test_markdown_speed.py). It stands in for private methods and reads a
# registry's private field, whose meaning a later release may change without renaming them:
# under any other release nothing is replaced. Add a release here once that test passes under it.
TESTED_RELEASES = frozenset({(3, 11)})


def tested_release() -> bool:
    return tuple(getattr(markdown, "__version_info__", ())[:2]) in TESTED_RELEASES


def can_replace_processor() -> bool:
    """Whether this Python-Markdown has the private methods `_Inline` builds on."""
    return all(hasattr(InlineProcessor, f"_InlineProcessor__{name}") for name in ("handleInline", "applyPattern"))


# Block processors whose test says yes only for a block holding this character.
_BLOCK_NEEDS: dict[type, str] = {
    blockprocessors.HashHeaderProcessor: "#",
    blockprocessors.BlockQuoteProcessor: ">",
    tables.TableProcessor: "|",
}


def _quicker(needs: str, test: Callable[[Any, str], bool]) -> Callable[[Any, str], bool]:
    def quick_test(parent: Any, block: str) -> bool:
        return needs in block and test(parent, block)

    return quick_test


def _replace_marker(self: toc.TocTreeprocessor, root: Any, elem: Any) -> None:
    """`TocTreeprocessor.replace_marker` without its `''.join(c.itertext())` of every element."""
    for parent, child in self.iterparent(root):
        # (itertext gives nothing for a comment or other element whose tag is not a string)
        if isinstance(child.tag, str) and child.text and child.text.strip() == self.marker and len(child) == 0:
            for i in range(len(parent)):
                if parent[i] == child:
                    parent[i] = elem
                    break


class SpeedExtension(Extension):
    """Put last in the list of extensions, so it sees the patterns and processors every
    other one registered."""

    def extendMarkdown(self, md: Markdown) -> None:
        if not tested_release():
            return  # Python-Markdown's stages as they are: slower, never other bytes
        for processor in md.parser.blockprocessors:
            needs = _BLOCK_NEEDS.get(type(processor))
            if needs and "test" not in vars(processor) and "RE" not in vars(processor):
                processor.test = _quicker(needs, processor.test)  # type: ignore[method-assign, assignment]
        # A registry keeps each item's name and priority in `_priority`, and has no public reader of them.
        for item in list(md.inlinePatterns._priority):  # type: ignore[attr-defined]
            pattern = md.inlinePatterns[item.name]
            faster = _FASTER.get(type(pattern))
            if faster is not None and isinstance(pattern, stock.InlineProcessor):
                md.inlinePatterns.register(faster(pattern.pattern, md), item.name, item.priority)
        contents = md.treeprocessors["toc"] if "toc" in md.treeprocessors else None  # noqa: SIM401 (a Registry has no get)
        if type(contents) is toc.TocTreeprocessor and "replace_marker" not in vars(contents):
            contents.replace_marker = _replace_marker.__get__(contents)  # type: ignore[method-assign]
        stock_inline = [item for item in md.treeprocessors._priority if item.name == "inline"]  # type: ignore[attr-defined]
        if stock_inline and type(md.treeprocessors["inline"]) is InlineProcessor and can_replace_processor():
            md.treeprocessors.register(_Inline(md), "inline", stock_inline[0].priority)
