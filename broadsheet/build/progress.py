"""How a build tells whoever runs it how far it is, and how long each stage took (and,
where the system says, how much memory it had reached by then)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

if sys.platform != "win32":  # getrusage is POSIX only
    import resource

# ru_maxrss is in kilobytes on Linux and the BSDs, in bytes on macOS
_MAXRSS_BYTES = 1 if sys.platform == "darwin" else 1024


@dataclass(frozen=True)
class Peaks:
    """Peak resident memory so far, in bytes: of this process, and of the largest worker
    process it has waited for (0 before the first; a worker counts once its pool is closed)."""

    build: int
    workers: int


def peaks() -> Peaks | None:
    """The peaks now; None on Windows, which has no getrusage."""
    if sys.platform == "win32":
        return None
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return Peaks(own.ru_maxrss * _MAXRSS_BYTES, workers.ru_maxrss * _MAXRSS_BYTES)


class Lap(float):
    """A stage's seconds, carrying the memory peaks at its end. A float, so whatever reads
    a report's stages as seconds (the dev server's log, the benchmarks, the tests) reads
    them unchanged, and only `--verbose` (cli.stage_lines) asks for the memory."""

    peaks: Peaks | None

    def __new__(cls, seconds: float, peaks: Peaks | None) -> Lap:
        lap = super().__new__(cls, seconds)
        lap.peaks = peaks
        return lap

    def __reduce__(self) -> tuple[type[Lap], tuple[float, Peaks | None]]:  # pickles with its peaks
        return Lap, (float(self), self.peaks)


class Clock:
    """Seconds per stage, for the benchmark and for the dev server's log, with the memory
    peaks at the end of each stage."""

    def __init__(self) -> None:
        self.started = self._last = time.perf_counter()
        self.stages: dict[str, float] = {}

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.stages[stage] = Lap(now - self._last, peaks())
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
