"""After a successful publish: the record of which article produced which URL
(`published-urls.json` in the site folder, see build/published.py) brought up to date, so
that the next build redirects the URLs of articles that move.

The record only grows and follows moves: every URL published now is recorded with its
article's content file; a URL of earlier publishes stays, with the article it had, so an
article that moves twice redirects both old URLs straight to the newest one. A URL that is
now another article's is simply recorded as that article's.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from broadsheet.build.published import RECORD, read_record, record_text
from broadsheet.build.request import BuildReport
from broadsheet.publish.outcome import PublishError


def record_published(site_dir: Path, report_or_mapping: BuildReport | Mapping[str, str]) -> None:
    """Add what was just published to the record. `report_or_mapping`: the BuildReport of
    the build that was published (its `urls`), or a mapping of site path
    ("/2025/06/19/slug/") -> content file. Written atomically; a record that cannot be read
    or written is a PublishError (the site is online, only the record is behind)."""
    urls = report_or_mapping.urls if isinstance(report_or_mapping, BuildReport) else report_or_mapping
    record, problems = read_record(site_dir)
    if problems:
        raise PublishError(f"{problems[0].format(site_dir)} (published, but the record of URLs was not updated)")
    merged = {url: source for url, (source, _) in record.items()}
    merged.update(urls)
    text = record_text(merged)
    path = site_dir / RECORD
    try:
        if path.exists() and path.read_text(encoding="utf-8") == text:
            return  # nothing moved: the file the user commits stays untouched
        _write_atomically(path, text)
    except OSError as exc:
        raise PublishError(
            f"{RECORD}: cannot be written ({exc.strerror}); the site was published, but the record of URLs is behind"
        ) from None


def _write_atomically(path: Path, text: str) -> None:
    """A reader (a build, git) sees the old record or the new one, never half of one."""
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
