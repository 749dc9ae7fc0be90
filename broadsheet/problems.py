"""Problems are data: every stage returns them instead of raising at the first one."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    path: str  # relative to the site folder, '' when the problem has no file
    line: int  # 1-based, 0 when unknown
    field: str  # front matter key, settings key or template name; '' when none
    message: str
    warning: bool = False

    def format(self, site_dir: Path | None = None) -> str:
        where = self.path
        if site_dir is not None and self.path:
            where = display_path(site_dir / self.path)
        if where and self.line:
            where = f"{where}:{self.line}"
        parts = [p for p in (where, self.field) if p]
        prefix = ": ".join(parts)
        label = "warning: " if self.warning else ""
        return f"{prefix}: {label}{self.message}" if prefix else f"{label}{self.message}"


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if not p.warning]


def display_path(path: Path) -> str:
    """A path as the user would type it: relative to the working folder when inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if rel.startswith("..") else rel
