"""Problems are data: every stage returns them instead of raising at the first one."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO


@dataclass(frozen=True, order=True)
class Problem:
    path: str  # relative to the site folder ('broadsheet/theme/...' for the package's own), '' when no file
    line: int  # 1-based, 0 when unknown
    field: str  # front matter key, settings key or template name; '' when none
    message: str
    warning: bool = False

    def format(self, site_dir: Path | None = None) -> str:
        where = self.path
        if site_dir is not None and self.path and not self.path.startswith(PACKAGE_FILES):
            where = display_path(site_dir / self.path)
        if where and self.line:
            where = f"{where}:{self.line}"
        parts = [p for p in (where, self.field) if p]
        prefix = ": ".join(parts)
        label = "warning: " if self.warning else ""
        return f"{prefix}: {label}{self.message}" if prefix else f"{label}{self.message}"


PACKAGE_FILES = "broadsheet/theme/"  # the theme's own files, named the same on every machine


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if not p.warning]


def print_problems(problems: list[Problem], site_dir: Path | None, out: TextIO | None = None) -> None:
    """The one way every command shows problems: a `file:line: key: message` line each,
    on stderr (or `out`), paths as the user would type them."""
    for problem in problems:
        print(problem.format(site_dir), file=out or sys.stderr)


def not_utf8(path: str, raw: bytes, exc: UnicodeDecodeError, field: str = "") -> Problem:
    """A file that is not UTF-8, named at the first byte that is not, for every kind of
    input alike (articles, templates, settings): `raw` is the whole file."""
    line = raw.count(b"\n", 0, exc.start) + 1
    start = raw.rfind(b"\n", 0, exc.start) + 1
    column = len(raw[start : exc.start].decode("utf-8")) + 1  # in characters; all before the byte decodes
    return Problem(
        path, line, field, f"not UTF-8 (byte 0x{raw[exc.start]:02X} at column {column}; save the file as UTF-8)"
    )


def display_path(path: Path) -> str:
    """A path as the user would type it: relative to the working folder when inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if rel.startswith("..") else rel


EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2  # done; problems in the input; wrong arguments
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a command whose reader left
