"""The built output as publishing sees it: every file with its bytes' hash.

Targets compare content hashes, never sizes or times, so a same-size typo fix is sent and
an unchanged file rebuilt by CI is not. The output folder is a link switched by every
build; it is resolved once here, so a build finishing during a publish cannot mix two sites
into one upload."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from broadsheet.publish.outcome import PublishError


@dataclass(frozen=True)
class LocalFile:
    path: str  # relative to the output, "/"-separated
    source: Path  # where its bytes are, inside the resolved tree
    sha256: str
    size: int


@dataclass(frozen=True)
class LocalSite:
    root: Path  # the resolved tree (the output link's target)
    files: dict[str, LocalFile]  # path -> file, sorted by path


def read_output(output: Path) -> LocalSite:
    """Every regular file under the built output. Broadsheet never writes symlinks into
    the output, so none is followed."""
    root = output.resolve()
    if not root.is_dir():
        raise PublishError(f"{output}: no built site here; run `broadsheet build` first")
    found: dict[str, LocalFile] = {}
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            source = Path(folder, name)
            if source.is_symlink() or not source.is_file():
                continue
            rel = source.relative_to(root).as_posix()
            data = source.read_bytes()
            found[rel] = LocalFile(rel, source, hashlib.sha256(data).hexdigest(), len(data))
    return LocalSite(root, dict(sorted(found.items())))
