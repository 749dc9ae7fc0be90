"""Rendered pages and static files -> the output, never half written, never mixed.

The output is a link to one of two trees (build/output_folder.py): the writer brings the
tree nobody reads level with the live one (hard links: the trees share every unchanged
file), writes the files that changed into it as they are made (over the tree's own file
where it has one, a page of the build before last; never through a link it shares with the
live tree), removes what is gone, then commits by pointing the output's link at it. Until
that one rename, readers see the old site; from it on, the new one; a build killed in
between leaves the old site and a tree the next build levels again. (A reader that opened a
file two switches ago and still holds it open may see it rewritten: readers take the site
through the link, as the dev server and every publish target do.) A one-article change writes a few files, links the few the
last build changed, and renames one link. When many pages are rendered by worker processes,
the workers write them into that tree themselves (`hand_over`, `PageWriter`), and the
writer is told what they wrote.

Before the switch, the new bytes are put on disk (an fsync each, or one sync for many), so
a power cut cannot leave the link pointing at empty files.

What is on disk decides what changed: a file in the live tree edited, deleted or added by
hand is put right by the next build.
"""

from __future__ import annotations

import errno
import functools
import os
import re
import shutil
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from broadsheet.build import sitefiles, slugs
from broadsheet.build.aside import aside
from broadsheet.build.output_folder import (
    TREES,
    Layout,
    LinkRefused,
    TreeState,
    fcntl,
    live_stamps_source,
    names_digest,
    point_output_at,
    read_state,
    stamps_as_left,
    write_state,
)
from broadsheet.problems import Problem

Stamp = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode: what a file on disk looked like


@dataclass(frozen=True)
class WriteResult:
    files: int  # files in the new output
    changed: tuple[str, ...]  # files whose bytes differ from the previous output (new ones included)
    removed: tuple[str, ...]  # files of the previous output that are gone
    stamps: dict[str, Stamp] = field(default_factory=dict)  # the output as this build left it
    # names_digest of `stamps`' names when they are all safe paths of files, the digest the
    # commit recorded for them (state.json's `files`); None when not so or not recorded
    names: str | None = None


def safe_relative(path: str) -> bool:
    """True when a site-relative path stays inside the output folder. Plain string tests,
    as PurePosixPath's would be (its parts are the names between slashes, less '.' and
    empty ones, which are never '..'): it is asked of every file a build writes."""
    return (
        bool(path)
        and not path.startswith("/")
        and ".." not in path.split("/")
        and "\\" not in path
        and "\0" not in path
    )


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


class OutputWriter:
    """Takes the build's files one at a time, as they are made, and commits them all at
    once (see above), so no build holds the whole site in memory: 10,000 articles make
    400 MB of pages. Until `commit`, what readers see does not change; `abort` leaves the
    tree being written for the next build to level."""

    def __init__(self, output: Path, on_disk: dict[str, Stamp] | None = None, names: str | None = None) -> None:
        """`on_disk`: the live tree's stamps, when the caller knows them; `names`: their
        names_digest, when the write that left them said it (`WriteResult.names`)."""
        self.layout = Layout(output)
        self.output = output
        self.live = self.layout.live()
        self.target = next(name for name in TREES if name != self.live)
        self.folder = self.layout.tree(self.target)
        # where the target's own files go when links to the live tree replace them, to be
        # written again in place rather than freed (`_Room.reuse`); none where files are
        # never rewritten in place (no O_NOFOLLOW: Windows)
        self.pool = os.path.abspath(self.layout.trees / POOL) if NO_FOLLOW else None
        self.had_trees = self.layout.trees.exists()
        if self.live is None:
            self.on_disk: dict[str, Stamp] = {}  # nothing of ours to keep: every file is written
        else:
            self.on_disk = on_disk if on_disk is not None else disk_stamps(self.layout.tree(self.live))
        self.wanted: set[str] = set()
        self.changed: set[str] = set()  # files written into the target: they differ from the live tree's
        self.relinked: set[str] = set()  # files linked from the live tree: their stamps moved
        # Files the last build changed, still the bytes of the build before in the target (the
        # target's own files, no link into the live tree): rewritten in place where this build
        # writes them (a template edit rewrites every page), linked from the live tree at the
        # commit where it does not (linking each, to replace it at once, was 20% of the main
        # process's work; creating a new file for each, 2-3 s of kernel time at 10,000 articles)
        self.stale: set[str] = set()
        self.levelled = False  # the target holds the live tree, plus self.changed
        self.live_names = ""  # digest of the live tree's file names, once levelled
        self.known_names = names if on_disk is not None and self.live is not None else None
        self.room: _Room | None = None  # made when levelled: what put knows of the target's folders
        self.committed = False
        self.unreported = False  # handed over: workers may have written files not told of yet

    def hand_over(self, excluded: Iterable[str] = ()) -> Into:
        """The target levelled now, for worker processes to write pages into themselves
        (`PageWriter`), each then told of here (`told`), all of them before `reported`.
        Until then, a build that stops (an error, a worker lost) leaves the record that
        says to compare the trees in full, not a lag that may miss a file a worker wrote."""
        self._level()
        self.room = _Room(self.folder, fresh=False, pool=self.pool)  # folders the workers made are not this room's
        self.unreported = True
        live = self.layout.tree(self.live) if self.live is not None else None
        return Into(
            os.path.abspath(self.folder),
            os.path.abspath(live) if live is not None else None,
            os.path.abspath(self.output),
            {rel: stamp[0] for rel, stamp in self.on_disk.items()} if live is not None else {},
            frozenset(excluded),
            os.path.abspath(_writers_lock(self.layout)),
            os.getpid(),
            self.pool,
        )

    def told(self, rel: str, written: bool) -> None:
        """A page a worker put into the target (`written`), or found the same in the live tree."""
        self.wanted.add(rel)
        if written:
            self.changed.add(rel)
            self.stale.discard(rel)

    def reported(self) -> None:
        """Every page handed over has been told of."""
        self.unreported = False

    def keep(self, paths) -> None:
        """Files known to be on disk as they would come out: put(path, None) for each, at once."""
        self.wanted.update(paths)

    def put(self, rel: str, data: bytes | None) -> None:
        """One output file; None for one known to be on disk as it would come out. Paths
        that would leave the output are not written (build/claims.py reports them)."""
        self.wanted.add(rel)
        if data is None or not safe_relative(rel):
            return
        stamp = self.on_disk.get(rel)
        if self.live is not None and _same(os.path.join(self.layout.tree(self.live), rel), data, stamp and stamp[0]):
            return
        self._level()
        assert self.room is not None  # made by _level
        try:
            _write_new(self.room, rel, data)
        except OSError as exc:  # name the file the user knows, not the tree it went to
            self.stale.add(rel)  # it may be half rewritten: not the live tree's, whatever it was
            raise OSError(exc.errno, exc.strerror, str(self.output / rel)) from None
        self.changed.add(rel)
        self.stale.discard(rel)

    def commit(self) -> WriteResult:
        removed = sorted(self.on_disk.keys() - self.wanted)
        if self.live is not None and not self.changed and not removed:
            return WriteResult(len(self.wanted), (), (), dict(self.on_disk))
        self._level()
        self._link_back(sorted(self.stale - self.changed - set(removed)))
        for rel in removed:
            # A file of the last build where this one made a folder holds this build's files: kept.
            _remove(self.folder, rel, folders=False)
            if self.pool is not None:
                _remove(Path(self.pool), rel, folders=False)
        _sync(self.folder, self.changed)
        point_output_at(self.layout, self.target)  # the commit point
        self.committed = True
        # The tree just left differs from the new one by what this build wrote and removed
        # (a first build has no other tree yet: the next build makes it in full).
        lag: tuple[list[str] | None, list[str] | None] = (
            (sorted(self.changed), removed) if self.live is not None else (None, None)
        )
        names, all_files = self._names_after(removed)
        recorded = False
        with suppress(OSError):  # unrecorded (a full disk), the next build compares the trees in full
            write_state(self.layout, TreeState(self.target, *lag, names))
            recorded = True
        changed = tuple(sorted(self.changed))
        stamps = self._stamps(removed)
        known = recorded and all_files and stamps.keys() == self.wanted
        return WriteResult(len(self.wanted), changed, tuple(removed), stamps, names if known else None)

    def level_spare(self) -> dict[str, Stamp]:
        """The tree nobody reads made level with the live one now, and recorded so, rather
        than by the next build's commit: a build that wrote many files (a template edit
        rewrites every page) leaves them, in the tree it left, as the build before wrote
        them, and the next build, however small, would first link every one of them back
        from the live tree (the dev server does this while its editor reads the page it
        reloaded). Nothing readers see changes. Returns the live tree's stamps, read again
        where a link moved a file's ctime. An error (a full disk) leaves the record that
        makes the next build undo or compare, as an aborted build's does."""
        assert self.live is not None  # the caller's output has a live tree
        try:
            self._level()
            self._link_back(sorted(self.stale))
            write_state(self.layout, TreeState(self.live, [], [], self.live_names))
        except BaseException:
            self.abort()
            raise
        self.committed = True  # recorded as level: nothing for abort to record
        return self._stamps([])

    def _names_after(self, removed: list[str]) -> tuple[str, bool]:
        """The digest of the new tree's file names (those wanted, safe ones), and whether
        every name wanted is a safe path of a file. With no name added or removed (a body
        edit's few files rewritten) it is the live tree's, when the caller knew that (`names`
        vouches that every name on disk is a safe path of a file): 15,000 names are not
        sorted, checked and hashed again."""
        if self.known_names is not None and not removed and self.wanted.issubset(self.on_disk.keys()):
            return self.known_names, True  # the same names: on_disk's, every one wanted
        safe = [rel for rel in self.wanted if safe_relative(rel)]
        files = len(safe) == len(self.wanted) and all(
            self.on_disk.get(rel, (0,))[0] >= 0 for rel in self.wanted if rel not in self.changed
        )
        return names_digest(safe), files

    def abort(self) -> None:
        """Left without a commit (an error, problems found, a full disk): readers still see
        the old site. A levelled target differs from it by exactly what was written, so the
        next build only undoes that; otherwise it compares the trees in full."""
        if self.committed:
            return
        with suppress(OSError):
            if self.live is None:  # a first build: nothing of it is left
                shutil.rmtree(self.folder if self.had_trees else self.layout.trees)
            elif self.levelled and not self.unreported:  # what was written, and what is still the last build's
                write_state(self.layout, TreeState(self.live, sorted(self.changed | self.stale), [], self.live_names))

    def __enter__(self) -> OutputWriter:
        return self

    def __exit__(self, *exc_info) -> None:
        self.abort()

    def _level(self) -> None:
        """Before the first write into the target: make it the live tree's copy."""
        if self.levelled:
            return
        self.layout.trees.mkdir(parents=True, exist_ok=True)
        _wait_for_writers(self.layout)  # a killed build's workers may still be finishing their pages
        if self.pool is not None:
            _no_link_at(self.pool)
        state = read_state(self.layout)
        write_state(self.layout, TreeState(self.live))  # a kill from here on: compare in full next time
        self.live_names = (
            self.known_names
            if self.known_names is not None
            else names_digest(rel for rel, stamp in self.on_disk.items() if stamp[0] >= 0)
        )
        if self.live is None:
            _clear(self.folder)
            if self.pool is not None:
                shutil.rmtree(self.pool, ignore_errors=True)
        elif (
            state is not None
            and (state.live, state.files) == (self.live, self.live_names)
            and state.lag_known()
            and self.folder.is_dir()
        ):
            self._undo_lag(state)
        else:
            self._level_in_full()
        self.levelled = True
        self.room = _Room(
            self.folder, fresh=self.live is None, pool=self.pool
        )  # a first build's target was just emptied

    def _undo_lag(self, state: TreeState) -> None:
        for rel in state.lag_removed or ():  # known: _level checked lag_known()
            if safe_relative(rel):
                _remove(self.folder, rel)
        # rewritten in place if this build writes them, else linked at the commit
        self.stale = {rel for rel in state.lag_changed or () if safe_relative(rel)}

    def _level_in_full(self) -> None:
        """After a kill, a full disk or a new second tree: every file compared by inode."""
        if self.folder.is_symlink() or (self.folder.exists() and not self.folder.is_dir()):
            self.folder.unlink()
        if not self.folder.exists():
            self._link_whole_tree()
            return
        theirs = disk_stamps(self.folder)
        self._relink_all(rel for rel, stamp in self.on_disk.items() if theirs.get(rel, (0, 0, 0, None))[3] != stamp[3])
        for rel in theirs.keys() - self.on_disk.keys():
            _remove(self.folder, rel)

    def _link_whole_tree(self) -> None:
        """The second tree made for the first time: a link for every file of the live one,
        without the checks a tree of unknown state needs (2 s -> 0.6 s at 10,000 articles)."""
        assert self.live is not None  # _level copies the live tree only when there is one
        live = self.layout.tree(self.live)

        def walk(source: str, target: str, prefix: str) -> None:
            os.mkdir(target)
            with os.scandir(source) as entries:
                for entry in entries:
                    rel = prefix + entry.name
                    if entry.is_dir(follow_symlinks=False):
                        walk(entry.path, os.path.join(target, entry.name), rel + "/")
                        continue
                    recorded = self.on_disk.get(rel)
                    if recorded is None or recorded[0] < 0:
                        continue  # not a file of the live tree as recorded: the build writes it if wanted
                    st = entry.stat(follow_symlinks=False)
                    _link_new(entry.path, os.path.join(target, entry.name))
                    if (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino) == recorded:
                        self.relinked.add(rel)

        walk(str(live), str(self.folder), "")

    def _link_back(self, stale: list[str]) -> None:
        """The target's copies of files the last build changed, which this one does not
        write, replaced by links to the live tree's (or removed, where it has none); those
        of the target's own set aside into the pool rather than unlinked."""
        # at once: one after another, each may wait on the disk; the target's own files set aside
        _unlink_all(self.folder, stale, _set_aside(self.pool) if self.pool is not None else None)
        if stale:  # none in a first build, which has no live tree to link from
            self._relink_all(stale)
        self.stale.clear()

    def _relink_all(self, paths: Iterable[str]) -> None:
        """Each file linked from the live tree into the target, or, where the live tree has
        none (any more), removed from the target too. One room serves all the links, so a
        folder is looked at once, not once for every file beneath it: after a template
        edit, the edit that follows links 15,000 pages the target still has as the build
        before left them, and a room, a Path and a walk up the folders for each was most of
        its time. The removals come after all the links: a removal prunes the folders it
        empties (`_remove`), which the room may know, and a later file linked there would
        be lost (a file of the live tree gone between the look and the link, say)."""
        assert self.live is not None  # _level copies the live tree only when there is one
        live = os.path.join(self.layout.tree(self.live), "")
        room = _Room(self.folder, fresh=False)
        gone = [rel for rel in paths if not self._relink(live, rel, room)]
        for rel in gone:
            _remove(self.folder, rel)

    def _relink(self, live: str, rel: str, room: _Room) -> bool:
        """The live tree's file at rel (`live`: that tree's folder, ending in a separator),
        linked into the target; False when there is none. Linking moves the file's ctime,
        so its stamp is read again after, unless the file had already changed since it was
        recorded (a hand edit the dev server's record does not know of yet): then its old
        record stays, so the difference still shows."""
        source, recorded = live + rel, self.on_disk.get(rel)
        if recorded is None or recorded[0] < 0:  # not a file of the live tree, or a symlink
            return False
        try:
            st = os.stat(source)
        except FileNotFoundError:
            return False
        target = room.make(rel)
        try:
            _link_new(source, target)
        except FileNotFoundError:  # gone between the two
            return False
        if (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino) == recorded:
            self.relinked.add(rel)
        return True

    def _stamps(self, removed: list[str]) -> dict[str, Stamp]:
        """The new live tree's stamps: read again where this build touched an inode."""
        if self.live is None:
            return disk_stamps(self.folder)
        stamps = dict(self.on_disk)
        for rel in removed:
            del stamps[rel]
        # os.stat of a string put together: no Path made for each of 14,724 pages, nor os.path.join
        # (a third of the loop), rel being relative (safe_relative: every name written is)
        folder = os.path.join(str(self.folder), "")
        for rel in (self.changed | self.relinked).difference(removed):  # a removed file may lie under a new file
            with suppress(FileNotFoundError):
                st = os.stat(folder + rel, follow_symlinks=True)
                stamps[rel] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
        return stamps


def live_stamps(output: Path, recorded: dict[str, Stamp] | None = None) -> dict[str, Stamp]:
    """The files of the tree readers see now, when the output is Broadsheet's; else none.
    `recorded`, when it is what the last build left: a copy of it when that shows to be
    the tree as it is (output_folder.stamps_as_left), for about half the cost of a walk."""
    if recorded and stamps_as_left(output, recorded):
        return dict(recorded)
    return _walked(output)


def _walked(output: Path) -> dict[str, Stamp]:
    folder = live_stamps_source(output)
    return disk_stamps(folder) if folder is not None else {}


class LiveLook:
    """live_stamps(output, recorded), its check of `recorded` begun now by a forked child
    (aside.py) and its answer taken only when `stamps()` is first asked: the build goes on
    with its own work meanwhile (a body edit's model), and a build that never asks (its
    inputs changed and it stopped on an error) waits for nothing. `recorded` is copied
    here, so the stamps given back are those the child checked. `close()` ends a child
    whose answer was not asked for; the owner calls it before the output lock is let go."""

    def __init__(self, output: Path, recorded: dict[str, Stamp]) -> None:
        self.output, self.recorded = output, dict(recorded)
        self.answer = aside(functools.partial(stamps_as_left, output, self.recorded)) if recorded else None
        self._stamps: dict[str, Stamp] | None = None

    def stamps(self) -> dict[str, Stamp]:
        if self._stamps is None:
            shown = self.answer is not None and self.answer.get()
            self._stamps = self.recorded if shown else _walked(self.output)  # not shown: walk the tree
        return self._stamps

    def close(self) -> None:
        if self.answer is not None:
            self.answer.drop()


@contextmanager
def disk_errors() -> Iterator[list[Problem]]:
    """An OSError while a build reads or writes (a full disk, a read-only folder, a file
    removed under the build) becomes one problem naming the file, in the list this yields;
    by then the writer has thrown its unfinished work away, so the output is as it was."""
    problems: list[Problem] = []
    try:
        yield problems
    except LinkRefused as exc:  # symbolic links refused, and no junctions: no output can be made here
        problems.append(exc.problem())
    except OSError as exc:
        problems.append(Problem("", 0, "output", f"{exc.strerror or exc}: {exc.filename or 'the output folder'}"))


def put_generated(
    writer: OutputWriter,
    generated: Iterable[Mapping[str, bytes | None]],
    static_files: dict[str, Path],
    origins: dict[str, str],
) -> list[Problem]:
    """Generated files, then static files, to the writer as they come. A file of the same
    name in static/ (a hand-written robots.txt, say) overrides a generated one. A static or
    bundle file gone (or swapped for a pipe) since the scan is a problem naming it."""
    problems: list[Problem] = []
    for files in generated:
        for path, data in files.items():
            if path not in static_files:
                writer.put(path, data)
    for rel, source in static_files.items():
        try:
            writer.put(rel, sitefiles.read_regular(source))
        except FileNotFoundError:
            problems.append(
                Problem(
                    origins.get(rel, rel), 0, "", "no longer there (removed while the site was building); build again"
                )
            )
        except sitefiles.NotRegular:
            problems.append(Problem(origins.get(rel, rel), 0, "", sitefiles.NOT_REGULAR))
    return problems


def intact(on_disk: dict[str, Stamp], written: dict[str, Stamp]) -> set[str]:
    """The files that look exactly as the last build left them: same size, time and inode.
    A hand edit, a deletion or a replacement shows, so the next build puts it right."""
    return {rel for rel, stamp in on_disk.items() if written.get(rel) == stamp}


def _same(previous: str, data: bytes, size: int | None) -> bool:
    """Whether the file at `previous` holds `data`, read only when the last build left it
    that size. With the os module's calls, not pathlib's (a Path made, a buffered file
    opened): asked of every page a template edit renders. A short read only makes the page
    be written again; one byte more than `data` shows a file that grew since."""
    if size != len(data):
        return False
    try:
        fd = os.open(previous, os.O_RDONLY | _READ_FLAGS)
    except OSError:
        return False
    try:
        return os.read(fd, len(data) + 1) == data
    except OSError:
        return False
    finally:
        os.close(fd)


# a pipe put there by hand is not waited on; no newline translation where the system has it
_READ_FLAGS = getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def level_spare(output: Path, stamps: dict[str, Stamp], names: str | None) -> dict[str, Stamp] | None:
    """OutputWriter.level_spare for an output whose live tree is as `stamps` say (the last
    build's record, with `names` its names digest when known); None when it has no live
    tree. The caller holds the output's lock."""
    writer = OutputWriter(output, stamps, names)
    return writer.level_spare() if writer.live is not None else None


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
                    found[rel] = (
                        (-1, 0, 0, 0) if entry.is_symlink() else (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
                    )

    if folder.is_dir():
        walk(str(folder), "")
    return found


# --- files in the tree being written ------------------------------------------------------


@dataclass(frozen=True)
class Into:
    """What a worker process needs to put the pages it renders into the tree being written
    (`OutputWriter.hand_over`), plain data so it travels to workers that were not forked."""

    tree: str  # the target, levelled
    live: str | None  # the tree readers see, to compare pages with; None in a first build
    output: str  # the output as the user named it, for errors
    sizes: dict[str, int]  # the live tree's files' sizes as the last build left them
    excluded: frozenset[str]  # pages the build's process finishes and writes (the newsletter's)
    lock: str  # the writers' lock (`_wait_for_writers`)
    owner: int  # the build's process
    pool: str | None = None  # files set aside to be written again (`_Room.reuse`)


class PageWriter:
    """In a worker process: rendered pages put into the tree being written, as
    `OutputWriter.put` would (compared with the live tree's, never written through a link
    shared with it, folders checked to be real ones), so the files' creation is spread over
    the cores rather than left to the build's process (14,739 files at a template edit, 3-5 s of its CPU). Workers
    share the tree: a folder one makes, another finds made. While it may write, it holds
    the writers' lock (shared), which the next build takes whole before levelling the tree:
    a worker of a build killed meanwhile finishes its page (the pool's pipe gone, it stops
    after its chunk) before anyone compares that tree with the live one."""

    def __init__(self, into: Into) -> None:
        self.into = into
        self.room: _Room | None = None
        self.lock: int | None = None  # the writers' lock, held until this process ends

    def put(self, rel: str, data: bytes) -> bool | None:
        """True when written, False when the live tree has these bytes there already; None
        for a page left to the build's process."""
        into = self.into
        if rel in into.excluded or not safe_relative(rel):
            return None
        if into.live is not None and _same(os.path.join(into.live, rel), data, into.sizes.get(rel)):
            return False
        if self.room is None:
            self._start()
        assert self.room is not None  # made by _start
        try:
            _write_new(self.room, rel, data)
        except OSError as exc:  # name the file the user knows, not the tree it went to
            raise OSError(exc.errno, exc.strerror, os.path.join(into.output, rel)) from None
        return True

    def _start(self) -> None:
        if fcntl is not None and os.getpid() != self.into.owner:  # the build's process holds no share
            self.lock = os.open(self.into.lock, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
            fcntl.flock(self.lock, fcntl.LOCK_SH)
        self.room = _Room(Path(self.into.tree), fresh=False, pool=self.into.pool)


def handing_over(writer: OutputWriter, excluded: Iterable[str]) -> Callable[[], Into] | None:
    """`writer.hand_over` where workers can hold the writers' lock (flock), else None:
    there the build's process writes every page."""
    return None if fcntl is None else functools.partial(writer.hand_over, frozenset(excluded))


def _writers_lock(layout: Layout) -> Path:
    return layout.trees / "writers.lock"


def _wait_for_writers(layout: Layout) -> None:
    """Until no worker of an earlier build holds the writers' lock (`PageWriter`). Taken and
    let go at once: this build's own workers share it only once this build has levelled."""
    if fcntl is None:  # no flock (Windows): workers write nothing there (hand_over is not used)
        return
    try:  # made by the first worker that writes: none yet, no worker to wait for
        fd = os.open(_writers_lock(layout), os.O_RDWR | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    finally:
        os.close(fd)


def _write_new(room: _Room, rel: str, data: bytes) -> None:
    """The file at rel in the tree being written: the file there rewritten in place when it is
    the tree's own (`_Room.rewrite`), else a new file (a hard link into the live tree is never
    written through)."""
    if room.rewrite(rel, data) or room.reuse(rel, data):
        return
    with open(room.make(rel), "wb") as file:
        file.write(data)


def _write_all(fd: int, data: bytes) -> None:
    """`data` written to the open file from where it stands, with the os module's call rather
    than a buffered file made around the descriptor for one write (every page of a template
    edit is rewritten so); a short write goes on with the rest, as a buffered file's does."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class _Room:
    """Room for the files put into the tree being written: their folders made, and whatever
    stands where a file or a folder goes (a file where a folder goes, a folder where a file
    goes, a symlink) cleared away, each folder checked or made once rather than for every
    file beneath it (a stat of each parent, a mkdir and an unlink per file were a third of
    the main process's work in a cold build). Levelling links each file through a room of
    its own, as it may prune folders in between.

    It remembers the folders it has seen or made, and in a fresh tree (a first build's,
    emptied by the writer) the files it has put, which are then all the tree holds; only the
    writer changes the tree while it writes, so what it remembers stays true."""

    def __init__(self, root: Path, fresh: bool, pool: str | None = None) -> None:
        self.root = str(root)
        self.fresh = fresh
        self.pool = pool  # the output's files set aside (`_set_aside`), taken back by `reuse`
        self.folders: set[str] = {""}  # relative paths known to be real folders in the tree
        self.files: set[str] = set()  # fresh trees only: every file in the tree

    def make(self, rel: str) -> str:
        """The file's path in the tree, its folders made and nothing standing there."""
        self._folder(rel.rpartition("/")[0])
        path = os.path.join(self.root, rel)
        if rel in self.folders:  # a folder this build made where a file now goes
            self._clear_folder(rel, path)
        elif not self.fresh:
            self._clear(rel, path)
        elif rel in self.files:
            os.unlink(path)
        if self.fresh:
            self.files.add(rel)
        return path

    def rewrite(self, rel: str, data: bytes) -> bool:
        """`data` written over the file at rel when that is a regular file no other name
        links to (not a link shared with the live tree, which would change what readers see):
        the bytes of a build before this one's last, which the tree being written still
        holds where the last build wrote a file. Rewriting a file in place costs the kernel a
        tenth of unlinking it and creating another (14,739 pages of a template edit: 0.2-0.4 s
        of system time against 3.3 s, on this project's ext4 disk). False when there is no such
        file (nothing there, a shared link, a folder, a symlink, something not regular, a
        system without O_NOFOLLOW): the caller makes a new file."""
        if self.fresh or not NO_FOLLOW:  # a fresh tree holds only what this build put there
            return False
        self._folder(rel.rpartition("/")[0])
        if rel in self.folders:
            return False
        try:
            fd = os.open(os.path.join(self.root, rel), os.O_WRONLY | NO_FOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:  # nothing there, a symlink (ELOOP), a folder (EISDIR), a pipe with no reader
            return False
        try:  # no O_TRUNC: a file shrinks below, only when it must
            found = os.fstat(fd)
            if not stat.S_ISREG(found.st_mode) or found.st_nlink != 1:
                return False
            _write_all(fd, data)
            if found.st_size > len(data):
                os.ftruncate(fd, len(data))  # at the end of what was written
        finally:
            os.close(fd)
        return True

    def reuse(self, rel: str, data: bytes) -> bool:
        """`data` written at rel into the file the pool holds there, moved into the tree
        over what stands at rel (a link shared with the live tree, as after levelling) and
        rewritten in place (`rewrite`): no file is made nor freed. On a file system that
        checks every free inode for a recent deletion before it hands one out (ext4 without
        a journal), a template edit creating 14,724 pages just after 14,724 were freed spent
        5-9 s of kernel time in that check, against 0.7 s so. False when the pool has no
        regular file there, or the move fails (a folder at rel): the caller makes a file."""
        if self.pool is None or self.fresh or not NO_FOLLOW:
            return False
        self._folder(rel.rpartition("/")[0])
        if rel in self.folders:
            return False
        kept = os.path.join(self.pool, rel)
        try:
            found = os.lstat(kept)
            if not stat.S_ISREG(found.st_mode) or found.st_nlink != 1:
                return False
            os.replace(kept, os.path.join(self.root, rel))
        except OSError:
            return False
        return self.rewrite(rel, data)

    def _folder(self, rel: str) -> None:
        if rel in self.folders:
            return
        self._folder(rel.rpartition("/")[0])
        path = os.path.join(self.root, rel)
        if rel in self.files:  # a file this build put where a folder now goes
            os.unlink(path)
            self.files.discard(rel)
        elif not self.fresh:
            try:
                if stat.S_ISDIR(os.lstat(path).st_mode):  # a real folder (a symlink to one is replaced)
                    self.folders.add(rel)
                    return
                os.unlink(path)  # a file or a symlink where a folder goes
            except FileNotFoundError:
                pass
        try:
            os.mkdir(path)
        except FileExistsError:  # another worker writing the same tree made it meanwhile
            if self.fresh or not stat.S_ISDIR(os.lstat(path).st_mode):
                raise
        self.folders.add(rel)

    def _clear(self, rel: str, path: str) -> None:
        """Whatever the tree holds at path (unknown to this build) removed."""
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        except OSError:  # EISDIR, or EPERM where a folder cannot be unlinked
            if not stat.S_ISDIR(os.lstat(path).st_mode):
                raise
            self._clear_folder(rel, path)

    def _clear_folder(self, rel: str, path: str) -> None:
        shutil.rmtree(path)
        self.folders = {f for f in self.folders if f != rel and not f.startswith(rel + "/")}
        self.files = {f for f in self.files if not f.startswith(rel + "/")}


def _link_new(source: str, target: str) -> None:
    """A hard link where nothing stands yet (a copy where links are not to be had)."""
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError as exc:
        if exc.errno not in NO_LINKS:
            raise
        shutil.copy2(source, target, follow_symlinks=False)


NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)  # 0 where the system has none (Windows): files never rewritten there

NO_LINKS = (errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP)  # a file system without hard links


def _unlink_all(root: Path, paths: Iterable[str], aside: Callable[[str, str], bool] | None = None) -> None:
    """The files at these paths gone (or moved away by `aside`, where it says it did), if
    files, by several threads at once: whether written
    again or linked from the live tree, each is unlinked first, and an unlink that frees a
    file's blocks can wait for the file system's journal (with online discard, 1 ms and
    more each: 18 s for 14,739 pages one after another, 1 s from eight threads, whose
    unlinks share the journal's commits). What is not a plain file is left to the caller, and
    so is a file below anything but real folders (a symlink in the tree: never followed out)."""
    folders = {""}  # checked to be real folders (threads share it: a folder checked twice is harmless)

    def in_folders(rel: str) -> bool:
        parent = rel.rpartition("/")[0]
        if parent in folders:
            return True
        if not in_folders(parent):
            return False
        try:
            if not stat.S_ISDIR(os.lstat(os.path.join(root, parent)).st_mode):
                return False
        except OSError:
            return False
        folders.add(parent)
        return True

    def unlink_each(some: list[str]) -> None:
        for rel in some:
            if in_folders(rel):
                path = os.path.join(root, rel)
                if aside is not None and aside(rel, path):
                    continue
                with suppress(OSError):
                    os.unlink(path)

    paths = sorted(paths)
    if len(paths) < UNLINKERS * 8:  # a few: not worth the threads
        unlink_each(paths)
        return
    import concurrent.futures  # here, where there are many to unlink: a build with none never imports it

    with concurrent.futures.ThreadPoolExecutor(UNLINKERS) as threads:
        list(threads.map(unlink_each, [paths[n::UNLINKERS] for n in range(UNLINKERS)]))


UNLINKERS = 8  # threads: they mostly wait on the disk, not on the CPU

POOL = "pool"  # in the trees folder: the target's own files set aside, to be written again (`_Room.reuse`)


def _no_link_at(pool: str) -> None:
    """The pool a folder of the trees folder's own: a symlink there (or a file) is removed,
    never followed, so no file outside the output is moved in or out."""
    with suppress(FileNotFoundError):
        if not stat.S_ISDIR(os.lstat(pool).st_mode):
            os.unlink(pool)


def _set_aside(pool: str) -> Callable[[str, str], bool]:
    """For `_unlink_all`: a file of the target's own (regular, no other name links to it)
    moved into the pool at its path, not unlinked, so the next build that writes that page
    takes it back and rewrites it in place (`_Room.reuse`): freeing it and making another
    is costly on some file systems (see there), and an unlink that frees blocks may wait
    on the disk (online discard). False for anything else, which the caller unlinks."""
    made: set[str] = set()  # pool folders made (threads share it: one made twice is harmless)

    def aside(rel: str, path: str) -> bool:
        try:
            found = os.lstat(path)
            if not stat.S_ISREG(found.st_mode) or found.st_nlink != 1:
                return False
            parent = rel.rpartition("/")[0]
            if parent not in made:
                os.makedirs(os.path.join(pool, parent), exist_ok=True)
                made.add(parent)
            os.replace(path, os.path.join(pool, rel))
        except OSError:  # a folder where the file goes in the pool, say: unlinked instead
            return False
        return True

    return aside


def spare_missing(output: Path) -> bool:
    """Whether the output has a live tree and no second one: a `build` made it from
    nothing (or it was removed), so the next build that writes makes that tree, with a
    new file for every page it writes (`fill_pool` makes those ahead)."""
    layout = Layout(output)
    live = layout.live()
    return live is not None and not layout.tree(TREES[TREES.index(live) - 1]).is_dir()


def fill_pool(output: Path, pages: Iterable[str]) -> int:
    """An empty file in the output's pool for each of `pages` (paths in the live tree)
    that the pool lacks, for the build that next writes the page to take and rewrite
    (`_Room.reuse`) rather than make: serve's warm-up makes them ahead, in the background,
    where the output has no second tree yet, so its first template edit does not create
    14,724 files (on a file system that checks every free inode for a recent deletion
    before it hands one out, that edit took twice as long as the next). Never through
    a symlink for the file itself; O_EXCL, so nothing there is touched; stops at the
    first error (a full disk): the build makes the rest. How many it made. The caller
    holds the output's lock."""
    layout = Layout(output)
    if not NO_FOLLOW or layout.live() is None:
        return 0
    pool = os.path.join(layout.trees, POOL)
    made = 0
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | NO_FOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        _no_link_at(pool)
        os.makedirs(pool, exist_ok=True)
        room = _Room(Path(pool), fresh=False)  # its folders made as a build's are: a symlink there replaced
        for rel in pages:
            if not safe_relative(rel):
                continue
            room._folder(rel.rpartition("/")[0])
            if rel in room.folders:
                continue
            try:
                os.close(os.open(os.path.join(pool, rel), flags, 0o644))
            except FileExistsError:  # a file of the pool's, or anything else: left as it is
                continue
            made += 1
    except OSError:
        pass
    return made


def _remove(root: Path, rel: str, folders: bool = True) -> None:
    target = root / rel
    if target.is_symlink() or target.is_file():
        target.unlink()
        _prune_empty(root, target.parent)
    elif folders and target.is_dir():
        shutil.rmtree(target)
        _prune_empty(root, target.parent)


def _clear(folder: Path) -> None:
    if folder.is_symlink() or folder.is_file():
        folder.unlink()
    elif folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()


FSYNC_UP_TO = 64  # files; past this, one sync of everything is cheaper than an fsync each
SYNCERS = 8  # threads that fsync at once: they wait on the journal, not on the CPU


def _sync(root: Path, changed: set[str]) -> None:
    """Put the new files' bytes on disk before the link points at them."""
    if len(changed) > FSYNC_UP_TO and hasattr(os, "sync"):  # POSIX only: Windows syncs file by file
        os.sync()
        return
    paths = [root / rel for rel in sorted(changed)]
    if len(paths) < 2:
        for path in paths:
            _fsync(path)
        return
    # Several at once: each fsync waits for a commit of the file system's journal, and
    # waiting ones share the next commit (a title edit's 20 files at 10,000 articles: 60 ms
    # one after another, 10 ms from eight threads). All are done before the switch.
    import concurrent.futures  # here: a build with nothing to sync never imports it

    with concurrent.futures.ThreadPoolExecutor(min(SYNCERS, len(paths))) as threads:
        list(threads.map(_fsync, paths))


def _fsync(path: Path) -> None:
    """Wait until a file's bytes are on disk. A whole-system sync would do too, but on a
    busy machine it waits for everyone's writes (0.2 s and more)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _prune_empty(root: Path, folder: Path) -> None:
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
