"""Rendered pages and static files -> the output folder, all or nothing.

Everything goes into a staging folder beside the output, which is then swapped in
with one atomic exchange. Files whose bytes did not change are hard-linked from the
previous output rather than written, so they keep their modification times and
static-host syncs upload only what changed. Nothing from the previous output that
this build did not produce survives the swap.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from broadsheet.problems import Problem

RENAME_EXCHANGE = 2
AT_FDCWD = -100


@dataclass(frozen=True)
class WriteResult:
    files: int  # files in the new output
    changed: tuple[str, ...]  # files whose bytes differ from the previous output (new ones included)
    removed: tuple[str, ...]  # files of the previous output that are gone


def safe_relative(path: str) -> bool:
    """True when a site-relative path stays inside the output folder."""
    p = PurePosixPath(path)
    return bool(path) and not p.is_absolute() and ".." not in p.parts and "\\" not in path and "\0" not in path


def check_paths(pages: dict[str, bytes], files: dict[str, Path], origins: dict[str, str], page_sources: dict[str, str]) -> list[Problem]:
    problems = []
    for path in sorted(set(pages) | set(files)):
        if not safe_relative(path):
            problems.append(Problem(page_sources.get(path) or origins.get(path, ""), 0, "", f"output path {path!r} would be outside the output folder"))
    for path in sorted(set(pages) & set(files)):
        problems.append(Problem(origins[path], 0, "", f"writes {path}, which is also the page of {page_sources.get(path, 'the site')}"))
    return problems


def staging_dir(output: Path) -> Path:
    return output.with_name(f".{output.name}.staging")


def write_site(output: Path, pages: dict[str, bytes], files: dict[str, Path]) -> WriteResult:
    recover(output)
    staging = staging_dir(output)
    if staging.exists():
        shutil.rmtree(staging)  # left by a build that was killed
    staging.mkdir(parents=True)
    changed = []
    for rel in sorted(set(pages) | set(files)):
        target = staging / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        data = pages[rel] if rel in pages else files[rel].read_bytes()
        if not _place(data, output / rel, target):
            changed.append(rel)
    removed = sorted(_relative_files(output) - set(pages) - set(files))
    _swap(staging, output)
    return WriteResult(len(pages) + len(files), tuple(changed), tuple(removed))


def _place(data: bytes, previous: Path, target: Path) -> bool:
    """Put data at target; True when the previous output already had these bytes."""
    if _same(previous, data):
        _link_or_copy(previous, target)
        return True
    target.write_bytes(data)
    return False


def _same(previous: Path, data: bytes) -> bool:
    try:
        if previous.is_symlink() or previous.stat().st_size != len(data):
            return False
        return previous.read_bytes() == data
    except OSError:
        return False


def _link_or_copy(previous: Path, target: Path) -> None:
    try:
        os.link(previous, target)
    except OSError:
        shutil.copy2(previous, target)


def _relative_files(folder: Path) -> set[str]:
    found = set()
    for root, _, names in os.walk(folder):
        base = Path(root).relative_to(folder).as_posix()
        found.update(name if base == "." else f"{base}/{name}" for name in names)
    return found


def old_dir(output: Path) -> Path:
    return output.with_name(f".{output.name}.old")


def recover(output: Path) -> None:
    """Finish or undo a swap that a killed build left half done."""
    old = old_dir(output)
    if old.exists():
        if output.exists():
            shutil.rmtree(old)
        else:
            old.rename(output)


def _swap(staging: Path, output: Path) -> None:
    if not output.exists():
        staging.rename(output)
        return
    if _exchange(staging, output):
        shutil.rmtree(staging)  # now holds the previous output
        return
    old = old_dir(output)
    output.rename(old)  # no atomic exchange here: keep the old site until the new one is in place
    staging.rename(output)
    shutil.rmtree(old)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one system call (Linux renameat2); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE)
    if result == 0:
        return True
    if ctypes.get_errno() in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), str(b))
