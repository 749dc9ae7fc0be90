"""Split a file into front matter and body, and check every front matter key.

Each check returns plain values or Problems that name the file, the line and the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from urllib.parse import SplitResult, urlsplit
from zoneinfo import ZoneInfo

from broadsheet.build.published import normalise, old_path_problem
from broadsheet.build.slugs import MAX_NAME_BYTES, has_letters, is_reserved, make_slug, term_key
from broadsheet.build.yamlload import YamlError, load
from broadsheet.problems import Problem

MAX_FRONT_MATTER = 256 * 1024
FENCE = re.compile(r"^---[ \t]*\r?\n", re.M)
CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.M)  # \r?: files saved with Windows line ends
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
LANG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")
RESERVED = {
    "title", "date", "updated", "summary", "source", "url", "authors", "tags",
    "section", "image", "lang", "draft", "featured", "slug", "story", "story_title",
}  # fmt: skip
# The dates an article may carry: a news digest has no use for others, and a date far
# out (9999-12-30, 0001-01-01 from a hostile feed) would overflow Python's datetime when
# moved to another time zone, to its week or past the news sitemap's window.
FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(2199, 12, 31)
DATE_RANGE = f"expected a date from {FIRST_DATE.year} to {LAST_DATE.year}"
# C0 controls but tab and newline, DEL, C1 controls, and the bidi embeddings, overrides
# (U+202A-202E) and isolates (U+2066-2069): stripped from every front matter string.
UNSEEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
DATE_EXPECTED = "expected YYYY-MM-DD, YYYY-MM-DD HH:MM or an ISO 8601 date-time such as 2025-06-19T09:30:00+03:00"


@dataclass(frozen=True)
class Split:
    yaml_text: str
    body: str


@dataclass(frozen=True)
class Image:
    src: str
    alt: str
    caption: str = ""
    credit: str = ""


@dataclass(frozen=True)
class Source:
    name: str
    url: str = ""


@dataclass(frozen=True)
class FrontMatter:
    title: str
    date: datetime
    updated: datetime | None
    summary: str | None
    source: Source | None
    url: str
    authors: tuple[str, ...]
    tags: tuple[str, ...]
    section: str | None
    image: Image | None
    lang: str
    draft: bool
    featured: bool
    slug: str
    extra: dict[str, Any]
    story: str | bool | None = None  # a key joining articles by hand, False: always alone, None: automatic
    story_title: str = ""  # the story's title where this article leads it
    story_line: int = 0  # the file's line of `story:`, 0 without one


def split(text: str) -> Split | str:
    """The parts of a file, or a message saying why it has no usable front matter."""
    fence = FENCE.match(text)
    if not fence:
        return "no front matter (expected the file to start with a '---' line)"
    start = fence.end()
    close = CLOSE.search(text, start)
    if close is None:
        return "front matter is not closed (expected a '---' line after it)"
    yaml_text = text[start : close.start()]
    if len(yaml_text.encode("utf-8")) > MAX_FRONT_MATTER:
        return f"front matter is over the {MAX_FRONT_MATTER // 1024} KiB limit"
    body_start = close.end() + 1
    return Split(yaml_text, text[body_start:])


def parse(rel: str, parts: Split, tz: ZoneInfo) -> tuple[FrontMatter | None, list[Problem]]:
    try:
        loaded = load(parts.yaml_text)
    except YamlError as exc:
        line = exc.line + 1 if exc.line else 1  # the YAML starts on the file's second line
        return None, [Problem(rel, line, exc.key, exc.describe(offset=1))]
    if not isinstance(loaded.data, dict):
        return None, [Problem(rel, 1, "", "front matter must be a mapping of keys (title: ..., date: ...)")]
    return _Checker(rel, clean(loaded.data), loaded.lines, tz).run()


def clean(value: Any) -> Any:
    """Every string of the front matter without control characters and bidirectional
    overrides, embeddings and isolates: YAML's "\u202e" could turn a title around in
    the page, a feed or a mail client. Right-to-left letters need none of them: the
    browser orders Arabic and Hebrew text by itself (and RLM, LRM marks are kept)."""
    if isinstance(value, str):
        return UNSEEN.sub("", value)
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


class _Checker:
    """Checks one file's front matter, collecting a Problem for each wrong key."""

    def __init__(self, rel: str, data: dict, lines: dict[str, int], tz: ZoneInfo):
        self.rel, self.data, self.lines, self.tz = rel, data, lines, tz
        self.problems: list[Problem] = []

    def fail(self, key: str, message: str, warning: bool = False) -> None:
        self.problems.append(Problem(self.rel, self.line_of(key) or 1, key, message, warning))

    def line_of(self, key: str) -> int:
        """The file's line of a key (0 where it has none)."""
        yaml_line = self.lines.get(key) or self.lines.get(key.split(".")[0])
        return yaml_line + 1 if yaml_line else 0  # the YAML starts on the file's second line

    def run(self) -> tuple[FrontMatter | None, list[Problem]]:
        for key in self.data:
            if not isinstance(key, str):
                self.fail(str(key), "keys must be strings")
        if "id" in self.data and not (isinstance(self.data["id"], str) and self.data["id"].strip()):
            self.fail("id", "expected a string, the entry's id in feeds (such as tag:example.org,2025:nato)")
        title = self.text("title", required=True)
        when = self.when("date", required=True)
        updated = self.when("updated")
        if when and updated and updated < when:
            self.fail("updated", "is earlier than date", warning=True)
        fm = FrontMatter(
            title=title or "",
            date=when or datetime.min,
            updated=updated,
            summary=self.text("summary"),
            source=self.source(),
            url=self.link("url") or "",
            authors=self.strings("authors"),
            tags=self.tags(),
            section=self.text("section"),
            image=self.image(),
            lang=self.lang(),
            draft=self.flag("draft"),
            featured=self.flag("featured"),
            slug=self.slug(title),
            extra=self.extra(),
            story=self.story(),
            story_title=self.text("story_title") or "",
            story_line=self.line_of("story"),
        )
        failed = any(not p.warning for p in self.problems)
        return (None if failed else fm), self.problems

    def extra(self) -> dict[str, Any]:
        """The keys of the site's own; `aliases` among them, checked and written the one way."""
        extra = {k: v for k, v in self.data.items() if k not in RESERVED}
        if "aliases" in extra:
            extra["aliases"] = self.aliases()
        return extra

    def story(self) -> str | bool | None:
        """`story: <key>` joins this article with the others of that key; `story: false`
        keeps it out of every story; absent, the build groups it. `story: true` says nothing
        a build could act on, so it is an error like any other type."""
        value = self.data.get("story")
        if value is None:
            return None
        if value is False:
            return False
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # story: 2026 is a key as much as "2026"
        if not isinstance(value, str) or not value.strip():
            self.fail("story", f"expected a key naming the story (such as fed-june-2025) or false, got {_kind(value)}")
            return None
        if not has_letters(value):
            self.fail("story", f"key {value!r} has no letters or digits to make the story's URL from")
            return None
        return value.strip()

    def aliases(self) -> list[str]:
        """Old paths of this article, each redirected to its URL (outputs/redirects.py)."""
        value = self.data["aliases"]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.fail("aliases", f"expected a list of paths such as [/2025/06/19/old-slug/], got {_kind(value)}")
            return []
        paths = []
        for item in value:
            flaw = old_path_problem(item)
            if flaw:
                self.fail("aliases", flaw)
            elif normalise(item) not in paths:
                paths.append(normalise(item))
        return paths

    def text(self, key: str, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail(key, "is missing (expected a string)")
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)  # a title such as 1984 is still a title
        if not isinstance(value, str) or (required and not value.strip()):
            self.fail(key, f"expected a string, got {_kind(value)}")
            return None
        return value.strip()

    def when(self, key: str, required: bool = False) -> datetime | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail(key, f"is missing ({DATE_EXPECTED})")
            return None
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.strip())
            except ValueError:
                self.fail(key, f"unknown date format {value!r} ({DATE_EXPECTED})")
                return None
        day = value.date() if isinstance(value, datetime) else value
        if isinstance(day, date) and not FIRST_DATE <= day <= LAST_DATE:
            self.fail(key, f"{day.isoformat()} is out of range ({DATE_RANGE})")
            return None
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=self.tz)
        if isinstance(value, date):
            return datetime.combine(value, time(0, 0), self.tz)
        self.fail(key, f"expected a date, got {_kind(value)} ({DATE_EXPECTED})")
        return None

    def flag(self, key: str) -> bool:
        value = self.data.get(key, False)
        if not isinstance(value, bool):
            self.fail(key, f"expected true or false, got {_kind(value)}")
            return False
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.fail(key, f"expected a list of strings such as [One, Two], got {_kind(value)}")
            return ()
        return tuple(v.strip() for v in value)

    def tags(self) -> tuple[str, ...]:
        seen: dict[str, str] = {}
        for tag in self.strings("tags"):
            if not has_letters(tag):
                self.fail("tags", f"tag {tag!r} has no letters or digits to make a URL from")
            seen.setdefault(term_key(tag), tag)  # one tag up to case and Unicode form: the first spelling wins
        return tuple(seen.values())

    def link(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None:
            return None
        parts = split_url(value) if isinstance(value, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            self.fail(key, f"expected an absolute http(s) URL, got {value!r}")
            return None
        return value

    def source(self) -> Source | None:
        value = self.data.get("source")
        if value is None:
            return None
        if isinstance(value, str) and value.strip():
            return Source(value.strip())
        if isinstance(value, dict) and isinstance(value.get("name"), str) and value["name"].strip():
            unknown = set(value) - {"name", "url"}
            if unknown:
                self.fail("source", f"unknown key {sorted(unknown)[0]!r} (expected name and url)")
            url = self.nested_link("source", value.get("url"))
            return Source(value["name"].strip(), url)
        self.fail("source", "expected a name, or a mapping {name: ..., url: ...} with a name")
        return None

    def nested_link(self, key: str, value: Any) -> str:
        if value is None:
            return ""
        parts = split_url(value) if isinstance(value, str) else None
        if parts is not None and parts.scheme in ("http", "https") and parts.hostname:
            return value
        self.fail(f"{key}.url", f"expected an absolute http(s) URL, got {value!r}")
        return ""

    def image(self) -> Image | None:
        value = self.data.get("image")
        if value is None:
            return None
        if isinstance(value, str):
            value = {"src": value}
        if not isinstance(value, dict):
            self.fail("image", "expected a mapping {src, alt, caption, credit}")
            return None
        unknown = set(value) - {"src", "alt", "caption", "credit"}
        if unknown:
            self.fail("image", f"unknown key {sorted(unknown)[0]!r} (expected src, alt, caption, credit)")
        fields = {}
        for key in ("src", "alt", "caption", "credit"):
            item = value.get(key, "")
            if not isinstance(item, str):
                self.fail(f"image.{key}", f"expected a string, got {_kind(item)}")
                item = ""
            fields[key] = item.strip()
        if not fields["src"]:
            self.fail("image.src", "is missing (expected the image's path or URL)")
        elif (message := image_src_problem(fields["src"])) is not None:
            self.fail("image.src", message)
            return None
        if not fields["alt"]:
            self.fail("image.alt", "is missing (alt text is required when an image is given)")
        return Image(**fields)

    def lang(self) -> str:
        value = self.data.get("lang")
        if value is None:
            return ""
        if not isinstance(value, str) or not LANG.fullmatch(value):
            self.fail("lang", f"expected a BCP 47 language tag such as 'en' or 'ru', got {value!r}")
            return ""
        return value

    def slug(self, title: str | None) -> str:
        value = self.data.get("slug")
        if value is None:
            made = make_slug(title or "")
            if title and not made:
                self.fail("title", "has no letters or digits to make a slug from (set slug)")
            return made
        if not isinstance(value, str) or not SLUG.fullmatch(value):
            self.fail("slug", f"expected lowercase letters, digits and single hyphens, got {value!r}")
            return ""
        if len(value) > MAX_NAME_BYTES:  # said, not shortened: the editor chose this URL
            self.fail(
                "slug",
                f"is {len(value)} characters, over the file system's limit of {MAX_NAME_BYTES} for a name; make it shorter",
            )
            return ""
        if is_reserved(value):
            self.fail(
                "slug",
                f"{value!r} is a name Windows keeps for a device, so the site would not build there; choose another",
            )
            return ""
        return value


def split_url(url: str) -> SplitResult | None:
    """The parts of a URL, or None when it cannot be read (`http://[::1/x`, a port that is
    not a number): urlsplit raises on those, and a raise here would crash the build."""
    try:
        parts = urlsplit(url)
        parts.port  # reading it checks the port  # noqa: B018
    except ValueError:
        return None
    return parts


def image_src_problem(src: str) -> str | None:
    """Why an image's src cannot be published, or None: a path, an http(s) URL or a
    data:image/ URL. javascript: and other data: would run or show what the page did not mean to."""
    parts = split_url(src)
    if parts is None:
        return f"{src!r} is not a valid URL"
    scheme = parts.scheme.lower()
    if scheme in ("", "http", "https") or (scheme == "data" and parts.path.lower().startswith("image/")):
        return None
    return f"{src!r} uses {scheme}:, which an image may not (expected a path, an http(s) URL or a data:image/ URL)"


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return f"text {value!r}" if len(value) < 40 else "text"
    names = {bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "a mapping"}
    return names.get(type(value), type(value).__name__)
