"""Datelines as news pages print them ("Tue 17 Jun 2025 08.15 BST") -> aware datetimes."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import dateparser

YEAR = re.compile(r"\b(19|20)\d\d\b")
PREFIX = re.compile(r"^\s*(first published|published|last updated|last modified|updated|posted|modified)(\s+on)?\s*:?\s*", re.I)
DOTTED_TIME = re.compile(r"\b(\d{1,2})\.(\d{2})\b(?!\.\d)")  # 08.15 -> 08:15
SEPARATOR = re.compile(r"\s+[·•|]\s+|,\s+(?=[A-Za-z])")
MAX_DATELINE = 80


def parse_dateline(line: str, tz: ZoneInfo) -> datetime | None:
    """The date a short line states, or None; a line without a year is not a dateline."""
    if len(line) > MAX_DATELINE or not YEAR.search(line):
        return None
    # "17 June 2025 · 4 min read": the part with the year is the date
    dated = next(part for part in SEPARATOR.split(line) if YEAR.search(part))
    text = DOTTED_TIME.sub(r"\1:\2", PREFIX.sub("", dated)).strip(" ,.")
    settings = {
        "TIMEZONE": str(tz),
        "RETURN_AS_TIMEZONE_AWARE": True,
        "REQUIRE_PARTS": ["day", "month", "year"],
        "PREFER_DATES_FROM": "past",
    }
    found = dateparser.parse(text, languages=["en"], settings=settings)
    return found.astimezone(tz) if found else None


def parse_iso(text: str, tz: ZoneInfo) -> datetime | None:
    """An ISO 8601 date or date-time as pages' metadata give it; a naive one is in the site's zone."""
    try:
        found = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=tz)
