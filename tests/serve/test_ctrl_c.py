"""serve's main thread sleeps until Ctrl-C by taking SIGINT itself (ctrl_c.sleep_until_ctrl_c):
Python's own handler may never wake it (see ctrl_c.py), so the sleep must end without it."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time

import pytest

from broadsheet.serve import ctrl_c

from conftest import REPO

SLEEPER = """
import signal, sys, threading
from broadsheet.serve import ctrl_c
signal.signal(signal.SIGINT, lambda *args: None)  # a handler that wakes no one, as a starved one does
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # a Ctrl-C from here on waits to be taken
def work():
    while True:  # Python code: it takes turns with the main thread at the interpreter's lock
        pass
threading.Thread(target=work, daemon=True).start()  # another thread at work, as serve's are
print("sleeping", flush=True)
try:
    ctrl_c.sleep_until_ctrl_c(threading.Event())
except KeyboardInterrupt:
    print("interrupted", flush=True)
"""


@pytest.mark.skipif(
    not hasattr(signal, "sigtimedwait"), reason="takes SIGINT itself only where it has sigtimedwait (not macOS)"
)
def test_ctrl_c_ends_the_sleep_though_no_handler_wakes_it():
    child = subprocess.Popen(
        [sys.executable, "-c", SLEEPER], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    assert child.stdout.readline() == "sleeping\n"
    child.send_signal(signal.SIGINT)
    try:
        out, err = child.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        child.kill()
        pytest.fail("Ctrl-C did not end the sleep")
    assert (child.returncode, out, err) == (0, "interrupted\n", "")


def test_stop_ends_the_sleep_on_the_main_thread():
    stop = threading.Event()
    threading.Timer(0.1, stop.set).start()
    started = time.monotonic()
    ctrl_c.sleep_until_ctrl_c(stop)
    assert time.monotonic() - started < 5


def test_stop_ends_the_sleep_on_another_thread():
    stop, ended = threading.Event(), threading.Event()
    sleeper = threading.Thread(target=lambda: (ctrl_c.sleep_until_ctrl_c(stop), ended.set()))
    sleeper.start()
    stop.set()
    sleeper.join(5)
    assert ended.is_set()


STOPPED = SLEEPER.replace("def work():\n    while True", "def work():\n    while False")  # no busy thread


@pytest.mark.skipif(not hasattr(signal, "sigtimedwait"), reason="takes SIGINT itself only where it has sigtimedwait")
def test_being_stopped_and_continued_is_not_ctrl_c():
    """Ctrl-Z, then `fg`: the process is stopped and continued. Linux then ends some waits
    with EINTR, and CPython's sigtimedwait, which this sleep once used, gave back a signal
    of garbage for it, taken for Ctrl-C. The sleep goes on; a real Ctrl-C still ends it."""
    child = subprocess.Popen(
        [sys.executable, "-c", STOPPED], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    assert child.stdout.readline() == "sleeping\n"
    for _ in range(3):
        child.send_signal(signal.SIGSTOP)
        time.sleep(ctrl_c.POLL * 2)  # past the wait's time limit
        child.send_signal(signal.SIGCONT)
        time.sleep(ctrl_c.POLL)
    assert child.poll() is None, child.communicate()
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=10)
    assert (child.returncode, out, err) == (0, "interrupted\n", "")
