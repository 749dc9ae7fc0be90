"""Article titles that would go into a newsletter's headers or text, checked before anything is
rendered: a line break in a header is refused by the email library (it would start a header of
the attacker's choosing), so it is reported here as the article's error instead of a traceback."""

from __future__ import annotations

from pathlib import Path

from broadsheet.build.config import control_character
from broadsheet.build.frontmatter import split
from broadsheet.build.model import Edition
from broadsheet.build.yamlload import YamlError, load
from broadsheet.problems import Problem


def title_problems(edition: Edition, site: Path) -> list[Problem]:
    problems = []
    for entry in edition.entries:
        bad = control_character(entry.article.title)
        if bad is not None:
            message = f"has a control character ({bad!r}), which an email's headers and text cannot carry (write the title on one line)"
            problems.append(Problem(entry.article.path, _title_line(site / entry.article.path), "title", message))
    return problems


def _title_line(path: Path) -> int:
    """The line of the file where `title:` is written; 0 when the file cannot tell (changed since)."""
    try:
        parts = split(path.read_text(encoding="utf-8"))
        line = load(parts.yaml_text).lines.get("title", 0) if not isinstance(parts, str) else 0
    except (OSError, UnicodeDecodeError, YamlError):
        return 0
    return line + 1 if line else 0  # the YAML starts on the file's second line
