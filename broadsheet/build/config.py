"""broadsheet.yaml -> a frozen Settings object, with every error and its line."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from broadsheet.build import markdown_settings, sitefiles
from broadsheet.build.markdown_settings import MarkdownSettings
from broadsheet.build.slugs import is_reserved
from broadsheet.build.stories import StorySettings
from broadsheet.build.yamlload import YamlError, load
from broadsheet.problems import Problem, not_utf8
from broadsheet.publish.targets import GitTarget, RsyncTarget, S3Target, Target
from broadsheet.theme import catalogue
from broadsheet.theme.catalogue import Phrases

SETTINGS_FILE = "broadsheet.yaml"
MAX_SETTINGS_BYTES = 256 * 1024
URL_FIELDS = {"year", "month", "day", "slug", "section"}
FEED_CONTENT = ("full", "summary")


@dataclass(frozen=True)
class FeedSettings:
    """The `feed:` mapping: how many stories each feed carries, and how much of each."""

    entries: int = 20
    content: str = "full"  # "full": the whole article; "summary": its summary only


SUBJECT_FIELDS = ("site", "date", "edition", "count", "headline")
SMTP_SECURITY = {"starttls": 587, "tls": 465, "none": 25}  # each with its usual port


@dataclass(frozen=True)
class SmtpSettings:
    """`email.smtp`: where --send delivers. The password is never here: only the name of
    the environment variable that holds it."""

    host: str = "localhost"
    port: int = 0  # 0: the usual port for the security (587, 465 or 25)
    security: str = "starttls"  # "starttls", "tls" (implicit TLS) or "none"
    username: str = ""
    password_env: str = ""
    rate_per_minute: int = 60

    @property
    def effective_port(self) -> int:
        return self.port or SMTP_SECURITY[self.security]


@dataclass(frozen=True)
class UtmSettings:
    """`email.utm`: query parameters added to the newsletter's links into the site."""

    source: str = ""
    medium: str = ""
    campaign: str = ""  # may hold {edition}


@dataclass(frozen=True)
class EmailSettings:
    """The `email:` mapping: how an edition becomes a newsletter (see newsletter.py)."""

    sender: str = ""  # the `from:` key, e.g. "The Digest <digest@example.org>"
    reply_to: str = ""
    subject: str = "{site} - {date}"  # placeholders: SUBJECT_FIELDS
    list_unsubscribe: tuple[str, ...] = ()  # mailto: and https: URLs for the List-Unsubscribe header
    unsubscribe: str = ""  # the footer link; '' means the first list_unsubscribe, else a placeholder
    utm: UtmSettings = field(default_factory=UtmSettings)
    publish: bool = False  # also write each edition's newsletter as <edition>/email.html
    recipients: str = ""  # default list file for --send, relative to the site folder
    smtp: SmtpSettings = field(default_factory=SmtpSettings)


@dataclass(frozen=True)
class SourceRule:
    """Import rules for one outlet, matched by its name or the host of an imported URL."""

    name: str
    hosts: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()  # regular expressions: a matching line of pasted text is dropped
    banner: tuple[str, ...] = ()  # regular expressions: matching lines above the headline are dropped


@dataclass(frozen=True)
class Subscription:
    """A feed followed by `broadsheet import --subscriptions`: its new entries become drafts."""

    url: str
    section: str = ""  # the sub-folder of content/ its drafts go into; '' for content/ itself
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportSettings:
    """The `import:` mapping: limits for fetching and boilerplate rules for `broadsheet import`."""

    timeout: float = 20.0  # seconds for one fetch, start to last byte
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    drop: tuple[str, ...] = ()  # regular expressions for every source
    sources: tuple[SourceRule, ...] = ()
    subscriptions: tuple[Subscription, ...] = ()
    allow_private: bool = False  # like --allow-private: feeds on the newsroom's own network


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
    stories: StorySettings = field(default_factory=StorySettings)  # grouping coverage of one event
    markdown: MarkdownSettings = field(default_factory=MarkdownSettings)
    import_: ImportSettings = field(default_factory=ImportSettings)  # `import:` in the file
    news_publication: str = ""  # the publication name in the news sitemap; '' means the title
    email: EmailSettings = field(default_factory=EmailSettings)
    extra: dict[str, Any] = field(default_factory=dict)
    strings: dict[str, Any] = field(default_factory=dict)  # the theme's phrases, overridden (see theme/catalogue.py)
    phrases: Phrases | None = None  # the catalogues (theme, site's locale/, strings:); None: the theme's alone
    publish: dict[str, Target] = field(default_factory=dict)  # name -> target, in file order: the first is the default
    relative_urls: bool = (
        False  # pages link relative to themselves, so the output opens from the disk (build/relative.py)
    )

    def for_pages(self) -> Settings:
        """The settings as pages see them: import rules only steer `broadsheet import`, and
        publish targets only `broadsheet publish`, so editing them must not make every page
        be rendered again."""
        return replace(self, import_=ImportSettings(), publish={})

    @property
    def base_path(self) -> str:
        """The path part of base_url, always starting and ending with '/'."""
        path = urlsplit(self.base_url).path or "/"
        return path if path.endswith("/") else path + "/"

    @property
    def origin(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    def absolute(self, url: str) -> str:
        """A URL as seen from anywhere: site paths get the origin, full URLs stay as they are."""
        return self.origin + url if url.startswith("/") else url

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
    phrases, said = catalogue.load(site_dir, settings.language, settings.strings)
    return replace(settings, phrases=phrases), problems + more + said


def _read(path: Path) -> tuple[dict[str, Any], dict[str, int], list[Problem]]:
    name = SETTINGS_FILE
    refused = sitefiles.refusal(path, path.parent)  # a link to a file outside the site is read by no build
    if refused:
        return {}, {}, [Problem(name, 0, "", refused)]
    try:
        raw = sitefiles.read_regular(path, MAX_SETTINGS_BYTES)
    except sitefiles.TooLarge:
        return {}, {}, [Problem(name, 0, "", f"settings file is over the {MAX_SETTINGS_BYTES // 1024} KiB limit")]
    try:
        loaded = load(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return {}, {}, [not_utf8(name, raw, exc)]
    except YamlError as exc:
        return {}, {}, [Problem(name, exc.line, exc.key, exc.describe())]
    if loaded.data is None:
        return {}, {}, []
    if not isinstance(loaded.data, dict):
        return {}, {}, [Problem(name, 1, "", "expected a mapping of settings (key: value)")]
    return loaded.data, loaded.lines, []


def _validate(values: dict[str, Any], lines: dict[str, int]) -> tuple[Settings, list[Problem]]:
    problems: list[Problem] = []

    def problem(key: str, message: str) -> None:
        # "import.sources[1].drop": that list's line; a missing "publish.pages.remote": its target's
        name = key.split("[")[0]
        while name and name not in lines:
            name = name.rpartition(".")[0]
        problems.append(Problem(SETTINGS_FILE, lines.get(key) or lines.get(name, 0), key, message))

    known = {f.name.rstrip("_"): f for f in fields(Settings)}
    accepted: dict[str, Any] = {}
    for key, value in values.items():
        if key == "import":
            accepted["import_"] = _import_settings(value, problem)
            continue
        if key == "publish":
            accepted["publish"] = _publish_settings(value, problem)
            continue
        if key not in known:
            problem(str(key), f"unknown setting (expected one of: {', '.join(sorted(known))})")
            continue
        if key == "feed":
            value = _feed_settings(value, problem)
            if value is None:
                continue
        if key == "stories":
            value = StorySettings(**_mapping("stories", value, STORY_CHECKS, problem))
        if key == "markdown":
            checks = {"timeout": _is_seconds, **markdown_settings.CHECKED_HERE}
            value = markdown_settings.read(_mapping("markdown", value, checks, problem), problem)
        if key == "email":
            value = _email_settings(value, problem)
        if key == "strings":
            from broadsheet.theme.localise import check_overrides  # here: it imports Jinja

            wrong = check_overrides(value)
            for name, wrong_why in wrong:
                problem(name, wrong_why)
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
    return FeedSettings(**_mapping("feed", value, checks, problem))


STORY_CHECKS = {
    "auto": lambda v: _is_bool(v),  # a lambda: _is_bool is defined further down
    "window_hours": lambda v: (
        None
        if isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v <= 24 * 31
        else "expected a number of hours above 0 (at most 744, a month), such as 72"
    ),
    "threshold": lambda v: (
        None
        if isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v <= 1
        else "expected a number above 0 and at most 1 (higher: fewer, tighter stories), such as 0.2"
    ),
}


def _email_settings(value: Any, problem) -> EmailSettings:
    """The `email:` mapping -> EmailSettings; every wrong key is reported under its dotted name."""
    checks = {
        "from": _one_line(_is_address), "reply_to": _one_line(_is_address), "subject": _one_line(_is_subject),
        "list_unsubscribe": _one_line(_is_unsubscribe_list), "unsubscribe": _is_unsubscribe_link,
        "utm": lambda v: None, "publish": _is_bool, "recipients": _is_text, "smtp": lambda v: None,
    }  # fmt: skip
    accepted = _mapping("email", value, checks, problem)
    if "from" in accepted:
        accepted["sender"] = accepted.pop("from")
    if isinstance(accepted.get("list_unsubscribe"), str):
        accepted["list_unsubscribe"] = (accepted["list_unsubscribe"],)
    elif "list_unsubscribe" in accepted:
        accepted["list_unsubscribe"] = tuple(accepted["list_unsubscribe"])
    smtp_checks = {
        "host": lambda v: (
            None if isinstance(v, str) and v.strip() else "expected a host name such as 'smtp.example.org'"
        ),
        "port": lambda v: (
            None
            if isinstance(v, int) and not isinstance(v, bool) and 0 < v < 65536
            else "expected a port number (1-65535)"
        ),
        "security": lambda v: None if v in SMTP_SECURITY else "expected 'starttls', 'tls' or 'none'",
        "username": _is_text,
        "password_env": lambda v: (
            None
            if isinstance(v, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", v)
            else "expected the name of an environment variable, such as BROADSHEET_SMTP_PASSWORD"
        ),
        "rate_per_minute": _is_positive,
    }
    if "utm" in accepted:
        utm = _mapping("email.utm", accepted["utm"], dict.fromkeys(("source", "medium", "campaign"), _is_text), problem)
        accepted["utm"] = UtmSettings(**utm)
    if "smtp" in accepted:
        smtp = accepted["smtp"]
        if isinstance(smtp, dict) and "password" in smtp:  # a settings file gets committed and shared
            problem("email.smtp.password", "a password does not belong in the settings file: put it in an "
                    "environment variable named by smtp.password_env")  # fmt: skip
            smtp = {k: v for k, v in smtp.items() if k != "password"}
        accepted["smtp"] = SmtpSettings(**_mapping("email.smtp", smtp, smtp_checks, problem))
    return EmailSettings(**accepted)


def _mapping(name: str, value: Any, checks: dict, problem, unknown: str = "setting") -> dict[str, Any]:
    """The keys of a settings mapping that pass their checks; the others are reported
    (`unknown` names what a key is: a setting, or a key of one item in a list)."""
    if not isinstance(value, dict):
        problem(name, "expected a mapping of settings (key: value)")
        return {}
    accepted = {}
    for key, item in value.items():
        message = (
            checks[key](item) if key in checks else f"unknown {unknown} (expected one of: {', '.join(sorted(checks))})"
        )
        if message:
            problem(f"{name}.{key}", message)
        else:
            accepted[key] = item
    return accepted


def control_character(text: str) -> str | None:
    """The first control character or line separator in text (\\n, \\r, NUL, ESC, U+2028...), or None."""
    return next((c for c in text if ord(c) < 32 or 127 <= ord(c) < 160 or c in "\u2028\u2029"), None)


def _one_line(check):
    """`check`, after refusing control characters: these settings become email headers, where the
    email library refuses a line break (it would start a header of the writer's choosing)."""

    def checked(value: Any) -> str | None:
        texts = value if isinstance(value, list) else [value]
        bad = next((c for t in texts if isinstance(t, str) and (c := control_character(t))), None)
        return f"has a control character ({bad!r}); an email header is one line of text" if bad else check(value)

    return checked


def is_address(text: str) -> bool:
    """An email address, bare or with a display name: 'a@b.org' or 'Name <a@b.org>'."""
    from email.utils import parseaddr  # here: the email package takes a build's start-up 10 ms

    _, address = parseaddr(text)
    local, _, domain = address.rpartition("@")
    return bool(local) and "." in domain and not any(c.isspace() for c in address)


def _is_address(value: Any) -> str | None:
    if isinstance(value, str) and is_address(value):
        return None
    return "expected an email address such as 'digest@example.org' or 'The Digest <digest@example.org>'"


def _is_subject(value: Any) -> str | None:
    expected = "expected a pattern such as '{site} - {date}' using " + ", ".join("{" + f + "}" for f in SUBJECT_FIELDS)
    if not isinstance(value, str):
        return expected
    try:
        fields_ = [
            (name, spec, conversion)
            for _, name, spec, conversion in string.Formatter().parse(value)
            if name is not None
        ]
    except ValueError:
        return expected
    # Plain {name} fields only: a format spec or conversion could fail when an edition is filled in.
    return (
        None
        if all(name in SUBJECT_FIELDS and not spec and not conversion for name, spec, conversion in fields_)
        else expected
    )


def _is_unsubscribe_list(value: Any) -> str | None:
    items = [value] if isinstance(value, str) else value
    if isinstance(items, list) and items and all(isinstance(v, str) and _is_unsubscribe(v) for v in items):
        return None
    return "expected a mailto: address or an https:// URL, or a list of them"


def _is_unsubscribe_link(value: Any) -> str | None:
    """The footer's link: a URL, or a mailing service's merge tag such as *|UNSUB|*; never
    a script or a data: document, which a mail client or the web copy would open."""
    if not isinstance(value, str):
        return "expected a string"
    try:
        parts = urlsplit(value.strip())
        parts.port  # reading it checks the port  # noqa: B018
    except ValueError:
        return f"{value!r} is not a valid URL"
    if parts.scheme.lower() in ("javascript", "vbscript", "data", "file"):
        return f"{value!r} uses {parts.scheme.lower()}:, which a link may not (expected an https:// URL, a mailto: address or a merge tag such as *|UNSUB|*)"
    return None


def _is_unsubscribe(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:  # http://[::1/x
        return False
    if parts.scheme == "mailto":
        return is_address(parts.path)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _is_bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else "expected true or false"


def _import_settings(value: Any, problem) -> ImportSettings:
    """The `import:` mapping -> ImportSettings; each wrong key is reported under its own name."""
    if not isinstance(value, dict):
        problem("import", "expected a mapping such as {timeout: 20, sources: [...]}")
        return ImportSettings()
    checks = {
        "timeout": lambda v: (
            None
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0
            else "expected a number of seconds above 0"
        ),
        "max_bytes": _is_positive,
        "max_redirects": lambda v: _is_positive(v, zero=True),
        "drop": _is_patterns,
        "sources": lambda v: (
            None
            if isinstance(v, list)
            else "expected a list of sources such as [{name: Example News, drop: ['^Advert']}]"
        ),
        "subscriptions": lambda v: (
            None
            if isinstance(v, list)
            else "expected a list of feeds such as [{url: 'https://news.example/feed', section: World}]"
        ),
        "allow_private": _is_bool,
    }
    accepted: dict[str, Any] = {}
    for key, item in value.items():
        name = f"import.{key}"
        message = (
            checks[key](item) if key in checks else f"unknown setting (expected one of: {', '.join(sorted(checks))})"
        )
        if message:
            problem(name, message)
        elif key == "sources":
            accepted[key] = tuple(r for i, v in enumerate(item) if (r := _source_rule(v, f"{name}[{i}]", problem)))
        elif key == "subscriptions":
            accepted[key] = tuple(s for i, v in enumerate(item) if (s := _subscription(v, f"{name}[{i}]", problem)))
        else:
            accepted[key] = tuple(item) if key == "drop" else item
    return ImportSettings(**accepted)


def _source_rule(value: Any, name: str, problem) -> SourceRule | None:
    if not isinstance(value, dict) or not isinstance(value.get("name"), str) or not value["name"].strip():
        problem(name, "expected a mapping with a name, such as {name: Example News, hosts: [news.example.com]}")
        return None
    checks = {"name": _is_text, "hosts": _is_strings, "drop": _is_patterns, "banner": _is_patterns}
    accepted = _mapping(name, value, checks, problem, unknown="key")
    rule: dict[str, Any] = {key: item.strip() if key == "name" else tuple(item) for key, item in accepted.items()}
    return SourceRule(**rule)


def _subscription(value: Any, name: str, problem) -> Subscription | None:
    if not isinstance(value, dict):
        problem(name, "expected a mapping such as {url: 'https://news.example/feed', section: World, tags: [Europe]}")
        return None
    checks = {
        "url": lambda v: (
            None
            if isinstance(v, str) and urlsplit(v).scheme in ("http", "https") and urlsplit(v).netloc
            else "expected an http(s) URL of a feed"
        ),
        "section": _is_text,
        "tags": _is_strings,
    }
    if "url" not in value:
        problem(f"{name}.url", "expected an http(s) URL of a feed; every subscription needs one")
    accepted: dict[str, Any] = {
        key: tuple(t.strip() for t in item) if key == "tags" else item.strip()
        for key, item in _mapping(name, value, checks, problem, unknown="key").items()
    }
    return Subscription(**accepted) if "url" in accepted and set(accepted) == set(value) else None


def _is_strings(value: Any) -> str | None:
    if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
        return None
    return "expected a list of strings"


def _is_patterns(value: Any) -> str | None:
    if _is_strings(value):
        return "expected a list of regular expressions such as ['^Advertisement$']"
    for pattern in value:
        try:
            re.compile(pattern)
        except re.error as exc:
            return f"invalid regular expression {pattern!r}: {exc}"
    return None


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
        "stories": lambda v: None,  # checked key by key with STORY_CHECKS
        "markdown": lambda v: None,  # checked key by key in _validate
        "email": lambda v: None,  # checked key by key in _email_settings
        "news_publication": _is_text,
        "article_url": _is_url_pattern,
        "extra": lambda v: None if isinstance(v, dict) else "expected a mapping",
        "strings": lambda v: None,  # checked phrase by phrase in theme/localise.check_overrides
        "relative_urls": _is_bool,
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


def _is_seconds(value: Any) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value <= 3600:
        return None
    return "expected a number of seconds above 0 (at most 3600), such as 5 or 0.5"


BASE_URL_EXPECTED = "expected an absolute http(s) URL such as 'https://example.org/digest/'"
# What a path may hold (RFC 3986's characters of a path): no backslash, which browsers read
# as '/', no space, no control character.
CLEAN_PATH = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@%/-]*")
PORT = "its port must be a number from 1 to 65535"
BAD_HOST = re.compile(r"[\s\\/?#@%<>\"'`\x00-\x1f\x7f]")


def _is_base_url(value: Any) -> str | None:
    reason = base_url_problem(value)
    return f"{BASE_URL_EXPECTED} ({reason})" if reason else None


def base_url_problem(value: Any) -> str | None:
    """Why a value cannot be the site's address, or None. Every page's links, stylesheet
    and scripts start with it, so a path such as '//evil.com/' would load them from
    another site, and credentials in it would be published on every page."""
    if not isinstance(value, str):
        return f"got {type(value).__name__}"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:  # http://[::1/x, a port that is no number or above 65535
        return PORT if "port" in str(exc).lower() else f"{value!r} is not a URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname or BAD_HOST.search(parts.hostname):
        return f"{value!r} has no http(s) scheme and host"
    if parts.username is not None or parts.password is not None:
        return "it must not hold a user name or password: every page would publish them"
    if port == 0 or parts.netloc.endswith(":"):
        return PORT
    if parts.query or parts.fragment or "?" in value or "#" in value:
        return "it must not have a ?query or #fragment"
    dots = any(unquote(s) in (".", "..") for s in parts.path.split("/"))  # browsers read %2e%2e as '..'
    if not CLEAN_PATH.fullmatch(parts.path) or "//" in parts.path or dots:
        return f"its path {parts.path!r} must be plain folders: no '//', '.' or '..' and no backslash or space"
    return None


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
    for part in value.strip("/").split("/"):  # every machine must take the folders it names
        if is_reserved(part) or part.endswith((".", " ")) or not part:
            return f"{part!r} is not a folder name every machine takes (empty, a device name such as aux or con, or ending in a dot or space)"
    return None


# --- publish: ------------------------------------------------------------------------------

TARGET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # typed on the command line, and a folder name
# A branch name git takes (git check-ref-format's rules, kept simple): plain folders of
# letters, digits and . _ - / +, none starting with a dot or a dash.
BRANCH = re.compile(
    r"(?!.*\.\.)(?!.*//)(?!.*\.lock(/|$))[A-Za-z0-9_+][A-Za-z0-9._+-]*(/[A-Za-z0-9_+][A-Za-z0-9._+-]*)*"
)
HOST_NAME = re.compile(r"(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
SECRET = re.compile(r"password|secret|token|access.?key|credential|passphrase", re.IGNORECASE)
REGION = re.compile(r"[a-z]{2}(-[a-z0-9]+)+|[a-z0-9-]{2,32}")


def _publish_settings(value: Any, problem) -> dict[str, Target]:
    """The `publish:` mapping -> name -> target, in file order; each wrong key is reported
    under its dotted name (publish.pages.branch), a missing one under the target's."""
    if not isinstance(value, dict):
        problem(
            "publish",
            "expected a mapping of targets such as {pages: {type: git, remote: 'git@github.com:me/digest.git'}}",
        )
        return {}
    targets: dict[str, Target] = {}
    for name, item in value.items():
        where = f"publish.{name}"
        if not isinstance(name, str) or not TARGET_NAME.fullmatch(name):
            problem(
                where,
                "a target's name must be letters, digits, '.', '_' or '-' (it is typed as `broadsheet publish NAME`)",
            )
            continue
        target = _publish_target(name, item, where, problem)
        if target is not None:
            targets[name] = target
    return targets


def _publish_target(name: str, value: Any, where: str, problem) -> Target | None:
    if not isinstance(value, dict):
        problem(where, "expected a mapping of settings such as {type: git, remote: 'git@github.com:me/digest.git'}")
        return None
    kind = value.get("type")
    if kind not in PUBLISH_TYPES:
        field_ = f"{where}.type"
        problem(
            field_,
            f"expected the kind of target: {', '.join(PUBLISH_TYPES)}"
            + ("" if "type" in value else "; every target needs one"),
        )
        return None
    record, checks, required = PUBLISH_TYPES[kind]
    secrets = [key for key in value if isinstance(key, str) and SECRET.search(key)]
    for key in secrets:  # a settings file gets committed and shared
        problem(f"{where}.{key}", "credentials do not belong in the settings file: git and SSH use your own setup "
                "(keys, credential helpers), S3 the AWS environment variables or profiles")  # fmt: skip
    checks = {**checks, **dict.fromkeys(secrets, lambda v: None)}  # reported once, above
    accepted = _mapping(
        where,
        {k: v for k, v in value.items() if k != "type"},
        checks,
        problem,
        unknown=f"key of a target of type {kind}",
    )
    if secrets:
        return None
    missing = [key for key in required if key not in value]
    for key in missing:
        problem(f"{where}.{key}", f"every {kind} target needs one: {checks[key](None)[len('expected ') :]}")
    if missing or len(accepted) + 1 != len(value):
        return None
    if kind == "s3" and accepted.get("prefix"):
        accepted["prefix"] = accepted["prefix"].rstrip("/") + "/"  # a key prefix is a folder
    return record(name=name, **accepted)


def _is_git_remote(value: Any) -> str | None:
    expected = "expected a git URL such as 'git@github.com:me/digest.git' or 'file:///srv/git/digest.git'"
    if not isinstance(value, str) or not value.strip() or control_character(value) or value.startswith("-"):
        return expected
    try:
        parts = urlsplit(value)
    except ValueError:
        return expected
    if parts.password:  # a settings file gets committed and shared
        return "must not hold a password: git takes credentials from your own setup (a credential helper, an SSH key)"
    return None


def _is_destination(value: Any) -> str | None:
    expected = "expected where the site is served from, such as 'deploy@host:/var/www/digest' or '/var/www/digest'"
    if not isinstance(value, str) or not value.strip() or control_character(value) or value.startswith("-"):
        return expected
    return None


def _is_endpoint(value: Any) -> str | None:
    expected = "expected the http(s) URL of an S3-compatible store, such as 'https://s3.example.net'"
    try:
        parts = urlsplit(value) if isinstance(value, str) else None
    except ValueError:
        return expected
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        return expected
    if parts.password or parts.username:
        return (
            "must not hold a user name or password: S3 takes credentials from the AWS environment variables or profiles"
        )
    return None


def _pattern(regex: re.Pattern, expected: str):
    return lambda v: None if isinstance(v, str) and regex.fullmatch(v) else expected


def _is_prefix(value: Any) -> str | None:
    if (
        isinstance(value, str)
        and not value.startswith("/")
        and not control_character(value)
        and ".." not in value.split("/")
    ):
        return None
    return "expected a key prefix such as 'digest/' (no leading '/', no '..'), or '' for the bucket's root"


PUBLISH_TYPES = {  # kind -> (record, key checks, required keys)
    "git": (GitTarget, {
        "remote": _is_git_remote,
        "branch": _pattern(BRANCH, "expected a branch name such as 'gh-pages'"),
        "cname": _pattern(HOST_NAME, "expected a host name such as 'digest.example.org', written as CNAME"),
        "history": lambda v: None if v in ("keep", "squash") else "expected 'keep' or 'squash'",
    }, ("remote",)),
    "s3": (S3Target, {
        "bucket": _pattern(BUCKET, "expected a bucket name such as 'my-digest' (3-63 lower-case letters, digits, '.' and '-')"),
        "prefix": _is_prefix,
        "region": _pattern(REGION, "expected a region such as 'eu-west-1'"),
        "endpoint": _is_endpoint,
        "max_deletes": lambda v: _is_positive(v, zero=True),
    }, ("bucket",)),
    "rsync": (RsyncTarget, {
        "destination": _is_destination,
        "keep": _is_positive,
    }, ("destination",)),
}  # fmt: skip
