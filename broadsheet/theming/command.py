"""`broadsheet theme list` and `broadsheet theme copy NAME...`: start from the built-in theme.

A site's templates/ and static/ override the theme file by file (build/render.py,
outputs/assets.py); these commands show which files there are to override and copy one
out for editing. A copy never replaces a file: what is already in the site is the user's
work. Names are the theme's own, as `list` prints them (`templates/article.html`,
`static/css/code.css`), or a folder of them (`templates/email`, `static`); nothing is
copied unless every file named can be.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from broadsheet import theme
from broadsheet.problems import EXIT_OK, EXIT_PROBLEMS

FOLDERS = {"templates": theme.TEMPLATES, "static": theme.STATIC}


@dataclass(frozen=True)
class ThemeFile:
    name: str  # as in the site: "templates/article.html", "static/css/code.css"
    source: Path  # the built-in file


def add_arguments(p: argparse.ArgumentParser) -> None:
    actions = p.add_subparsers(dest="theme_action", metavar="ACTION", required=True)
    shown = actions.add_parser("list", help="the theme's templates and static files, and which ones the site overrides")
    c = actions.add_parser("copy", help="copy theme files into the site's templates/ or static/ for editing")
    c.add_argument(
        "names",
        nargs="+",
        metavar="NAME",
        help="a file as `theme list` shows it (templates/article.html), or a folder of them (templates/email)",
    )
    for action in (shown, c):  # `theme list --site DIR` too; SUPPRESS keeps `theme --site DIR list` working
        action.add_argument(
            "-s",
            "--site",
            type=Path,
            default=argparse.SUPPRESS,
            metavar="DIR",
            help="the site folder (default: the current folder)",
        )


def theme_files() -> list[ThemeFile]:
    """Every file of the built-in theme, templates first, in name order."""
    found = []
    for folder, root in FOLDERS.items():
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root)
            if path.is_file() and not any(part.startswith((".", "__")) for part in rel.parts):
                found.append(ThemeFile(f"{folder}/{rel.as_posix()}", path))
    return found


def run(args: argparse.Namespace) -> int:
    if args.theme_action == "list":
        print("\n".join(listing(args.site)))
        return EXIT_OK
    return copy(args.site, args.names)


def listing(site: Path) -> list[str]:
    """One line a file; the site's own file named beside the ones it overrides."""
    files = theme_files()
    width = max(len(f.name) for f in files)
    lines = ["Built-in theme files (the site's templates/ and static/ override them file by file):"]
    for f in files:
        overridden = os.path.lexists(site / f.name)
        lines.append(f"  {f.name:<{width}}  overridden by the site's own" if overridden else f"  {f.name}")
    lines.append("Copy one to edit it: broadsheet theme copy NAME...")
    return lines


def copy(site: Path, names: list[str]) -> int:
    """Copy the named files, or, when any cannot be, none: one line for each that cannot."""
    known = {f.name: f for f in theme_files()}
    chosen: dict[str, ThemeFile] = {}
    refused: list[str] = []
    for name in names:
        wanted = _name(name)
        under = [f for f in known.values() if f.name.startswith(wanted.rstrip("/") + "/")]  # a folder: its files
        found = [known[wanted]] if wanted in known else under
        if not found:
            refused.append(
                f"error: {name}: not a file or folder of the built-in theme (broadsheet theme list shows them)"
            )
        for f in found:
            why = _in_the_way(site, f.name)
            if why:
                refused.append(f"error: {name}: {why}" if f.name == wanted else f"error: {f.name}: {why}")
            else:
                chosen[f.name] = f
    if refused:
        print("\n".join(refused), file=sys.stderr)
        print("Nothing copied.", file=sys.stderr)
        return EXIT_PROBLEMS
    for f in chosen.values():
        target = site / f.name
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "xb") as out:  # "x": a file that appeared since the check is not replaced
            out.write(f.source.read_bytes())
        print(f"copied {f.name}")
    return EXIT_OK


def _name(text: str) -> str:
    """A name as written on the command line -> the theme's name: slashes either way, and
    the folder may be left out (article.html, css/code.css) when only one folder has it."""
    name = text.replace("\\", "/").removeprefix("./")
    if name.split("/")[0] in FOLDERS:
        return name
    matches = [
        f"{folder}/{name}"
        for folder, root in FOLDERS.items()
        if (root / name).is_file() and ".." not in name.split("/")
    ]
    return matches[0] if len(matches) == 1 else name


def _in_the_way(site: Path, name: str) -> str | None:
    """Why the file cannot be written at site/name, or None: it exists, or a symlink stands
    on the way (which could send the copy anywhere, outside the site folder too)."""
    target = site / name
    path = site
    for part in name.split("/"):
        path = path / part
        shown = path.relative_to(site).as_posix()
        if path.is_symlink():
            return f"{shown} is a symlink; not followed, nothing written through it"
        if path != target and path.exists() and not path.is_dir():
            return f"{shown} is a file where a folder is needed"
    if os.path.lexists(target):
        return "exists in the site; not overwritten (remove it first to start again from the theme's)"
    return None
