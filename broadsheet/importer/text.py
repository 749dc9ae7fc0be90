"""Pasted article text -> Draft, through the segmenter (segment.py).

The outlet's name is the one given (`--source-name`, or a rule matched by the article's URL),
else the one the page names most; the standfirst is kept for the editor under `imported:`.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from broadsheet.build.config import ImportSettings
from broadsheet.importer import rules
from broadsheet.importer.draft import Draft
from broadsheet.importer.markdown import clean_markdown
from broadsheet.importer.segment import segment

HEADER_LINES = 6  # a URL line naming the original sits at the top


def read_text(
    text: str, origin: str, fetched_from: str, source_name: str, settings: ImportSettings, tz: ZoneInfo
) -> Draft:
    """ValueError when no headline and story are left after the boilerplate.

    The original URL is a URL line at the top of the text, else the URL it was fetched from.
    """
    lines = [" ".join(line.split()) for line in text.replace("\ufeff", "").splitlines()]
    lines = [
        line for i, line in enumerate(lines) if line and not (i and line == lines[i - 1])
    ]  # a headline printed twice is one
    url = next((line for line in lines[:HEADER_LINES] if rules.URL_LINE.fullmatch(line)), "")
    lines = [line for line in lines if line != url]
    url = url or fetched_from
    rule = rules.matching_rule(settings, source_name, url)
    source_name = source_name or (rule.name if rule else "")
    parts = segment(lines, rules.rules_for(settings, source_name, url), tz)
    body = clean_markdown("\n\n".join(parts.story))
    return Draft(
        origin,
        parts.title,
        body,
        parts.date,
        url,
        source_name or parts.outlet,
        rules.home_page(url),
        parts.authors,
        parts.picture,
        parts.standfirst,
    )
