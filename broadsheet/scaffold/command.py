"""`broadsheet new` and `broadsheet init`: the files an editor starts from."""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

from broadsheet import __version__
from broadsheet.build import config
from broadsheet.build.config import SETTINGS_FILE, Settings
from broadsheet.build.scan import new_article_path
from broadsheet.problems import EXIT_OK, EXIT_PROBLEMS, display_path, errors, print_problems

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

CI_CHOICES = ("github",)
WORKFLOW = ".github/workflows/publish.yml"
# The workflow `init --ci github` writes. Fixed text, but for the version of Broadsheet that
# made the site: CI installs that one, so a new release never changes a site unasked.
GITHUB_WORKFLOW = """\
# Build, check and publish the digest with GitHub Actions: on every push to main, and every
# hour, so that stories dated in the future come out on time and the two-day Google News
# sitemap stays current. Written by `broadsheet init --ci github`; edit it freely.
#
# Credentials never go in broadsheet.yaml. Where each target finds them:
# - S3 (type: s3): add repository secrets (Settings > Secrets and variables > Actions)
#   AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; they reach `broadsheet publish` as the
#   standard AWS_* environment variables below.
# - GitHub Pages (type: git): set the remote to https://github.com/OWNER/REPO.git; the
#   checkout step leaves the job's GITHUB_TOKEN in the git setup, and `permissions:
#   contents: write` lets it push the gh-pages branch.
# - A server over SSH (type: rsync): put a deploy key in a secret and load it into an
#   ssh-agent before the publish step (for instance with webfactory/ssh-agent).
name: Publish

on:
  push:
    branches: [main]
  schedule:
    - cron: "17 * * * *"  # every hour, at a minute when fewer scheduled jobs start
  workflow_dispatch:

permissions:
  contents: write  # push the gh-pages branch, and the record of published URLs

concurrency:
  group: publish  # one publish at a time; a newer one waits for the running one
  cancel-in-progress: false

jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - name: Install Broadsheet
        run: pip install "broadsheet=={version}"
      - name: Restore the build cache
        uses: actions/cache@v4
        with:
          path: .broadsheet/cache
          key: broadsheet-${{{{ runner.os }}}}-${{{{ github.run_id }}}}
          restore-keys: broadsheet-${{{{ runner.os }}}}-
      - name: Check
        run: broadsheet check
      - name: Publish
        run: broadsheet publish --yes
        env:
          AWS_ACCESS_KEY_ID: ${{{{ secrets.AWS_ACCESS_KEY_ID }}}}
          AWS_SECRET_ACCESS_KEY: ${{{{ secrets.AWS_SECRET_ACCESS_KEY }}}}
          AWS_DEFAULT_REGION: ${{{{ vars.AWS_DEFAULT_REGION }}}}
      - name: Commit the record of published URLs
        # published-urls.json: which article each published URL belongs to, so that a story
        # whose URL changes keeps its old address as a redirect. A push made with
        # GITHUB_TOKEN does not start this workflow again.
        run: |
          [ -f published-urls.json ] || exit 0
          git config user.name "github-actions[bot]"
          git config user.email "41898282+github-actions[bot]@users.noreply.github.com"
          git add published-urls.json
          git diff --cached --quiet || (git commit -m "Record the URLs just published" && git push)
"""

ARTICLE_TEMPLATE = """\
---
title: {title}
date: {date}
summary: {summary}
{draft}# source: {{name: The Outlet, url: https://outlet.example/}}   # who reported it
# url: https://outlet.example/the-original-report       # the report this entry summarises
tags: [{tags}]
---
{body}
"""
# A new entry waits for its editor; the source and url are placeholders to fill in, commented
# out so that nothing made up is published and no link points at the site's own address.
DRAFT = "draft: true   # remove this line when the entry is ready to publish\n"


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
        draft=DRAFT,
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
    (target / SETTINGS_FILE).write_text(
        SETTINGS_TEMPLATE.format(title=front_matter_quote(title), timezone="UTC"), encoding="utf-8"
    )
    (target / "content" / "news").mkdir(parents=True)
    sample = ARTICLE_TEMPLATE.format(
        title=front_matter_quote("Welcome to your digest"),
        date=now.astimezone(Settings().tz).strftime("%Y-%m-%d %H:%M"),
        summary=front_matter_quote("This sample entry shows the front matter every article carries."),
        draft="",
        tags="Meta",
        body=(
            "Each article is a Markdown file in `content/`; its folder is its section.\n\n"
            'Run `broadsheet new "A headline" --section news` to start another, '
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
        path = new_article(args.site, settings, args.title, args.section, datetime.now(UTC))
    except FileExistsError as exc:
        print(f"broadsheet: error: {display_path(Path(exc.filename))} already exists; not overwritten", file=sys.stderr)
        return EXIT_PROBLEMS
    except ValueError as exc:
        print(f"broadsheet: error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(display_path(path))
    return EXIT_OK


def write_ci(target: Path, ci: str) -> Path:
    """The CI workflow that builds, checks and publishes the site (`--ci github`)."""
    path = target / WORKFLOW
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(GITHUB_WORKFLOW.format(version=__version__), encoding="utf-8")
    return path


def init(args: argparse.Namespace) -> int:
    try:
        init_site(args.directory, datetime.now(UTC))
    except FileExistsError as exc:
        print(f"broadsheet: error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    target = display_path(args.directory)
    print(f"Created a new site in {target}. Build it with: broadsheet build --site {target}")
    if getattr(args, "ci", None):
        workflow = write_ci(args.directory, args.ci)
        print(
            f"Wrote {display_path(workflow)}: it publishes on every push to main and every hour (credentials: see its comments)"
        )
    return EXIT_OK
