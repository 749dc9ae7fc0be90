"""The output folder: what it is on disk, who owns it, and the lock on it.

The output a reader sees (`site`) is a symbolic link to one of two trees that Broadsheet
keeps beside it, in `.site.trees/a` and `.site.trees/b`. A build writes into the tree
nobody reads, then points the link at it with one rename, which the kernel makes atomic:
at every instant a reader (a web server, rsync, the dev server) finds the old site or the
new one, and a build killed at any moment needs no recovery step. The two trees share
every unchanged file as a hard link, so a one-article change writes a few files and a link.
Beside them, `.site.trees/pool` holds the files a tree owned until links replaced them, for
the next build that writes those pages to write into (build/write.py, `_Room.reuse`).

Broadsheet owns the link and the trees folder (its `state.json` says so, and records which
tree lags the live one by what): a build replaces only what it made. A folder that holds
files Broadsheet did not make is refused, unless the user asks to replace it.

Where symbolic links are refused (Windows without Developer Mode, a vfat disk), the link is
a directory junction on Windows, which needs no privilege; elsewhere the build stops with
one line saying so (LinkRefused), the last output as it was.
"""

from __future__ import annotations

import errno
import hashlib
import importlib
import json
import os
import shutil
import stat
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from broadsheet.problems import Problem, display_path

fcntl: ModuleType | None
try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

TREES = ("a", "b")
ERROR_PRIVILEGE_NOT_HELD = 1314  # Windows' refusal of a symbolic link without Developer Mode
STATE_FORMAT = 1
MADE_BY = "broadsheet"


@dataclass(frozen=True)
class Layout:
    """Where the parts of one output live; all beside the output, so one rename switches."""

    output: Path  # the link readers use

    @property
    def trees(self) -> Path:
        return self.output.with_name(f".{self.output.name}.trees")

    @property
    def state_file(self) -> Path:
        return self.trees / "state.json"

    @property
    def switch_link(self) -> Path:  # the new link, made beside the output, then renamed over it
        return self.output.with_name(f".{self.output.name}.switch")

    @property
    def lock_file(self) -> Path:
        return self.output.with_name(f".{self.output.name}.lock")

    def tree(self, name: str) -> Path:
        return self.trees / name

    def link_text(self, name: str) -> str:
        return f"{self.trees.name}/{name}"  # relative: the site folder can move as a whole

    def named_tree(self, text: str) -> str | None:
        """The tree a link's text names, if it is one of ours."""
        for name in TREES:
            if text == self.link_text(name) or _junction_to(text, self.tree(name)):
                return name
        return None

    def live(self) -> str | None:
        """The tree the output points at, when the output is Broadsheet's link."""
        text = read_link(self.output)
        name = None if text is None else self.named_tree(text)
        if name is not None and self.tree(name).is_dir() and self.owned_trees():
            return name
        return None

    def owned_trees(self) -> bool:
        return read_state(self) is not None


@dataclass
class TreeState:
    """What state.json says: which tree was live when it was written, and how the other
    tree differs from it (None: not known, so the next build compares the two in full);
    `files`, a digest of the live tree's file names then, shows files added or deleted by
    hand since (the other tree differs from it by more than the lag then)."""

    live: str | None
    lag_changed: list[str] | None = None
    lag_removed: list[str] | None = None
    files: str | None = None

    def lag_known(self) -> bool:
        return self.lag_changed is not None and self.lag_removed is not None


def read_link(path: Path) -> str | None:
    """What the link at path holds, or None when path is no link. On Windows a junction
    is a link too (os.readlink reads it; Path.is_symlink says no)."""
    if not path.is_symlink() and os.name != "nt":
        return None
    try:
        return os.readlink(path)
    except (OSError, ValueError):  # no link (Windows: not a reparse point), or one of another kind
        return None


def is_link(path: Path) -> bool:
    return path.is_symlink() or (os.name == "nt" and read_link(path) is not None)


def _junction_to(text: str, tree: Path) -> bool:
    """Windows: whether a junction's text (absolute, `\\\\?\\` before it) names tree."""
    if os.name != "nt":
        return False
    for prefix in ("\\\\?\\", "\\??\\"):
        text = text.removeprefix(prefix)
    return os.path.normcase(text) == os.path.normcase(os.path.abspath(tree))


def read_state(layout: Layout) -> TreeState | None:
    """The trees folder's record, or None when there is none Broadsheet wrote."""
    try:
        data = json.loads(layout.state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("made_by") != MADE_BY:
        return None
    live = data.get("live") if data.get("live") in TREES else None
    lag, files = data.get("lag"), data.get("files")
    if data.get("format") != STATE_FORMAT or not isinstance(lag, dict) or not isinstance(files, str):
        return TreeState(live)
    changed, removed = lag.get("changed"), lag.get("removed")
    if not _all_strings(changed) or not _all_strings(removed):
        return TreeState(live)
    return TreeState(live, changed, removed, files)


def names_digest(names) -> str:
    """One short string for a set of file names: 5 ms for 15,000."""
    return hashlib.sha256("\n".join(sorted(names)).encode("utf-8", "surrogateescape")).hexdigest()


def _all_strings(value) -> bool:
    """A list of strings (JSON's are never a subclass), told in C: state.json's lag lists
    hold every page a template edit wrote, and the record is read several times a build."""
    return isinstance(value, list) and set(map(type, value)) <= {str}


def write_state(layout: Layout, state: TreeState) -> None:
    """Replace state.json in one rename, its bytes on disk first."""
    lag = {"changed": state.lag_changed, "removed": state.lag_removed} if state.lag_known() else None
    data = {"made_by": MADE_BY, "format": STATE_FORMAT, "live": state.live, "lag": lag, "files": state.files}
    temporary = layout.trees / "state.tmp"
    try:
        with open(temporary, "w", encoding="utf-8") as f:
            f.write(json.dumps(data))  # in C; json.dump encodes piece by piece in Python (15,000 paths a template edit)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, layout.state_file)
    except OSError:  # a full disk: the record stays as it was, and nothing half written
        temporary.unlink(missing_ok=True)
        raise


def live_stamps_source(output: Path) -> Path | None:
    """The folder whose files a build may keep as they are: the live tree, when the output
    is Broadsheet's; None for a new output, an empty folder or one being replaced."""
    layout = Layout(output)
    live = layout.live()
    return layout.tree(live) if live else None


def stamps_as_left(output: Path, recorded: dict[str, tuple[int, int, int, int]]) -> bool:
    """Whether the live tree's files are exactly `recorded` (what write.disk_stamps would
    find), shown without listing its 15,000 folders: every recorded file has its stamp,
    and no folder holding them has gained or lost a name since the output's link was made
    (a folder's ctime moves with every name added, removed or renamed in it, and its link
    count with every sub-folder). False when that cannot be shown: the caller walks the tree."""
    try:
        link = os.lstat(output)
    except OSError:
        return False
    if not stat.S_ISLNK(link.st_mode) or not recorded:  # a junction, or a new output: walk it
        return False
    folder = live_stamps_source(output)
    if folder is None:
        return False
    base = os.fspath(folder) + os.sep
    made = link.st_mtime_ns  # the link is made after the last file of its tree
    subfolders = _subfolder_counts(recorded)
    for rel, count in subfolders.items():
        try:
            st = os.lstat(base + rel)
        except OSError:
            return False
        # the same clock tick as the link: a later change cannot be told apart, so walk
        if not stat.S_ISDIR(st.st_mode) or st.st_ctime_ns >= made or st.st_mtime_ns >= made or st.st_nlink != 2 + count:
            return False
    for rel, stamp in recorded.items():
        try:
            st = os.lstat(base + rel)
        except OSError:
            return False
        if (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino) != stamp or not stat.S_ISREG(st.st_mode):
            return False
    return True


def _subfolder_counts(files) -> dict[str, int]:
    """Every folder that holds the files (relative, POSIX; "" the top), with its number of
    sub-folders: a folder's link count on Linux and most Unix file systems is two more
    (its name in its parent, its own `.`, and each sub-folder's `..`). A file system that
    counts otherwise (btrfs, APFS) never matches, and the tree is walked."""
    folders = {""}
    for rel in files:
        folder = rel.rpartition("/")[0]
        while folder not in folders:
            folders.add(folder)
            folder = folder.rpartition("/")[0]
    counts = dict.fromkeys(folders, 0)
    for folder in folders:
        if folder:
            counts[folder.rpartition("/")[0]] += 1
    return counts


def room(output: Path) -> int:
    """Bytes of the longest folder an output file is written under (a tree beside the
    output), which count towards the file system's limit on a whole path."""
    return len(os.fsencode(Layout(output.absolute()).tree(TREES[0])))


# --- what may be used as the output ------------------------------------------------------


def check_output_folder(site_dir: Path, output: Path, replace: bool = False) -> list[Problem]:
    """The output's contents are replaced by every build: never let it be the site's own
    files, a repository, a file, or a folder of someone else's files (unless `replace`)."""
    site, out = site_dir.resolve(), output.resolve()
    inputs = [site / name for name in ("content", "templates", "static")]
    if out == site or out in site.parents or any(out == p or p in out.parents for p in inputs):
        return [_problem(f"{output} holds the site's own files; choose a separate output folder")]
    if Layout(output).live() is None and any(Layout(folder).owned_trees() for folder in _trees_above(out)):
        return [
            _problem(f"{output} is inside the copies Broadsheet keeps for another output; choose a folder of its own")
        ]
    if ".git" in out.parts or (out / ".git").exists():
        return [_problem(f"{output} is (or is inside) a git repository; choose a folder of its own for the output")]
    if output.exists() and not output.is_dir():
        return [
            _problem(f"{output} is a file, not a folder; choose a folder for the output (the file was left as it was)")
        ]
    layout = Layout(output)
    problems = [
        _problem(f"{path} is in the way: a build keeps its {what} there; move it elsewhere")
        for path, what in _in_the_way(layout)
    ]
    if problems or replace:
        return problems
    return [_problem(message) for message in _foreign(layout)]


def _trees_above(out: Path) -> list[Path]:
    """For each `.NAME.trees` folder on the way to out, the output it belongs to."""
    return [
        folder.with_name(folder.name[1 : -len(".trees")])
        for folder in (out, *out.parents)
        if folder.name.startswith(".") and folder.name.endswith(".trees") and len(folder.name) > 7
    ]


def _in_the_way(layout: Layout) -> list[tuple[Path, str]]:
    found = []
    trees = layout.trees
    if (
        is_link(trees)
        or (trees.exists() and not trees.is_dir())
        or (trees.is_dir() and any(trees.iterdir()) and not layout.owned_trees())
    ):
        found.append((trees, "two copies of the site"))
    if is_link(layout.lock_file) or (layout.lock_file.exists() and not layout.lock_file.is_file()):
        found.append((layout.lock_file, "lock"))
    switch = layout.switch_link
    if switch.exists() and not is_link(switch):
        found.append((switch, "next link"))
    return found


def _foreign(layout: Layout) -> list[str]:
    """Why the output is not Broadsheet's to replace, if it is not."""
    output = layout.output
    text = read_link(output)
    if layout.live() is not None or not (output.exists() or text is not None):
        return []
    if text is not None and layout.named_tree(text) is not None:
        return []  # Broadsheet's own link, its tree gone: the next build makes it again
    if text is not None:
        return [
            f"{output} is a link Broadsheet did not make; remove it, or pass --replace-output to replace the link (not what it points to)"
        ]
    if any(output.iterdir()):
        return [
            f"{output} holds files Broadsheet did not make; choose an empty or new folder, or pass --replace-output to replace them"
        ]
    return []


def _problem(message: str) -> Problem:
    return Problem("", 0, "output", message)


# --- the switch --------------------------------------------------------------------------


def point_output_at(layout: Layout, tree: str) -> None:
    """Make the output the link to `tree`, in one rename. Whatever stood there before that
    was not Broadsheet's link (an empty folder, or one the user asked to replace) is
    exchanged for the link in one system call where the kernel can, then removed."""
    switch = layout.switch_link
    with suppress(FileNotFoundError):
        switch.unlink()
    _make_link(layout, tree, switch)
    output = layout.output
    if is_link(output) or not output.exists():
        _replace_link(switch, output)
    elif _exchange(switch, output):
        _remove_replaced(switch)
    else:  # no atomic exchange here: the old folder goes aside for a moment
        aside = output.with_name(f".{output.name}.replaced")
        output.rename(aside)
        os.replace(switch, output)
        _remove_replaced(aside)
    _fsync_folder(output.parent)


class LinkRefused(Exception):
    """Neither a symbolic link nor a junction can be made beside the output."""

    def __init__(self, output: Path, reason: str) -> None:
        super().__init__(reason)
        self.output, self.reason = output, reason

    def problem(self) -> Problem:
        return Problem(
            "",
            0,
            display_path(self.output),
            f"cannot make the output link here (symbolic links and junctions are refused): {self.reason}",
        )


def _make_link(layout: Layout, tree: str, at: Path) -> None:
    """A symbolic link at `at` to the tree, where the system makes one (POSIX; Windows in
    Developer Mode); refused, a directory junction on Windows, which needs no privilege."""
    symlink = getattr(os, "symlink", None)
    try:
        if symlink is None:
            raise NotImplementedError("this Python makes no symbolic links")
        symlink(layout.link_text(tree), at)  # as every POSIX build makes it
        return
    except NotImplementedError as exc:
        reason = str(exc) or "symbolic links are not supported here"
    except OSError as exc:  # refused for want of a privilege (Windows) or by the file system (vfat)
        if exc.errno not in (errno.EPERM, errno.EACCES) and getattr(exc, "winerror", None) != ERROR_PRIVILEGE_NOT_HELD:
            raise
        reason = exc.strerror or str(exc)
    try:
        junction = importlib.import_module("_winapi").CreateJunction
    except (ImportError, AttributeError):  # not Windows: no junctions
        raise LinkRefused(layout.output, reason) from None
    try:
        junction(os.path.abspath(layout.tree(tree)), str(at))  # a junction's target is absolute
    except OSError as exc:
        raise LinkRefused(layout.output, exc.strerror or str(exc)) from None


def _replace_link(switch: Path, output: Path) -> None:
    """The new link over the old one, in one rename. Windows renames nothing over a folder,
    and a link to one counts: there the old link goes first, and for a moment there is none."""
    try:
        os.replace(switch, output)
    except PermissionError:
        if os.name != "nt" or not is_link(output):
            raise
        output.unlink()  # removes the link itself (junction or symbolic), never the tree
        os.replace(switch, output)


def _remove_replaced(path: Path) -> None:
    if is_link(path) or path.is_file():
        path.unlink()
    else:
        shutil.rmtree(path)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two names in one system call (Linux renameat2); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes
    import ctypes.util
    import errno

    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _fsync_folder(folder: Path) -> None:
    """A rename is durable once its folder is synced."""
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# --- the lock ----------------------------------------------------------------------------

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
    path = Layout(output).lock_file
    deadline = time.monotonic() + wait
    while True:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
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
            yield Problem(
                "", 0, "output", f"another build of this site is running (pid {holder}); try again when it has finished"
            )
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
    assert fcntl is not None  # output_lock comes here only where flock exists
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
