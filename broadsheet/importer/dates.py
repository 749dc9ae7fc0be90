"""Datelines as news pages print them ("Tue 17 Jun 2025 08.15 BST") -> aware datetimes."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import dateparser

YEAR = re.compile(r"\b(19|20)\d\d\b")
PREFIX = re.compile(
    r"^\s*(first published|first uploaded|published|last updated|last modified|updated|posted|modified|stand|veröffentlicht|publiziert|erschienen"
    r"|aktualisiert|zuletzt aktualisiert|опубликовано|обновлено|обновлён|опубліковано|оновлено|publié|mis à jour|modifié|publicado|actualizado)"
    r"(\s+(on|am|le|el))?\s*:?\s*",
    re.I,
)
TIME_ONLY = re.compile(r"\d{1,2}[:.]\d\d(\s*[ap]\.?m\.?)?(\s+[A-Z]{2,5}([+-]\d{1,2})?)?", re.I)  # "4:12 PM GMT+9"
NUMERIC_DMY = re.compile(r"\b\d{1,2}[-.]\d{1,2}[-.](19|20)\d\d\b")
LANGUAGES = ["en", "de", "fr", "es", "ru", "uk"]  # the theme's languages
DOTTED_TIME = re.compile(r"\b(\d{1,2})(?:\.|\s?h\s?)(\d{2})\b(?!\.\d)")  # 08.15, 5 h 00, 06h15 -> 08:15
# "17 June 2025 · 4 min read", "June 18, 2025, Updated ...", "April 9, 2025 4:31 PM GMT+1 Updated 2 hours ago"
SEPARATOR = re.compile(
    r"\s*\|\s*|\s+[·•–—/-]\s+|,\s+(?=[A-Za-z])|(?:\s+|(?<=\d))(?=(?:updated|last updated|modified|aktualisiert|обновлено|оновлено|mis à jour|modifié|actualizado)\b)"
    r"|\s+(?=(?:temps de lecture|lesezeit|reading time|tiempo de lectura|время чтения|\d+ min read)\b)",
    re.I,
)
MAX_DATELINE = 160  # "PUBLISHED: November 24, 2026 at 6:15 PM CST | UPDATED: ..."; the date in it is shorter
MAX_DATE_PART = 80


UPDATE = re.compile(
    r"\b(last updated|last modified|updated|modified|aktualisiert|обновлено|обновлён|оновлено|mis à jour|modifié|actualizado)\b",
    re.I,
)
PUBLISHED = re.compile(
    r"^\W*(first published|first uploaded|published|posted|veröffentlicht|publiziert|erschienen|опубликовано|опубліковано|publié|publicado)\b",
    re.I,
)


def is_update(line: str) -> bool:
    """ "Updated 4:12 PM GMT+9, June 17, 2025": a stamp of a later change, not of publication."""
    return bool(UPDATE.search(line)) and not PUBLISHED.match(line)


def is_published(line: str) -> bool:
    return bool(PUBLISHED.match(line))


def parse_dateline(line: str, tz: ZoneInfo) -> datetime | None:
    """The date a short line states, or None; a line without a year is not a dateline."""
    if len(line) > MAX_DATELINE or not YEAR.search(line):
        return None
    # "17 June 2025 · 4 min read": the part with the year is the date
    parts = SEPARATOR.split(line)
    at = next(i for i, part in enumerate(parts) if YEAR.search(part))
    dated = parts[at]
    if len(dated) > MAX_DATE_PART:
        return None
    if at and TIME_ONLY.fullmatch(PREFIX.sub("", parts[at - 1]).strip()):  # "Updated 4:12 PM GMT+9, June 17, 2025"
        dated = f"{dated} {PREFIX.sub('', parts[at - 1]).strip()}"
    elif at + 1 < len(parts) and TIME_ONLY.fullmatch(parts[at + 1].strip()):  # "Jaén - 14 nov 2026 - 06:30 CET"
        dated = f"{dated} {parts[at + 1].strip()}"
    text = DOTTED_TIME.sub(r"\1:\2", PREFIX.sub("", dated)).strip(" ,.")
    text = re.sub(r"\s+(?:at|à|um|a las|в)\s+(?=\d)", " ", text)  # "November 24, 2026 at 6:15 PM"
    settings = {
        "TIMEZONE": str(tz),
        "RETURN_AS_TIMEZONE_AWARE": True,
        "REQUIRE_PARTS": ["day", "month", "year"],
        "PREFER_DATES_FROM": "past",
    }
    if NUMERIC_DMY.search(
        text
    ):  # "08-11-2026", "18.06.2025": day first, as everywhere but in the US, whose pages write months out
        settings["DATE_ORDER"] = "DMY"
    found = dateparser.parse(text, languages=LANGUAGES, settings=settings)
    return found.astimezone(tz) if found and 1900 <= found.year <= 2199 else None  # the calendar the build accepts


def parse_iso(text: str, tz: ZoneInfo) -> datetime | None:
    """An ISO 8601 date or date-time as pages' metadata give it; a naive one is in the site's zone."""
    try:
        found = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=tz)
