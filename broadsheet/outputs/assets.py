"""Static files and bundle assets -> files to copy into the output.

Stylesheets and scripts are also written under a fingerprinted name
(``css/broadsheet.1a2b3c4d.css``) that templates ask for with ``asset()``, so hosts can
cache them for ever.
"""

from __future__ import annotations

import hashlib
import posixpath
from dataclasses import dataclass
from pathlib import Path

from broadsheet import theme
from broadsheet.build import sitefiles
from broadsheet.build.claims import BUNDLE, STATIC, Claim
from broadsheet.build.model import SiteModel
from broadsheet.build.scan import is_ignored
from broadsheet.problems import Problem

FINGERPRINTED = (".css", ".js")


@dataclass(frozen=True)
class StaticFiles:
    files: dict[str, Path]  # output path -> source file
    origins: dict[str, str]  # output path -> the file it is a copy of, for error messages
    fingerprints: dict[str, str]  # "css/x.css" -> "css/x.1a2b3c4d.css"
    claims: tuple[
        Claim, ...
    ] = ()  # every path, once per file that wants it (a bundle file and a static file may want one)
    problems: tuple[Problem, ...] = ()  # files of static/ not taken: symlinks out of the site folder, pipes


def collect(site_dir: Path, model: SiteModel) -> StaticFiles:
    files: dict[str, Path] = {}
    origins: dict[str, str] = {}
    found, refused = sitefiles.walk_files(
        site_dir / "static", site_dir, is_ignored
    )  # the theme's are ours; the site's may be hostile
    for root, label, paths in (
        (theme.STATIC, "theme static/", _files(theme.STATIC)),
        (site_dir / "static", "static/", found),
    ):
        for path in paths:
            rel = path.relative_to(root).as_posix()
            files[rel] = path  # the site's static/ overrides the theme's file of the same name
            origins[rel] = label + rel
    fingerprints = {}
    for rel in sorted(files):
        if rel.endswith(FINGERPRINTED):
            stem, ext = posixpath.splitext(rel)
            digest = hashlib.sha256(sitefiles.read_regular(files[rel])).hexdigest()[:10]
            fingerprints[rel] = f"{stem}.{digest}{ext}"
    for rel, named in fingerprints.items():
        files[named], origins[named] = files[rel], origins[rel]
    claims = [
        _claim(rel, origins[rel]) for rel in files
    ]  # the site's static/ overrides the theme on purpose: not a clash
    for entry in model.entries:
        if not entry.article.bundle_assets:  # most: no path made for them (10,000 cost 60 ms)
            continue
        folder = Path(site_dir, entry.article.path).parent
        for asset in entry.article.bundle_assets:
            rel, source = entry.path + asset, posixpath.join(posixpath.dirname(entry.article.path), asset)
            files[rel], origins[rel] = folder / asset, source
            claims.append(Claim(rel, "the bundle file", source, kind=BUNDLE))
    problems = tuple(Problem(rel, 0, "", message) for rel, message in refused)
    return StaticFiles(files, origins, fingerprints, tuple(claims), problems)


def _claim(rel: str, origin: str) -> Claim:
    if origin.startswith("theme "):
        return Claim(rel, f"the theme's file {origin.removeprefix('theme static/')}")
    return Claim(rel, "the static file", origin, kind=STATIC)


def _files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(
        p for p in root.rglob("*")
        if p.is_file() and not any(is_ignored(part) for part in p.relative_to(root).parts)
    )  # fmt: skip
