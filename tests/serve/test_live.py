"""`broadsheet serve` end to end, as a user runs it: a real process, the real watchdog
observer, a real HTTP server on 127.0.0.1, and an event-stream client that waits for
the reload after a file is saved."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from broadsheet.build import output_folder

from conftest import article, run_cli, tree_bytes
from crashing import MARKER, live

SETTINGS = "title: Live\nbase_url: https://example.org/digest/\ntimezone: UTC\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Events:
    """A client of the server's event stream."""

    def __init__(self, port: int, path: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        self.conn.request("GET", path)
        self.response = self.conn.getresponse()
        assert self.response.status == 200

    def next(self) -> tuple[str, object]:
        name = None
        while True:
            line = self.response.readline().decode().rstrip("\n")
            if line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: ") and name:
                return name, json.loads(line[len("data: ") :])

    def close(self) -> None:
        self.conn.close()

    def next_but(self, seen: tuple[str, object]) -> tuple[str, object]:
        """The next event other than `seen` said again: serve's warm-up looks at every input
        once it serves, so a file saved just after "Serving" may be built by it and then by
        the watcher's rebuild, each saying the same error (seen under load in CI)."""
        event = self.next()
        while event == seen:
            event = self.next()
        return event


@pytest.fixture
def served(make_site):
    site = make_site({
        "content/world/a.md": article("First story", "2025-06-19 10:00"),
        "content/world/b.md": article("Second story", "2025-06-18 10:00"),
    }, SETTINGS)  # fmt: skip
    port = free_port()
    # a process group of its own: a test may stop it whole, as Ctrl-Z does
    process = subprocess.Popen(
        [sys.executable, "-m", "broadsheet", "serve", "--site", str(site), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    for line in process.stderr:
        if line.startswith("Serving"):
            break
    else:
        pytest.fail("the server did not start")
    yield site, port, process
    if process.poll() is None:
        process.kill()
        process.wait()


def get(port: int, path: str) -> tuple[int, str, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read().decode()
    conn.close()
    return response.status, body, dict(response.getheaders())


def test_save_reload_error_recover_delete_and_stop(served):
    site, port, process = served
    status, _, headers = get(port, "/")
    assert status in (301, 302) and headers["Location"].endswith("/digest/")
    status, page, _ = get(port, "/digest/2025/06/19/first-story/")
    assert status == 200 and "First story" in page and "__broadsheet/events" in page
    assert "__broadsheet" not in (site / "site/2025/06/19/first-story/index.html").read_text()

    events = Events(port, "/digest/__broadsheet/events")
    (site / "content/world/a.md").write_text(article("First story", "2025-06-19 10:00", body="A new sentence."))
    name, changed = events.next()
    assert name == "reload" and "2025/06/19/first-story/index.html" in changed
    assert "A new sentence." in get(port, "/digest/2025/06/19/first-story/")[1]

    (site / "content/world/bad.md").write_text("---\ntitle: Bad\ndate: someday\n---\n")
    name, messages = events.next()
    assert name == "error" and any("bad.md:3: date: unknown date format" in m for m in messages)
    status, page, _ = get(port, "/digest/2025/06/19/first-story/")
    assert status == 200 and "A new sentence." in page and 'id="broadsheet-error"' in page

    (site / "content/world/bad.md").unlink()
    assert events.next()[0] == "reload"
    assert 'id="broadsheet-error"' not in get(port, "/digest/2025/06/19/first-story/")[1]

    (site / "content/world/b.md").unlink()
    assert events.next()[0] == "reload"
    assert get(port, "/digest/2025/06/18/second-story/")[0] == 404
    assert "Second story" not in get(port, "/digest/")[1]
    events.close()

    # The output on disk is what `build` leaves.
    assert run_cli("build", "--site", site, "--output", site / "clean").code == 0
    assert tree_bytes(site / "site") == tree_bytes(site / "clean")

    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=15)
    assert process.returncode == 0
    assert "Traceback" not in err and "Stopped." in err


def test_template_edit_reloads_and_css_edit_swaps_the_stylesheet(served):
    site, port, process = served
    events = Events(port, "/digest/__broadsheet/events")
    (site / "templates").mkdir()
    (site / "templates/_footer.html").write_text("<footer>Live footer</footer>\n")
    assert events.next()[0] == "reload"
    assert "Live footer" in get(port, "/digest/")[1]
    (site / "static").mkdir()
    (site / "static/extra.css").write_text("body { color: red }\n")
    name, changed = events.next()
    assert name == "css" and "extra.css" in changed  # and its fingerprinted copy
    events.close()


# --- a rebuild that fails never stops the next one ---------------------------------------


def stop(process: subprocess.Popen) -> str:
    """Ctrl-C; what the server printed on stderr."""
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=15)
    assert process.returncode == 0 and "Traceback" not in err, err
    return err


def test_a_date_past_the_end_of_time_is_shown_and_the_next_save_rebuilds(served):
    # 9999-12-30 once overflowed inside the build: the rebuild thread died with it, and
    # every later save was ignored.
    site, port, process = served
    events = Events(port, "/digest/__broadsheet/events")
    (site / "content/world/far.md").write_text(article("Far", "9999-12-30"))
    name, messages = events.next()
    assert name == "error" and any("far.md:3: date: 9999-12-30 is out of range" in m for m in messages)
    (site / "content/world/far.md").unlink()
    assert events.next_but((name, messages))[0] == "reload"
    (site / "content/world/a.md").write_text(article("First story", "2025-06-19 10:00", body="Saved after the error."))
    assert events.next()[0] == "reload"
    assert "Saved after the error." in get(port, "/digest/2025/06/19/first-story/")[1]
    events.close()
    assert "far.md:3: date: 9999-12-30 is out of range" in stop(process)


def test_a_rebuild_kept_out_by_another_build_is_shown_and_its_edit_is_not_lost(served):
    site, port, process = served
    events = Events(port, "/digest/__broadsheet/events")
    with output_folder.output_lock(site / "site") as busy:  # what a `broadsheet build` running meanwhile holds
        assert busy is None
        (site / "content/world/a.md").write_text(
            article("First story", "2025-06-19 10:00", body="Saved while a build ran.")
        )
        name, messages = events.next()
        assert name == "error" and any("another build of this site is running" in m for m in messages)
    (site / "content/world/b.md").write_text(article("Second story", "2025-06-18 10:00", body="A later save."))
    assert events.next_but((name, messages))[0] == "reload"
    assert "Saved while a build ran." in get(port, "/digest/2025/06/19/first-story/")[1]
    assert "A later save." in get(port, "/digest/2025/06/18/second-story/")[1]
    events.close()
    err = stop(process)
    assert "another build of this site is running" in err and "Rebuild failed" in err
    assert run_cli("build", "--site", site, "--output", site / "clean").code == 0
    assert tree_bytes(site / "site") == tree_bytes(site / "clean")


def test_an_unexpected_error_in_a_rebuild_is_shown_as_a_bug_and_the_next_save_rebuilds(make_site):
    site = make_site({"content/world/a.md": article("First story", "2025-06-19 10:00")}, SETTINGS)
    with live(site) as (server, out):
        events = Events(server.port, "/digest/__broadsheet/events")
        (site / "content/world/a.md").write_text(article("First story", "2025-06-19 10:00", body=MARKER))
        name, messages = events.next()
        assert name == "error" and len(messages) == 1
        assert "a bug in Broadsheet" in messages[0] and "ZeroDivisionError: division by zero" in messages[0]
        (site / "content/world/a.md").write_text(article("First story", "2025-06-19 10:00", body="Fixed."))
        assert events.next()[0] == "reload"
        page = get(server.port, "/digest/2025/06/19/first-story/")[1]
        assert "Fixed." in page and 'id="broadsheet-error"' not in page
        events.close()
    failed = [line for line in out.getvalue().splitlines() if line.startswith("Rebuild failed")]
    assert (
        len(failed) == 1 and "a bug in Broadsheet" in failed[0] and "ZeroDivisionError: division by zero" in failed[0]
    )
    assert "Traceback" not in out.getvalue()


# --- Ctrl-C, ports and hosts ------------------------------------------------------------------


def group_members(pgid: int) -> list[int]:
    """The processes in a process group (the server, its forkserver and worker processes)."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getpgid(int(entry)) == pgid:
                    members.append(int(entry))
            except ProcessLookupError:
                pass
    return members


def big_site(site: Path, articles: int) -> Path:
    assert run_cli("init", site).code == 0
    body = "\n\n".join(f"Paragraph {n}, with *emphasis* and [a link](https://example.org/{n})." for n in range(12))
    for i in range(articles):
        path = site / "content" / f"desk{i % 5}" / f"story-{i}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            article(f"Story {i}", f"2025-{1 + i % 12:02d}-{1 + i % 28:02d} 10:{i % 60:02d}", body, tags=f"[t{i % 17}]")
        )
    return site


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="lists processes through /proc")
def test_ctrl_c_during_the_first_build_stops_cleanly(tmp_path):
    site = big_site(tmp_path / "big", 500)
    assert run_cli("build", "--site", site).code == 0
    before = tree_bytes(site / "site")
    (site / "broadsheet.yaml").write_text(
        (site / "broadsheet.yaml").read_text().replace('title: "Big"', 'title: "Bigger"')
    )
    assert run_cli("build", "--site", site, "--output", tmp_path / "after").code == 0
    after = tree_bytes(tmp_path / "after")

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "broadsheet", "serve", "--site", str(site), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while True:  # the server listens just before the first build starts
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.05)
    time.sleep(0.3)  # well into reading and parsing 500 articles
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in a terminal reaches the whole process group
    try:
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    assert "Serving" not in err, "the first build was over before Ctrl-C"
    assert process.returncode in (0, 130), err
    assert err.strip().splitlines() == ["Stopped."], err
    deadline = time.monotonic() + 10  # the forkserver and its workers notice the server's end within a second or two
    while group_members(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert group_members(process.pid) == [], "worker processes left running"
    assert tree_bytes(site / "site") in (before, after)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="lists threads through /proc")
def test_ctrl_c_taken_by_another_thread_than_the_main_one_still_stops_the_server(served):
    # The kernel may hand SIGINT to any thread that does not block it. When the server's own
    # thread took it, Python noted it but never woke the main thread: `serve` hung (seen in CI).
    # kill() with a thread's id asks the kernel to give the signal to that thread if it can.
    _, _, process = served
    others = [int(tid) for tid in os.listdir(f"/proc/{process.pid}/task") if int(tid) != process.pid]
    assert others, "the server runs threads"
    os.kill(max(others), signal.SIGINT)
    try:
        _, err = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        pytest.fail("Ctrl-C taken by another thread did not stop the server")
    assert process.returncode == 0 and err.strip().splitlines() == ["Stopped."], err


@pytest.mark.parametrize("port", ["65536", "-1", "eighty"])
def test_a_port_outside_the_range_is_a_usage_error(make_site, port):
    site = make_site({"content/world/a.md": article("A", "2025-06-19")})
    result = run_cli("serve", "--site", site, "--port", port)
    assert result.code == 2
    assert f"argument -p/--port: expected a port number from 0 to 65535, got {port!r}" in result.err
    assert result.err.startswith("usage:") and "Traceback" not in result.err


def test_the_last_port_in_use_is_an_error_not_a_port_past_the_end(make_site):
    site = make_site({"content/world/a.md": article("A", "2025-06-19")})
    with socket.socket() as taken:
        try:
            taken.bind(("127.0.0.1", 65535))
        except OSError:
            pytest.skip("port 65535 is in use here")
        taken.listen()
        result = run_cli("serve", "--site", site, "--port", "65535")
    assert result.code == 1
    assert result.err.strip() == "broadsheet: error: port 65535 is in use; choose another with --port"


def ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::", 0))
        return True
    except OSError:
        return False


@pytest.mark.parametrize(
    "host", ["0.0.0.0", pytest.param("::", marks=pytest.mark.skipif(not ipv6(), reason="no IPv6 here")), "localhost"]
)
def test_a_host_other_machines_can_reach_is_warned_about(make_site, host):
    site = make_site({"content/world/a.md": article("A", "2025-06-19")})
    process = subprocess.Popen(
        [sys.executable, "-m", "broadsheet", "serve", "--site", str(site), "--host", host, "--port", str(free_port())],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        startup = []
        for line in process.stderr:
            startup.append(line)
            if line.startswith("Serving"):
                break
        warnings = [line for line in startup if "reachable from other machines" in line]
        if host == "localhost":
            assert warnings == []
        else:
            assert len(warnings) == 1 and warnings[0].startswith(f"warning: listening on {host}")
        stop(process)
    finally:
        if process.poll() is None:  # a failed test leaves no server behind
            process.kill()
            process.wait()


def test_an_article_too_slow_to_convert_is_shown_in_time_and_the_next_save_rebuilds(make_site):
    """serve converts a saved body on a thread of its own (the short cut for body edits),
    where no signal can stop it: the time budget holds there too."""
    site = make_site(
        {"content/a.md": article("First story", "2025-06-19 10:00")}, SETTINGS + "markdown:\n  timeout: 0.5\n"
    )
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "broadsheet", "serve", "--site", str(site), "--port", str(port)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for line in process.stderr:
            if line.startswith("Serving"):
                break
        events = Events(port, "/digest/__broadsheet/events")  # waits 15 s at most for each event
        (site / "content/a.md").write_text(
            article("First story", "2025-06-19 10:00", body="[" * 8000)
        )  # ~10 s unbounded
        name, messages = events.next()
        assert name == "error" and any("a.md:1: body: took too long to convert (over 0.5 s)" in m for m in messages), (
            messages
        )
        (site / "content/a.md").write_text(article("First story", "2025-06-19 10:00", body="Fixed."))
        assert events.next_but((name, messages))[0] == "reload"
        assert "Fixed." in get(port, "/digest/2025/06/19/first-story/")[1]
        events.close()
    finally:
        process.kill()
        process.wait()


def test_the_error_overlay_speaks_the_site_language(make_site):
    """Readers of a page see the overlay too: its heading comes from the phrase catalogue."""
    site = make_site({"content/world/a.md": article("Первая новость", "2025-06-19 10:00", slug="a")},
                     SETTINGS + "language: ru\n")  # fmt: skip
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "broadsheet", "serve", "--site", str(site), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert any(line.startswith("Serving") for line in process.stderr)
        events = Events(port, "/digest/__broadsheet/events")
        (site / "content/world/bad.md").write_text("---\ntitle: Bad\ndate: someday\n---\n")
        assert events.next()[0] == "error"
        events.close()
        page = get(port, "/digest/2025/06/19/a/")[1]
        heading = "Сборка не удалась. Это последняя удачная версия сайта; исправьте ошибки ниже и сохраните файл."
        assert f"<strong>{heading}</strong>" in page  # the overlay served with the page
        assert json.dumps(heading) in page  # and the one the script shows on the next error
        assert "Build failed" not in page
    finally:
        process.kill()
        process.wait()


@pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="no job control signals here")
def test_serve_goes_on_after_ctrl_z_and_fg(served):
    """Ctrl-Z in a terminal stops serve's whole process group (its forkserver too), and
    `fg` continues it: serve goes on serving and rebuilding, as it did before. It once
    stopped with "Stopped." as if Ctrl-C had been pressed."""
    site, port, process = served
    time.sleep(0.5)  # the main thread asleep in its wait for Ctrl-C by now
    for _ in range(2):
        os.killpg(process.pid, signal.SIGSTOP)  # as the terminal's Ctrl-Z does (SIGTSTP)
        time.sleep(1)
        os.killpg(process.pid, signal.SIGCONT)  # `fg`
        time.sleep(0.5)
    assert process.poll() is None, "serve ended when continued"
    events = Events(port, "/digest/__broadsheet/events")
    (site / "content/world/a.md").write_text(article("First story", "2025-06-19 10:00", body="After fg."))
    assert events.next()[0] == "reload"
    assert "After fg." in get(port, "/digest/2025/06/19/first-story/")[1]
    events.close()
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    assert process.stderr.read().count("Stopped.") == 1
