"""`broadsheet drafts`: the site's drafts at a glance (title, outlet, date, file), newest
first, read with the build's own scan and parse so the list agrees with `build --drafts`."""

from __future__ import annotations

import argparse
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from broadsheet.build import config, content, frontmatter, scan
from broadsheet.build.markup import MarkdownRenderer
from broadsheet.problems import EXIT_OK, EXIT_PROBLEMS, Problem, display_path, errors, print_problems

TITLE_WIDTH = 60  # wider titles are cut so the outlet and date stay on a terminal's line
UNREADABLE = "(front matter has errors)"
# Only for a file the build cannot parse: does its front matter still say it is a draft?
DRAFT_LINE = re.compile(r"^draft:\s*(true|yes|on)\s*(#.*)?$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Row:
    title: str
    outlet: str
    date: datetime | None  # None when the front matter is too broken to give one
    path: str  # site-relative


def run(args: argparse.Namespace) -> int:
    site: Path = args.site
    problems = scan.check_site(site)
    settings, more = config.load_settings(site)
    if errors(problems + more):
        print_problems(errors(problems + more), site)
        return EXIT_PROBLEMS
    rows, broken = find(site, settings)
    print("\n".join(table(rows, site)) if rows else "No drafts.")
    print_problems(broken, site)
    return EXIT_PROBLEMS if broken else EXIT_OK


def find(site: Path, settings: config.Settings) -> tuple[list[Row], list[Problem]]:
    """Every draft as a row, newest first (undated broken ones last); the errors of the drafts
    that do not parse. Files that are not drafts are the build's business, not reported here."""
    sources, _ = scan.scan_content(site)
    parse_settings = content.ParseSettings.of(settings)
    renderer = MarkdownRenderer(parse_settings.extensions)
    rows: list[Row] = []
    broken: list[Problem] = []
    for source in sources:
        raw = content.read_bytes(source)
        if isinstance(raw, Problem):
            continue
        article, problems = content.parse(source, raw, parse_settings, renderer)
        if article is not None:
            if article.draft:
                rows.append(Row(article.title, article.source.name if article.source else "", article.date, source.rel))
        elif _says_draft(raw):
            rows.append(Row(UNREADABLE, "", None, source.rel))
            broken += errors(problems)
    dated = sorted((r for r in rows if r.date), key=lambda r: (-r.date.timestamp() if r.date else 0.0, r.path))
    return dated + sorted((r for r in rows if not r.date), key=lambda r: r.path), broken


def _says_draft(raw: bytes) -> bool:
    parts = frontmatter.split(raw.decode("utf-8", errors="replace"))
    return not isinstance(parts, str) and DRAFT_LINE.search(parts.yaml_text) is not None


def table(rows: list[Row], site: Path) -> list[str]:
    """One aligned line per draft: columns padded by the width a terminal gives each
    character (a CJK letter takes two), so wide titles do not push the others out of line."""
    cells = [
        (
            _cut(r.title),
            r.outlet or "-",
            r.date.strftime("%Y-%m-%d %H:%M") if r.date else "-",
            display_path(site / r.path),
        )
        for r in rows
    ]
    widths = [max(_width(c[i]) for c in cells) for i in range(3)]
    return [("  ".join(_pad(c[i], widths[i]) for i in range(3)) + "  " + c[3]) for c in cells]


def _width(text: str) -> int:
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _cut(title: str) -> str:
    if _width(title) <= TITLE_WIDTH:
        return title
    out = ""
    for ch in title:
        if _width(out + ch) > TITLE_WIDTH - 1:
            break
        out += ch
    return out + "…"
