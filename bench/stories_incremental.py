"""What story grouping costs a build, cold and after one edit (issue 20's targets: under
1 s added to a cold build, under 50 ms to a one-edit rebuild, at 10,000 articles).

    python bench/stories_incremental.py 10000 [--repeat 5] [--cli-only]

On the generated corpus (bench/corpus.py), in this process, CPU time (time.process_time,
medians of --repeat runs; the machine's other load disturbs it less than wall time):

- the model stage (model.build_model) from parsed articles, with stories (the default
  settings) and without (`stories: {auto: false}`), and coverage.find alone from the
  articles' cached terms: what grouping adds to a cold build;
- a command-line rebuild after one body edit (build cache loaded and saved, as `broadsheet
  build` does): its model stage and its whole time, with and without stories; what grouping
  costs in it (CPU time inside `groupings.restored` and `coverage.find`, timed by wrapping
  them where they are called), and the cost of the grouping's part of the build cache
  (made into plain data and packed at a save, unpacked and checked at a load), with its size;
- a serve rebuild after one body edit (the short cut, body_edits.py): the whole of it, and
  coverage.same_after_edits alone (regrouping the edited article's window).

Prints figures; asserts nothing about them.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import msgpack

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from broadsheet.build import config, coverage, model
from broadsheet.build.pipeline import build
from broadsheet.build.request import BuildReport, BuildRequest
from broadsheet.build.stories import StorySettings
from broadsheet.incremental import cache, codec
from broadsheet.incremental.articles import SETTLE_NS
from broadsheet.incremental.state import BuildState

from corpus import write_corpus

try:  # absent before the command line kept its grouping: the bench then times find alone
    from broadsheet.incremental import groupings
except ImportError:
    groupings = None  # type: ignore[assignment]

EDITED = "content/world/article-00010.md"  # bench/corpus.py puts article 10 in world/
OFF = "stories:\n  auto: false\n"


def cpu_ms(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        run()
        times.append((time.process_time() - start) * 1000)
    return statistics.median(times)


def append(site: Path, text: str) -> None:
    with (site / EDITED).open("a", encoding="utf-8") as file:
        file.write("\n" + text + "\n")


def cold_model(site: Path, repeat: int) -> None:
    state = BuildState()
    assert build(BuildRequest(site), state).ok
    settings, _ = config.load_settings(site, None)
    articles = [a for a, _ in state.parsed.values() if a is not None]
    off = dataclasses.replace(settings, stories=StorySettings(auto=False))
    on_ms = cpu_ms(lambda: model.build_model(articles, settings, model.BuildOptions()), repeat)
    off_ms = cpu_ms(lambda: model.build_model(articles, off, model.BuildOptions()), repeat)
    site_model, _ = model.build_model(articles, settings, model.BuildOptions())
    entries = list(site_model.entries)
    find_ms = cpu_ms(lambda: coverage.find(entries, settings.stories, settings.base_path), repeat)
    find_off_ms = cpu_ms(lambda: coverage.find(entries, off.stories, off.base_path), repeat)
    print(f"  model stage, cold:     {on_ms:8.1f} ms with stories, {off_ms:8.1f} ms without: +{on_ms - off_ms:.1f} ms")
    # auto: false still reads every entry (a `story:` key joins by hand): all of grouping is find's
    print(
        f"  coverage.find alone:   {find_ms:8.1f} ms ({len(site_model.stories)} stories), {find_off_ms:.1f} ms auto: false"
    )


@contextlib.contextmanager
def cpu_inside(module: ModuleType, name: str, spent: list[float]) -> Iterator[None]:
    """CPU time spent inside module.name while the block runs, added to spent[0]: the
    function wrapped where its callers look it up (the bench's instrument, not the build's)."""
    original = getattr(module, name)

    def timed(*args, **kwargs):
        start = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            spent[0] += (time.process_time() - start) * 1000

    setattr(module, name, timed)
    try:
        yield
    finally:
        setattr(module, name, original)


def cli_edit(site: Path, repeat: int, label: str) -> None:
    def run_cli() -> tuple[BuildReport, BuildState]:
        state, _ = cache.load(site, site / "site", lazy=True)
        report = build(BuildRequest(site), state)
        cache.save(site, site / "site", state)
        return report, state

    run_cli()  # the cache, warm
    totals, models, finds, restores = [], [], [], []
    for n in range(repeat):
        append(site, f"A sentence more, number {n}.")
        time.sleep(SETTLE_NS / 1e9 + 0.05)  # past the racy-clean margin, as an editor's save would be
        found, restore = [0.0], [0.0]
        with contextlib.ExitStack() as timers:
            timers.enter_context(cpu_inside(coverage, "find", found))
            if groupings is not None:
                timers.enter_context(cpu_inside(groupings, "restored", restore))
            start = time.process_time()
            report, state = run_cli()
            totals.append((time.process_time() - start) * 1000)
        finds.append(found[0])
        restores.append(restore[0])
        models.append(report.stages.get("model", 0.0) * 1000)
        assert report.ok and report.rendered == 1, (report.rendered, report.problems[:3])
    print(
        f"  command line, one body edit, {label}: {statistics.median(totals):8.1f} ms CPU in all, "
        f"model stage {statistics.median(models):7.1f} ms (wall)"
    )
    grouping_ms = statistics.median(r + f for r, f in zip(restores, finds, strict=True))
    print(
        f"    grouping in it: restore {statistics.median(restores):6.1f} ms + coverage.find "
        f"{statistics.median(finds):6.1f} ms = {grouping_ms:6.1f} ms CPU"
    )
    if groupings is None or state.grouping is None:
        return
    size, save_ms, load_ms = cache_part(state.grouping, state, repeat)
    print(f"    its part of the build cache: {size / 1024:.0f} KiB, save {save_ms:5.1f} ms, load {load_ms:5.1f} ms CPU")
    print(f"    grouping added to the rebuild, all told: {grouping_ms + save_ms + load_ms:6.1f} ms CPU")


def cache_part(grouping: coverage.Grouping, state: BuildState, repeat: int) -> tuple[int, float, float]:
    """The grouping's part of a cache save and load, as cache.py does them: its size, and
    the CPU time to make it plain data and pack it, and to unpack and check it."""
    packer = msgpack.Packer(use_bin_type=True)

    def encode() -> bytes:
        return packer.pack(codec.encode_grouping(groupings.stored(grouping, state.parsed)))

    data = encode()

    def decode() -> object:
        return codec.decode_grouping(msgpack.unpackb(data, raw=False, use_list=False, strict_map_key=True))

    return len(data), cpu_ms(encode, repeat), cpu_ms(decode, repeat)


def serve_edit(site: Path, repeat: int, label: str) -> None:
    state, request = BuildState(keep_last=True), BuildRequest(site)
    assert build(request, state).ok
    totals = []
    for n in range(repeat):
        append(site, f"A serve sentence, number {n}.")
        start = time.process_time()
        report = build(request, state, changed={EDITED})
        totals.append((time.process_time() - start) * 1000)
        assert report.ok and "bodies" in report.stages, report.stages
    print(f"  serve, one body edit, {label}:        {statistics.median(totals):8.1f} ms CPU in all")
    if state.last is None:
        return
    snapshot = state.last[1]
    grouping, entry = snapshot.model.grouping, snapshot.entries[EDITED]
    if grouping is None:
        return
    article = entry.article
    other = dataclasses.replace(article, story_terms=coverage.terms_of(article.title, "x", article.body_html))

    def regroup_twice() -> None:  # the edit, and back: two windows regrouped, two answers compared
        coverage.same_after_edits(grouping, {entry.url: other})
        coverage.same_after_edits(grouping, {entry.url: article})

    print(f"  coverage.same_after_edits, one edit:  {cpu_ms(regroup_twice, repeat) / 2:8.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="+", type=int)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cli-only", action="store_true", help="only the command line's one edit, with stories")
    args = parser.parse_args()
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            site = Path(tmp)
            write_corpus(site, n)
            print(f"{n} articles:")
            if args.cli_only:
                cli_edit(site, args.repeat, "stories")
                continue
            cold_model(site, args.repeat)
            cli_edit(site, args.repeat, "stories")
            serve_edit(site, args.repeat, "stories")
            with (site / "broadsheet.yaml").open("a", encoding="utf-8") as file:
                file.write(OFF)
            cli_edit(site, args.repeat, "no stories")
            serve_edit(site, args.repeat, "no stories")


if __name__ == "__main__":
    main()
