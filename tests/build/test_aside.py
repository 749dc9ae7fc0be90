"""A question answered by a forked child (build/aside.py), and the build's look at its
output that uses it (write.LiveLook): each rule of the child's life, in a process of its
own (a test runner's threads would make it ask in line), and builds whose output was
changed by hand before a body edit, run as the `broadsheet` program."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import HAND_CHANGES, REPO, SETTINGS, article, tree_bytes, write_tree

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the child is forked: POSIX only")


def _script(body: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """`body` run by a fresh Python with this checkout first on its path."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    code = "from broadsheet.build.aside import aside\nimport os, sys, signal, threading, time\n" + textwrap.dedent(body)
    return subprocess.run(
        [sys.executable, "-c", code, *map(str, args)], env=env, capture_output=True, text=True, timeout=60
    )


def test_the_answer_is_the_childs(tmp_path):
    done = _script(
        """
        def question(answer):
            with open(sys.argv[1], "a") as f:
                f.write(f"{os.getpid()}\\n")
            return answer
        print(aside(lambda: question(True)).get(), aside(lambda: question(False)).get(), os.getpid())
        """,
        tmp_path / "pids",
    )
    yes, no, parent = done.stdout.split()
    assert (yes, no) == ("True", "False") and done.returncode == 0
    asked_in = (tmp_path / "pids").read_text().split()
    assert len(asked_in) == 2 and parent not in asked_in  # each asked in a child of its own


def test_a_child_killed_or_failing_is_a_no():
    done = _script(
        """
        def killed():
            os.kill(os.getpid(), signal.SIGKILL)
            return True
        def failing():
            raise RuntimeError("no answer")
        def odd():
            return "yes"  # not True: no
        print(aside(killed).get(), aside(failing).get(), aside(odd).get())
        """
    )
    assert done.stdout.split() == ["False", "False", "False"]
    assert done.returncode == 0 and "Traceback" not in done.stderr  # the child says nothing either


def test_the_child_runs_none_of_the_parents_cleanup_nor_flushes_its_output():
    """Without os._exit the child would print the unflushed line and run the finally
    block and the atexit handler a second time (the output lock's file is removed so)."""
    done = _script(
        """
        import atexit
        atexit.register(lambda: print("atexit"))
        print("before", flush=False)  # a pipe: buffered, not yet written
        try:
            print(aside(lambda: True).get())
        finally:
            print("cleanup")
        """
    )
    assert done.stdout.split() == ["before", "True", "cleanup", "atexit"]


def test_with_another_thread_the_question_is_asked_here(tmp_path):
    """A forked copy of a process with threads gets their locks as they were (serve):
    there the question is asked in line. Without the rule it would be asked in a child."""
    done = _script(
        """
        stop = threading.Event()
        threading.Thread(target=stop.wait).start()
        def question():
            with open(sys.argv[1], "w") as f:
                f.write(str(os.getpid()))
            return True
        try:
            print(aside(question).get(), os.getpid())
        finally:
            stop.set()
        """,
        tmp_path / "pid",
    )
    answer, parent = done.stdout.split()
    assert answer == "True" and (tmp_path / "pid").read_text() == parent, done.stderr


def test_a_dropped_answer_leaves_no_child(tmp_path):
    """drop() ends a child whose answer nobody asks for and waits for it: no process
    and no zombie is left (without the kill, the child would still be asleep)."""
    done = _script(
        """
        def slow():
            open(sys.argv[1], "w").write(str(os.getpid()))
            time.sleep(600)
            return True
        answer = aside(slow)
        while not os.path.exists(sys.argv[1]) or not open(sys.argv[1]).read():
            time.sleep(0.01)
        child = int(open(sys.argv[1]).read())
        answer.drop()
        try:
            os.kill(child, 0)  # drop() reaped it: its pid is free
            print("alive")
        except ProcessLookupError:
            print("gone")
        try:
            print(os.waitpid(-1, os.WNOHANG))
        except ChildProcessError:
            print("no children")
        print(answer.get())
        """,
        tmp_path / "pid",
    )
    assert done.stdout.split("\n")[:3] == ["gone", "no children", "False"], done.stderr


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="whether the child ended is read in /proc")
def test_ctrl_c_for_the_process_group_ends_the_child_and_the_parent_once(tmp_path):
    """The child takes Ctrl-C as the default (ended, no traceback, no cleanup of the
    parent's); the parent as usual (its finally block runs, once)."""
    pid_file = tmp_path / "pid"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    code = textwrap.dedent(
        """
        import os, sys, time
        from broadsheet.build.aside import aside
        def slow():
            open(sys.argv[1], "w").write(str(os.getpid()))
            time.sleep(600)
            return True
        try:
            answer = aside(slow)
            answer.get()
        finally:
            print("cleanup", flush=True)
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code, str(pid_file)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    while not pid_file.exists() or not pid_file.read_text():
        assert process.poll() is None
        time.sleep(0.01)
    child = int(pid_file.read_text())
    os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole group
    out, err = process.communicate(timeout=60)
    assert out.split() == ["cleanup"]
    assert process.returncode != 0 and err.count("KeyboardInterrupt") == 1  # the parent's, not the child's
    assert _ends(child)  # not asleep for its ten minutes


def _ends(pid: int) -> bool:
    """Whether the process ends (gone, or a zombie not yet reaped by whoever adopted it)
    within a minute: a signal is delivered at once, but the child's end is not ours to wait for."""
    stat = Path(f"/proc/{pid}/stat")
    for _ in range(600):
        try:
            if stat.read_text().rpartition(")")[2].split()[0] in ("Z", "X"):
                return True
        except (FileNotFoundError, ProcessLookupError):
            return True
        time.sleep(0.1)
    return False


# --- the build's look at its output ------------------------------------------------------


def _site(root: Path) -> Path:
    files = {
        f"content/world/s{i}.md": article(f"Story {i}", f"2025-06-1{i} 12:00", body=f"Words {i}.", tags=f"[T{i % 2}]")
        for i in range(6)
    }
    return write_tree(root / "site-src", {"broadsheet.yaml": SETTINGS, **files})


def _build(site: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    command = [sys.executable, "-m", "broadsheet", "build", "--site", str(site), "--quiet", "--now", "2025-06-20T12:00"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def _clean(site: Path, root: Path) -> dict[str, bytes]:
    """What a build from nothing makes of the site as it is now."""
    copy = root / "clean"
    subprocess.run(["cp", "-a", str(site), str(copy)], check=True)
    subprocess.run(["rm", "-rf", str(copy / "site"), str(copy / ".broadsheet")], check=True)
    _build(copy)
    return tree_bytes(copy / "site")


@pytest.mark.parametrize("by_hand", HAND_CHANGES.values(), ids=HAND_CHANGES.keys())
def test_the_program_puts_right_a_hand_change_before_a_body_edit(tmp_path, by_hand):
    """The `broadsheet` program (a process with no other thread: the look is forked)
    after the output was changed by hand and an article's body edited: the child's no
    makes the build walk the tree and put it right, the bytes a clean build's."""
    site = _site(tmp_path)
    time.sleep(2.2)  # the files older than the build's racy-clean margin
    _build(site)
    by_hand(site / "site")
    with (site / "content/world/s3.md").open("a") as f:
        f.write("\nA second paragraph.\n")
    _build(site)
    assert tree_bytes(site / "site") == _clean(site, tmp_path)


def test_a_build_that_never_asks_leaves_no_child(tmp_path):
    """A build that stops on an error before it needs the output's stamps (a body edited
    and a static file where a page goes: not the bodies alone) still ends the
    look's child before it returns: without Rebuild.close() the child is left for the
    caller (serve, a script) to find."""
    site = _site(tmp_path)
    _build(site)
    with (site / "content/world/s3.md").open("a") as f:
        f.write("\nA second paragraph.\n")
    (site / "static/archive").mkdir(parents=True)
    (site / "static/archive/index.html").write_text("clash")  # a path claimed twice: found before the render
    done = _script(
        """
        from pathlib import Path
        from broadsheet.build.pipeline import build
        from broadsheet.build.request import BuildRequest
        from broadsheet.incremental import cache
        site = Path(sys.argv[1])
        state, _ = cache.load(site, site / "site", lazy=True)
        report = build(BuildRequest(site), state)
        print(report.ok)
        try:
            print(os.waitpid(-1, os.WNOHANG))
        except ChildProcessError:
            print("no children")
        """,
        site,
    )
    assert done.stdout.split("\n")[:2] == ["False", "no children"], done.stderr
