"""Images -> their sizes, and smaller copies of bundle images for a srcset.

Pages give every image its width and height (no layout shift while it loads) and, for a
photo in an article bundle, a srcset of a few narrower copies so a phone does not fetch
a desktop-sized file. Pillow reads sizes and makes the copies; without it (the optional
`images` extra) raster images get neither, and SVGs still get their size from the file.
The copies are made once per source bytes and width and kept in the build cache folder.
"""

from __future__ import annotations

import hashlib
import io
import os
import posixpath
import re
import tempfile
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from broadsheet.build.html import TagEditor, last_img_at

if TYPE_CHECKING:
    from broadsheet.build.claims import Claim
    from broadsheet.build.model import SiteModel

RASTER = (".jpg", ".jpeg", ".png", ".webp")  # GIFs may be animated: left as they are
WIDTHS = (480, 800, 1200)  # copies narrower than the original, for phones and tablets
SAVE_OPTIONS: dict[str, dict[str, int | bool]] = {  # fixed, so the same source gives the same bytes
    "JPEG": {"quality": 82, "optimize": False, "progressive": False},
    "PNG": {"optimize": False},
    "WEBP": {"quality": 82, "method": 4},
}


@dataclass(frozen=True)
class ImageInfo:
    width: int
    height: int
    srcset: str = ""  # "a-480w.jpg 480w, a.jpg 1600w" when there are smaller copies


@dataclass(frozen=True)
class Images:
    info: dict[str, ImageInfo]  # URL with the base path -> its size and copies
    copies: dict[str, bytes]  # output path -> a resized copy
    copied_from: dict[str, str] = field(default_factory=dict)  # a copy's output path -> its photo's

    def claims(self, origins: dict[str, str]) -> list[Claim]:
        """The copies' paths, each named by its photo's file (`origins`: output path -> file)."""
        from broadsheet.build.claims import Claim

        return [
            Claim(copy, "a smaller copy of the photo", origins.get(photo, ""))
            for copy, photo in sorted(self.copied_from.items())
        ]


class CopyCache:
    """Resized copies by (source digest, width): in memory for the dev server's next
    rebuild, and in a folder (the build cache's) for the next run, when there is one."""

    def __init__(self, folder: Path | None = None):
        self.folder = folder
        self.memory: dict[tuple[str, int], bytes] = {}

    def get(self, digest: str, width: int, suffix: str, make: Callable[[], bytes]) -> bytes:
        key = (digest, width)
        if key in self.memory:
            return self.memory[key]
        path = self.folder / f"{digest}-{width}{suffix}" if self.folder else None
        if path is not None and path.is_file():
            data = path.read_bytes()
        else:
            data = make()
            if path is not None:
                _write_atomic(path, data)
        self.memory[key] = data
        return data


def bundle_paths(site_model: SiteModel) -> set[str]:
    """The output paths of every published bundle's own files: its photos get smaller copies."""
    return {e.path + name for e in site_model.entries for name in e.article.bundle_assets}


def collect(files: dict[str, Path], bundle_paths: set[str], base_path: str, cache: CopyCache) -> Images:
    """Sizes of every image among the output's files; copies of bundle images."""
    info: dict[str, ImageInfo] = {}
    copies: dict[str, bytes] = {}
    copied_from: dict[str, str] = {}
    for out_path in sorted(files):
        suffix = posixpath.splitext(out_path)[1].lower()
        if suffix != ".svg" and (suffix not in RASTER or _pillow() is None):
            continue
        source = files[out_path]
        size = _svg_size(source) if suffix == ".svg" else _raster_size(source)
        if size is None:
            continue
        srcset = ""
        if out_path in bundle_paths and suffix in RASTER:
            made = _copies(out_path, source, size[0], cache, bundle_paths)
            copies.update(made)
            copied_from.update(dict.fromkeys(made, out_path))
            if made:
                entries = [f"{base_path}{p} {w}w" for p, w in zip(made, _widths(size[0]))]
                srcset = ", ".join([*entries, f"{base_path}{out_path} {size[0]}w"])
        info[base_path + out_path] = ImageInfo(size[0], size[1], srcset)
    return Images(info, copies, copied_from)


def _widths(width: int) -> list[int]:
    return [w for w in WIDTHS if w < width]


def _copies(out_path: str, source: Path, width: int, cache: CopyCache, bundle_files: set[str]) -> dict[str, bytes]:
    stem, suffix = posixpath.splitext(out_path)
    raw = source.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()[:32]
    made = {}
    for target in _widths(width):
        name = f"{stem}-{target}w{suffix}"
        if (
            name in bundle_files
        ):  # the author's own smaller copy, say: never overwrite it (any other file there is a clash, see build/claims.py)
            return {}
        made[name] = cache.get(digest, target, suffix.lower(), partial(_resized, raw, target))
    return made


@cache
def _pillow() -> tuple[ModuleType, ModuleType] | None:
    """Pillow's Image and ImageOps, imported when an image is first looked at (a build with
    nothing to do looks at none); None without Pillow: then only SVG sizes are read, and no
    copies made."""
    try:  # optional: pip install 'broadsheet[images]'
        from PIL import Image, ImageOps
    except ImportError:  # pragma: no cover - depends on the machine
        return None
    return Image, ImageOps


def _resized(raw: bytes, width: int) -> bytes:
    pillow = _pillow()
    assert pillow is not None  # asked only for sizes Pillow read
    pil_image, image_ops = pillow
    with pil_image.open(io.BytesIO(raw)) as opened:
        image = image_ops.exif_transpose(opened)  # the copy carries no EXIF, so turn it upright
        kind = opened.format or "PNG"
        height = max(1, round(image.height * width / image.width))
        small = image.resize((width, height), pil_image.Resampling.LANCZOS)
        if kind == "JPEG" and small.mode not in ("RGB", "L"):
            small = small.convert("RGB")
        out = io.BytesIO()
        small.save(out, kind, **SAVE_OPTIONS.get(kind, {}))
        return out.getvalue()


def _raster_size(path: Path) -> tuple[int, int] | None:
    pillow = _pillow()
    if pillow is None:
        return None
    pil_image = pillow[0]
    try:
        with pil_image.open(path) as image:  # reads the header only
            width, height = image.size
            if image.getexif().get(0x0112) in (5, 6, 7, 8):  # EXIF says: turned a quarter
                width, height = height, width
            return width, height
    except (OSError, ValueError, pil_image.DecompressionBombError):
        return None


def _svg_size(path: Path) -> tuple[int, int] | None:
    """From width/height in pixels, else from the viewBox: cheap, and no Pillow needed."""
    try:
        root = ElementTree.parse(path).getroot()
    except (ElementTree.ParseError, OSError):
        return None
    width, height = _pixels(root.get("width")), _pixels(root.get("height"))
    if width and height:
        return width, height
    box = (root.get("viewBox") or "").replace(",", " ").split()
    try:
        w, h = float(box[2]), float(box[3])
    except (IndexError, ValueError):
        return None
    return (round(w), round(h)) if w > 0 and h > 0 else None


def _pixels(value: str | None) -> int | None:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(px)?\s*", value or "")
    return round(float(match.group(1))) or None if match else None


class _Sizer(TagEditor):
    def __init__(self, html: str, page_url: str, info: dict[str, ImageInfo], until: int):
        super().__init__(html, until)
        self.page_url, self.info = page_url, info

    def change(self, tag, attrs, empty):
        if tag != "img":
            return None
        names = {name for name, _ in attrs}
        src = next((value for name, value in attrs if name == "src"), None)  # HTML takes the first
        found = self.info.get(urlsplit(urljoin(self.page_url, src)).path) if src is not None else None
        extra = []
        if found and "width" not in names and "height" not in names:
            extra.append(f'width="{found.width}" height="{found.height}"')
            if found.srcset and "srcset" not in names:
                extra.append(f'srcset="{found.srcset}" sizes="(min-width: 44rem) 42rem, 100vw"')
        if "loading" not in names:
            extra.append('loading="lazy"')
        if not extra:
            return None
        written = self.get_starttag_text()
        end = -2 if empty else -1  # the new attributes go before the "/>" or the ">"
        return f"{written[:end].rstrip()} {' '.join(extra)}{written[end:]}"


def sized_images(html: str, page_url: str, info: dict[str, ImageInfo]) -> str:
    """<img> tags of an article body, with their size, srcset and lazy loading added
    (what the author wrote wins): below the lead, an article's images are off screen."""
    last = last_img_at(html)
    return html if last == -1 else _Sizer(html, page_url, info, last).result()


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as f:
        f.write(data)
    os.replace(f.name, path)
