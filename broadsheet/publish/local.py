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

from broadsheet.outputs.redirects import NETLIFY
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


def redirect_pages(site: LocalSite) -> dict[str, tuple[str, str]]:
    """`_redirects` (`/old/path/ /new/path/ 301` a line, paths as served) -> the old page's
    output path -> (old path, new path), for every target alike. The served path carries
    base_url's path, which the output does not: the longest tail of it naming a page of the
    output wins. Never the home page: a rule whose page is not in the output (a site's own
    Netlify rule) names nothing here."""
    file = site.files.get(NETLIFY)  # the build's `_redirects`
    if file is None:
        return {}
    found = {}
    for line in file.source.read_text(encoding="utf-8", errors="replace").splitlines():
        fields = line.split()
        if len(fields) < 2 or fields[0].startswith("#"):
            continue
        old, new = fields[0], fields[1]
        parts = [p for p in old.split("/") if p]
        for i in range(len(parts)):
            tail = "/".join(parts[i:])
            candidates = [f"{tail}/index.html"] + ([tail] if not old.endswith("/") else [])
            hit = next((c for c in candidates if c in site.files), None)
            if hit:
                found[hit] = (old, new)
                break
    return found


def redirected(site: LocalSite) -> list[str]:
    """The old paths, as served, that the output answers with a redirect page."""
    return [old for old, _ in redirect_pages(site).values()]
