"""A yes-or-no question answered by a forked copy of this process while this one works on:
the second core's share of a build that has one process's work to do (the look at the
live output, 31,000 `lstat` at 10,000 articles, 0.15-0.25 s, beside the cache's rest and
the model).

Only where forking is safe: POSIX, on the main thread, with no other thread (a copy gets
other threads' locks in whatever state they were: the dev server asks here, at once).
The child answers with its exit status alone and leaves by `os._exit`, so it runs none of
this process's cleanup (finally blocks, atexit, the output lock's file removed as it lets
go) and flushes none of its buffered output a second time. Ctrl-C is blocked across the
fork, then left to its default in the child: a Ctrl-C for the terminal's process group
ends the child without a traceback and the parent as usual. Anything but a clean yes (the
question raised, the child was killed, could not be started or waited for) is no: the
caller's "not shown", never a short cut taken on a guess.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable

YES, NO = 0, 1  # the child's exit status


class Answer:
    """The answer to a question asked `aside`: `get()` waits for it once (asked here if no
    child could be started); `drop()` ends a child whose answer is no longer wanted. The
    asker drops every answer it does not get, so no child outlives the build."""

    def __init__(self, question: Callable[[], bool], pid: int | None) -> None:
        self._question, self._pid, self._answer = question, pid, None if pid is not None else bool(question())

    def get(self) -> bool:
        if self._answer is None:
            self._answer = _waited(self._pid) == YES if self._pid is not None else bool(self._question())
            self._pid = None
        return self._answer

    def drop(self) -> None:
        if self._pid is not None:
            pid, self._pid, self._answer = self._pid, None, False
            try:
                os.kill(pid, signal.SIGKILL)  # it only reads: nothing is left half done
            except OSError:
                pass
            _waited(pid)


def aside(question: Callable[[], bool]) -> Answer:
    """`question()`, answered by a forked child where that is safe (above), else here now."""
    if not _may_fork():
        return Answer(question, None)
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        pid = os.fork()
        if pid == 0:
            _answer_and_leave(question)
    except OSError:  # no memory or process left for a child: ask here
        return Answer(question, None)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)  # the parent's (the child never comes back)
    return Answer(question, pid)


def _may_fork() -> bool:
    return (
        hasattr(os, "fork")
        and hasattr(signal, "pthread_sigmask")
        and threading.current_thread() is threading.main_thread()
        and threading.active_count() == 1
    )


def _answer_and_leave(question: Callable[[], bool]) -> None:
    """The child's whole life: its exit status is the answer; it never returns."""
    status = NO
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        status = YES if question() is True else NO
    except BaseException:  # whatever went wrong is a no: the parent then looks for itself
        status = NO
    finally:
        os._exit(status)


def _waited(pid: int) -> int | None:
    """The child's exit code; None when killed by a signal or not there to wait for."""
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return None
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else None
