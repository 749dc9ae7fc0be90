"""`new` and `init`: files an editor starts from."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from slugify import slugify

from broadsheet.build.frontmatter import make_slug

from broadsheet.build.config import SETTINGS_FILE, Settings

SETTINGS_TEMPLATE = """\
# Broadsheet site settings. Every key is optional; these are the defaults you will most
# likely change. See the README for the full list.
title: {title}
description: A digest of the news that mattered, in short.
base_url: https://example.org/
language: en
timezone: {timezone}
edition: day            # or: week
editions_per_page: 7
"""

ARTICLE_TEMPLATE = """\
---
title: {title}
date: {date}
summary: {summary}
source: {{name: Example News, url: https://example.org}}
url: https://example.org/news/
tags: [{tags}]
---
{body}
"""


def front_matter_quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def article_path(site_dir: Path, title: str, section: str | None) -> Path:
    """content/[section/]<slug of the title>.md; ValueError when either makes no name."""
    slug = make_slug(title)
    if not slug:
        raise ValueError(f"title {title!r} has no letters or digits to make a file name from")
    folder = site_dir / "content"
    if section:
        section_slug = slugify(section)
        if not section_slug:
            raise ValueError(f"section {section!r} has no letters or digits to make a folder name from")
        folder = folder / section_slug
    return folder / f"{slug}.md"


def new_article(site_dir: Path, settings: Settings, title: str, section: str | None, now: datetime) -> Path:
    """Write a new article file and return its path; FileExistsError if it is taken."""
    path = article_path(site_dir, title, section)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = ARTICLE_TEMPLATE.format(
        title=front_matter_quote(title),
        date=now.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M"),
        summary=front_matter_quote("One or two sentences, in your own words."),
        tags="",
        body="Write the digest entry here: what was reported, in your own words.\n",
    )
    with path.open("x", encoding="utf-8") as f:  # "x": never overwrite an existing article
        f.write(text)
    return path


def init_site(target: Path, now: datetime) -> None:
    """Create a site folder that builds at once; FileExistsError if it is not empty."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise FileExistsError(f"{target} already exists and is not empty")
    (target / "templates").mkdir(parents=True, exist_ok=True)
    (target / "static").mkdir(exist_ok=True)
    title = target.resolve().name.replace("-", " ").replace("_", " ").title() or "My Digest"
    (target / SETTINGS_FILE).write_text(SETTINGS_TEMPLATE.format(title=front_matter_quote(title), timezone="UTC"), encoding="utf-8")
    (target / "content" / "news").mkdir(parents=True)
    sample = ARTICLE_TEMPLATE.format(
        title=front_matter_quote("Welcome to your digest"),
        date=now.astimezone(Settings().tz).strftime("%Y-%m-%d %H:%M"),
        summary=front_matter_quote("This sample entry shows the front matter every article carries."),
        tags="Meta",
        body=(
            "Each article is a Markdown file in `content/`; its folder is its section.\n\n"
            "Run `broadsheet new \"A headline\" --section news` to start another, "
            "then `broadsheet build` to publish the site into `site/`.\n"
        ),
    )
    (target / "content" / "news" / "welcome.md").write_text(sample, encoding="utf-8")
