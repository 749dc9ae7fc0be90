"""Where Ctrl-C goes in a process with threads.

Python raises KeyboardInterrupt only in the main thread, and only once that thread runs
Python code again. The kernel may hand SIGINT to any thread that does not block it; when
another thread takes it, Python notes the signal but does not wake the main thread, which
may be asleep in a wait with no end (`serve` hung on Ctrl-C that way in CI, and at will with
the main thread's SIGINT blocked: tests/serve/test_live.py)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


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
