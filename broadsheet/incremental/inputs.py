"""Telling at once that nothing a build reads has changed, so that a build with nothing
to do does nothing: no model, no routes, no fingerprints of 15,000 pages.

Everything a build reads is the settings, the request, the articles (their cache keys:
bytes, path, bundle files, parse settings), the files of templates/ and static/ (the
site's and the theme's) and of the bundles, and the clock, and the record of published URLs (build/published.py). The first are digested from
what the build has already read or stat-ed; the clock matters only at the moments an
article comes out or leaves the news sitemap's window.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from broadsheet import theme
from broadsheet.build.published import RECORD
from broadsheet.build.request import Due
from broadsheet.problems import Problem


@dataclass(frozen=True)
class Outcome:
    """What the last successful build was made from, and what it reported."""

    inputs: bytes
    now: datetime
    valid_until: datetime | None  # the next moment the clock changes what is published
    problems: tuple[Problem, ...]
    articles: int
    pages: int
    urls: dict[str, str] = field(default_factory=dict)  # the report's: what a publish records
    next_due: Due | None = None
    stories: bytes = b""  # a digest of the stories it found: a build of bodies alone must find the same

    def holds(self, inputs: bytes | None, now: datetime) -> bool:
        """Would a build from `inputs` at `now` make exactly what this one made?"""
        return (
            inputs == self.inputs
            and now >= self.now  # the clock going back could unpublish an article
            and (self.valid_until is None or now < self.valid_until)
        )


def digest(
    site_dir: Path, request_key: tuple, settings: object, parse_keys: Iterable[str], bundle_files: Iterable[Path]
) -> tuple[bytes, int]:
    """A digest of every input, and the newest change time (ns) among the files: a file
    changed after the last build began may have been read by it in the same clock tick
    as the change, so a match then proves nothing (git's "racy clean" rule)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(repr((request_key, settings)).encode())
    for key in parse_keys:
        h.update(key.encode())
    newest = 0
    folders = [site_dir / "templates", site_dir / "static", theme.TEMPLATES, theme.STATIC]
    for path in [*_files(folders), *map(str, bundle_files), str(site_dir / RECORD)]:  # the record: its redirects
        try:
            st = os.stat(path)
        except OSError:
            h.update(
                f"{path}\0missing\n".encode("utf-8", "surrogateescape")
            )  # a name that is not UTF-8 is reported by the build, not here
            continue
        newest = max(newest, st.st_ctime_ns, st.st_mtime_ns)
        h.update(
            f"{path}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\0{st.st_ctime_ns}\n".encode(
                "utf-8", "surrogateescape"
            )
        )
    return h.digest(), newest


def _files(folders: list[Path]) -> list[str]:
    found = []
    for folder in folders:
        for root, dirs, names in os.walk(folder):
            dirs.sort()
            found += [os.path.join(root, name) for name in sorted(names)]
    return found
