"""What `broadsheet import --subscriptions` remembers between runs, per feed URL: the
validators for the next conditional request (ETag, Last-Modified) and the entries already
handled. Plain JSON in the site folder (`.broadsheet/subscriptions.json`), written atomically;
a missing or unreadable file means starting afresh, which writes no draft twice because the
importer refuses articles it already has."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

STATE_FILE = Path(".broadsheet") / "subscriptions.json"
VERSION = 1


@dataclass
class FeedState:
    etag: str = ""
    last_modified: str = ""
    seen: set[str] = field(default_factory=set)  # entry links, or text hashes of entries without one

    def conditions(self) -> dict[str, str]:
        """The headers that let the server answer 304 when the feed has not changed."""
        found = {"If-None-Match": self.etag, "If-Modified-Since": self.last_modified}
        return {k: v for k, v in found.items() if v}


def load(site_dir: Path) -> tuple[dict[str, FeedState], str]:
    """The remembered feeds, and a warning when the file was there but not usable."""
    path = site_dir / STATE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, ""
    except (OSError, ValueError) as exc:
        return {}, f"{path}: not read ({exc}); every feed is fetched afresh"
    feeds = data.get("feeds") if isinstance(data, dict) and data.get("version") == VERSION else None
    if not isinstance(feeds, dict):
        return {}, f"{path}: not a subscriptions file of this version; every feed is fetched afresh"
    return {url: _feed(entry) for url, entry in feeds.items() if isinstance(entry, dict)}, ""


def _feed(entry: dict) -> FeedState:
    etag, modified, seen = entry.get("etag"), entry.get("last_modified"), entry.get("seen")
    return FeedState(
        etag if isinstance(etag, str) else "",
        modified if isinstance(modified, str) else "",
        {s for s in seen if isinstance(s, str)} if isinstance(seen, list) else set(),
    )


def save(site_dir: Path, feeds: dict[str, FeedState]) -> None:
    """Sorted keys and lists, so the same state is the same bytes; OSError when it cannot be written."""
    path = site_dir / STATE_FILE
    data = {"version": VERSION, "feeds": {
        url: {"etag": s.etag, "last_modified": s.last_modified, "seen": sorted(s.seen)} for url, s in sorted(feeds.items())
    }}  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp") as f:
        temporary = f.name
        json.dump(data, f, indent=1, ensure_ascii=False, sort_keys=True)
    try:
        os.replace(temporary, path)  # a killed run leaves the old file or the new one, never half of one
    except OSError:
        Path(temporary).unlink(missing_ok=True)
        raise
