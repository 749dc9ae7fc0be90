"""Markdown -> HTML, with links to other articles' files turned into markers.

A link such as ``[x](../world/other.md)`` cannot become a URL here: the target's URL
is only known once every article is read. It becomes ``broadsheet-link:<path>`` and the
site model swaps in the URL. That keeps this stage a function of one file's bytes,
which is what lets its result be cached by content hash.
"""

from __future__ import annotations

import contextlib
import importlib
import posixpath
import re
import signal
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from markdown.util import ETX, STX

from broadsheet.build import markdown_speed, typography
from broadsheet.build.markdown_settings import DEFAULT_EXTENSIONS, Extension as ExtensionSetting

LINK_MARKER = "broadsheet-link:"
# Python-Markdown holds a backslash escape (`\\`) as STX, the character's code, ETX until
# its last step; this stage runs before that, so a link's href is read through it here.
ESCAPED = re.compile(f"{STX}([0-9]+){ETX}")
# What urlsplit reads as a scheme: a letter, then letters, digits and `+-.` up to the first
# colon. With no bracket and no character outside ASCII, urlsplit refuses no such URL.
_OTHER_SITE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


# Python-Markdown's own extensions among the defaults, made here rather than named: given a
# name, Python-Markdown first lists every installed package's entry points (importlib.metadata
# and a walk of site-packages, ~40 ms of a build that parses one article), to find in the
# end the module markdown.extensions.<name> that these names stand for.
OWN_EXTENSIONS = frozenset(e.name for e in DEFAULT_EXTENSIONS)


def _built_in(chosen: Extension | str, setting: ExtensionSetting) -> Extension | str:
    """The extension itself for one of Python-Markdown's own by name, with its options;
    any other entry as it was."""
    if not isinstance(chosen, str) or chosen not in OWN_EXTENSIONS:
        return chosen
    return importlib.import_module(f"markdown.extensions.{chosen}").makeExtension(**setting.configs())


@dataclass
class LinkLog:
    """What the link rewriter saw in the document being converted."""

    base: str = ""  # folder of the file being converted, site-relative
    targets: list[str] = field(default_factory=list)
    hrefs: list[str] = field(default_factory=list)  # each target's link as written, to find its line
    escapes: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)  # links that are no URL, or use the marker themselves


class _ArticleLinks(Treeprocessor):
    def __init__(self, md: markdown.Markdown, log: LinkLog):
        super().__init__(md)
        self.log = log

    def run(self, root):
        for element in root.iter("a"):
            href = element.get("href", "")
            if STX in href:
                href = ESCAPED.sub(lambda m: chr(int(m.group(1))), href)
            if _links_elsewhere(href):
                continue  # most links of a digest
            try:
                parts = urlsplit(href)
            except ValueError:  # such as http://[::1/x: no browser could follow it either
                parts = None
            if parts is None or href.lower().startswith(LINK_MARKER):
                self.log.invalid.append(href)
                element.set("href", "")
                continue
            if parts.scheme or parts.netloc or not parts.path.endswith((".md", ".markdown")):
                continue
            target = posixpath.normpath(posixpath.join(self.log.base, unquote(parts.path)))
            if target.startswith("../") or target == ".." or posixpath.isabs(parts.path):
                self.log.escapes.append(href)
                continue
            self.log.targets.append(target)
            self.log.hrefs.append(href)
            fragment = f"#{parts.fragment}" if parts.fragment else ""
            element.set("href", f"{LINK_MARKER}{target}{fragment}")


def _links_elsewhere(href: str) -> bool:
    """A URL urlsplit would read with a scheme, and not refuse: never a link to an article
    (the build's own marker has the look of a scheme, and is not one)."""
    plain = href.isascii() and "[" not in href and "]" not in href
    return plain and _OTHER_SITE.match(href) is not None and not href.lower().startswith(LINK_MARKER)


class _ArticleLinksExtension(Extension):
    def __init__(self, log: LinkLog):
        super().__init__()
        self.log = log

    def extendMarkdown(self, md):
        md.treeprocessors.register(_ArticleLinks(md, self.log), "broadsheet_links", 5)


class TooSlow(Exception):
    """A conversion ran past its time budget (MarkdownRenderer.time_limit)."""


class ConversionFailed(Exception):
    """An extension raised while converting one document (a third-party one may, on input
    the settings check's sample did not have): reported against the article, not a traceback."""


class MarkdownRenderer:
    """One Python-Markdown instance, reused across documents (it is costly to set up).

    Python-Markdown is quadratic on some input (20 KB of '[' took 91 s), so conversions
    can run under a time limit, kept two ways: every processor checks the clock before it
    runs (works on any thread: serve converts on its own), and on the main thread (a
    worker process, or the one-core fallback) a SIGALRM also stops one long step. The
    instance is reset before every conversion, so one stopped midway leaves nothing behind."""

    def __init__(self, extensions: tuple[ExtensionSetting, ...] = DEFAULT_EXTENSIONS) -> None:
        self.log = LinkLog()
        self.extensions = extensions  # as the settings give them (markdown.extensions), checked to load there
        # `smarty` is our own typography pass (same output, a fraction of the time); other
        # extensions by name, their options given with the name, as Python-Markdown wants.
        # markdown_speed last, to see every pattern and processor the others registered.
        chosen = [_built_in(typography.extension(e.name, e.configs()), e) for e in extensions]
        self.md = markdown.Markdown(
            extensions=[*chosen, _ArticleLinksExtension(self.log), markdown_speed.SpeedExtension()],
            extension_configs={e.name: e.configs() for e, c in zip(extensions, chosen) if isinstance(c, str)},
            output_format="html",
        )
        self.deadline: float | None = None  # time.monotonic() past which conversion stops
        self._watch_processors()

    @contextlib.contextmanager
    def time_limit(self, seconds: float):
        """Conversions inside raise TooSlow once `seconds` have passed."""
        self.deadline = time.monotonic() + seconds
        # The alarm interrupts a conversion stuck in one regular expression; where there is no
        # SIGALRM (Windows) the processors' own clock checks (_check_clock) are the limit.
        alarm = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
        if alarm:
            previous = signal.signal(signal.SIGALRM, self._on_alarm)
            signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            self.deadline = None
            if alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)

    def _on_alarm(self, signum, frame) -> None:
        if self.deadline is not None:
            raise TooSlow()

    def _check_clock(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise TooSlow()

    def _watch_processors(self) -> None:
        """Each processor's entry point checks the clock first: quadratic input calls them
        thousands of times (once per '[', once per table cell), so the check comes often."""
        md = self.md
        hooks: list[tuple[markdown.util.Registry, str]] = [
            (md.preprocessors, "run"),
            (md.parser.blockprocessors, "run"),
            (md.inlinePatterns, "handleMatch"),
            (md.treeprocessors, "run"),
            (md.postprocessors, "run"),
        ]
        for registry, method in hooks:
            for processor in registry:
                setattr(processor, method, self._checked(getattr(processor, method)))

    def _checked(self, run):
        def checked(*args, **kwargs):
            self._check_clock()
            return run(*args, **kwargs)

        return checked

    def convert(self, text: str, base: str) -> tuple[str, LinkLog]:
        self.log.base, self.log.targets, self.log.hrefs, self.log.escapes, self.log.invalid = base, [], [], [], []
        self.md.reset()
        try:
            body = self.md.convert(text)
        except (TooSlow, RecursionError):
            raise
        except Exception as exc:  # an extension's bug on this input; Python-Markdown's own raise none
            raise ConversionFailed(f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:300]) from None
        log = self.log
        return body, LinkLog(base, list(log.targets), list(log.hrefs), list(log.escapes), list(log.invalid))


def link_line(text: str, href: str) -> int:
    """The line of a Markdown file (front matter included) where a link to `href` is
    written: as a link's target, a reference's definition, an HTML attribute, or failing
    those anywhere; 0 when the text does not hold it as written (Markdown escapes)."""
    at = text.find(f"]({href}")  # the common case, at the speed of a plain search
    # As written, or with its backslashes escaped (`..\\\\b.md` is read as `..\\b.md`).
    forms = [re.escape(form) for form in dict.fromkeys((href, href.replace("\\", "\\\\")))]
    patterns = (r"\]\(\s*<?{}", r"^[ \t]*\[[^\]]+\]:\s*<?{}", r"=\s*[\"']?{}", "{}")
    for pattern in (p.format(url) for p in patterns for url in forms) if at < 0 else ():
        found = re.search(pattern, text, re.MULTILINE)
        if found:
            at = found.start()
            break
    return text.count("\n", 0, at) + 1 if at >= 0 else 0
