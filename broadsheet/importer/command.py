"""`broadsheet import`: every source is read and written on its own; one summary line at the end."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import UTC, datetime

from broadsheet.build import config
from broadsheet.build.slugs import has_letters
from broadsheet.importer import sources, subscriptions, write
from broadsheet.importer.fetch import FetchError, Limits, user_agent
from broadsheet.problems import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, display_path, errors, print_problems


@dataclass
class Tally:
    imported: int = 0
    skipped: int = 0
    failed: int = 0


def run(args: argparse.Namespace) -> int:
    if not args.sources and not args.subscriptions:
        print("broadsheet: error: import: give a SOURCE (file, folder or URL), or --subscriptions", file=sys.stderr)
        return EXIT_USAGE
    tags = tuple(t.strip() for t in args.tags.split(",") if t.strip())
    nameless = [t for t in tags if not has_letters(t)]
    if nameless:
        print(
            f"broadsheet: error: --tags: tag {nameless[0]!r} has no letters or digits to make a URL from",
            file=sys.stderr,
        )
        return EXIT_USAGE
    settings, problems = config.load_settings(args.site)
    print_problems(problems, args.site)
    if errors(problems):
        return EXIT_PROBLEMS
    s = settings.import_
    allow_private = args.allow_private or s.allow_private
    limits = Limits(s.timeout, s.max_bytes, s.max_redirects, user_agent(settings.base_url), allow_private)
    reader = sources.Reader(s, settings.tz, args.source_name or "", limits)
    known = write.known_articles(args.site)
    now = datetime.now(UTC)
    if args.subscriptions:
        return _subscriptions(args, s.subscriptions, reader, known, now)
    tally = Tally()
    for source in args.sources:
        for item in _expand(source, tally):
            _import_one(item, reader, args, known, tags, now, tally)
    verb = "Would import" if args.dry_run else "Imported"
    print(
        f"{verb} {tally.imported} article{'s' * (tally.imported != 1)}, skipped {tally.skipped}, failed {tally.failed}."
    )
    return EXIT_PROBLEMS if tally.failed else EXIT_OK


def _subscriptions(args, subs: tuple[config.Subscription, ...], reader, known: write.Known, now: datetime) -> int:
    if args.sources:
        print(
            "broadsheet: error: import: --subscriptions reads the feeds in broadsheet.yaml; give no SOURCE with it",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if not subs:
        print(
            "broadsheet: error: import: no subscriptions in broadsheet.yaml (import: subscriptions: [{url: ...}])",
            file=sys.stderr,
        )
        return EXIT_USAGE
    failed = subscriptions.follow_all(subs, subscriptions.Run(args.site, reader, known, now, args.dry_run))
    return EXIT_PROBLEMS if failed else EXIT_OK


def _expand(source: str, tally: Tally) -> list[str]:
    try:
        return sources.expand(source)
    except FileNotFoundError as exc:
        _fail(source, str(exc), tally)
        return []


def _import_one(item: str, reader: sources.Reader, args, known: write.Known, tags, now: datetime, tally: Tally) -> None:
    try:
        drafts = sources.read(item, reader)
    except (ValueError, FetchError, OSError) as exc:
        _fail(item, str(exc), tally)
        return
    except Exception as exc:
        _fail(item, f"could not be read ({type(exc).__name__}: {exc})", tally)
        return
    for draft in drafts:
        try:
            planned = write.plan(draft, args.site, args.section, tags, known, now, reader.tz)
        except ValueError as exc:
            _fail(draft.origin, str(exc), tally)
            continue
        _write_one(draft, planned, args, known, tally)


def _write_one(draft, planned: write.Planned, args, known: write.Known, tally: Tally) -> None:
    where = display_path(planned.path)
    if planned.existing and not args.force:
        print(f"skipped {draft.origin}: already imported as {where} (--force imports it again)")
        tally.skipped += 1
        return
    for warning in planned.warnings:
        print(f"{draft.origin}: warning: {warning}", file=sys.stderr)
    if args.dry_run:
        print(f"would write {where}:\n{planned.text}")
    else:
        try:
            write.write(planned, args.force)
        except FileExistsError:
            print(f"skipped {draft.origin}: {where} already exists (--force overwrites it)")
            tally.skipped += 1
            return
        except OSError as exc:
            _fail(draft.origin, f"cannot write {where}: {exc.strerror or exc}", tally)
            return
        print(f"imported {draft.origin} -> {where}")
    known.add(draft, planned.path)
    tally.imported += 1


def _fail(origin: str, message: str, tally: Tally) -> None:
    print(f"{origin}: error: {message}", file=sys.stderr)
    tally.failed += 1
