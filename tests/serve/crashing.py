"""`serve`'s pieces put together as serve/command.py puts them (the real server on
127.0.0.1, the real watchdog observer, the live session), with one difference: the build
raises an exception, as a bug in Broadsheet would, whenever an article holds a marker.

No input reliably makes today's build raise (each one found is a bug, and gets fixed),
so the failure is injected where the session calls the build; everything the session
does with it (the terminal line, the overlay, the next rebuild) is the real code.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from broadsheet.build import config, pipeline
from broadsheet.build.request import BuildRequest
from broadsheet.serve.server import DevServer
from broadsheet.serve.session import LiveSite
from broadsheet.serve.watch import Watcher

MARKER = "CRASH-THE-BUILD"


def build_or_crash(request: BuildRequest, *args, **kwargs):
    """The real build; then, when an article holds MARKER, the exception a bug would raise
    (after the build ran, as the overflow of a date past 9999-12-30 did)."""
    report = pipeline.build(request, *args, **kwargs)
    if any(MARKER in path.read_text(encoding="utf-8") for path in (request.site_dir / "content").rglob("*.md")):
        raise ZeroDivisionError("division by zero")
    return report


@contextmanager
def live(site: Path) -> Iterator[tuple[DevServer, io.StringIO]]:
    """The site served and watched; yields the server and what the session printed."""
    out = io.StringIO()
    request = BuildRequest(site, None, False, False)
    server = DevServer(request.output_dir, config.load_settings(site)[0].base_path, "127.0.0.1", 0)
    server.start()
    session = LiveSite(request, server, out, build=build_or_crash)
    session.rebuild()
    watcher = Watcher(site, session.rebuild)
    watcher.start()
    try:
        yield server, out
    finally:
        watcher.stop()
        server.stop()
