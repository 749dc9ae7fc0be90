"""The persistent build cache: parsed articles kept between runs of `broadsheet build`.

It lives in `.broadsheet-cache/` beside the output folder, is safe to delete at any
time, and is only ever a shortcut: each entry is keyed by the file's bytes, its path and
the settings that parsing reads, and the whole file by the package and Python versions,
so a stale or foreign cache is simply not used.
"""

from __future__ import annotations

import os
import pickle
import sys
import tempfile
from pathlib import Path

from broadsheet import __version__
from broadsheet.incremental.state import BuildState
from broadsheet.outputs.images import CopyCache

FOLDER = ".broadsheet-cache"
# What outlives the process: parsed articles, what the output was made from, and how it
# looked on disk. (Feed items and search documents are cheap to make again.)
PERSISTED = ("parsed", "files", "settled_before", "fingerprints", "stamps", "produced", "outcome")
# Search documents are slow to make (plain text and terms of every body) and small to keep;
# feed items are quick to make and as big as the articles.
KEPT_MEMO = ("search document",)


def cache_file(output: Path) -> Path:
    return output.absolute().parent / FOLDER / f"{output.name}.pickle"


def _stamp() -> tuple:
    return (__version__, sys.version_info[:2], pickle.HIGHEST_PROTOCOL)


def load(output: Path) -> BuildState:
    """The state the last build left, or a fresh one when there is none to trust."""
    copies = CopyCache(cache_file(output).parent / "images")  # resized images: files of their own
    try:
        with open(cache_file(output), "rb") as f:
            stamp, fields, memo = pickle.load(f)
    except Exception:  # missing, truncated, from another version: start afresh
        return BuildState(image_copies=copies)
    if stamp != _stamp():
        return BuildState(image_copies=copies)
    state = BuildState(**fields, image_copies=copies)
    state.memo.seed(memo)
    return state


def save(output: Path, state: BuildState) -> str | None:
    """Write the cache atomically: a killed build leaves the old cache or the new one.
    The cache is only a short cut, so a failure to save it (a full disk, a read-only
    folder) is no failure of the build: it is returned as a reason, and nothing half
    written is left behind."""
    path = cache_file(output)
    temporary = None
    try:
        path.parent.mkdir(exist_ok=True)
        fields = {name: getattr(state, name) for name in PERSISTED}
        data = (_stamp(), fields, state.memo.kept(KEPT_MEMO))
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as f:
            temporary = f.name
            pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except OSError as exc:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        return f"{exc.strerror or exc} ({exc.filename or path.parent})"
    return None
