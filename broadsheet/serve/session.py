"""A serve session: the build state kept between rebuilds, and what each rebuild tells
the browser (reload, swap the stylesheet, or show the error)."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from broadsheet.build import write
from broadsheet.build.pipeline import build
from broadsheet.build.request import BuildReport, BuildRequest
from broadsheet.incremental.state import BuildState
from broadsheet.problems import errors, print_problems


class LiveSite:
    def __init__(self, request: BuildRequest, server, out: TextIO | None = None):
        self.request = request
        self.server = server  # a serve.DevServer, or anything with its notify methods
        self.state = BuildState(keep_last=True)
        self.out = out or sys.stderr
        self.failing = False
        self._lock = threading.Lock()  # one rebuild at a time

    def rebuild(self, paths: set[str] | None = None) -> BuildReport:
        with self._lock:
            report = self._build(paths)
            if paths is not None and report.ok and self._output_touched():
                report = self._build(None, "a hand edit in the output")
            return report

    def _build(self, paths: set[str] | None, why: str = "") -> BuildReport:
        started = time.perf_counter()
        with self.server.rebuilding():
            report = build(self.request, self.state, changed=paths)
        self._tell(report, paths, time.perf_counter() - started, why)
        return report

    def _output_touched(self) -> bool:
        """Whether anyone but us changed the output. A build told what changed trusts its
        own record of the output (walking it costs 0.3 s at 10,000 articles), so the walk
        comes here, after the browser was told to reload; a difference gets a full build,
        which puts the output right, as every build does."""
        return write.live_stamps(self.request.output_dir) != self.state.stamps

    def _tell(self, report: BuildReport, paths: set[str] | None, seconds: float, why: str = "") -> None:
        what = why or (f"{len(paths)} changed file{'s' * (len(paths) != 1)}" if paths else "start")
        print_problems(report.problems, self.request.site_dir, self.out)
        if not report.ok:
            self.failing = True
            messages = [p.format(self.request.site_dir) for p in errors(report.problems)]
            self.server.notify_error(messages)
            print(f"Rebuild failed ({what}): {len(messages)} error(s); still serving the last good site.", file=self.out)
            return
        changed = list(report.changed + report.removed)
        if changed or self.failing:
            self.server.notify_reload(changed)
        self.failing = False
        print(
            f"Rebuilt ({what}): {report.rendered} of {report.pages} pages rendered, "
            f"{len(report.changed)} files written, {len(report.removed)} removed, in {seconds * 1000:.0f} ms "
            f"({', '.join(f'{stage} {t * 1000:.0f}' for stage, t in report.stages.items())})",
            file=self.out,
        )
