"""How a build tells whoever runs it how far it is, and how long each stage took."""

from __future__ import annotations

import time
from collections.abc import Callable


class Clock:
    """Seconds per stage, for the benchmark and for the dev server's log."""

    def __init__(self) -> None:
        self.started = self._last = time.perf_counter()
        self.stages: dict[str, float] = {}

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.stages[stage] = now - self._last
        self._last = now

    def seconds(self) -> float:
        return time.perf_counter() - self.started


class Progress:
    """report(stage, done, total) for each step of a long stage. The command line draws a
    bar from it (cli.progress_bar); by default nobody listens."""

    def __init__(self, report: Callable[[str, int, int], None] | None = None):
        self.report = report

    def step(self, stage: str, total: int) -> Callable[[int], None] | None:
        report = self.report
        if report is None or total == 0:
            return None
        done = 0
        report(stage, 0, total)

        def advance(count: int) -> None:
            nonlocal done
            done += count
            report(stage, done, total)

        return advance
