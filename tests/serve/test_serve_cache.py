"""`serve` and the build cache: it starts from what the last `build` (or `serve`) of the
same output left, so an unchanged site starts as fast as a no-change build; a cache made
for anything else (another output, base URL, drafts or future flags) or damaged gives
exactly what a clean build gives; and what a session learned is left in the cache, so a
`build` after it has nothing to do. Real folders, the real session and server."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from broadsheet import theme
from broadsheet.build import pipeline
from broadsheet.build.request import BuildRequest
from broadsheet.incremental import cache, codec
from broadsheet.incremental.articles import SETTLE_NS
from broadsheet.serve.server import DevServer
from broadsheet.serve.session import LiveSite
from broadsheet.serve.watch import Watcher

from conftest import article, run_cli, tree_bytes

SETTINGS = "title: Cached\nbase_url: https://example.org/digest/\ntimezone: UTC\n"


@pytest.fixture
def site(make_site) -> Path:
    files = {
        f"content/desk{i % 3}/story-{i}.md": article(f"Story {i}", f"2025-06-{1 + i:02d} 10:00") for i in range(12)
    }
    files["content/desk0/draft.md"] = article("A draft", "2025-06-20 10:00", draft="true")
    files["content/desk1/later.md"] = article("Later", "2099-01-01 10:00")
    return make_site(files, SETTINGS)


def serve_once(site: Path, output: Path | None = None, drafts=False, future=False, base_url=None, warm=False):
    """Start a live session as `serve` does (listening server, first build, cache saved,
    and with `warm` the warm-up), stop it; the first build's report and what the session printed."""
    out = io.StringIO()
    request = BuildRequest(site, output, drafts, future, base_url)
    server = DevServer(request.output_dir, "/digest/", "127.0.0.1", 0)
    server.listen()
    try:
        live = LiveSite(request, server, out=out)
        report = live.rebuild()
        live.save_cache()
        if warm:
            live.warm()
    finally:
        server.stop()
    return report, out.getvalue(), live


def clean_build(site: Path, folder: Path, *options: str) -> dict[str, bytes]:
    assert run_cli("build", "--site", site, "--output", folder, "--no-cache", *options).code == 0
    return tree_bytes(folder)


def test_serve_starts_from_the_build_cache_of_an_unchanged_site(site):
    assert run_cli("build", "--site", site).code == 0
    report, _, _ = serve_once(site)
    assert report.ok
    assert (report.parsed, report.rendered, list(report.changed)) == (0, 0, [])


@pytest.mark.parametrize(
    "options",
    [
        {"output": "other"},
        {"base_url": "https://elsewhere.example/news/"},
        {"drafts": True},
        {"future": True},
        {"drafts": True, "future": True, "base_url": "https://elsewhere.example/"},
    ],
    ids=["other-output", "base-url", "drafts", "future", "all-three"],
)
def test_a_cache_made_for_something_else_gives_the_clean_output(site, tmp_path, options):
    assert run_cli("build", "--site", site).code == 0  # the cache of the default output, default flags
    output = site / options["output"] if "output" in options else None
    if output is not None:  # that output built once with other flags: its cache is for them
        assert run_cli("build", "--site", site, "--output", output, "--drafts", "--future").code == 0
    flags = {k: v for k, v in options.items() if k != "output"}
    report, _, _ = serve_once(site, output, **flags)
    assert report.ok
    cli = [*(["--drafts"] if flags.get("drafts") else []), *(["--future"] if flags.get("future") else [])]
    cli += ["--base-url", flags["base_url"]] if "base_url" in flags else []
    assert tree_bytes(output or site / "site") == clean_build(site, tmp_path / "clean", *cli)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "stale"])
def test_a_damaged_or_stale_cache_gives_the_clean_output(site, tmp_path, damage):
    assert run_cli("build", "--site", site).code == 0
    state_file = cache.cache_file(site, site / "site")
    if damage == "truncated":
        state_file.write_bytes(state_file.read_bytes()[:-100])
    elif damage == "garbage":
        state_file.write_bytes(b"\x93not a cache at all")
    else:  # the site changed after the cache was made, and the output was edited by hand
        (site / "content/desk0/story-0.md").write_text(article("Story zero, retitled", "2025-06-01 10:00"))
        (site / "content/desk2/story-2.md").unlink()
        for page in (site / "site").rglob("index.html"):
            page.write_text("edited by hand")
            break
    # a start with nothing to do reads the cache's head only, as `build` does: a cache cut
    # short at its end is found so, and said, when the warm-up reads the rest
    report, printed, _ = serve_once(site, warm=True)
    assert report.ok
    if damage != "stale":
        assert "build cache" in printed and "unreadable" in printed
    assert tree_bytes(site / "site") == clean_build(site, tmp_path / "clean")


def cached_build(site: Path):
    """`build` as the command runs it, with the cache as it is on disk."""
    state, note = cache.load(site, site / "site")
    assert note is None
    return pipeline.build(BuildRequest(site), state)


def nothing_done(report) -> bool:
    """A no-change build: it stopped once it saw that no input changed."""
    return report.ok and (report.parsed, report.rendered, list(report.changed), list(report.removed)) == (0, 0, [], [])


def test_a_build_after_a_serve_session_has_nothing_to_do(site, tmp_path):
    assert run_cli("build", "--site", site).code == 0
    _, _, live = serve_once(site)
    story = site / "content/desk1/story-1.md"
    story.write_text(article("Story one, retitled", "2025-06-02 10:00"))  # a title: a full rebuild
    assert live.rebuild({story.relative_to(site).as_posix()}).ok
    live.save_cache()  # as serve does when it stops
    report = cached_build(site)
    assert nothing_done(report) and set(report.stages) <= {"scan", "parse", "write"}
    assert tree_bytes(site / "site") == clean_build(site, tmp_path / "clean")


def test_a_build_after_body_edits_in_serve_gives_the_clean_output(site, tmp_path):
    assert run_cli("build", "--site", site).code == 0
    _, _, live = serve_once(site)
    story = site / "content/desk2/story-5.md"
    story.write_text(article("Story 5", "2025-06-06 10:00", "A new body."))
    assert live.rebuild({story.relative_to(site).as_posix()}).ok  # serve's short cut for bodies
    live.save_cache()
    first = cached_build(site)
    assert first.ok and first.parsed == 0 and list(first.changed) == []  # parsed in serve, and on disk
    assert tree_bytes(site / "site") == clean_build(site, tmp_path / "clean")
    assert run_cli("build", "--site", site).code == 0
    assert nothing_done(cached_build(site))


def test_serve_stopped_with_ctrl_c_leaves_the_cache_a_build_needs(site, tmp_path):
    """The real command: serve started on a site never built, stopped; then `build` is a no-change build."""
    process = subprocess.Popen(
        [sys.executable, "-m", "broadsheet", "serve", "--site", str(site), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stderr is not None
    for line in process.stderr:
        if line.startswith("Serving"):
            break
    else:
        pytest.fail("the server did not start")
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=60)
    state, note = cache.load(site, site / "site")
    assert note is None and state.outcome is not None
    served = tree_bytes(site / "site")
    assert served == clean_build(site, tmp_path / "clean")
    report = pipeline.build(BuildRequest(site), state)
    assert nothing_done(report) and set(report.stages) <= {"scan", "parse", "write"}


@contextlib.contextmanager
def live_site(site: Path) -> Iterator[tuple[LiveSite, io.StringIO]]:
    """serve's session over a listening server, as `serve` makes them, and what it prints."""
    out = io.StringIO()
    request = BuildRequest(site)
    server = DevServer(request.output_dir, "/digest/", "127.0.0.1", 0)
    server.listen()
    try:
        yield LiveSite(request, server, out=out), out
    finally:
        server.stop()


def test_after_a_start_from_the_cache_the_warm_up_makes_the_model_quietly_for_the_first_edit(site):
    """A start answered from the cache keeps no model; the warm-up makes it without a word
    or a byte changed, so the first body edit takes serve's short cut."""
    assert run_cli("build", "--site", site).code == 0
    before = tree_bytes(site / "site")
    with live_site(site) as (live, out):
        assert live.rebuild().ok and live.state.last is None  # answered from the cache
        printed = out.getvalue()
        live.warm()
        assert live.state.last is not None
        assert live.state.last[1].search is not None  # the index the first body edit updates
        assert out.getvalue() == printed  # not a word
        assert tree_bytes(site / "site") == before
        with (site / "content/desk1/story-1.md").open("a", encoding="utf-8") as file:
            file.write("\nA second paragraph.\n")
        report = live.rebuild({"content/desk1/story-1.md"})
        live.warm()  # a model is kept now: nothing to do
    assert report.ok and "bodies" in report.stages, report.stages
    assert tree_bytes(site / "site") == clean_build(site, site.parent / "clean")


def test_a_start_that_writes_one_file_says_file(site):
    """A search index changed by hand since the last build is the one file serve's first
    build writes again, and its line says so in the singular."""
    assert run_cli("build", "--site", site).code == 0
    index = site / "site/search/index.json"
    index.write_bytes(index.read_bytes().replace(b"[", b"[ ", 1))
    report, printed, _ = serve_once(site)
    assert report.ok and report.changed == ("search/index.json",), report.changed
    assert ", 1 file written, 0 removed, in " in printed, printed


FOOTER_OVERRIDE = (theme.TEMPLATES / "_footer.html").read_text(encoding="utf-8") + "<!-- saved -->\n"


@pytest.mark.parametrize(
    ("saved", "text"),
    [
        ("content/desk1/story-1.md", "\nSaved while the start was building.\n"),
        ("templates/_footer.html", FOOTER_OVERRIDE),
    ],
    ids=["article", "template"],
)
def test_a_file_saved_while_the_start_builds_is_built_once_the_watcher_watches(site, saved, text):
    """serve's watcher starts once the first build is served (that build forks its workers
    only while no other thread runs): a file saved meanwhile sends it no event. The warm-up,
    which runs once the watcher watches, looks at every input, so the save is built, said
    (a template as an article: a change the terminal does not show looks like none), and the
    page is not left stale until the next save."""
    with live_site(site) as (live, out):
        assert live.rebuild().ok and live.state.last is not None  # a start that built
        (site / saved).parent.mkdir(exist_ok=True)
        with (site / saved).open("a", encoding="utf-8") as file:
            file.write(text)
        live.warm()
    assert tree_bytes(site / "site") == clean_build(site, site.parent / "clean")
    assert "Rebuilt (a change saved during the start)" in out.getvalue()


@contextlib.contextmanager
def started(site: Path, out: io.StringIO | None = None) -> Iterator[LiveSite]:
    """A live session on `site` as `serve` starts it (its first build made), stopped after."""
    server = DevServer(site / "site", "/digest/", "127.0.0.1", 0)
    server.listen()
    try:
        live = LiveSite(BuildRequest(site), server, out=out if out is not None else io.StringIO())
        assert live.rebuild().ok
        yield live
    finally:
        server.stop()


def test_a_start_with_nothing_to_do_reads_the_head_alone(site, tmp_path):
    """As `build` does: the cache's larger part (articles, fingerprints) is left unread by
    a start with nothing to do, read by the warm-up, and the edits after it come out as a
    clean build's."""
    assert run_cli("build", "--site", site).code == 0
    with started(site) as live:
        assert live.state.unread is not None and live.state.parsed == {}
        live.warm()
        assert live.state.unread is None and live.state.parsed
        edited = site / "content/desk1/story-1.md"
        edited.write_text(article("Story 1, retitled", "2025-06-02 10:00"))
        assert live.rebuild({"content/desk1/story-1.md"}).ok
    assert tree_bytes(site / "site") == clean_build(site, tmp_path / "clean")


def test_a_cache_changed_in_place_before_the_warm_up_reads_it_is_said_and_not_used(site, tmp_path):
    """The cache's rest is read by the warm-up, from the file the start read the head of:
    changed in place meanwhile, it is not used (one note), and the session builds on."""
    assert run_cli("build", "--site", site).code == 0
    path = cache.cache_file(site, site / "site")
    out = io.StringIO()
    with started(site, out) as live:
        data = path.read_bytes()
        with path.open("r+b") as file:  # the same bytes written again, in place: a new modification time
            file.write(data)
        os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
        live.warm()
        edited = site / "content/desk1/story-1.md"
        edited.write_text(article("Story 1, retitled", "2025-06-02 10:00"))
        assert live.rebuild({"content/desk1/story-1.md"}).ok
    assert "build cache" in out.getvalue() and "replaced since it was read" in out.getvalue()
    assert not live.failing and "a bug in Broadsheet" not in out.getvalue()
    assert tree_bytes(site / "site") == clean_build(site, tmp_path / "clean")


def test_texts_the_cache_no_longer_has_give_a_build_from_scratch(site, tmp_path, monkeypatch):
    """An article's texts are read from the cache file when first shown; when that read
    fails (the file changed in place since: here the first read is made to fail, as
    codec.TextSource does then), the build stops before writing, says so in one note and
    builds again from nothing, as `build` does: never a crash of the session."""
    assert run_cli("build", "--site", site).code == 0
    plain = codec.TextSource.texts
    failures = []

    def fails_once(self, begin, end):
        if not failures:
            failures.append(1)
            raise codec.TextsLost("changed since it was read")
        return plain(self, begin, end)

    monkeypatch.setattr(codec.TextSource, "texts", fails_once)
    out = io.StringIO()
    with started(site, out) as live:
        live.warm()
        (site / "templates").mkdir(exist_ok=True)
        (site / "templates/_footer.html").write_text("<footer><p>Ours now</p></footer>\n")  # every page again
        report = live.rebuild({"templates/_footer.html"})
    assert failures and report.ok and not live.failing
    assert "changed since it was read" in out.getvalue() and "a bug in Broadsheet" not in out.getvalue()
    assert tree_bytes(site / "site") == clean_build(site, tmp_path / "clean")


def test_after_a_session_that_ended_with_an_edit_the_next_start_has_nothing_to_do(site, tmp_path):
    """The last edit of a session is always within the racy margin of its build: that
    build reads the file before using it, so the next start (or `build`) can trust its
    stamp and has nothing to do, rather than making the model and every fingerprint again
    (1.7 s at 10,000 articles, nothing written)."""
    assert run_cli("build", "--site", site).code == 0
    time.sleep(SETTLE_NS / 1e9 + 0.2)  # the site's own files settled
    footer = site / "templates/_footer.html"
    footer.parent.mkdir(exist_ok=True)
    with started(site) as live:
        live.warm()
        footer.write_text("<footer><p>Edited in the session</p></footer>\n")
        assert live.rebuild({"templates/_footer.html"}).ok
        live.save_cache(last=True)
    time.sleep(SETTLE_NS / 1e9 + 0.2)
    with started(site) as live:
        state = live.state
        assert state.unread is not None and state.parsed == {}, "the start had work to do"
    assert tree_bytes(site / "site") == clean_build(site, tmp_path / "clean")
    assert b"Edited in the session" in (site / "site/index.html").read_bytes()


def _wait_for(predicate, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_file_the_warm_up_reads_halfway_through_its_save_shows_no_error(site, tmp_path):
    """An editor saving just after serve started: the file is truncated, and its new bytes
    come a moment later. The warm-up, which looks at every input, may read it in between
    (here it does: the save is held open across the warm-up's build). That is no error
    of the editor's: the warm-up leaves it to the watcher, which saw the save, waits for
    it to end and rebuilds. Nothing wrong is shown; the real watcher, the real build."""
    edited = site / "content/desk1/story-1.md"
    saved = article("Story 1", "2025-06-02 10:00", body="Saved just after the start.")
    builds = []

    def saving_during_the_warm_up(request, state, **options):
        if not options.get("model_wanted") or builds:
            return pipeline.build(request, state, **options)
        builds.append(1)
        with edited.open("w", encoding="utf-8") as file:  # truncated; the rest comes after the build
            report = pipeline.build(request, state, **options)
            file.write(saved)
        return report

    out = io.StringIO()
    server = DevServer(site / "site", "/digest/", "127.0.0.1", 0)
    server.listen()
    live = LiveSite(BuildRequest(site), server, out=out, build=saving_during_the_warm_up)
    watcher = Watcher(site, live.rebuild)
    try:
        assert live.rebuild().ok
        watcher.start()
        live.warm(watcher.changed)
        assert builds, "the warm-up did not read the file halfway through its save"
        assert _wait_for(lambda: "Rebuilt (1 changed file)" in out.getvalue()), out.getvalue()
    finally:
        watcher.stop()
        server.stop()
    assert "Rebuild failed" not in out.getvalue() and "empty file" not in out.getvalue(), out.getvalue()
    assert not live.failing
    assert tree_bytes(site / "site") == clean_build(site, tmp_path / "clean")


def test_a_file_broken_while_the_start_builds_is_still_said_by_the_warm_up(site):
    """The other side of the rule above: a file saved wrong before the watch began sends
    the watcher nothing, so the warm-up says it at once, as a rebuild's failure is said."""
    out = io.StringIO()
    server = DevServer(site / "site", "/digest/", "127.0.0.1", 0)
    server.listen()
    live = LiveSite(BuildRequest(site), server, out=out)
    watcher = Watcher(site, live.rebuild)
    try:
        assert live.rebuild().ok
        (site / "content/desk1/story-1.md").write_text("")
        watcher.start()
        live.warm(watcher.changed)
        said = out.getvalue()
    finally:
        watcher.stop()
        server.stop()
    assert "Rebuild failed (start)" in said and "story-1.md:1: empty file" in said, said
    assert live.failing
