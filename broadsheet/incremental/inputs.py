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
from broadsheet.build import sitefiles
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


@dataclass(frozen=True)
class Recent:
    """A file among the inputs changed at or after a given moment (`digest`'s `since`)."""

    name: bytes  # its path, as the file system spells it
    line: bytes  # what the inputs' digest took of its stat
    time: int  # its change time (ns): the later of its ctime and mtime
    template: bool


# Read digests of files racy for a build: file -> (its stat line, a digest of its bytes)
Reads = dict[bytes, tuple[bytes, bytes]]
READ_LIMIT = 64 << 20  # bytes: a racy file larger than this is not read, and stays racy


def digest(
    site_dir: Path,
    request_key: tuple,
    settings: object,
    parse_keys: Iterable[str],
    bundle_files: Iterable[Path],
    since: int | None = None,
) -> tuple[bytes, int, bytes, list[Recent]]:
    """A digest of every input, the newest change time (ns) among the files (a file
    changed after the last build began may have been read by it in the same clock tick
    as the change, so a match then proves nothing: git's "racy clean" rule), a digest
    of every input but the templates (what a template edit leaves as it was), and the
    files changed at or after `since` (which of them are racy: `unsettled`)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(repr((request_key, settings)).encode())
    for key in parse_keys:
        h.update(key.encode())
    untemplated = h.copy()
    newest = 0
    recent: list[Recent] = []
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
            changed = max(st.st_ctime_ns, st.st_mtime_ns)
            newest = max(newest, changed)
            line = f"{path}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\0{st.st_ctime_ns}\n".encode(
                "utf-8", "surrogateescape"
            )
            if since is not None and changed >= since:
                recent.append(Recent(os.fsencode(path), line, changed, template))
        h.update(line)
        if not template:
            untemplated.update(line)
    return h.digest(), newest, untemplated.digest(), recent


def read(files: Iterable[Recent]) -> Reads:
    """Each file's stat line with a digest of its bytes, read now: what a build that reads
    them before anything else of it does (rebuild.nothing_to_do) may leave for the next to
    prove that a racy file is what it read. Only regular files (a FIFO is never opened to
    wait) up to READ_LIMIT; a file that cannot be read is left out, and so stays racy."""
    reads: Reads = {}
    for file in files:
        try:
            data = sitefiles.read_regular(Path(os.fsdecode(file.name)), READ_LIMIT)
        except OSError:  # TooLarge and NotRegular too
            continue
        reads[file.name] = (file.line, hashlib.blake2b(data, digest_size=16).digest())
    return reads


def unsettled(recent: Iterable[Recent], since: int, proven: Reads, reads: Reads) -> list[Recent]:
    """The files changed at or after `since` (the last build's settled moment) that the
    last build did not prove it read as they are: read by it (`proven`) with the stat line
    and bytes they have now (`reads`)."""
    return [
        file
        for file in recent
        if file.time >= since and (file.name not in reads or proven.get(file.name) != reads[file.name])
    ]


def _files(folders: list[tuple[Path, bool]]) -> list[tuple[str, bool]]:
    """Each file below the folders, with its folder's flag (whether it holds templates)."""
    found = []
    for folder, template in folders:
        for root, dirs, names in os.walk(folder):
            dirs.sort()
            found += [(os.path.join(root, name), template) for name in sorted(names)]
    return found
