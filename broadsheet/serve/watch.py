"""Watch the site's inputs and ring the doorbell: the watcher only says *that* something
changed; each rebuild rescans the folder, so correctness never depends on reading file
events right.

Only the inputs are watched (content/, templates/, static/ recursively; the site folder
itself without recursion, for the settings file and for input folders that appear
later): a recursive watch over the output folder would fire on every build's own writes
and trips over the atomic swap of the output.

A burst of changes (a branch switched, a folder copied) waits for `quiet`, so it is one
rebuild. A save is over sooner: when the one file changed so far has just been closed after
writing, or renamed into place (an editor's atomic save), nothing more of it is coming,
and the rebuild starts after `settled` (a burst's next file comes within it and the wait
goes back to `quiet`). A file only renamed away, deleted, created or written while still
open waits for `quiet`: an editor may be halfway through a save. Where the observer reports
a file closed after writing (inotify), a file written and not yet closed holds the rebuild
for up to `WRITING_WAIT` after the last event, not `quiet` alone: a writer that truncates
the file, then is kept off the CPU a little longer than `quiet` (a busy machine) before it
writes the rest, would otherwise have a rebuild read the file empty or half written and
show the browser an error that was never in the file.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Set
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import ObservedWatch

from broadsheet.build.config import SETTINGS_FILE
from broadsheet.build.published import RECORD
from broadsheet.build.scan import is_ignored

INPUT_FOLDERS = ("content", "templates", "static")
SETTLED = 0.003  # seconds after a save is over (see above): a burst's files come closer together
WRITING_WAIT = 1.0  # seconds a file written and not yet closed holds the rebuild after the last event
EVENT_WAIT = 0.05  # seconds `changed` waits for the event of a change already made


class Watcher:
    """Calls on_change(paths) once a burst of input changes has been quiet for `quiet` seconds,
    or `settled` seconds after one file's save was over (see above)."""

    def __init__(
        self,
        site_dir: Path,
        on_change: Callable[[set[str]], object],
        quiet: float = 0.02,
        settled: float = SETTLED,
    ):
        self.site_dir = site_dir.resolve()
        self.on_change = on_change
        self.quiet = quiet
        self.settled = min(settled, quiet)
        self._wait = quiet  # after the last event: `settled` when it ended the save of the one file pending
        self._observer = Observer()
        self._watched: dict[str, tuple[ObservedWatch, tuple[int, int]]] = {}  # folder -> (watch, identity)
        self._pending: set[str] = set()
        # files written and not yet closed, where the observer reports closes (inotify's does;
        # FSEvents, Windows' and the polling observer's never do, and would hold every save)
        self._writing: set[str] = set()
        self._closes_reported = _reports_closes(self._observer)
        self._last_event = 0.0
        self._seen: set[str] = set()  # every input changed since the watch began (`changed`)
        self._lock = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._debounce, name="broadsheet-debounce", daemon=True)
        self._handler = _Handler(self)

    def start(self) -> None:
        self._observer.schedule(self._handler, str(self.site_dir), recursive=False)
        self._watch_inputs()
        self._observer.start()
        self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
        inotify_log = logging.getLogger("watchdog.observers.inotify")
        race = _StopRace()
        inotify_log.addFilter(race)  # for the stop alone: any other error of watchdog's is shown
        try:
            self._observer.stop()  # stops and joins its emitters
            self._observer.join(timeout=5)
        finally:
            inotify_log.removeFilter(race)
        self._thread.join(timeout=5)

    def _watch_inputs(self, touched: Set[str] = frozenset()) -> None:
        """Watch each input folder as it is now: one that was deleted, replaced or created
        since the last look gets a fresh watch (a new folder may reuse the old inode, so an
        event on the folder itself also renews its watch)."""
        for name in INPUT_FOLDERS:
            folder = self.site_dir / name
            identity = _identity(folder)
            watched = self._watched.get(name)
            if watched and watched[1] == identity and name not in touched:
                continue
            if watched:
                self._observer.unschedule(self._watched.pop(name)[0])
            if identity:
                try:
                    self._watched[name] = (
                        self._observer.schedule(self._handler, str(folder), recursive=True),
                        identity,
                    )
                except OSError:
                    pass  # vanished between the check and the call; its next event retries

    def relevant(self, path: str) -> str | None:
        """The site-relative path of an input, or None for anything else."""
        try:
            rel = Path(path).resolve().relative_to(self.site_dir)
        except (ValueError, OSError):
            return None
        parts = rel.parts
        if not parts or any(is_ignored(part) for part in parts):
            return None
        if parts[0] in INPUT_FOLDERS or (
            len(parts) == 1 and parts[0] in (SETTINGS_FILE, RECORD)
        ):  # the record: its redirects
            return rel.as_posix()
        return None

    def event(self, paths: list[str], written: str | None = None, writing: bool = False) -> None:
        """Input files changed; `written`: the one whose new bytes are now all there (closed
        after writing, or renamed into place); `writing`: these were written to, and may
        still be open (else, for a file deleted or renamed away, none of them is)."""
        found = {rel for rel in map(self.relevant, paths) if rel}
        if not found:
            return
        done = self.relevant(written) if written else None
        with self._lock:
            self._pending |= found
            self._seen |= found
            if writing and self._closes_reported:
                self._writing |= found
            else:  # closed, renamed into place or away, deleted: no longer being written
                self._writing -= found
            self._last_event = time.monotonic()
            self._wait = self.settled if done is not None and self._pending == {done} else self.quiet
            self._lock.notify_all()

    def changed(self, paths: Set[str], wait: float = EVENT_WAIT) -> bool:
        """Whether any of these inputs (site-relative) changed since the watch began: then
        a rebuild of them is due, once their writing is over. Waits up to `wait` seconds
        for the event of a change just made: the observer's thread delivers it a moment
        after the kernel has it."""
        deadline = time.monotonic() + wait
        with self._lock:
            while not self._seen & paths:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._stopping:
                    return False
                self._lock.wait(remaining)
            return True

    def _debounce(self) -> None:
        while True:
            with self._lock:
                while not self._pending and not self._stopping:
                    self._lock.wait()
                if self._stopping:
                    return
                wait = max(self._wait, WRITING_WAIT) if self._writing else self._wait
                remaining = self._last_event + wait - time.monotonic()
                if remaining > 0:
                    self._lock.wait(remaining)
                    continue
                # a file still open this long is left to send its close later (then rebuilt again)
                paths, self._pending, self._writing = self._pending, set(), set()
            self._watch_inputs(paths & set(INPUT_FOLDERS))
            try:
                self.on_change(paths)
            except Exception as exc:  # the watch outlives any one change: a dead thread would ignore every later save
                print(
                    f"broadsheet: error: a bug in Broadsheet (please report it): {type(exc).__name__}: {exc}",
                    file=sys.stderr,
                )


def _reports_closes(observer: object) -> bool:
    """Whether the observer says when a file written to is closed: Linux's inotify one (its
    module loads only where the system has inotify)."""
    try:
        from watchdog.observers.inotify import InotifyObserver
    except Exception:  # no inotify here (macOS, Windows, BSD): watchdog's import says so as it can
        return False
    return isinstance(observer, InotifyObserver)


def _identity(folder: Path) -> tuple[int, int] | None:
    try:
        stat = folder.stat()
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino) if folder.is_dir() else None


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: Watcher):
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return  # reads, not changes
        if event.is_directory and event.event_type == "modified":
            return  # a folder's own times change with every file in it; those files tell us
        raw = [event.src_path]
        if getattr(event, "dest_path", ""):
            raw.append(event.dest_path)
        paths = [p.decode() if isinstance(p, bytes) else p for p in raw]
        written = None  # the file whose new bytes are all there now
        if not event.is_directory and event.event_type in ("closed", "moved"):
            written = paths[-1]  # closed after writing; renamed into place (not the name it left)
        writing = not event.is_directory and event.event_type in ("modified", "created")
        self.watcher.event(paths, written, writing)


class _StopRace(logging.Filter):
    """watchdog's inotify thread may read one last event while the observer stops it, and
    then logs an error (watchdog 7: "InotifyEmitter.queue_events() called when the thread is
    inactive"), which with no logging set up Python prints to stderr: under serve's "Stopped."
    it read as a failure. The event is one a stopping watcher has no use for."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "called when the thread is inactive" not in record.getMessage()
