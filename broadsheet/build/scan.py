"""Find the article files and bundle assets under content/, safely.

A folder holding an ``index.md`` is a bundle: that file is the article and every
other file below the folder is one of its assets (images, attachments).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

from broadsheet.build import sitefiles
from broadsheet.build.config import SETTINGS_FILE
from broadsheet.build.slugs import has_letters, make_slug, term_slug
from broadsheet.problems import Problem

ARTICLE_SUFFIXES = (".md", ".markdown")
BUNDLE_INDEX = "index.md"


@dataclass(frozen=True)
class SourceFile:
    rel: str  # site-relative POSIX path, e.g. "content/world/a.md"
    given: Path | None  # the path, or None: made from `file` when first asked for (`path`)
    bundle_assets: tuple[str, ...] = ()  # paths relative to the bundle folder
    # the path as the folder listing gave it, for system calls: a Path's string is made
    # when first asked for, and every build stats every article file (10,000: 30 ms)
    file: str = ""

    @functools.cached_property
    def path(self) -> Path:
        """A Path made only when asked for: a build that reads no file but the edited one
        needs none of the others' (10,000 Paths: 0.06 s of every build's content walk)."""
        return self.given if self.given is not None else Path(self.file)

    @property
    def os_path(self) -> str | Path:
        return self.file or self.path


def is_ignored(name: str) -> bool:
    """Hidden files and editors' temp and swap files."""
    return (
        name.startswith((".", "#", "~"))
        or name.endswith(("~", ".swp", ".swx", ".swo", ".tmp", ".bak"))
        or name == "4913"  # vim's write test
    )


def scan_content(site_dir: Path, folder: str = "content") -> tuple[list[SourceFile], list[Problem]]:
    root = site_dir / folder
    if not root.is_dir():  # an empty site over the real output would be no help
        return [], [
            Problem(
                folder,
                0,
                "",
                f'folder is missing: articles are Markdown files in {folder}/ (`broadsheet new "A title"` writes the first)',
            )
        ]
    found: list[SourceFile] = []
    problems: list[Problem] = []
    why = sitefiles.refusal(root, site_dir)  # content/ itself may be the link
    if why:
        return [], [Problem(folder, 0, "", why)]
    _walk(root, site_dir, frozenset(), found, problems)
    return found, problems


def _walk(
    folder: Path, site_dir: Path, ancestors: frozenset[str], found: list[SourceFile], problems: list[Problem]
) -> None:
    real = os.path.realpath(folder)
    rel = folder.relative_to(site_dir).as_posix()
    if real in ancestors:
        problems.append(
            Problem(rel, 0, "", "symlink loop: this folder links back to a folder above it (remove the link)")
        )
        return
    ancestors = ancestors | {real}
    entries = _taken(_list(folder, rel, problems), folder, site_dir, problems)
    if BUNDLE_INDEX in {e.name for e in entries if e.is_file()}:
        found.append(_bundle(folder, site_dir, ancestors, problems))
        return
    for entry in entries:
        if entry.is_dir():
            _walk(folder / entry.name, site_dir, ancestors, found, problems)
        elif entry.name.endswith(ARTICLE_SUFFIXES):
            # rel + name: what path.relative_to(site_dir) says, at a tenth of the cost (10,000 files);
            # entry.path is folder / name spelt as a string (scandir joins the folder it was given)
            found.append(SourceFile(f"{rel}/{entry.name}", None, file=entry.path))


def _list(folder: Path, rel: str, problems: list[Problem]) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as it:
            return sorted((e for e in it if not is_ignored(e.name)), key=lambda e: e.name)
    except OSError as exc:
        problems.append(Problem(rel, 0, "", f"cannot read folder: {exc.strerror}"))
        return []


def _taken(entries: list[os.DirEntry], folder: Path, site_dir: Path, problems: list[Problem]) -> list[os.DirEntry]:
    """The entries the build may take; a problem for each it must not (sitefiles.refusal):
    a symlink out of the site folder, a symlink loop, a name that is not UTF-8."""
    taken = []
    for entry in entries:
        link = entry.is_symlink()
        # an ASCII name that is no symlink needs no refusal check: no path made for it (10,000 of them)
        why = sitefiles.refusal(folder / entry.name, site_dir, link) if link or not entry.name.isascii() else None
        if why:
            problems.append(
                Problem(sitefiles.shown((folder / entry.name).relative_to(site_dir).as_posix()), 0, "", why)
            )
        else:
            taken.append(entry)
    return taken


def _bundle(folder: Path, site_dir: Path, ancestors: frozenset[str], problems: list[Problem]) -> SourceFile:
    assets: list[str] = []

    def collect(sub: Path, seen: frozenset[str]) -> None:
        real = os.path.realpath(sub)
        if real in seen:
            problems.append(Problem(sub.relative_to(site_dir).as_posix(), 0, "", "symlink loop in bundle; skipped"))
            return
        for entry in _taken(_list(sub, sub.relative_to(site_dir).as_posix(), problems), sub, site_dir, problems):
            path = sub / entry.name
            if entry.is_dir():
                collect(path, seen | {real})
            elif entry.is_file() and path != folder / BUNDLE_INDEX:
                assets.append(path.relative_to(folder).as_posix())
            # published as it is: a pipe would hang the copy
            elif not entry.is_file() and os.path.lexists(path) and os.path.exists(path):
                problems.append(Problem(path.relative_to(site_dir).as_posix(), 0, "", sitefiles.NOT_REGULAR))

    collect(folder, ancestors - {os.path.realpath(folder)})
    index = folder / BUNDLE_INDEX
    return SourceFile(index.relative_to(site_dir).as_posix(), index, tuple(assets))


def new_article_path(site_dir: Path, title: str, section: str | None) -> Path:
    """content/[section/]<slug of the title>.md; ValueError when either makes no name."""
    slug = make_slug(title)
    if not slug:
        raise ValueError(f"title {title!r} has no letters or digits to make a file name from")
    folder = site_dir / "content"
    if section:
        if not has_letters(section):
            raise ValueError(f"section {section!r} has no letters or digits to make a folder name from")
        folder = folder / term_slug(section)
    return folder / f"{slug}.md"


def check_site(site_dir: Path) -> list[Problem]:
    """A site folder holds its settings file and content/: building anything else would
    put an empty site (for localhost) over the output, and say it went well."""
    has_settings, has_content = (site_dir / SETTINGS_FILE).is_file(), (site_dir / "content").is_dir()
    if not has_settings and not has_content:
        return [
            Problem(
                "",
                0,
                "",
                f"{site_dir.resolve()} is not a Broadsheet site: it has no {SETTINGS_FILE} and no content/ folder; start one with `broadsheet init DIR`, or name one with --site DIR",
            )
        ]
    if not has_settings:  # a missing content/ is reported by scan_content, with the settings' own problems
        return [
            Problem(
                SETTINGS_FILE,
                0,
                "",
                "is missing: a site keeps its settings there (`broadsheet init` writes one; every key is optional, but base_url says where the site is published)",
            )
        ]
    return []
