"""`broadsheet publish [TARGET]`: a checked build -> the target named under `publish:`.

The build and its link check are the caller's (cli.py, as for `check`), handed in as one
function, so nothing is published from a build with errors or broken internal links.
Each kind of target is its own module with one `publish()`, imported only when used
(boto3 is slow to import and not needed for git)."""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from broadsheet.build import config
from broadsheet.build.request import BuildReport
from broadsheet.problems import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, errors, print_problems
from broadsheet.publish import local
from broadsheet.publish.history import record_published
from broadsheet.publish.outcome import Outcome, PublishError, PublishOptions, summary_line
from broadsheet.publish.targets import GitTarget, RsyncTarget, S3Target, Target

MODULES = {GitTarget: "git", S3Target: "s3", RsyncTarget: "rsync"}
SCRATCH = Path(".broadsheet", "publish")  # in the site folder: what a target keeps between publishes
EXAMPLE = "publish: {pages: {type: git, remote: 'git@github.com:me/digest.git'}}"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "target",
        nargs="?",
        metavar="TARGET",
        help="a target named under publish: in broadsheet.yaml (default: the first)",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="show what would be uploaded, replaced, deleted and redirected; change nothing",
    )
    p.add_argument("--yes", action="store_true", help="allow more deletions than the target's max_deletes")
    p.add_argument("--rollback", action="store_true", help="rsync targets: switch back to the previous release")
    p.add_argument("--no-check", action="store_true", help="publish without checking the built pages' links first")


def run(args: argparse.Namespace, checked_build: Callable[[], BuildReport | None]) -> int:
    """`checked_build` builds (printing as `build` does) and, unless --no-check, checks the
    links; it gives None when that found errors, and then nothing is published."""
    settings, problems = config.load_settings(args.site)
    if errors(problems):  # the build would say the same; say it before building anything
        print_problems(problems, args.site)
        return EXIT_PROBLEMS
    target = _target(settings.publish, args.target)
    if isinstance(target, int):
        return target
    try:
        if args.rollback:
            return _rollback(target)
        report = checked_build()
        if report is None or report.output is None:
            print("Nothing was published.", file=sys.stderr)
            return EXIT_PROBLEMS
        site = local.read_output(report.output)
        started = time.monotonic()
        options = PublishOptions(dry_run=args.dry_run, yes=args.yes)
        with progress_bar(quiet=getattr(args, "quiet", False)) as progress:
            outcome = _publish(target, site, options, progress, args.site, settings.title, _built(report.output))
        if not args.dry_run:  # the URLs now online: the next build redirects those of articles that move
            record_published(args.site, report)
    except PublishError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    if args.dry_run:
        for line in dry_run_lines(outcome):
            print(line)
    if not getattr(args, "quiet", False):  # --quiet: only problems (a dry run's listing is what was asked for)
        print(summary_line(target.name, outcome, time.monotonic() - started, dry_run=args.dry_run))
    return EXIT_OK


def _target(targets: dict[str, Target], name: str | None) -> Target | int:
    """The target asked for (the first when none is), or the exit code after saying why not."""
    if not targets:
        print(
            f"error: no publish target in {config.SETTINGS_FILE}: add one under publish:, such as {EXAMPLE} (see the README's Publishing section)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if name is None:
        return next(iter(targets.values()))
    if name not in targets:
        print(
            f"error: no publish target named {name!r} in {config.SETTINGS_FILE} (targets: {', '.join(targets)})",
            file=sys.stderr,
        )
        return EXIT_USAGE
    return targets[name]


def _module(target: Target):
    kind = MODULES[type(target)]
    try:
        return importlib.import_module(f"broadsheet.publish.{kind}")
    except ModuleNotFoundError as exc:
        if exc.name == f"broadsheet.publish.{kind}":
            raise PublishError(f"publishing to {kind} targets is not available in this build of broadsheet") from None
        raise PublishError(
            f"publishing to {kind} targets needs the Python package {exc.name!r}: pip install {exc.name}"
        ) from None


def _publish(
    target: Target,
    site: local.LocalSite,
    options: PublishOptions,
    progress,
    site_dir: Path,
    title: str,
    built: datetime,
) -> Outcome:
    module = _module(target)
    if isinstance(
        target, GitTarget
    ):  # the git target keeps its scratch repository in the site folder, and names the build
        return module.publish(
            target, site, options, progress, scratch=site_dir / SCRATCH / target.name, title=title, built=built
        )
    return module.publish(target, site, options, progress)


def _built(output: Path) -> datetime:
    """When the output was last written: every build that changes it switches its link."""
    return datetime.fromtimestamp(output.lstat().st_mtime, UTC)


def _rollback(target: Target) -> int:
    if not isinstance(target, RsyncTarget):
        raise PublishError(f"--rollback works for rsync targets only; {target.name} is of type {MODULES[type(target)]} "
                           "(publish an earlier build instead)")  # fmt: skip
    print(_module(target).rollback(target))
    return EXIT_OK


def dry_run_lines(outcome: Outcome) -> list[str]:
    """Every path a publish would touch, grouped by what would happen to it."""
    lines = []
    for label, paths in (
        ("upload", outcome.uploaded),
        ("replace", outcome.replaced),
        ("delete", outcome.deleted),
        ("redirect", outcome.redirects),
    ):
        if paths:
            lines.append(f"Would {label} {len(paths):,} file{'s' * (len(paths) != 1)}:")
            lines += [f"  {path}" for path in paths]
    return lines


@contextmanager
def progress_bar(quiet: bool = False) -> Iterator[Callable[[int, int], None] | None]:
    """A bar for uploads that take more than a moment: tqdm on stderr, only on a terminal."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm  # here: `broadsheet build` reads this module's options, and draws no upload bar

    bar: list[tqdm] = []

    def report(done: int, total: int) -> None:
        if not bar:
            bar.append(
                tqdm(
                    total=total,
                    desc="Publishing",
                    unit=" files",
                    delay=1.0,
                    leave=False,
                    file=sys.stderr,
                    dynamic_ncols=True,
                )
            )
        bar[0].update(done - bar[0].n)

    try:
        yield report
    finally:
        for b in bar:
            b.close()
