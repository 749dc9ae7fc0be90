"""The `markdown:` setting: the Python-Markdown extensions articles are converted with.

Written as MkDocs users write `markdown_extensions:` (a name, or a name with its options),
but added to the defaults rather than replacing them, with `disable:` to take a default
away. Every entry is tried here, once per settings load, so a wrong name, an option the
extension does not have or one that makes it fail is a `broadsheet.yaml:LINE:` error
before any article is read, never a traceback in the middle of a build.
"""

from __future__ import annotations

import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BUILT_IN_PREFIX = "markdown.extensions."
# The version of build/typography.py's pass, our stand-in for `smarty`: raise it when the
# pass's output changes for some input. It is part of every article's cache key, so it is
# kept here, where a build that finds every article cached reads it without importing the
# pass (and Python-Markdown under it).
TYPOGRAPHY_VERSION = 1
# Extensions that copy other files into the page: what they read is outside content/, so
# it could be any file of the machine running the build, and no cache key would see it change.
READS_FILES = {"pymdownx.snippets", "markdown_include.include", "mdx_include"}
# A short document that exercises what extensions hook into, converted with each entry:
# an option of the wrong type (toc's baselevel: x) fails here, not on someone's article.
SAMPLE = """# Title

Text with *emphasis*, `code`, a [link](https://example.org/ "t") and a note.[^1]

[TOC]

## Part {: #part }

| a | b |
|---|---|
| 1 | 2 |

```python
print("hi")
```

    indented code

- one
- two

!!! note
    An aside.

[^1]: The note.
"""


@dataclass(frozen=True)
class Extension:
    """One extension and its options, kept as JSON text (keys sorted): the same options
    give the same text, so settings compare, hash and go into cache keys by value."""

    name: str
    options: str = "{}"

    def configs(self) -> dict[str, Any]:
        return dict(json.loads(self.options))


def extension(name: str, **options: Any) -> Extension:
    return Extension(name, json.dumps(options, sort_keys=True))


# guess_lang off: a code block without a language stays plain text, rather than being
# coloured as whatever Pygments guesses (slowly, and often wrongly). Classes, not inline
# styles: the theme's css/code.css colours them, in light and dark.
DEFAULT_EXTENSIONS = (
    extension("tables"),
    extension("footnotes"),
    extension("fenced_code"),
    extension("codehilite", css_class="highlight", guess_lang=False),
    extension("attr_list"),
    extension("smarty"),
    extension("toc", permalink=False),
    extension("sane_lists"),
)


@dataclass(frozen=True)
class MarkdownSettings:
    """The `markdown:` mapping. Python-Markdown is quadratic on some input (a run of
    brackets, a long table), so converting one article has a time budget."""

    timeout: float = 5.0  # seconds to convert one article, body and summary
    extensions: tuple[Extension, ...] = DEFAULT_EXTENSIONS  # the defaults, less `disable`, plus `extensions`


CHECKED_HERE = {"extensions": lambda v: None, "disable": lambda v: None}  # for config's key check


def read(accepted: dict[str, Any], problem) -> MarkdownSettings:
    """The `markdown:` keys config accepted -> MarkdownSettings; each wrong entry is
    reported as `markdown.extensions[i]` or `markdown.disable[i]`."""
    timeout = accepted.get("timeout", MarkdownSettings.timeout)
    if "extensions" not in accepted and "disable" not in accepted:
        return MarkdownSettings(timeout)
    kept = list(DEFAULT_EXTENSIONS)
    for i, name in enumerate(_list("markdown.disable", accepted.get("disable", []), problem)):
        where = f"markdown.disable[{i}]"
        wanted = _canonical(name) if isinstance(name, str) else None
        match = [e for e in kept if e.name == wanted]
        if not match:
            defaults = ", ".join(e.name for e in DEFAULT_EXTENSIONS)
            problem(where, f"expected the name of a default extension ({defaults}), got {name!r}")
        else:
            kept.remove(match[0])
    disabled = {e.name for e in DEFAULT_EXTENSIONS} - {e.name for e in kept}
    entries = _list("markdown.extensions", accepted.get("extensions", []), problem)
    for i, entry in enumerate(entries):
        where = f"markdown.extensions[{i}]"
        added, message = _entry(entry)
        if added and added.name in disabled:
            message = f"{added.name} is also under markdown.disable: keep one"
        message = message or _problem_with(added, kept)
        if message or added is None:
            problem(where, message)
            continue
        kept = _with(kept, added)
    return MarkdownSettings(timeout, tuple(kept))


def _list(where: str, value: Any, problem) -> list[Any]:
    if isinstance(value, list):
        return value
    problem(where, "expected a list, such as [footnotes, {toc: {permalink: true}}]")
    return []


def _entry(entry: Any) -> tuple[Extension | None, str | None]:
    """`name` or `{name: {option: value}}` -> the Extension, or why not."""
    expected = "expected an extension's name, or a name with its options such as {toc: {permalink: true}}"
    if isinstance(entry, dict) and len(entry) == 1:
        name, options = next(iter(entry.items()))
        options = {} if options is None else options
        if not isinstance(options, dict) or not all(isinstance(k, str) for k in options):
            return None, f"{expected}; the options of {name!r} are not a mapping"
    elif isinstance(entry, str):
        name, options = entry, {}
    else:
        return None, expected
    if not isinstance(name, str) or not name.strip():
        return None, expected
    plain = _plain(options)
    if plain:
        return None, f"{name}: option {plain}"
    return Extension(_canonical(name), json.dumps(options, sort_keys=True)), None


def _plain(value: Any, key: str = "") -> str | None:
    """Why an option value is not plain data (text, numbers, true/false, lists, mappings)."""
    if isinstance(value, dict):
        return next((m for k, v in value.items() if (m := _plain(v, f"{key}.{k}".lstrip(".")))), None)
    if isinstance(value, list):
        return next((m for v in value if (m := _plain(v, key))), None)
    if value is None or isinstance(value, (str, int, float, bool)):
        return None
    return f"{key}: expected text, a number, true or false, a list or a mapping, got {type(value).__name__}"


def _canonical(name: str) -> str:
    """`markdown.extensions.toc` is `toc`, as both name one extension."""
    short = name.removeprefix(BUILT_IN_PREFIX)
    return short if name.startswith(BUILT_IN_PREFIX) and short in _registered() else name


def _registered() -> set[str]:
    """Extensions installed under their short names (Python-Markdown's own and any
    package that registers one)."""
    from importlib.metadata import entry_points  # here: only a `markdown:` setting needs them (15 ms)

    return {ep.name for ep in entry_points(group="markdown.extensions")}


def _with(kept: list[Extension], added: Extension) -> list[Extension]:
    """An entry naming a default changes its options (over the default ones); any other is added."""
    for i, present in enumerate(kept):
        if present.name == added.name:
            kept = list(kept)
            kept[i] = Extension(added.name, json.dumps({**present.configs(), **added.configs()}, sort_keys=True))
            return kept
    return [*kept, added]


def _problem_with(added: Extension | None, kept: list[Extension]) -> str | None:
    """Why the extension cannot be used, or None: it is found, loads with its options,
    and converts the sample alongside the others."""
    assert added is not None
    name = added.name
    if name in READS_FILES:
        return (
            f"{name} copies other files into pages, which a build must not read (anything on the machine); not loaded"
        )
    where = _where(name)
    if where:
        return where
    import markdown  # only when the setting is used: the defaults are known to load

    try:
        defaults = markdown.Markdown().build_extension(name, {}).getConfigs()
    except Exception as exc:  # a third-party module may raise anything while loading
        return f"{name} does not load: {_describe(exc)}"
    wrong = _wrong_options(name, added.configs(), defaults)
    if wrong:
        return wrong
    try:
        markdown.Markdown(extensions=[e.name for e in _with(kept, added)],
                          extension_configs={e.name: e.configs() for e in _with(kept, added)}).convert(SAMPLE)  # fmt: skip
    except Exception as exc:
        return f"{name} fails with these options: {_describe(exc)}"
    return None


def _where(name: str) -> str | None:
    """Why the extension is not an installed one, or None. A settings file must not make a
    build run code of its own: a module beside it (a contributor's pull request, built by
    CI) is refused even where Python would import it (`python -m` puts the current folder first)."""
    if name in _registered():
        return None
    module = name.partition(":")[0]
    top = module.split(".")[0]
    if not top.isidentifier():
        return f"unknown extension {name!r} (expected a name such as footnotes, or an installed module such as pymdownx.tilde)"
    found = importlib.util.find_spec(top)
    if found is None:
        known = ", ".join(sorted(_registered()))
        return f"unknown extension {name!r}: not installed (Python-Markdown's own are: {known})"
    if found.origin and found.has_location:
        folder = Path(found.origin).parent
        folder = folder.parent if Path(found.origin).name == "__init__.py" else folder
        if os.path.realpath(folder) == os.path.realpath(os.getcwd()):
            return f"{name}: {top} is a module of the current folder ({found.origin}), not an installed one; a site's own code is not run"
    return None


def _wrong_options(name: str, given: dict[str, Any], defaults: dict[str, Any]) -> str | None:
    for key, value in given.items():
        if key not in defaults:
            return f"{name} has no option {key!r} (it has: {', '.join(sorted(defaults))})"
        default = defaults[key]
        if callable(default):
            return f"{name}: option {key!r} takes a Python function, which broadsheet.yaml cannot give"
        if isinstance(default, bool) and not isinstance(value, bool):
            return f"{name}: option {key!r} expected true or false, got {value!r}"
        for kind, expected in ((list, "a list"), (dict, "a mapping")):
            if isinstance(default, kind) and not isinstance(value, kind):
                return f"{name}: option {key!r} expected {expected}, got {value!r}"
        if isinstance(value, (list, dict)) and not isinstance(default, (list, dict, type(None))):
            return f"{name}: option {key!r} expected a single value, got {value!r}"
    if name == "footnotes" and given.get("UNIQUE_IDS"):
        # The ids would count the articles one worker converted before: not the same bytes twice.
        return "footnotes: UNIQUE_IDS makes ids depend on the order articles are converted in; not allowed"
    return None


def _describe(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    if isinstance(exc, KeyError):
        text = f"unknown option {text}"
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__
