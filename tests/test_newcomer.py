"""README's quick start, run exactly as written by a newcomer: the commands of the block
marked `<!-- quick-start -->` in README.md, in an empty folder, with Broadsheet installed
from a wheel into a fresh virtual environment (tests/standalone.py), nothing of this
repository on the path. `broadsheet serve` runs until stopped, so it is started last, on a
free port, and one page is fetched from it over HTTP."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from standalone import REPO

MARKER = "<!-- quick-start -->"


def quick_start(readme: str) -> list[str]:
    """The command lines of the first fenced block after the marker."""
    after = readme.split(MARKER, 1)[1]
    block = re.search(r"```(?:sh|shell|bash|console)?\n(.*?)```", after, re.S)
    assert block, f"README.md: no fenced block after {MARKER}"
    return [line for line in block.group(1).splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_the_quick_start_is_marked_and_ends_with_serve():
    lines = quick_start((REPO / "README.md").read_text(encoding="utf-8"))
    assert lines[0].startswith("broadsheet init ")
    assert lines[-1].startswith("broadsheet serve")
    assert any(line.startswith("broadsheet check") for line in lines)


def test_the_quick_start_works_as_written(standalone, tmp_path):
    lines = quick_start((REPO / "README.md").read_text(encoding="utf-8"))
    steps, serve = lines[:-1], lines[-1]
    env = standalone.env()
    # bash -e: every command must exit 0 (check too); pwd: where `cd` left the newcomer
    result = subprocess.run(["bash", "-ec", "\n".join([*steps, "pwd"])], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr
    assert "warning" not in result.stderr, result.stderr
    assert re.search(r"^Checked \d+ pages.*: 0 problems$", result.stdout, re.M), result.stdout
    assert re.search(r"^Built .* View it with: broadsheet serve", result.stdout, re.M), result.stdout
    site = Path(result.stdout.splitlines()[-1])
    assert site.parent == tmp_path

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(["bash", "-c", f"exec {serve} --port {port}"], cwd=site, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    said = []
    try:
        assert server.stderr is not None
        for line in server.stderr:  # "Serving site at URL (Ctrl-C to stop)" once built and watching
            said.append(line)
            if line.startswith("Serving "):
                break
        assert f"at http://127.0.0.1:{port}/ " in said[-1], said
        page = _fetch(f"http://127.0.0.1:{port}/", server)
        assert "<html" in page and "Welcome to your digest" in page
    finally:
        server.send_signal(signal.SIGINT)  # Ctrl-C, as the newcomer stops it
        _, err = server.communicate(timeout=30)
    assert server.returncode == 0, "".join(said) + err
    assert "Traceback" not in "".join(said) + err


def _fetch(url: str, server: subprocess.Popen, seconds: float = 60.0) -> str:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as reply:
                return reply.read().decode("utf-8")
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"serve did not answer at {url}: {server.communicate(timeout=5)}") from None
            time.sleep(0.1)
