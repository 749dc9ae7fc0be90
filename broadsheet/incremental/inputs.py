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
) -> tuple[bytes, int, tuple[bytes, int]]:
    """A digest of every input, the newest change time (ns) among the files (a file
    changed after the last build began may have been read by it in the same clock tick
    as the change, so a match then proves nothing: git's "racy clean" rule), and a digest
    of every input but the templates (what a template edit leaves as it was) with the
    newest change time among those files."""
    h = hashlib.blake2b(digest_size=16)
    h.update(repr((request_key, settings)).encode())
    for key in parse_keys:
        h.update(key.encode())
    untemplated = h.copy()
    newest = newest_untemplated = 0
    folders = [
        (site_dir / "templates", True),
        (site_dir / "static", False),
        (theme.TEMPLATES, True),
        (theme.STATIC, False),
    ]
    for path, template in [*_files(folders), *((str(f), False) for f in bundle_files), (str(site_dir / RECORD), False)]:
        st: os.stat_result | None = None
        try:  # the record: its redirects
            st = os.stat(path)
        except OSError:
            line = f"{path}\0missing\n".encode("utf-8", "surrogateescape")  # a name not UTF-8: the build reports it
        else:
            newest = max(newest, st.st_ctime_ns, st.st_mtime_ns)
            line = f"{path}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\0{st.st_ctime_ns}\n".encode(
                "utf-8", "surrogateescape"
            )
        h.update(line)
        if not template:
            untemplated.update(line)
            if st is not None:
                newest_untemplated = max(newest_untemplated, st.st_ctime_ns, st.st_mtime_ns)
    return h.digest(), newest, (untemplated.digest(), newest_untemplated)


def _files(folders: list[tuple[Path, bool]]) -> list[tuple[str, bool]]:
    """Each file below the folders, with its folder's flag (whether it holds templates)."""
    found = []
    for folder, template in folders:
        for root, dirs, names in os.walk(folder):
            dirs.sort()
            found += [(os.path.join(root, name), template) for name in sorted(names)]
    return found
