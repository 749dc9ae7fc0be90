"""Publish times of the rsync target: a first publish and a publish after one body edit.

    python bench/publish_rsync.py 10000 [--repeat 3] [--local]

It writes the deterministic corpus (bench/corpus.py) of N articles into a temporary folder,
builds it, starts a real sshd on 127.0.0.1 (throwaway host and user keys, as the tests do;
a local folder with --local or when sshd is not installed) and calls the target's publish()
in this process:

- first: into a new, empty destination (every file sent), repeated into a fresh one;
- body edit: one fixed article gets a sentence appended, the site is rebuilt (not timed), then
  a publish to the destination of the last first publish.

For each it prints the files sent (uploaded + replaced) and the median, min and max seconds
of reading the output (every file hashed: `read_output`) and of `publish()` itself.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from broadsheet.publish import rsync
from broadsheet.publish.local import read_output
from broadsheet.publish.outcome import PublishOptions
from broadsheet.publish.targets import RsyncTarget
from build import broadsheet_command, describe_machine, edited_article, run_child

from corpus import write_corpus


def start_sshd(folder: Path) -> tuple[subprocess.Popen, str]:
    """A throwaway sshd on a free port; returns it and the RSYNC_RSH that reaches it."""
    sshd = shutil.which("sshd", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"]))
    for key in ("host_key", "user_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / key)], check=True)
    shutil.copy(folder / "user_key.pub", folder / "authorized_keys")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (folder / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {folder}/host_key\nAuthorizedKeysFile {folder}/authorized_keys\n"
        "PidFile none\nStrictModes no\nUsePAM no\nPasswordAuthentication no\nPermitRootLogin prohibit-password\n"
    )
    (folder / "known_hosts").write_text(f"[127.0.0.1]:{port} {(folder / 'host_key.pub').read_text()}")
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    server = subprocess.Popen([sshd, "-D", "-e", "-f", str(folder / "sshd_config")], stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    rsh = (
        f"ssh -F /dev/null -p {port} -i {folder}/user_key -o IdentitiesOnly=yes -o BatchMode=yes "
        f"-o UserKnownHostsFile={folder}/known_hosts -o StrictHostKeyChecking=yes"
    )
    return server, rsh


def timed_publish(site_folder: Path, destination: str) -> tuple[int, float, float]:
    """Files sent, seconds reading the output, seconds publishing."""
    started = time.perf_counter()
    site = read_output(site_folder / "site")
    read = time.perf_counter() - started
    started = time.perf_counter()
    outcome = rsync.publish(RsyncTarget("bench", destination, keep=3), site, PublishOptions())
    return len(outcome.uploaded) + len(outcome.replaced), read, time.perf_counter() - started


def row(n: int, name: str, runs: list[tuple[int, float, float]]) -> str:
    sent = statistics.median(r[0] for r in runs)
    read = statistics.median(r[1] for r in runs)
    times = [r[2] for r in runs]
    return (
        f"{n:8d}  {name:<10} {sent:8.0f}  {read:8.2f} s  "
        f"{statistics.median(times):7.2f} s {min(times):7.2f} s {max(times):7.2f} s"
    )


def measure(n: int, repeat: int, local: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp:
        root = Path(tmp)
        site = root / "src"
        write_corpus(site, n)
        run_child(broadsheet_command(site))
        server = None
        if not local and shutil.which("sshd", path="/usr/sbin:/sbin:" + os.environ.get("PATH", "")):
            (root / "sshd").mkdir()
            server, os.environ["RSYNC_RSH"] = start_sshd(root / "sshd")
        where = lambda path: f"{os.environ.get('USER') or 'root'}@127.0.0.1:{path}" if server else str(path)  # noqa: E731
        try:
            print(
                f"publishing over {'ssh to 127.0.0.1' if server else 'a local folder'}, {repeat} runs of each",
                flush=True,
            )
            print("articles  publish    files sent  read output   median      min      max", flush=True)
            first = [timed_publish(site, where(root / "www" / f"digest{i}")) for i in range(repeat)]
            print(row(n, "first", first), flush=True)
            edits = []
            for i in range(repeat):
                with edited_article(site).open("a", encoding="utf-8") as file:
                    file.write(f"\nAn added sentence for the publish benchmark, number {i}.\n")
                run_child(broadsheet_command(site))
                edits.append(timed_publish(site, where(root / "www" / f"digest{repeat - 1}")))
            print(row(n, "body edit", edits), flush=True)
        finally:
            if server:
                server.kill()
                server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="+", type=int)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--local", action="store_true", help="publish to a local folder even when sshd is installed")
    args = parser.parse_args()
    print(describe_machine(), flush=True)
    for n in args.sizes:
        measure(n, args.repeat, args.local)


if __name__ == "__main__":
    main()
