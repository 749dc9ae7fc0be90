"""At every instant, to any reader, the output is the old site or the new one: a build
killed (kill -9) while it writes, or read while it runs, never shows a mix, and needs no
recovery step."""

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from conftest import REPO, article, tree_bytes

SETTINGS = "title: {title}\nbase_url: https://example.org/\ntimezone: UTC\n"
TITLES = ("The Old Digest", "The New Digest")  # a new title: every page of the site changes


def big_site(make_site) -> Path:
    files = {
        f"content/s{i % 5}/a{i}.md": article(
            f"Story number {i}", f"2025-06-{10 + i % 9} 12:{i % 60:02d}", tags=f"[T{i % 7}]"
        )
        for i in range(200)
    }
    return make_site(files, settings=SETTINGS.format(title=TITLES[0]))


def command(site: Path, *extra: str) -> list[str]:
    return [sys.executable, str(REPO / "build.py"), "--site", str(site), "--quiet", *extra]


def writing(site: Path) -> bool:
    """The build has begun writing the tree nobody reads: its record says the tree's state
    is not known until the switch (a reader of the output cannot tell: this is the test's
    way to aim its kills)."""
    try:
        return json.loads((site / ".site.trees/state.json").read_text())["lag"] is None
    except (OSError, ValueError, KeyError):
        return False


def start_and_wait_for_writing(site: Path) -> tuple[subprocess.Popen, float]:
    """Start a build; return once it has begun writing (a killed build leaves the record
    saying so too: wait for this build's own)."""
    record = site / ".site.trees/state.json"
    before = record.read_text() if record.exists() else ""
    process = subprocess.Popen(command(site), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while process.poll() is None and not (writing(site) and record.read_text() != before):
        time.sleep(0.0005)
    return process, time.perf_counter()


def test_kill_9_while_writing_never_leaves_a_mix(make_site):
    site = big_site(make_site)
    settings = site / "broadsheet.yaml"
    expected = {}
    for title in TITLES:
        settings.write_text(SETTINGS.format(title=title))
        subprocess.run(command(site, "--output", str(site / title.replace(" ", "-")), "--no-cache"), check=True)
        expected[title] = tree_bytes(site / title.replace(" ", "-"))
    settings.write_text(SETTINGS.format(title=TITLES[0]))
    subprocess.run(command(site), check=True)
    assert tree_bytes(site / "site") == expected[TITLES[0]]

    # How long the writing lasts, from the first file written to the end of the build.
    settings.write_text(SETTINGS.format(title=TITLES[1]))
    process, began = start_and_wait_for_writing(site)
    process.wait()
    window = time.perf_counter() - began
    assert tree_bytes(site / "site") == expected[TITLES[1]]

    rng, kills, before_switch = random.Random(14), 0, 0
    for attempt in range(60):  # until 8 kills have landed while a build was running (a loaded machine misses more)
        live = TITLES[0] if tree_bytes(site / "site") == expected[TITLES[0]] else TITLES[1]
        wanted = TITLES[1 - TITLES.index(live)]
        settings.write_text(SETTINGS.format(title=wanted))
        link_before = os.readlink(site / "site")
        process, began = start_and_wait_for_writing(site)
        time.sleep(rng.uniform(0, window))
        running = process.poll() is None  # not reaped yet: the pid is still this build's
        if running:
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
        now = tree_bytes(site / "site")  # at once: no build ran in between to put anything right
        assert now in (expected[live], expected[wanted]), f"a mix of two sites after kill {attempt}"
        kills += running
        before_switch += running and os.readlink(site / "site") == link_before and writing(site)
        if kills == 8:
            break
    assert kills == 8 and before_switch >= 3, (
        f"of {kills} kills while building, {before_switch} landed before the switch"
    )
    subprocess.run(command(site), check=True)  # and the next build simply works
    settings_title = TITLES[1] if "New" in settings.read_text() else TITLES[0]
    assert tree_bytes(site / "site") == expected[settings_title]


def test_a_reader_during_builds_sees_the_old_site_or_the_new_one(make_site):
    """A reader that takes the whole site (as rsync or a web server would) over and over while
    builds switch between two versions only ever finds one version or the other."""
    site = big_site(make_site)
    settings = site / "broadsheet.yaml"
    expected = []
    for title in TITLES:
        settings.write_text(SETTINGS.format(title=title))
        out = site / title.replace(" ", "-")
        subprocess.run(command(site, "--output", str(out), "--no-cache"), check=True)
        expected.append(tree_bytes(out))
    subprocess.run(command(site), check=True)
    seen, mixed, done = [], [], threading.Event()

    def read_over_and_over():
        while not done.is_set():
            snapshot = tree_bytes(Path(os.path.realpath(site / "site")))  # resolve once, then read it all
            (seen if snapshot in expected else mixed).append(snapshot)

    reader = threading.Thread(target=read_over_and_over)
    reader.start()
    try:
        for round_ in range(4):
            settings.write_text(SETTINGS.format(title=TITLES[round_ % 2]))
            subprocess.run(command(site), check=True)
    finally:
        done.set()
        reader.join()
    assert not mixed, f"{len(mixed)} of {len(seen) + len(mixed)} reads found a mix"
    assert len(seen) >= 4
