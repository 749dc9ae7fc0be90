"""Template edits across real `broadsheet serve` sessions: the first edit of each session
against its later ones, and how long each stop takes.

    python bench/sessions.py SITE [--sessions 2] [--edits 2]

Each session starts `python -m broadsheet serve --site SITE --port 0`, waits for "Serving"
and for the warm-up (10 s), writes `templates/_footer.html`, waits for the rebuild's line,
and after the last edit sends Ctrl-C (SIGINT) and times the stop. Prints each rebuild's line
as serve printed it (its time is serve's own, save to reload)."""

from __future__ import annotations

import argparse
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

WARM_UP = 10.0  # seconds after "Serving" before the first edit
BETWEEN = 3.0  # seconds after a rebuild before the next edit


class Session:
    def __init__(self, site: Path) -> None:
        command = [sys.executable, "-m", "broadsheet", "serve", "--site", str(site), "--port", "0"]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip())

    def wait_for(self, pattern: str, seen: int) -> str:
        while True:
            for line in self.lines[seen:]:
                if re.search(pattern, line):
                    return line
            if self.process.poll() is not None:
                sys.exit("serve ended:\n" + "\n".join(self.lines))
            time.sleep(0.01)

    def stop(self) -> float:
        started = time.perf_counter()
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=120)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--sessions", type=int, default=2)
    parser.add_argument("--edits", type=int, default=2)
    args = parser.parse_args()
    footer = args.site / "templates/_footer.html"
    footer.parent.mkdir(exist_ok=True)
    for number in range(args.sessions):
        session = Session(args.site)
        session.wait_for("^Serving", 0)
        print(f"session {number}: {next((line for line in session.lines if 'Rebuilt (start)' in line), '')}")
        time.sleep(WARM_UP)
        for edit in range(args.edits):
            seen = len(session.lines)
            footer.write_text(f"<footer><p>Footer {number}.{edit} {time.time()}</p></footer>\n")
            print("  " + session.wait_for(r"^Rebuil", seen))
            time.sleep(BETWEEN)
        print(f"  stopped in {session.stop():.2f} s")
        for line in session.lines:
            if line.startswith(("note", "warning", "error", "Traceback")):
                print("  " + line)


if __name__ == "__main__":
    main()
