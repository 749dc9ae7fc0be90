"""`broadsheet new` and `broadsheet init`: the files an editor starts from."""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from datetime import datetime, timezone
from pathlib import Path

from broadsheet.build import config
from broadsheet.build.config import SETTINGS_FILE, Settings
from broadsheet.build.scan import new_article_path
from broadsheet.problems import display_path, errors, print_problems

EXIT_OK, EXIT_PROBLEMS = 0, 1

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

# What a build makes in the site folder: the output (a link to one of two copies), the
# copies and the lock beside it (.site.*), the build cache; and the repository `publish`
# keeps for a git target. No trailing slash on /site: a pattern ending in / does not match a link.
GITIGNORE = """\
# Made by `broadsheet build` and `broadsheet publish`; safe to delete.
/site
/.site.*
/.broadsheet/cache/
/.broadsheet/publish/
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


def printable(text: str) -> str:
    """Text without control characters (an escape sequence pasted from a terminal, a NUL):
    YAML refuses most of them, so the article would not build. Tabs and newlines become spaces."""
    kept = "".join(" " if c in "\t\n\r" else c for c in text if c in "\t\n\r" or unicodedata.category(c) != "Cc")
    return re.sub(r" {2,}", " ", kept).strip()


def new_article(site_dir: Path, settings: Settings, title: str, section: str | None, now: datetime) -> Path:
    """Write a new article file and return its path; FileExistsError if it is taken."""
    title, section = printable(title), printable(section) if section else section
    path = new_article_path(site_dir, title, section)
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
    (target / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
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


def new(args: argparse.Namespace) -> int:
    settings, problems = config.load_settings(args.site)
    if errors(problems):
        print_problems(problems, args.site)
        return EXIT_PROBLEMS
    try:
        path = new_article(args.site, settings, args.title, args.section, datetime.now(timezone.utc))
    except FileExistsError as exc:
        print(f"broadsheet: error: {display_path(Path(exc.filename))} already exists; not overwritten", file=sys.stderr)
        return EXIT_PROBLEMS
    except ValueError as exc:
        print(f"broadsheet: error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(display_path(path))
    return EXIT_OK


def init(args: argparse.Namespace) -> int:
    try:
        init_site(args.directory, datetime.now(timezone.utc))
    except FileExistsError as exc:
        print(f"broadsheet: error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    target = display_path(args.directory)
    print(f"Created a new site in {target}. Build it with: broadsheet build --site {target}")
    return EXIT_OK
