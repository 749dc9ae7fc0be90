"""`broadsheet import --subscriptions`: each feed under `import: subscriptions:` is fetched
with a conditional request, its entries not seen before become drafts, and one line per feed
says what happened. A failing feed is reported and the next one is read."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from broadsheet.build.config import Subscription
from broadsheet.importer import inbox, write
from broadsheet.importer.draft import Draft
from broadsheet.importer.feed import read_feed
from broadsheet.importer.fetch import FetchError, fetch
from broadsheet.importer.sources import Reader


@dataclass(frozen=True)
class Run:
    """What every feed of one run shares."""

    site: Path
    reader: Reader
    known: write.Known
    now: datetime
    dry_run: bool


def follow_all(subscriptions: tuple[Subscription, ...], run: Run) -> int:
    """Every feed in turn; the number that failed."""
    feeds, warning = inbox.load(run.site)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    failed = 0
    for sub in subscriptions:
        state = feeds.setdefault(sub.url, inbox.FeedState())
        line, ok = _follow(sub, state, run)
        print(f"{sub.url}: {line}")
        failed += not ok
        if not run.dry_run:
            failed += not _save(run.site, feeds)
    return failed


def _save(site: Path, feeds: dict[str, inbox.FeedState]) -> bool:
    try:
        inbox.save(site, feeds)
        return True
    except OSError as exc:
        print(f"{site / inbox.STATE_FILE}: error: cannot write ({exc.strerror or exc})", file=sys.stderr)
        return False


def _follow(sub: Subscription, state: inbox.FeedState, run: Run) -> tuple[str, bool]:
    """The feed's line, and whether it went well."""
    try:
        fetched = fetch(sub.url, run.reader.limits, state.conditions())
        if fetched.status == 304:
            return "unchanged (304)", True
        drafts = read_feed(fetched.body, sub.url, fetched.url, run.reader.source_name, run.reader.tz)
    except (ValueError, FetchError) as exc:
        return f"failed: {exc}", False
    except Exception as exc:
        return f"failed: could not be read ({type(exc).__name__}: {exc})", False
    new, problems = 0, []
    for draft in drafts:
        key = draft.url or write.draft_hash(draft)
        if key in state.seen:
            continue
        try:
            new += _write(draft, sub, run)
            state.seen.add(key)  # a draft that failed to be written is tried again next run
        except (ValueError, OSError) as exc:
            problems.append(f"{draft.origin}: {getattr(exc, 'strerror', None) or exc}")
    if not problems:  # the validators only once every entry of this copy is handled
        state.etag, state.last_modified = fetched.etag, fetched.last_modified
    line = f"{new} new" + (f"; failed: {problems[0]}" if problems else "")
    return line, not problems


def _write(draft: Draft, sub: Subscription, run: Run) -> bool:
    """True when a draft was written; False when the article is already in content/."""
    planned = write.plan(draft, run.site, sub.section or None, sub.tags, run.known, run.now, run.reader.tz)
    if planned.existing:
        return False
    for warning in planned.warnings:
        print(f"{draft.origin}: warning: {warning}", file=sys.stderr)
    if run.dry_run:
        print(f"would write {planned.path}:\n{planned.text}")
    else:
        try:
            write.write(planned, force=False)
        except FileExistsError:
            return False  # the importer never writes over a file, drafts included
    run.known.add(draft, planned.path)
    return True
