"""A progress bar for builds that take more than a moment, drawn by tqdm on stderr:
only on a terminal, only after a second, never with --quiet."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator

from tqdm import tqdm

from broadsheet.build.pipeline import Progress

LABELS = {"parse": "Reading articles", "render": "Rendering pages"}


@contextmanager
def progress_bar(quiet: bool = False) -> Iterator[Progress]:
    if quiet or not sys.stderr.isatty():
        yield Progress()
        return
    bars: dict[str, tqdm] = {}

    def report(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=LABELS.get(stage, stage), unit=" files" if stage == "parse" else " pages",
                                     delay=1.0, leave=False, file=sys.stderr, dynamic_ncols=True)  # fmt: skip
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    try:
        yield Progress(report)
    finally:
        for bar in bars.values():
            bar.close()
