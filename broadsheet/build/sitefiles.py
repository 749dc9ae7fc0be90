"""The site's own files, taken safely: a build reads nothing outside the site folder,
never blocks on a pipe or a device, and reads no more than a limit says.

Contributors' pull requests are built by CI, so a symlink in content/, static/ or
templates/ may point at /etc/passwd or /proc/self/environ; a file named x.md may be a
FIFO (reading it waits for ever) or a link to /dev/zero (reading it never ends).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

OUTSIDE = "symlink points outside the site folder (-> {target}); only files inside it are published (copy the file in instead)"
NOT_REGULAR = "not a regular file (a pipe, a device or a socket); only regular files are read"
LOOP = "symlink loop: the link leads back to itself (remove it)"
NOT_UTF8 = "file name is not UTF-8; rename it"


class NotRegular(OSError):
    """A pipe, a device or a socket where a file was expected."""

    def __init__(self, filename: str | Path):
        super().__init__(errno.EINVAL, NOT_REGULAR, str(filename))


class TooLarge(OSError):
    """More bytes than the limit: the limit counts the bytes read, not what stat says."""

    def __init__(self, filename: str | Path, limit: int):
        super().__init__(errno.EFBIG, f"over {limit:,} bytes", str(filename))
        self.limit = limit


def shown(rel: str) -> str:
    """A name as it can be printed: bytes that are not UTF-8 (kept by os.fsdecode as
    surrogates, which no terminal takes) written as \\xNN."""
    return rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def refusal(path: Path, site_dir: Path, is_link: bool | None = None) -> str | None:
    """Why the build must not take this file or folder, or None: a name that is not
    UTF-8 (it can make no URL), a symlink loop, or a symlink that resolves outside the
    site folder. Symlinks that stay inside the site folder are followed. `is_link`, when
    a folder listing already knows it, spares a system call per file."""
    if not path.name.isascii() and shown(path.name) != path.name:
        return NOT_UTF8
    if not (path.is_symlink() if is_link is None else is_link):
        return None
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return LOOP
        return None  # a dangling link: reading it says so
    if not inside(path, site_dir):
        return OUTSIDE.format(target=shown(os.readlink(path)))
    return None


def inside(path: Path, site_dir: Path) -> bool:
    real, root = os.path.realpath(path), os.path.realpath(site_dir)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def is_regular(path: Path) -> bool:
    """A regular file (after symlinks), without opening it: a pipe is never opened."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def read_regular(path: Path, limit: int | None = None) -> bytes:
    """The bytes of a regular file, at most `limit` of them (TooLarge past it), opened
    as open_regular opens it, so only a regular file is ever read."""
    with open_regular(path) as file:
        data = file.read() if limit is None else file.read(limit + 1)
    if limit is not None and len(data) > limit:
        raise TooLarge(path, limit)
    return data


def open_regular(path: Path | str) -> BinaryIO:
    """A regular file opened for reading: opened without blocking (opening a FIFO waits
    for a writer), then checked on the open file (no swap between a check and the open);
    NotRegular for anything else."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegular(path)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def walk_files(root: Path, site_dir: Path, skip) -> tuple[list[Path], list[tuple[str, str]]]:
    """Every regular file below root (a folder of the site: static/, templates/), sorted,
    leaving out names `skip` says to; and (site-relative name, message) for each entry
    the build must not take (see refusal) or cannot read."""
    files: list[Path] = []
    refused: list[tuple[str, str]] = []

    def walk(folder: Path, seen: frozenset[str]) -> None:
        real = os.path.realpath(folder)
        if real in seen:
            refused.append(
                (_rel(folder, site_dir), "symlink loop: this folder links back to a folder above it (remove the link)")
            )
            return
        try:
            with os.scandir(folder) as it:
                names = sorted(e.name for e in it if not skip(e.name))
        except OSError as exc:
            refused.append((_rel(folder, site_dir), f"cannot read folder: {exc.strerror}"))
            return
        for name in names:
            path = folder / name
            why = refusal(path, site_dir)
            if why:
                refused.append((_rel(path, site_dir), why))
            elif path.is_dir():
                walk(path, seen | {real})
            elif path.exists() and not is_regular(path):
                refused.append((_rel(path, site_dir), NOT_REGULAR))
            elif path.exists():
                files.append(path)

    why = refusal(root, site_dir) if os.path.lexists(root) else None  # static/ itself may be the link
    if why:
        refused.append((_rel(root, site_dir), why))
    elif root.is_dir():
        walk(root, frozenset())
    return files, refused


def _rel(path: Path, site_dir: Path) -> str:
    return shown(path.relative_to(site_dir).as_posix())
