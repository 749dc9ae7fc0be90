"""Where Ctrl-C goes in a process with threads.

Python raises KeyboardInterrupt only in the main thread, and only once that thread runs
Python code again. The kernel may hand SIGINT to any thread that does not block it; when
another thread takes it, Python notes the signal but does not wake the main thread, which
may be asleep in a wait with no end (`serve` hung on Ctrl-C that way in CI, and at will with
the main thread's SIGINT blocked: tests/serve/test_live.py).

Even when the main thread takes it, Python up to 3.12 may not run its handler: the signal
is noted while the main thread waits for the interpreter's lock, another thread holding it
clears the flag that would have the main thread look (a thread that may not handle signals
works that flag out without them), and the main thread goes on into its wait. About one
`serve` in 40 stopped with Ctrl-C just after "Serving" hung so. `sleep_until_ctrl_c` takes
the signal itself instead."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

POLL = 0.2  # seconds between looks at `stop` while sleeping until Ctrl-C


@contextmanager
def for_the_main_thread_only() -> Iterator[None]:
    """Threads started inside (and the threads they start) block SIGINT, so the kernel
    hands it to the main thread, which wakes from any wait to raise KeyboardInterrupt.
    A Ctrl-C inside waits until the end, where the main thread takes it."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextmanager
def ignored() -> Iterator[None]:
    """Ctrl-C does nothing inside: a second one while stopping would end in a traceback."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread gets signals, or may set their handlers
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def sleep_until_ctrl_c(stop: threading.Event) -> None:
    """Sleep until Ctrl-C, raised as KeyboardInterrupt, or until `stop` is set. On the main
    thread where the system lets a thread wait for a signal with a time limit (Linux, the
    BSDs), SIGINT is blocked here and taken once it is pending, with no handler to be
    woken; elsewhere (macOS, Windows, another thread) a wait that wakes to look again.

    Not `signal.sigtimedwait`, which took it before: after the process is stopped and
    continued (Ctrl-Z, then `fg`), Linux ends that wait with EINTR, and CPython (3.11
    here), past its deadline by then, returns a `struct_siginfo` of whatever its
    stack held rather than None: serve took it for Ctrl-C and stopped. A look at the
    pending signals every POLL seconds instead: Ctrl-C is taken within 0.2 s."""
    # sigtimedwait itself is no longer used: its presence marks the systems (Linux, the BSDs)
    # where taking SIGINT from the pending set was tried; macOS keeps the plain wait
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "sigtimedwait"):
        while not stop.wait(POLL):
            pass
        return
    # blocking it first runs the handler of a Ctrl-C already noted (KeyboardInterrupt, as ever)
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        while not stop.wait(POLL):
            if signal.SIGINT in signal.sigpending():
                signal.sigwait({signal.SIGINT})  # taken: pending, so at once
                raise KeyboardInterrupt
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
