"""Pasted article text -> Draft: the outlet's banner, widgets and appeal boxes go.

Text copied from a browser has one line per block (headline, caption, paragraph), so each
non-empty line is a unit. From the top: banner lines, the headline, then a short header of
byline, dateline and photo caption/credit, then the story with its boilerplate removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from broadsheet.build.config import ImportSettings
from broadsheet.importer import rules
from broadsheet.importer.dates import parse_dateline
from broadsheet.importer.draft import Draft, Picture
from broadsheet.importer.markdown import clean_markdown
from broadsheet.importer.rules import home_page

MIN_HEADLINE_WORDS, MAX_HEADLINE_WORDS = 3, 30
HEADER_LINES = 6  # byline, dateline and photo lines sit within this many lines of the headline


@dataclass
class _Header:
    authors: tuple[str, ...] = ()
    date: datetime | None = None
    picture: Picture | None = None


def read_text(text: str, origin: str, fetched_from: str, source_name: str, settings: ImportSettings, tz: ZoneInfo) -> Draft:
    """ValueError when no headline and story are left after the boilerplate.

    The original URL is a URL line at the top of the text, else the URL it was fetched from.
    """
    lines = [" ".join(line.split()) for line in text.replace("\ufeff", "").splitlines()]
    lines = [line for line in lines if line]
    url = next((line for line in lines[:HEADER_LINES] if rules.URL_LINE.fullmatch(line)), "")
    lines = [line for line in lines if line != url]
    url = url or fetched_from
    rule = rules.matching_rule(settings, source_name, url)
    source_name = source_name or (rule.name if rule else "")
    line_rules = rules.rules_for(settings, source_name, url)
    start = _headline_index(lines, line_rules)
    if start is None:
        raise ValueError("no headline found (every line looked like site boilerplate)")
    if len(lines[start].split()) > MAX_HEADLINE_WORDS:
        raise ValueError(f"the first line of the story has {len(lines[start].split())} words, too many for a headline (put the headline on a line of its own)")
    for masthead in filter(rules.is_masthead, lines[:start]):
        line_rules = line_rules.with_outlet(masthead)  # its name repeats in the page's footer
    header, story = _header(lines[start + 1 :], tz)
    kept = strip_boilerplate(story, line_rules)
    if not kept:
        raise ValueError("no story text found after the headline")
    body = clean_markdown("\n\n".join(kept))
    return Draft(origin, lines[start], body, header.date, url, source_name, home_page(url), header.authors, header.picture)


def _headline_index(lines: list[str], line_rules: rules.LineRules) -> int | None:
    """The first line that is not the site's banner, menu (one or two words a line) or a widget."""
    for i, line in enumerate(lines):
        menu = len(line.split()) < MIN_HEADLINE_WORDS
        if not (menu or line_rules.is_banner(line) or line_rules.is_widget(line) or parse_dateline(line, ZoneInfo("UTC"))):
            return i
    return None


def _header(lines: list[str], tz: ZoneInfo) -> tuple[_Header, list[str]]:
    """Take byline, dateline and photo caption/credit out of the lines below the headline."""
    header = _Header()
    taken: set[int] = set()
    for i, line in enumerate(lines[:HEADER_LINES]):
        names = rules.byline(line)
        when = parse_dateline(line, tz)
        credit = None if names or when else rules.split_credit(line)
        if names and not header.authors:
            header.authors = names
            header.date = header.date or when  # "By Jo Hart, 3 April 2025"
        elif when and header.date is None:
            header.date = when
        elif credit and _adds_to(header.picture, credit):
            caption, credit_text = credit
            if not caption and i > 0 and i - 1 not in taken and rules.BARE_CREDIT.fullmatch(line):
                caption = lines[i - 1]  # the caption is the line above a bare "Name / Agency"
                taken.add(i - 1)
            old = header.picture or Picture()
            header.picture = Picture(caption=old.caption or caption, credit=old.credit or credit_text)
        else:
            continue
        taken.add(i)
    return header, [line for i, line in enumerate(lines) if i not in taken]


def _adds_to(picture: Picture | None, credit: tuple[str, str]) -> bool:
    """The first photo's caption and credit may come on two lines; a second photo's do not count."""
    return picture is None or (not picture.caption and bool(credit[0])) or (not picture.credit and bool(credit[1]))


def strip_boilerplate(lines: list[str], line_rules: rules.LineRules) -> list[str]:
    kept: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line_rules.starts_box(line):
            i = _box_end(lines, i, line_rules)
            continue
        if rules.LINK_HEADING.fullmatch(line):
            i += 2 if i + 1 < len(lines) and rules.is_headline_like(lines[i + 1]) else 1
            continue
        if not (line_rules.is_widget(line) or line_rules.names_outlet(line) or rules.split_credit(line)):
            kept.append(line)
        i += 1
    return kept


def _box_end(lines: list[str], start: int, line_rules: rules.LineRules) -> int:
    """The index after an appeal or newsletter box that opens at `start`."""
    end = start + 1
    while end < len(lines) and end - start < rules.MAX_BOX_LINES:
        line = lines[end]
        if rules.ends_box(line):
            return end + 1
        if not (rules.promotional(line) or line_rules.is_widget(line) or line_rules.names_outlet(line)):
            break
        end += 1
    return end
