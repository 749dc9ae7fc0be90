"""Drafts -> article files: front matter the build accepts, and nothing imported twice."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from broadsheet.build import frontmatter
from broadsheet.build.scan import new_article_path, scan_content
from broadsheet.build.yamlload import YamlError, load
from broadsheet.importer.draft import Draft, text_hash

IMPORTED = "imported"  # front matter key: where an article came from and the hash of its text


@dataclass
class Known:
    """Articles already in content/, by original URL and by text hash."""

    urls: dict[str, Path] = field(default_factory=dict)
    hashes: dict[str, Path] = field(default_factory=dict)

    def find(self, draft: Draft) -> Path | None:
        return self.urls.get(draft.url) if draft.url in self.urls else self.hashes.get(draft_hash(draft))

    def add(self, draft: Draft, path: Path) -> None:
        if draft.url:
            self.urls[draft.url] = path
        self.hashes[draft_hash(draft)] = path


@dataclass(frozen=True)
class Planned:
    path: Path
    text: str
    existing: Path | None  # the earlier import of the same article, when there is one
    warnings: tuple[str, ...]


def draft_hash(draft: Draft) -> str:
    return text_hash(draft.title + "\n" + draft.body)


def known_articles(site_dir: Path) -> Known:
    """Read the front matter of every article (lightly: no validation) for URLs and hashes."""
    known = Known()
    files, _ = scan_content(site_dir)
    for source in files:
        data = _front_matter(source.path)
        if isinstance(data.get("url"), str):
            known.urls[data["url"]] = source.path
        stamp = data.get(IMPORTED)
        if isinstance(stamp, dict) and isinstance(stamp.get("hash"), str):
            known.hashes[stamp["hash"]] = source.path
    return known


def _front_matter(path: Path) -> dict:
    try:
        parts = frontmatter.split(path.read_text(encoding="utf-8"))
        data = load(parts.yaml_text).data if isinstance(parts, frontmatter.Split) else None
    except (OSError, UnicodeDecodeError, YamlError):
        return {}
    return data if isinstance(data, dict) else {}


def plan(
    draft: Draft, site_dir: Path, section: str | None, tags: tuple[str, ...], known: Known, now: datetime, tz: ZoneInfo
) -> Planned:
    """The file to write for a draft; ValueError when its title makes no file name."""
    existing = known.find(draft)
    path = existing or new_article_path(site_dir, draft.title, section)
    keys, warnings = front_matter(draft, tags, now, tz)
    dumped = yaml.safe_dump(keys, sort_keys=False, allow_unicode=True, width=10_000, default_flow_style=False)
    return Planned(path, f"---\n{dumped}---\n{draft.body}", existing, tuple(warnings))


def front_matter(draft: Draft, tags: tuple[str, ...], now: datetime, tz: ZoneInfo) -> tuple[dict, list[str]]:
    """The keys of DESIGN.md's front matter, in the order an editor reads them."""
    warnings = []
    when = draft.date
    if when is not None and not frontmatter.FIRST_DATE <= when.date() <= frontmatter.LAST_DATE:
        # A feed's 9999-12-30 would be an article that fails every build: dropped, and said.
        warnings.append(
            f"its date {when.date().isoformat()} is out of range ({frontmatter.DATE_RANGE}); used the time of import (check it)"
        )
        when = now
    if when is None:
        when = now
        warnings.append("no date found in the page, text or feed; used the time of import (check it)")
    keys: dict = {"title": draft.title, "date": when.astimezone(tz).strftime("%Y-%m-%d %H:%M")}
    page = frontmatter.split_url(draft.url)
    name = draft.source_name or ((page.hostname if page else "") or "").removeprefix("www.")
    if name:
        keys["source"] = {"name": name, "url": draft.source_url} if _absolute(draft.source_url) else name
    if _absolute(draft.url):
        keys["url"] = draft.url
    if draft.authors:
        keys["authors"] = list(draft.authors)
    if tags:
        keys["tags"] = list(tags)
    stamp: dict[str, str | dict[str, str]] = {"from": draft.origin, "hash": draft_hash(draft)}
    picture = draft.picture
    if picture and _absolute(picture.src):  # never a javascript: or data: source from a page
        image = {
            "src": picture.src,
            "alt": picture.alt or picture.caption or draft.title,
            "caption": picture.caption,
            "credit": picture.credit,
        }
        keys["image"] = {k: v for k, v in image.items() if v}
    elif picture:  # pasted text names the photo but not its file: keep the words for the editor
        stamp["image"] = {k: v for k, v in (("caption", picture.caption), ("credit", picture.credit)) if v}
    if draft.standfirst:
        stamp["standfirst"] = draft.standfirst
    keys["draft"] = True
    keys[IMPORTED] = stamp
    return keys, warnings


def _absolute(url: str) -> bool:
    parts = frontmatter.split_url(url)  # None for what is no URL, such as http://[::1/x
    return parts is not None and parts.scheme in ("http", "https") and bool(parts.hostname)


def write(planned: Planned, force: bool) -> None:
    """FileExistsError when the file is there and force is not given."""
    planned.path.parent.mkdir(parents=True, exist_ok=True)
    with planned.path.open("w" if force else "x", encoding="utf-8") as f:
        f.write(planned.text)
