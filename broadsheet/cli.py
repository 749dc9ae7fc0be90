"""Command line: arguments -> pipeline; prints problems; decides the exit code."""

from __future__ import annotations

import argparse
import errno
import os
import shlex
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

from broadsheet import __version__
from broadsheet.build import config
from broadsheet.build.pipeline import build
from broadsheet.build.progress import Progress
from broadsheet.build.request import BuildReport, BuildRequest
from broadsheet.incremental import cache
from broadsheet.incremental.state import BuildState
from broadsheet.problems import (
    EXIT_BROKEN_PIPE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_USAGE,
    Problem,
    display_path,
    errors,
    print_problems,
)
from broadsheet.scaffold import command as scaffold

COMMANDS = ("build", "check", "serve", "new", "init", "import", "drafts", "email", "publish", "theme")


def parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line. `only`: the command asked for, the one whose options are added
    (others are listed by name alone): `build` need not import what `email`, `publish`
    and `theme` read their options from."""
    top = argparse.ArgumentParser(prog="broadsheet", description="Build a static news digest from Markdown articles.")
    top.add_argument("-V", "--version", action="version", version=f"broadsheet {__version__}")
    sub = top.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        if only is not None and name != only:
            return argparse.ArgumentParser(add_help=False)  # options nobody will read: thrown away
        p.add_argument(
            "-s",
            "--site",
            type=Path,
            default=Path("."),
            metavar="DIR",
            help="the site folder (default: the current folder)",
        )
        return p

    def build_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("-D", "--drafts", action="store_true", help="include articles marked draft: true")
        p.add_argument("-F", "--future", action="store_true", help="include articles dated in the future")
        p.add_argument("-o", "--output", type=Path, metavar="DIR", help="output folder (default: DIR/site)")
        p.add_argument(
            "--replace-output",
            action="store_true",
            help="replace the output folder even if it holds files Broadsheet did not make",
        )

    def build_run_options(p: argparse.ArgumentParser) -> None:
        build_options(p)
        p.add_argument("--base-url", type=_base_url, metavar="URL", help="override base_url from the settings file")
        p.add_argument(
            "--now", type=_iso_datetime, metavar="DATETIME", help="build as if it were this moment (ISO 8601)"
        )
        said = p.add_mutually_exclusive_group()
        said.add_argument("-q", "--quiet", action="store_true", help="print only problems: no progress bar, no summary")
        said.add_argument(
            "-v", "--verbose", action="store_true", help="also print how long each stage of the build took"
        )
        p.add_argument(
            "--strict",
            action="store_true",
            help="treat warnings as errors: exit 1 and leave the previous output as it was (for CI)",
        )
        p.add_argument(
            "--no-cache",
            action="store_true",
            help="neither read nor write the build cache (.broadsheet/cache/ in the site folder)",
        )

    build_run_options(command("build", "build the site into the output folder"))
    c = command("check", "build the site, then check every page's links, assets, alt texts, titles and descriptions")
    build_run_options(c)

    s = command("serve", "build, serve the site, and rebuild and reload the browser on every change")
    build_options(s)
    s.add_argument("--base-url", type=_base_url, metavar="URL", help="override base_url from the settings file")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    s.add_argument(
        "-p", "--port", type=_port, default=8000, help="port to listen on (default: 8000; the next free one if taken)"
    )
    s.add_argument("--open", action="store_true", help="open the site in the web browser")

    n = command("new", "write a new article file with its front matter filled in")
    n.add_argument("title", help="the article's title")
    n.add_argument("--section", help="the section (a sub-folder of content/)")

    imp = command("import", "turn pasted article text, saved pages and news feeds into draft articles")
    if only in (None, "import"):
        from broadsheet.importer import arguments as import_arguments  # its module owns its options

        import_arguments.add_arguments(imp)
    command("drafts", "list the drafts (draft: true), newest first: title, outlet, date and file")
    m = command("email", "write an edition as a newsletter (.eml), and send it with --send")
    if only in (None, "email"):
        from broadsheet.email import command as emailcommand  # its module owns its options

        emailcommand.add_arguments(m)
    m.add_argument(
        "--now",
        type=_iso_datetime,
        metavar="DATETIME",
        help="as if it were this moment (ISO 8601); also the message's Date",
    )

    pub = command(
        "publish",
        "build and check the site, then upload what changed to a target named under publish: in broadsheet.yaml",
    )
    build_run_options(pub)
    if only in (None, "publish"):
        from broadsheet.publish import command as publishcommand  # its module owns its options

        publishcommand.add_arguments(pub)

    th = command("theme", "list the built-in theme's files, or copy some into the site's templates/ or static/ to edit")
    if only in (None, "theme"):
        from broadsheet.theming import command as themecommand  # its module owns its options

        themecommand.add_arguments(th)

    i = command("init", "create a new site folder that builds at once")
    i.add_argument("directory", type=Path, metavar="DIR", help="the folder to create")
    i.add_argument(
        "--ci",
        choices=scaffold.CI_CHOICES,
        help="also write a CI workflow that builds, checks and publishes the site on push and every hour",
    )
    return top


def _iso_datetime(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO 8601 date-time such as 2025-06-19T12:00+02:00, got {text!r}"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _base_url(text: str) -> str:
    reason = config.base_url_problem(text)
    if reason:
        raise argparse.ArgumentTypeError(f"{config.BASE_URL_EXPECTED}, got {text!r}: {reason}")
    return text


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 5 and int(text) <= 65535):
        raise argparse.ArgumentTypeError(f"expected a port number from 0 to 65535, got {text!r}")
    return int(text)


def main(argv: list[str] | None = None, default_command: str | None = None) -> int:
    program = argv is None  # the `broadsheet` program itself, not a caller in this process
    argv = list(sys.argv[1:] if argv is None else argv)
    # Only the first word can be a command: in "--output build", "build" is a folder.
    if default_command and (not argv or argv[0] not in (*COMMANDS, "-h", "--help", "-V", "--version")):
        argv.insert(0, default_command)
    p = parser(argv[0] if argv and argv[0] in COMMANDS else None)
    args = p.parse_args(argv)
    if args.command is None:
        p.print_usage(sys.stderr)
        print(
            "broadsheet: error: a command is required (build, check, serve, new, init, import, drafts, email, publish or theme)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.command == "init":
        return scaffold.init(args)
    kept: list[object] = []  # what a build left, kept from being taken apart before the program ends
    try:
        code = _run(p, args, kept)
    except KeyboardInterrupt:  # Ctrl-C: whatever was being written was thrown away on the way out
        print("Stopped: the previous output was left as it was.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `broadsheet theme list | head`: the reader has all it wanted
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as exc:  # what the command printed could not be written (`> /dev/full`)
        if not _unwritable_stdout(exc):
            raise
        _quiet_stdout()
        print(f"broadsheet: error: cannot write what the command prints: {exc.strerror}", file=sys.stderr)
        return EXIT_PROBLEMS
    if program and kept and sys.getprofile() is None and sys.gettrace() is None:
        _end_now(code)
    return code


def _end_now(code: int) -> NoReturn:
    """The program's end after a build, once what it printed is flushed: here, without
    taking apart one at a time the millions of objects a build of 10,000 articles leaves
    (0.1-0.3 s, for nothing) and without the interpreter's teardown. Only when all is
    written and closed (the cache saved, every worker waited for), and not under a
    profiler or tracer, which write their report at exit."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe or a full disk under the output: Python's own exit says 120
        os._exit(code or 120)
    os._exit(code)


def _unwritable_stdout(exc: OSError) -> bool:
    """A write that failed with no file named: what the command prints (`> /dev/full`, a
    terminal gone), as the build's own files are written inside the build, which reports
    each with its name and leaves the output as it was."""
    return exc.filename is None and exc.errno in (errno.ENOSPC, errno.EIO, errno.EDQUOT)


def _quiet_stdout() -> None:
    """After a broken pipe, Python flushes stdout once more at exit and complains: point it at
    nothing (as the Python documentation advises for SIGPIPE)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _run(p: argparse.ArgumentParser, args: argparse.Namespace, kept: list[object] | None = None) -> int:
    if not args.site.is_dir():
        p.print_usage(sys.stderr)
        print(f"broadsheet: error: site folder {args.site} does not exist", file=sys.stderr)
        return EXIT_USAGE
    if args.command == "serve":
        from broadsheet.serve.command import serve  # imports the watcher and server only when needed

        return serve(args)
    if args.command == "import":
        from broadsheet.importer.entry import run  # loads the `import` extra's libraries only when needed

        return run(args)
    if args.command == "drafts":
        from broadsheet.drafts.command import run as drafts

        return drafts(args)
    if args.command == "check":
        return _check(args)
    if args.command == "theme":
        from broadsheet.theming import command as themecommand

        return themecommand.run(args)
    if args.command == "email":
        from broadsheet.email import command as emailcommand

        return emailcommand.run(args)
    if args.command == "publish":
        from broadsheet.publish import command as publishcommand

        return publishcommand.run(args, lambda: _checked_build(args))
    return _build(args, kept) if args.command == "build" else scaffold.new(args)


def _build(args: argparse.Namespace, kept: list[object] | None = None) -> int:
    return EXIT_OK if _passed(_build_site(args, kept=kept), args) else EXIT_PROBLEMS


def _passed(report: BuildReport, args: argparse.Namespace) -> bool:
    """No error, and under --strict no warning either (the build then wrote nothing)."""
    return report.ok and not (args.strict and report.problems)


def _check(args: argparse.Namespace) -> int:
    from broadsheet.check.command import command  # imports the HTML and CSS parsers only when needed

    report = _build_site(args, explain=True)
    if not _passed(report, args):
        return EXIT_PROBLEMS
    started = time.perf_counter()
    code = command(report, args.site, quiet=args.quiet, strict=args.strict)
    if args.verbose:
        print(stage_lines({"check": time.perf_counter() - started}))
    return code


def _checked_build(args: argparse.Namespace) -> BuildReport | None:
    """`publish`'s build: as `check` does, with the link check unless --no-check; None when
    either found an error."""
    from broadsheet.check.command import command

    report = _build_site(args, explain=not args.no_check)
    if not _passed(report, args):
        return None
    if not args.no_check and command(report, args.site, quiet=args.quiet, strict=args.strict) != EXIT_OK:
        return None
    return report


def _build_site(args: argparse.Namespace, explain: bool = False, kept: list[object] | None = None) -> BuildReport:
    """Build as `build` does, printing its problems and its summary line (only the
    problems with --quiet, each stage's time too with --verbose). `kept`: given the
    build's state, to keep until the program ends (main)."""
    if args.strict and _base_url_unset(args):  # found before building: a strict build must not replace the output
        report = BuildReport(
            [Problem(config.SETTINGS_FILE, 0, "base_url", f"is not set: {UNSET_BASE_URL}", warning=True)]
        )
    else:
        report = _cached_build(args, explain, kept)
    print_problems(report.problems, args.site)
    if report.ok and args.base_url is None and report.base_url == config.Settings().base_url:
        print(f"warning: base_url is not set in {config.SETTINGS_FILE}: {UNSET_BASE_URL}", file=sys.stderr)
    if not _passed(report, args):
        print(failed_line(report), file=sys.stderr)
    elif not args.quiet:
        print(summary_line(report, serve_options(args)))
        if report.next_due is not None:
            print(due_line(report, args.site))
        if args.verbose:
            print(stage_lines(report.stages))
    return report


def _cached_build(args: argparse.Namespace, explain: bool, kept: list[object] | None = None) -> BuildReport:
    """The build, with the build cache read before it and saved after a build that passed."""
    request = BuildRequest(
        args.site, args.output, args.drafts, args.future, args.base_url, args.now, explain, args.replace_output,
        strict=args.strict,
    )  # fmt: skip
    output = request.output_dir
    # lazy: a build with nothing to do reads only the cache's head; the rest when the build needs it
    state, note = (BuildState(), None) if args.no_cache else cache.load(args.site, output, lazy=True)
    if note and not args.quiet:
        print(f"note: {note}", file=sys.stderr)
    before = state.before_build()
    with progress_bar(quiet=args.quiet) as progress:
        try:
            report = build(request, state, progress)
        except cache.TextsLost as lost:  # an article's texts, left in the cache till asked for, unreadable then
            state, note = cache.afresh(args.site, output, lost)
            if not args.quiet:
                print(f"note: {note}", file=sys.stderr)
            before = state.before_build()
            report = build(request, state, progress)  # the first wrote nothing: a build stopped so never does
    for later in state.notes if not args.quiet else []:  # the rest of the cache, read during the build
        print(f"note: {later}", file=sys.stderr)
    # files found settled are worth saving, except by a dry run (`publish --dry-run`), which
    # leaves the site folder as it is unless it had to build
    learned = state.learned(before, report, settled=not getattr(args, "dry_run", False))
    if _passed(report, args) and not args.no_cache and learned:  # a build that changed nothing has nothing to remember
        unsaved = cache.save(args.site, output, state)
        if unsaved:
            print(
                f"warning: the build cache was not saved, so the next build starts afresh: {unsaved}", file=sys.stderr
            )
    if kept is not None:
        kept.append(state)
    return report


UNSET_BASE_URL = (
    f"links in feeds, sitemaps and the newsletter point at {config.Settings().base_url}; "
    "set the address the site is published at"
)


def _base_url_unset(args: argparse.Namespace) -> bool:
    """Whether the build would warn that base_url is not set (settings that do not load
    are the build's own errors to report, and so is a folder that is not a site)."""
    if args.base_url is not None or not (args.site / config.SETTINGS_FILE).is_file():
        return False
    settings, problems = config.load_settings(args.site)
    return not problems and settings.base_url == config.Settings().base_url


def failed_line(report: BuildReport) -> str:
    count = len(errors(report.problems))
    if count == 0:  # --strict, and warnings only
        count = len(report.problems)
        return (
            f"Build failed: {count} warning{'s' * (count != 1)} with --strict; the previous output was left as it was."
        )
    return f"Build failed: {count} error{'s' * (count != 1)}; the previous output was left as it was."


def stage_lines(stages: dict[str, float]) -> str:
    """--verbose: one line per stage, in the order they ran, with the peak resident memory
    so far of the build process and of the largest worker it has waited for ("-": none
    yet) where the system tells it (not on Windows)."""
    if not any(getattr(seconds, "peaks", None) for seconds in stages.values()):
        return "\n".join(f"  {stage:<8} {seconds:8.3f} s" for stage, seconds in stages.items())
    lines = [f"  {'stage':<8} {'time':>10} {'peak build':>12} {'peak workers':>14}"]
    for stage, seconds in stages.items():
        peaks = getattr(seconds, "peaks", None)
        memory = (
            f" {_mib(peaks.build)} {_mib(peaks.workers) if peaks.workers else '-':>14}" if peaks is not None else ""
        )
        lines.append(f"  {stage:<8} {seconds:8.3f} s{memory}")
    return "\n".join(lines)


def _mib(size: int) -> str:
    return f"{round(size / 2**20):8d} MiB"  # whole MiB: the peaks move by more than that from run to run


def summary_line(report: BuildReport, serve_with: str = "") -> str:
    warnings = len(report.problems)
    return (
        f"Built {report.articles} article{'s' * (report.articles != 1)} into {report.pages} page{'s' * (report.pages != 1)} "
        f"({report.written} file{'s' * (report.written != 1)} written, {len(report.removed)} removed), "
        f"{warnings} warning{'s' * (warnings != 1)}, in {report.seconds:.2f} s. {where_to_look(report, serve_with)}"
    )


def where_to_look(report: BuildReport, serve_with: str) -> str:
    """What works for seeing the site: its links are site paths ("/tags/"), which lead
    nowhere from a file:// page, so the dev server (`serve_with`: the options that serve
    this same site), at the address it serves it on; the index file itself when
    relative_urls made the output open from the disk."""
    if report.opens_from_disk and report.output:
        return f"Open {display_path(report.output / 'index.html')}"
    path = urlsplit(report.base_url).path.lstrip("/")
    return f"View it with: broadsheet serve{serve_with} (then http://127.0.0.1:8000/{path})"


def serve_options(args: argparse.Namespace) -> str:
    """The options of this build that `serve` needs to show the same site."""
    options = [] if args.site.absolute() == Path.cwd() else ["--site", display_path(args.site)]
    options += ["--output", display_path(args.output.absolute())] if args.output else []
    options += ["--base-url", args.base_url] if args.base_url else []
    options += [flag for flag, wanted in (("--drafts", args.drafts), ("--future", args.future)) if wanted]
    return "".join(f" {shlex.quote(o)}" for o in options)


def due_line(report: BuildReport, site_dir: Path) -> str:
    """When a scheduled build should next run: the next future-dated story left out."""
    due = report.next_due
    assert due is not None  # asked only when a story is due
    when = due.when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f'note: next scheduled story "{due.title}" is due {when} ({display_path(site_dir / due.path)})'


PROGRESS_LABELS = {"parse": "Reading articles", "render": "Rendering pages"}


@contextmanager
def progress_bar(quiet: bool = False) -> Iterator[Progress]:
    """A bar for builds that take more than a moment, drawn by tqdm on stderr: only on a
    terminal, only after a second, never with --quiet."""
    if quiet or not sys.stderr.isatty():
        yield Progress()
        return
    from tqdm import tqdm  # here: a build with nothing to do draws no bar, and need not import it

    bars: dict[str, tqdm] = {}

    def report(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=PROGRESS_LABELS.get(stage, stage), unit=" files" if stage == "parse" else " pages",
                                     delay=1.0, leave=False, file=sys.stderr, dynamic_ncols=True)  # fmt: skip
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    try:
        yield Progress(report)
    finally:
        for bar in bars.values():
            bar.close()
