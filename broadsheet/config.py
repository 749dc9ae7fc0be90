"""broadsheet.yaml -> a frozen Settings object, with every error and its line."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from broadsheet.i18n import check_overrides
from broadsheet.problems import Problem
from broadsheet.yamlload import YamlError, load

SETTINGS_FILE = "broadsheet.yaml"
MAX_SETTINGS_BYTES = 256 * 1024
URL_FIELDS = {"year", "month", "day", "slug", "section"}
FEED_CONTENT = ("full", "summary")


@dataclass(frozen=True)
class FeedSettings:
    """The `feed:` mapping: how many stories each feed carries, and how much of each."""

    entries: int = 20
    content: str = "full"  # "full": the whole article; "summary": its summary only


@dataclass(frozen=True)
class Settings:
    title: str = "Broadsheet"
    description: str = ""
    base_url: str = "http://localhost:8000/"
    language: str = "en"
    timezone: str = "UTC"
    edition: str = "day"  # "day" or "week"
    editions_per_page: int = 7
    per_page: int = 20
    article_url: str = "/{year}/{month}/{day}/{slug}/"
    related: int = 3
    words_per_minute: int = 220
    feed: FeedSettings = field(default_factory=FeedSettings)
    news_publication: str = ""  # the publication name in the news sitemap; '' means the title
    extra: dict[str, Any] = field(default_factory=dict)
    strings: dict[str, Any] = field(default_factory=dict)  # the theme's phrases, overridden (see strings.py)

    @property
    def base_path(self) -> str:
        """The path part of base_url, always starting and ending with '/'."""
        path = urlsplit(self.base_url).path or "/"
        return path if path.endswith("/") else path + "/"

    @property
    def origin(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def publication(self) -> str:
        return self.news_publication or self.title


def load_settings(site_dir: Path, base_url: str | None = None) -> tuple[Settings, list[Problem]]:
    """Read the settings file; a missing file means the defaults."""
    path = site_dir / SETTINGS_FILE
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    if path.is_file():
        values, lines, problems = _read(path)
    if base_url is not None:
        values["base_url"] = base_url
        lines.pop("base_url", None)
    settings, more = _validate(values, lines)
    return settings, problems + more


def _read(path: Path) -> tuple[dict[str, Any], dict[str, int], list[Problem]]:
    name = SETTINGS_FILE
    raw = path.read_bytes()
    if len(raw) > MAX_SETTINGS_BYTES:
        return {}, {}, [Problem(name, 0, "", f"settings file is over the {MAX_SETTINGS_BYTES // 1024} KiB limit")]
    try:
        loaded = load(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return {}, {}, [Problem(name, 0, "", "settings file is not UTF-8 text")]
    except YamlError as exc:
        return {}, {}, [Problem(name, exc.line, "", exc.message)]
    if loaded.data is None:
        return {}, {}, []
    if not isinstance(loaded.data, dict):
        return {}, {}, [Problem(name, 1, "", "expected a mapping of settings (key: value)")]
    return loaded.data, loaded.lines, []


def _validate(values: dict[str, Any], lines: dict[str, int]) -> tuple[Settings, list[Problem]]:
    problems: list[Problem] = []

    def problem(key: str, message: str) -> None:
        problems.append(Problem(SETTINGS_FILE, lines.get(key, 0), key, message))

    known = {f.name: f for f in fields(Settings)}
    accepted: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            problem(str(key), f"unknown setting (expected one of: {', '.join(sorted(known))})")
            continue
        if key == "feed":
            value = _feed_settings(value, problem)
            if value is None:
                continue
        if key == "strings":
            wrong = check_overrides(value)
            for name, message in wrong:
                problem(name, message)
            if wrong:
                continue
        message = _check(key, value)
        if message:
            problem(key, message)
        else:
            accepted[key] = value
    settings = Settings(**accepted)
    if "base_url" in accepted:
        settings = replace(settings, base_url=_with_slash(settings.base_url))
    return settings, problems


def _feed_settings(value: Any, problem) -> FeedSettings | None:
    """The `feed:` mapping -> FeedSettings; each wrong key is reported under its own name."""
    if not isinstance(value, dict):
        problem("feed", "expected a mapping such as {entries: 20, content: full}")
        return None
    checks = {
        "entries": _is_positive,
        "content": lambda v: None if v in FEED_CONTENT else "expected 'full' or 'summary'",
    }
    accepted = {}
    for key, item in value.items():
        name = f"feed.{key}"
        message = checks[key](item) if key in checks else f"unknown setting (expected one of: {', '.join(sorted(checks))})"
        if message:
            problem(name, message)
        else:
            accepted[key] = item
    return FeedSettings(**accepted)


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _check(key: str, value: Any) -> str | None:
    """The message for a wrong value, or None when it is fine."""
    checks = {
        "title": _is_text,
        "description": _is_text,
        "language": _is_language,
        "base_url": _is_base_url,
        "timezone": _is_timezone,
        "edition": lambda v: None if v in ("day", "week") else "expected 'day' or 'week'",
        "editions_per_page": _is_positive,
        "per_page": _is_positive,
        "related": lambda v: _is_positive(v, zero=True),
        "words_per_minute": _is_positive,
        "feed": lambda v: None,  # checked key by key in _feed_settings
        "news_publication": _is_text,
        "article_url": _is_url_pattern,
        "extra": lambda v: None if isinstance(v, dict) else "expected a mapping",
        "strings": lambda v: None,  # checked phrase by phrase in i18n.check_overrides
    }
    return checks[key](value)


def _is_text(value: Any) -> str | None:
    return None if isinstance(value, str) else "expected a string"


def _is_language(value: Any) -> str | None:
    if isinstance(value, str) and re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", value):
        return None
    return "expected a BCP 47 language tag such as 'en' or 'pt-BR'"


def _is_positive(value: Any, zero: bool = False) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and (value > 0 or (zero and value == 0)):
        return None
    return "expected a whole number of 0 or more" if zero else "expected a whole number above 0"


def _is_base_url(value: Any) -> str | None:
    if isinstance(value, str):
        parts = urlsplit(value)
        if parts.scheme in ("http", "https") and parts.netloc and not parts.query and not parts.fragment:
            return None
    return "expected an absolute http(s) URL such as 'https://example.org/digest/'"


def _is_timezone(value: Any) -> str | None:
    if isinstance(value, str):
        try:
            ZoneInfo(value)
            return None
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return "expected an IANA time zone name such as 'Europe/London'"


def _is_url_pattern(value: Any) -> str | None:
    expected = "expected a pattern such as '/{year}/{month}/{day}/{slug}/' using " + ", ".join(
        "{" + f + "}" for f in sorted(URL_FIELDS)
    )
    if not isinstance(value, str) or not value.startswith("/") or not value.endswith("/"):
        return expected
    names = set(re.findall(r"{(\w*)}", value))
    if "slug" not in names or not names <= URL_FIELDS or ".." in value:
        return expected
    return None
