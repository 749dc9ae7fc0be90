"""Command-line sources -> inputs -> Drafts: files, folders of files, and http(s) URLs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from broadsheet.build.config import ImportSettings
from broadsheet.build.scan import is_ignored
from broadsheet.importer.charset import decode
from broadsheet.importer.draft import Draft
from broadsheet.importer.feed import looks_like_feed, read_feed
from broadsheet.importer.fetch import Limits, fetch
from broadsheet.importer.page import read_page
from broadsheet.importer.text import read_text
from broadsheet.problems import not_utf8

TEXT_SUFFIXES = (".txt", ".text")
HTML_SUFFIXES = (".html", ".htm")
FEED_SUFFIXES = (".xml", ".rss", ".atom", ".json")
MAX_FILE_BYTES = 10 * 1024 * 1024
UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class Reader:
    """What reading any input needs: the rules, the site's time zone, the fetch limits."""

    settings: ImportSettings
    tz: ZoneInfo
    source_name: str
    limits: Limits


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def expand(source: str) -> list[str]:
    """A folder becomes the importable files inside it, in name order; FileNotFoundError if missing."""
    if is_url(source):
        return [source]
    path = Path(source)
    if path.is_dir():
        suffixes = TEXT_SUFFIXES + HTML_SUFFIXES + FEED_SUFFIXES
        found = [
            str(p) for p in sorted(path.rglob("*"))
            if p.is_file() and p.suffix.lower() in suffixes and not any(is_ignored(part) for part in p.relative_to(path).parts)
        ]  # fmt: skip
        if not found:
            raise FileNotFoundError(
                f"no .txt, .html or feed files in this folder (expected one of {', '.join(suffixes)})"
            )
        return found
    if not path.is_file():
        raise FileNotFoundError("no such file or folder")
    return [source]


def read(source: str, reader: Reader) -> list[Draft]:
    """The drafts in one file or URL; ValueError or FetchError says why there are none."""
    if is_url(source):
        fetched = fetch(source, reader.limits)
        refusal = unreadable(fetched.body, "page")
        if refusal:
            raise ValueError(refusal)
        return _decode(fetched.body, source, fetched.url, _kind_of_type(fetched.content_type), fetched.charset, reader)
    path = Path(source)
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValueError(f"file is over the {MAX_FILE_BYTES // (1024 * 1024)} MiB limit")
    data, kind = path.read_bytes(), _kind_of_suffix(path.suffix.lower())
    refusal = unreadable(data, "file") or (not_utf8_text(data) if kind == "text" else None)
    if refusal:
        raise ValueError(refusal)
    return _decode(data, source, "", kind, "", reader)


def unreadable(data: bytes, what: str) -> str | None:
    """Why a saved file or fetched page holds nothing to import, or None. Checked before any guessing:
    an empty file would otherwise read as "no headline", and a binary file would be
    guessed into some charset and imported as a garbled draft."""
    if not data.strip():
        return f"empty {what} (expected pasted article text, an HTML page or a feed)"
    if b"\0" in data[:8192] and not data.startswith(UTF16_MARKS):  # UTF-16 text is full of NULs, and marked
        return f"binary {what} (expected pasted article text, an HTML page or a feed)"
    return None


def not_utf8_text(data: bytes) -> str | None:
    """Pasted text must be UTF-8, as articles must: a text file declares no charset, and a
    guess turns "café" into "cafÃ©" in a draft. (Pages and feeds say their charset.)"""
    if data.startswith(UTF16_MARKS):
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problem = not_utf8("", data, exc)
        return f"line {problem.line}: {problem.message}"
    return None


def _kind_of_suffix(suffix: str) -> str:
    return (
        "text"
        if suffix in TEXT_SUFFIXES
        else "html"
        if suffix in HTML_SUFFIXES
        else "feed"
        if suffix in FEED_SUFFIXES
        else ""
    )


def _kind_of_type(content_type: str) -> str:
    if content_type in ("text/html", "application/xhtml+xml"):
        return "html"
    if content_type == "text/plain":
        return "text"
    return "feed" if "xml" in content_type or "json" in content_type else ""


def _text(data: bytes, charset: str) -> str:
    """Bytes as the server's charset says, else as the bytes themselves show (importer/charset.py)."""
    if charset:
        try:
            return data.decode(charset, errors="replace")
        except LookupError:  # a charset Python does not know
            pass
    return decode(data)


def _decode(data: bytes, origin: str, url: str, kind: str, charset: str, reader: Reader) -> list[Draft]:
    if kind == "feed" or looks_like_feed(data):
        return read_feed(data, origin, url, reader.source_name, reader.tz)
    text = _text(data, charset)
    if kind == "text":
        return [read_text(text, origin, url, reader.source_name, reader.settings, reader.tz)]
    if kind == "html" or "<html" in text[:4096].lower() or "<body" in text[:4096].lower():
        return [read_page(text, origin, url, reader.source_name, reader.settings, reader.tz)]
    raise ValueError("unknown kind of input (expected pasted text, an HTML page or an RSS, Atom or JSON feed)")
