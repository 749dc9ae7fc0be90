"""A build killed at any moment leaves the previous site or the new one, never a mix."""

import os
import signal
import subprocess
import sys
import time

from broadsheet.build import write

from conftest import REPO, article, tree_bytes


def test_kill_9_during_a_build_never_leaves_a_mix(make_site):
    files = {f"content/s{i % 5}/a{i}.md": article(f"Story number {i}", f"2025-06-{10 + i % 9} 12:{i % 60:02d}", tags=f"[T{i % 7}]") for i in range(200)}
    site = make_site(files)
    changed = site / "content/s0/a0.md"
    versions = {"old": files["content/s0/a0.md"], "new": article("Story number 0 revised", "2025-06-10 12:00", tags="[T0]")}
    command = [sys.executable, str(REPO / "build.py"), "--site", str(site)]

    def build(version, output="site"):
        changed.write_text(versions[version])
        subprocess.run(command + ["--output", str(site / output)], check=True, capture_output=True)
        return tree_bytes(site / output)

    new = build("new", "expected")
    old = build("old")
    for delay in (0.05, 0.2, 0.35, 0.5, 0.7):
        if tree_bytes(site / "site") != old:
            build("old")
        changed.write_text(versions["new"])
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        if (site / ".site.journal/journal.json").exists():
            # Killed after the commit point, while moving files in: the next build finishes it.
            write.recover(site / "site")
            assert tree_bytes(site / "site") == new
        current = tree_bytes(site / "site")
        assert current in (old, new), f"a mix of two sites after a kill at {delay} s"
    assert build("new") == new  # and the next build cleans up whatever the kill left
    assert not (site / ".site.staging").exists() and not (site / ".site.journal").exists()
