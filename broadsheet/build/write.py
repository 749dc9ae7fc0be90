"""Rendered pages and static files -> the output folder, never half written.

Two ways to get there, chosen by how much changed:

- **Swap** (no output yet): everything goes into a staging folder beside the output,
  which is then renamed into place, or exchanged with an old output in one atomic
  system call.
- **Journal** (every later build): the changed files are written beside the output,
  flat, with a journal that lists where each goes; renaming the journal into place
  commits the build, then the files are moved in. A build killed before the commit
  leaves the old site; one killed after it is completed by the next build (or by
  `recover`), so the output always ends as the old site or the new one. It costs a
  write per changed file and nothing per unchanged one, where a staging tree costs a
  folder and a link for every file (seconds at 10,000 articles).

Before either commit point, one sync puts the new bytes on disk, so a power cut cannot
leave a committed journal or swapped folder pointing at empty files.

Either way, what is on disk decides what changed: a file edited, deleted or added by
hand in the output is put right by the next build.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import json
import os
import re
import shutil
import sys
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

from broadsheet.build import slugs
from broadsheet.problems import Problem

RENAME_EXCHANGE = 2
AT_FDCWD = -100

Stamp = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode: what a file on disk looked like


@dataclass(frozen=True)
class WriteResult:
    files: int  # files in the new output
    changed: tuple[str, ...]  # files whose bytes differ from the previous output (new ones included)
    removed: tuple[str, ...]  # files of the previous output that are gone
    stamps: dict[str, Stamp] = field(default_factory=dict)  # the output as this build left it


def safe_relative(path: str) -> bool:
    """True when a site-relative path stays inside the output folder."""
    p = PurePosixPath(path)
    return bool(path) and not p.is_absolute() and ".." not in p.parts and "\\" not in path and "\0" not in path


def check_output_folder(site_dir: Path, output: Path) -> list[Problem]:
    """The output folder is deleted and replaced: never let it be a folder of inputs, a
    file, or a place where something else stands in the way of the build's own work."""
    site = site_dir.resolve()
    out = output.resolve()
    inputs = [site / name for name in ("content", "templates", "static")]
    if out == site or out in site.parents or any(out == p or p in out.parents for p in inputs):
        return [Problem("", 0, "output", f"{output} holds the site's own files; choose a separate output folder")]
    if output.exists() and not output.is_dir():
        return [Problem("", 0, "output", f"{output} is a file, not a folder; choose a folder for the output (the file was left as it was)")]
    lock = lock_file(output)
    in_the_way = [work for work in (staging_dir(output), journal_dir(output), old_dir(output)) if work.exists() and not work.is_dir()]
    in_the_way += [lock] if lock.exists() and not lock.is_file() else []
    return [Problem("", 0, "output", f"{work} is in the way: a build keeps its lock and unfinished work there; move it elsewhere") for work in in_the_way]


def check_paths(pages: Iterable[str], generated: set[str], files: dict[str, Path], origins: dict[str, str], page_sources: dict[str, str]) -> list[Problem]:
    """Every output path stays inside the output folder, and no two things claim one path
    (a static file overriding a generated one, such as robots.txt, is allowed)."""
    problems = []
    pages = set(pages)
    for path in sorted(pages | generated | set(files)):
        if not safe_relative(path):
            problems.append(Problem(page_sources.get(path) or origins.get(path, ""), 0, "", f"output path {path!r} would be outside the output folder"))
    for path in sorted(pages & set(files)):
        problems.append(Problem(origins[path], 0, "", f"writes {path}, which is also the page of {page_sources.get(path, 'the site')}"))
    for path in sorted(pages & generated):
        problems.append(Problem("", 0, "", f"{path} is both a page and a generated file (feed, sitemap or index)"))
    return problems


def room(output: Path) -> int:
    """Bytes of the longest folder an output file is written under (the staging folder
    beside the output), which count towards the file system's limit on a whole path."""
    return len(os.fsencode(staging_dir(output.absolute())))


def check_names(origins: dict[str, str], copies: Iterable[str], room: int) -> list[Problem]:
    """Static files, bundle files and their smaller copies (`photo-640w.jpg`) whose names
    not every machine takes, before anything is written. `origins`: output path -> the
    file it comes from."""
    problems = []
    for path in sorted({*origins, *copies}):
        flaw = slugs.path_flaw(path, room)
        if flaw:
            origin = origins.get(path) or origins.get(re.sub(r"-\d+w(\.[^./]*)$", r"\1", path), "")
            problems.append(Problem(origin, 0, "", f"its output file {path} {flaw}"))
    return problems


LOCK_WAIT = 3.0  # seconds a build waits for another build of the same output to finish


@contextmanager
def output_lock(output: Path, wait: float = LOCK_WAIT) -> Iterator[Problem | None]:
    """Hold the output's lock while a build runs, so two builds never interleave: yields
    None once held, or a Problem naming the other build when it is still running after
    `wait` seconds. The lock is the kernel's (flock) on a file beside the output, so it
    goes with the process that held it: a lock file left by a killed build holds nothing,
    and the next build simply takes it. The holder removes the file as it lets go."""
    if fcntl is None:  # no flock on this system (Windows): builds are not locked
        yield None
        return
    path = lock_file(output)
    deadline = time.monotonic() + wait
    while True:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:  # a read-only folder, a full disk
            yield Problem("", 0, "output", f"{exc.strerror or exc}: {exc.filename or path}")
            return
        if _try_lock(fd):
            if _still_there(fd, path):
                break
            os.close(fd)  # the last holder removed it as it let go: lock the file there now
            continue
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
        os.close(fd)
        if time.monotonic() >= deadline:
            yield Problem("", 0, "output", f"another build of this site is running (pid {holder}); try again when it has finished")
            return
        time.sleep(0.05)
    try:
        with suppress(OSError):  # who holds it is only for the message: a full disk may not take it
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield None
    finally:
        path.unlink(missing_ok=True)  # while still held, so nobody locks a file on its way out
        os.close(fd)


def _still_there(fd: int, path: Path) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def lock_file(output: Path) -> Path:
    return output.with_name(f".{output.name}.lock")


def staging_dir(output: Path) -> Path:
    return output.with_name(f".{output.name}.staging")


def journal_dir(output: Path) -> Path:
    return output.with_name(f".{output.name}.journal")


def old_dir(output: Path) -> Path:
    return output.with_name(f".{output.name}.old")


class OutputWriter:
    """Takes the build's files one at a time, as they are made, and commits them all at
    once (by swap or journal, see above), so no build holds the whole site in memory:
    10,000 articles make 400 MB of pages. Until `commit`, nothing in the output changes;
    `abort` throws away what was put."""

    def __init__(self, output: Path, on_disk: dict[str, Stamp] | None = None) -> None:
        recover(output)
        self.output = output
        self.on_disk = on_disk if on_disk is not None else disk_stamps(output)
        self.fresh = not output.is_dir()  # no output yet: everything goes to a staging folder
        self.folder = staging_dir(output) if self.fresh else journal_dir(output)
        self.wanted: set[str] = set()
        self.changed: dict[str, str] = {}  # rel -> its file in the folder
        self._made: set[str] = set()  # folders made in self.folder ("" for itself)
        self.committed = False

    def keep(self, paths) -> None:
        """Files known to be on disk as they would come out: put(path, None) for each, at once."""
        self.wanted.update(paths)

    def put(self, rel: str, data: bytes | None) -> None:
        """One output file; None for one known to be on disk as it would come out. Paths
        that would leave the output are not written (check_paths reports them)."""
        self.wanted.add(rel)
        if data is None or not safe_relative(rel):
            return
        if not self.fresh and _same(self.output / rel, data, self.on_disk.get(rel)):
            return
        name = rel if self.fresh else f"{len(self.changed)}.new"
        try:
            self._write(name, data)
        except OSError as exc:  # name the file the user knows, not our scratch name
            raise OSError(exc.errno, exc.strerror, str(self.output / rel)) from None
        self.changed[rel] = name

    def _write(self, name: str, data: bytes) -> None:
        if not self._made:
            self.folder.mkdir(parents=True)
            self._made.add("")
        parent = name.rpartition("/")[0]
        if parent and parent not in self._made:
            (self.folder / parent).mkdir(parents=True, exist_ok=True)
            self._made.add(parent)
        (self.folder / name).write_bytes(data)

    def commit(self) -> WriteResult:
        removed = sorted(self.on_disk.keys() - self.wanted)
        stamps = {} if self.fresh else dict(self.on_disk)  # what is not written stays as it was
        if not self.changed and not removed and not self.fresh:
            return WriteResult(len(self.wanted), (), (), stamps)
        if self.fresh:
            if not self._made:
                self.folder.mkdir(parents=True)
                self._made.add("")
            _swap(self.folder, self.output)
        else:
            _commit_journal(self.output, self.folder, self.changed, removed)
        self.committed = True
        changed = tuple(sorted(self.changed))
        for rel in removed:
            del stamps[rel]
        stamps.update({rel: _stamp(self.output / rel) for rel in changed})
        return WriteResult(len(self.wanted), changed, tuple(removed), stamps)

    def abort(self) -> None:
        """Throw away what was put, unless the build got past its commit point (its journal
        is in place): then the next build finishes it."""
        if self._made and not self.committed and not (self.folder / "journal.json").exists():
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> OutputWriter:
        return self

    def __exit__(self, *exc_info) -> None:
        self.abort()  # left without a commit (an error, or problems found): the output stays as it was


@contextmanager
def disk_errors() -> Iterator[list[Problem]]:
    """An OSError while a build reads or writes (a full disk, a read-only folder, a file
    removed under the build) becomes one problem naming the file, in the list this yields;
    by then the writer has thrown its unfinished work away, so the output is as it was."""
    problems: list[Problem] = []
    try:
        yield problems
    except OSError as exc:
        problems.append(Problem("", 0, "output", f"{exc.strerror or exc}: {exc.filename or 'the output folder'}"))


def put_generated(writer: OutputWriter, generated: Iterable[dict[str, bytes | None]], static_files: dict[str, Path]) -> set[str]:
    """Generated files, then static files, to the writer as they come; the generated paths.
    A file of the same name in static/ (a hand-written robots.txt, say) overrides a generated one."""
    made: set[str] = set()
    for files in generated:
        for path, data in files.items():
            if path not in static_files:
                writer.put(path, data)
                made.add(path)
    for rel, source in static_files.items():
        writer.put(rel, source.read_bytes())
    return made


def intact(on_disk: dict[str, Stamp], written: dict[str, Stamp]) -> set[str]:
    """The files that look exactly as the last build left them: same size, time and inode.
    A hand edit, a deletion or a replacement shows, so the next build puts it right."""
    return {rel for rel, stamp in on_disk.items() if written.get(rel) == stamp}


def _same(previous: Path, data: bytes, stamp: Stamp | None) -> bool:
    if stamp is None or stamp[0] != len(data):
        return False
    try:
        return previous.read_bytes() == data
    except OSError:
        return False


def _stamp(path: Path) -> Stamp:
    st = path.stat()
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def disk_stamps(folder: Path) -> dict[str, Stamp]:
    """Every regular file below folder (symlinks count as foreign: they are replaced)."""
    found: dict[str, Stamp] = {}

    def walk(directory: str, prefix: str) -> None:
        with os.scandir(directory) as entries:
            for entry in entries:
                rel = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    walk(entry.path, rel + "/")
                else:
                    st = entry.stat(follow_symlinks=False)
                    found[rel] = (-1, 0, 0, 0) if entry.is_symlink() else (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)

    if folder.is_dir():
        walk(str(folder), "")
    return found


# --- swap ------------------------------------------------------------------------------


def _swap(staging: Path, output: Path) -> None:
    os.sync()  # the new files' bytes reach the disk before the rename that publishes them
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


# --- journal ---------------------------------------------------------------------------


def _commit_journal(output: Path, folder: Path, changed: dict[str, str], removed: list[str]) -> None:
    """The changed files are in folder already; list where each goes, then commit."""
    folder.mkdir(exist_ok=True)
    moves = [[name, rel] for rel, name in sorted(changed.items())]
    if len(changed) <= FSYNC_UP_TO:
        for name, _ in moves:
            _fsync(folder / name)
    else:
        os.sync()  # one barrier for many files: cheaper than an fsync each
    journal = folder / "journal.tmp"
    journal.write_text(json.dumps({"moves": moves, "removes": removed}))
    _fsync(journal)
    os.rename(journal, folder / "journal.json")  # the commit point
    _apply_journal(output, folder)


FSYNC_UP_TO = 64  # files; past this, one sync of everything is cheaper than an fsync each


def _fsync(path: Path) -> None:
    """Wait until a file's bytes are on disk. A whole-system sync would do too, but on a
    busy machine it waits for everyone's writes (0.2 s and more)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _apply_journal(output: Path, folder: Path) -> None:
    """Move the journal's files into place; safe to run again after an interruption."""
    journal = json.loads((folder / "journal.json").read_text())
    for name, rel in journal["moves"]:
        source = folder / name
        if source.exists():
            target = output / rel
            _make_room(output, target)
            os.replace(source, target)
    for rel in journal["removes"]:
        target = output / rel
        if target.is_symlink() or target.is_file():
            target.unlink()
        _prune_empty(output, target.parent)
    shutil.rmtree(folder)


def _make_room(output: Path, target: Path) -> None:
    """A folder where the file goes, or a file where a folder goes, is cleared away."""
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    for parent in reversed(target.relative_to(output).parents[:-1]):
        path = output / parent
        if path.is_symlink() or path.is_file():
            path.unlink()
    target.parent.mkdir(parents=True, exist_ok=True)


def _prune_empty(output: Path, folder: Path) -> None:
    while folder != output and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def recover(output: Path) -> None:
    """Finish what a killed build committed; throw away what it did not."""
    old, staging, journal = old_dir(output), staging_dir(output), journal_dir(output)
    if old.exists():
        if output.exists():
            shutil.rmtree(old)
        else:
            old.rename(output)
    if staging.exists():
        shutil.rmtree(staging)
    if journal.exists():
        if (journal / "journal.json").exists() and output.is_dir():
            _apply_journal(output, journal)
        else:
            shutil.rmtree(journal)
