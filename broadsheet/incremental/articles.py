"""Articles read and parsed only when they changed: a file whose stat is as the last
build saw it is not read again, and one whose bytes are known is not parsed again.

Two passes, so that a build with nothing to do stops between them: `key_all` finds every
file's cache key (a stat of each, a read of the changed ones), `parse_all` turns the keys
into articles (the cache's, or parsed now)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from broadsheet.build import content, scan
from broadsheet.build.config import Settings
from broadsheet.build.progress import Progress
from broadsheet.incremental.fingerprint import Memo
from broadsheet.incremental.state import BuildState
from broadsheet.problems import Problem

SETTLE_NS = 2_000_000_000  # file systems with coarse timestamps tick every 1-2 s


@dataclass
class Keyed:
    """Every readable article file with its cache key, in the scan's order, and the bytes
    of those this build read (parsed from these very bytes, so a key never names others)."""

    settings: content.ParseSettings
    keys: list[tuple[scan.SourceFile, str]]
    read: dict[str, bytes]  # cache key -> the bytes read for it
    problems: list[Problem]  # files that could not be read


def scan_content(
    site_dir: Path, state: BuildState, changed: set[str] | None
) -> tuple[list[scan.SourceFile], list[Problem]]:
    """The article files; the last scan's when the watcher says only known articles changed
    (walking 10,000 files takes a quarter of a second)."""
    if changed is not None and state.scanned is not None:
        known = {source.rel for source in state.scanned[0]}
        content_changes = {path for path in changed if path.startswith("content/")}
        if content_changes <= known and all((site_dir / path).is_file() for path in content_changes):
            return state.scanned
    state.scanned = scan.scan_content(site_dir)
    return state.scanned


def key_all(
    sources: list[scan.SourceFile], settings: Settings, state: BuildState, changed: set[str] | None = None
) -> Keyed:
    """Every source's cache key: from the last build's digest when its stat is as that
    build saw it, else from its bytes, read now. Files the watcher did not report
    (`changed` given) are taken as the last build read them."""
    parse_settings = content.ParseSettings.of(settings)
    known, state.files = state.files, {}
    settled_before, state.settled_before = state.settled_before, time.time_ns() - SETTLE_NS
    state.settled_again = False
    keyed, key_of = Keyed(parse_settings, [], {}, []), _remembered_keys(parse_settings, state.memo)
    for source in sources:
        before = known.get(source.rel)
        if changed is not None and before and source.rel not in changed:
            raw, file_digest = None, before[1]
        else:
            raw, file_digest = _read_if_changed(source, before, settled_before)
        if isinstance(raw, Problem):
            keyed.problems.append(raw)
            continue
        key = key_of(source, file_digest)
        if raw is not None or not before:
            state.files[source.rel] = (_stat_stamp(source.os_path), file_digest)
        else:
            state.files[source.rel] = before
        if raw is not None:
            keyed.read[key] = raw
            # read again (touched, or changed just before the last build began), found the same
            # bytes, and settled now: saved, the next build need not read it (else it would)
            stamp = state.files[source.rel][0]
            state.settled_again |= (
                before is not None
                and before[1] == file_digest
                and stamp is not None
                and stamp[3] < state.settled_before
            )
        keyed.keys.append((source, key))
    return keyed


def _remembered_keys(settings: content.ParseSettings, memo: Memo) -> Callable[[scan.SourceFile, str], str]:
    """content.cache_keys, each key remembered from the last call by what it is made of
    (the file's digest, path and bundle files, with the same settings): a serve session's
    edit makes one key, not 10,000 (40 ms at 10,000 articles). The other parts of a key are
    this running code's versions, the same for the whole session."""
    spelled = repr(settings)
    last = memo.cache_keys if memo.cache_keys_settings == spelled else {}
    kept: dict[tuple[str, str, tuple[str, ...]], str] = {}
    memo.cache_keys, memo.cache_keys_settings = kept, spelled  # only what this call used
    key_of = content.cache_keys(settings)

    def key(source: scan.SourceFile, file_digest: str) -> str:
        parts = (file_digest, source.rel, source.bundle_assets)
        made = last.get(parts)
        if made is None:
            made = key_of(source, file_digest)
        kept[parts] = made
        return made

    return key


def parse_all(keyed: Keyed, state: BuildState, progress: Progress) -> tuple[list[content.Article], list[Problem], int]:
    """Every keyed source's article, from the cache when its key is known; and how many
    were parsed."""
    cache, state.parsed = state.parsed, {}  # keep only what this build used
    cache = {key: parsed for key, parsed in cache.items() if not content.timed_out(parsed)}  # try those again
    problems = list(keyed.problems)
    keys: list[str] = []
    missing: dict[str, tuple[scan.SourceFile, bytes]] = {}
    for source, key in keyed.keys:
        if key not in cache and key not in missing:
            known = keyed.read.get(key)
            raw = known if known is not None else content.read_bytes(source)  # known bytes, new settings
            if isinstance(raw, Problem):
                problems.append(raw)
                continue
            missing[key] = (source, raw)
        keys.append(key)
    keyed.read = {}  # the bytes are in `missing` now, or not needed
    parsed = content.parse_many(list(missing.values()), keyed.settings, progress.step("parse", len(missing)))
    cache.update(zip(missing, parsed))
    articles = []
    for key in keys:
        state.parsed[key] = article, found = cache[key]
        problems += found
        if article is not None:
            articles.append(article)
    return articles, problems, len(missing)


def _read_if_changed(source: scan.SourceFile, known, settled_before: int):
    """(bytes or None, digest): a file whose stat is as the last build saw it, and whose
    last change is well before that build began, is not read again. A change in the
    same clock tick as that read would not show in the stat, hence the margin (the
    "racy clean" rule of git's index)."""
    stamp = _stat_stamp(source.os_path)
    if known and stamp and known[0] == stamp and stamp[3] < settled_before:
        return None, known[1]
    raw = content.read_bytes(source)
    if isinstance(raw, Problem):
        return raw, ""
    return raw, content.digest(raw)


def _stat_stamp(path: str | Path) -> tuple[int, int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def edited(
    keyed: Keyed, before: dict[str, tuple], parsed: dict[str, content.Parsed], now: dict[str, tuple] | None = None
) -> tuple[dict[str, content.Article], list[str]]:
    """The article files whose bytes changed since the last build (`before`: its files),
    each with the article that build parsed from it, and every file's cache key as of
    that build; nothing when a file came, went or was not parsed then (nothing a build
    of bodies alone could build on)."""
    if {source.rel for source, _ in keyed.keys} != before.keys():
        return {}, []
    key_of, found, keys = content.cache_keys(keyed.settings), {}, []
    now = now or {}
    for source, key in keyed.keys:
        digest = before[source.rel][1]
        # `now`: the files as key_all left them; the same digest is the same key (most files)
        old_key = key if digest == now.get(source.rel, (None, None))[1] else key_of(source, digest)
        keys.append(old_key)
        if key != old_key:
            article = parsed.get(old_key, (None, []))[0]
            if article is None:
                return {}, []
            found[source.rel] = article
    return found, keys
