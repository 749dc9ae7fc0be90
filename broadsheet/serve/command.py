"""`broadsheet serve`: build, serve, watch, rebuild, reload; until Ctrl-C."""

from __future__ import annotations

import argparse
import ipaddress
import socket
import sys
import threading
import webbrowser

from broadsheet.build import config, pool
from broadsheet.build.request import BuildRequest
from broadsheet.problems import EXIT_INTERRUPTED, display_path, errors, print_problems
from broadsheet.serve import ctrl_c
from broadsheet.serve.server import DevServer, PortInUse, error_heading
from broadsheet.serve.session import LiveSite
from broadsheet.serve.watch import Watcher
from broadsheet.theme.localise import Localiser

PORTS_TO_TRY = 10
MAX_PORT = 65535


def serve(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    """Run until Ctrl-C (or until `stop` is set, for tests). Ctrl-C at any moment, during
    the first build too, stops with one line: exit 0 once the site was served, else 130."""
    base_url = getattr(args, "base_url", None)  # --base-url: its path is where the site is served
    settings, problems = config.load_settings(args.site, base_url)
    if errors(problems):  # without settings there is no base path to serve under
        print_problems(problems, args.site)
        return 1
    request = BuildRequest(
        args.site, args.output, args.drafts, args.future, base_url, replace_output=args.replace_output
    )
    output = request.output_dir
    server = watcher = live = None
    interrupted = False
    try:
        pool.start_forkserver()  # before the server's threads: the builds' workers come from it
        heading = error_heading(Localiser(settings.language, settings.phrases))
        server = start_server(output, settings.base_path, args.host, args.port, heading)
        if server is None:
            return 1
        if reachable_from_elsewhere(args.host):
            print(
                f"warning: listening on {args.host}: the site is reachable from other machines; --host 127.0.0.1 keeps it on this one",
                file=sys.stderr,
            )
        live = LiveSite(request, server)
        live.rebuild()  # the build cache's short cuts, and with no thread yet, forked workers as in `build`
        live.save_cache()
        with ctrl_c.for_the_main_thread_only():  # the main thread sleeps below until Ctrl-C
            server.serve()
            watcher = Watcher(args.site, live.rebuild)
            watcher.start()
            threading.Thread(target=live.warm, args=(watcher.changed,), name="warm-up", daemon=True).start()
        if args.drafts or args.future:
            print(
                "warning: drafts or future articles are in the output: do not publish this site/ as it is",
                file=sys.stderr,
            )
        print(f"Serving {display_path(output)} at {server.url} (Ctrl-C to stop)", file=sys.stderr)
        if args.open:
            webbrowser.open(server.url)
        ctrl_c.sleep_until_ctrl_c(stop or threading.Event())
    except KeyboardInterrupt:
        interrupted = True
    finally:
        with ctrl_c.ignored():
            if interrupted:
                print("\nStopped.", file=sys.stderr)
            if watcher is not None:
                watcher.stop()
            if server is not None:
                server.stop()
            if live is not None:
                live.save_cache(last=True)  # what the session's rebuilds learned, for the next build or serve
    return EXIT_INTERRUPTED if interrupted and watcher is None else 0


def reachable_from_elsewhere(host: str) -> bool:
    """Whether listening on host lets other machines in: any address but a loopback one
    (0.0.0.0 and :: are every address). A name counts by what it resolves to."""
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
    except (OSError, UnicodeError):
        return True  # cannot tell; the server will say if it cannot listen there
    return not addresses or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


def start_server(output, base_path: str, host: str, port: int, heading: str | None = None) -> DevServer | None:
    last = min(port + PORTS_TO_TRY - 1, MAX_PORT) if port else 0  # port 0: the system picks a free one
    for candidate in range(port, last + 1):
        server = DevServer(output, base_path, host, candidate, heading=heading)
        try:
            server.listen()  # serve() once the first build is done
        except PortInUse:
            continue
        except OSError as exc:
            print(f"broadsheet: error: cannot listen on {host}:{candidate}: {exc.strerror}", file=sys.stderr)
            return None
        if candidate != port:
            print(f"Port {port} is in use; serving on port {candidate} instead.", file=sys.stderr)
        return server
    if last == port:
        print(f"broadsheet: error: port {port} is in use; choose another with --port", file=sys.stderr)
    else:
        print(f"broadsheet: error: ports {port} to {last} are all in use; choose one with --port", file=sys.stderr)
    return None
