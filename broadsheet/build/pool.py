"""One way to spread work over the cores: the pool of worker processes that parsing,
rendering and `check` share, with its one-core fallback and its start method chosen here.

Python-Markdown, Jinja and the HTML parser all hold the GIL, so threads would not help;
processes do. A forked worker inherits the job (and whatever it holds: the template
environment, thousands of pages) without copying it. A process with other threads (the
dev server) is never forked, as the copy gets their locks in whatever state they were:
there a job that can be pickled goes to a forkserver's workers (which re-import the main
module, hence the guards in build.py and __main__.py), and any other job runs here. The
job is pickled once, here, into a temporary file, and each such worker unpickles it
once, however many chunks it is given: a job may carry a whole site's pages (rendering
in `serve`).
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import gc
import os
import pickle
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, TypeVar

from broadsheet.build.collector import cycle_collector_paused

# multiprocessing is imported where workers are started: a build with one chunk of
# each kind to do (a body edit) starts none (its import, ~7 ms without bytecode)
if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

Chunk = TypeVar("Chunk")
Result = TypeVar("Result")


def count(items: int, per_worker: int) -> int:
    """Worker processes worth starting for this many items: one per `per_worker` items
    (below that, starting a process costs more than it saves), at most one per core."""
    return max(1, min(os.cpu_count() or 1, items // per_worker))


def usable(workers: int, picklable: bool = False) -> int:
    """How many processes a run with `workers` will really use here and now (1: this one)."""
    return workers if workers > 1 and _context(picklable) is not None else 1


def run(job: Callable[[Chunk], Result], chunks: list[Chunk], workers: int, picklable: bool = False) -> Iterator[Result]:
    """job(chunk) for each chunk, in order, across `workers` processes when that is safe
    (see above); else one after another in this process. `picklable`: the job can be
    sent to a worker that was not forked from here (a module-level function, or a
    functools.partial of one)."""
    context = _context(picklable) if workers > 1 else None
    if context is None:
        yield from map(job, chunks)
        return
    if context.get_start_method() == "fork":
        with concurrent.futures.ProcessPoolExecutor(
            workers, mp_context=context, initializer=_adopt, initargs=(job,)
        ) as pool:
            yield from _map(pool, _run_adopted, chunks, workers)
        return
    with _pickled(job) as payload:
        if payload is None:  # the job cannot travel: this process does it all
            yield from map(job, chunks)
            return
        with concurrent.futures.ProcessPoolExecutor(
            workers, mp_context=context, initializer=_unpickle, initargs=(payload,)
        ) as pool:
            yield from _map(pool, _run_adopted, chunks, workers)


PRELOAD = ("broadsheet.build.pipeline",)  # imports every job the pool runs (parse, render, search)


def start_forkserver() -> None:
    """Start the forkserver now, from the main thread, with Ctrl-C ignored. A process with
    threads (the dev server) gets its workers from the forkserver, which Python starts at the
    first build; Ctrl-C reaching it while its interpreter starts up (before it ignores SIGINT
    itself) printed "Fatal Python error: init_import_site". An ignored SIGINT is inherited
    across exec, and Python leaves an ignored SIGINT ignored, so the server is never exposed."""
    import multiprocessing.forkserver

    if (
        "forkserver" not in multiprocessing.get_all_start_methods()
        or threading.current_thread() is not threading.main_thread()
    ):
        return
    # What the workers run comes imported into the forkserver, once, rather than into every
    # worker it forks (0.2 s of CPU each, at every template edit); '__main__' is Python's default.
    multiprocessing.set_forkserver_preload(["__main__", *PRELOAD])
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        multiprocessing.forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, previous)


def _map(pool: concurrent.futures.ProcessPoolExecutor, job: Callable, chunks: list, workers: int) -> Iterator:
    """job(chunk) for each chunk, in order, with at most two chunks a worker given out
    and not yet taken by the caller: workers faster than the caller (rendered pages are
    written as they come) would otherwise pile up every result here, a whole site's pages."""
    ahead = 2 * workers
    waiting: collections.deque[concurrent.futures.Future] = collections.deque()
    try:
        for chunk in chunks:
            waiting.append(pool.submit(job, chunk))
            if len(waiting) >= ahead:
                yield waiting.popleft().result()
        while waiting:
            yield waiting.popleft().result()
    # Ctrl-C, an error, or a caller that stopped early: chunks not begun are dropped, not waited for
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise


def chunked(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), max(1, size))]


def _context(picklable: bool) -> BaseContext | None:
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if picklable:
        return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    return None


_adopted: list[Callable] = []  # set only inside worker processes, by _adopt or _unpickle


def _adopt(job: Callable) -> None:
    _leave_ctrl_c_to_the_parent()
    _adopted.append(job)


@contextlib.contextmanager
def _pickled(job: Callable) -> Iterator[str | None]:
    """The job pickled once for all workers (not once a chunk), into a temporary file
    rather than down the pipe to each worker, so the pickle of a whole site's pages is
    never in this process's memory, once or a copy a worker: the file's path, deleted
    afterwards. None when the job cannot be pickled (it holds something that cannot) or
    the file cannot be written."""
    try:
        handle, path = tempfile.mkstemp(prefix="broadsheet-job-", suffix=".pickle")
    except OSError:
        yield None
        return
    try:
        with open(handle, "wb") as file:
            pickle.dump(job, file, pickle.HIGHEST_PROTOCOL)
        written = True
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError, OSError):
        written = False
    try:
        yield path if written else None
    finally:
        with contextlib.suppress(OSError):
            os.remove(path)


def _unpickle(path: str) -> None:
    _leave_ctrl_c_to_the_parent()  # first: a Ctrl-C while a big job unpickles is the parent's
    with open(path, "rb") as file, cycle_collector_paused():
        _adopted.append(pickle.load(file))
    # The job (a whole site's pages, when serve renders) lives as long as this worker: out
    # of the cycle collector's walks, which otherwise went over all of it again and again
    # while the pages were rendered (a forked worker has the collector paused, as its parent).
    gc.freeze()


def _leave_ctrl_c_to_the_parent() -> None:
    """Ctrl-C in a terminal reaches every process in its group: a worker ignores it, and
    the main process stops the pool, so one line is printed rather than a traceback per worker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_adopted(chunk):
    return _adopted[0](chunk)
