"""`broadsheet serve`: build, serve, watch, rebuild, reload; until Ctrl-C."""

from __future__ import annotations

import argparse
import sys
import threading
import webbrowser

from broadsheet.build import config
from broadsheet.build.request import BuildRequest
from broadsheet.problems import display_path, errors, print_problems
from broadsheet.serve.server import DevServer, PortInUse
from broadsheet.serve.session import LiveSite
from broadsheet.serve.watch import Watcher

PORTS_TO_TRY = 10


def serve(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    """Run until Ctrl-C (or until `stop` is set, for tests)."""
    settings, problems = config.load_settings(args.site)
    if errors(problems):  # without settings there is no base path to serve under
        print_problems(problems, args.site)
        return 1
    request = BuildRequest(args.site, args.output, args.drafts, args.future, replace_output=args.replace_output)
    output = request.output_dir
    server = start_server(output, settings.base_path, args.host, args.port)
    if server is None:
        return 1
    live = LiveSite(request, server)
    live.rebuild()
    watcher = Watcher(args.site, live.rebuild)
    watcher.start()
    if args.drafts or args.future:
        print("warning: drafts or future articles are in the output: do not publish this site/ as it is", file=sys.stderr)
    print(f"Serving {display_path(output)} at {server.url} (Ctrl-C to stop)", file=sys.stderr)
    if args.open:
        webbrowser.open(server.url)
    try:
        (stop or threading.Event()).wait()
    except KeyboardInterrupt:
        print("\nStopped.", file=sys.stderr)
    finally:
        watcher.stop()
        server.stop()
    return 0


def start_server(output, base_path: str, host: str, port: int) -> DevServer | None:
    for candidate in range(port, port + PORTS_TO_TRY):
        server = DevServer(output, base_path, host, candidate)
        try:
            server.start()
        except PortInUse:
            continue
        except OSError as exc:
            print(f"broadsheet: error: cannot listen on {host}:{candidate}: {exc.strerror}", file=sys.stderr)
            return None
        if candidate != port:
            print(f"Port {port} is in use; serving on port {candidate} instead.", file=sys.stderr)
        return server
    print(f"broadsheet: error: ports {port} to {port + PORTS_TO_TRY - 1} are all in use; choose one with --port", file=sys.stderr)
    return None
