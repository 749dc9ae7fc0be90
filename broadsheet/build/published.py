"""Old addresses: the rule every old path follows (an `aliases:` entry, a URL in the record),
and the record of what earlier publishes put where (`published-urls.json`).

The record maps each URL a publish has put online to the content file of the article that
was there (a story page: its first article's), so that a later build can tell when that
article's URL (or its story's) changed, and write a redirect from the old one. It lives in the site folder, not in `.broadsheet/` (a cache that
may be deleted, and that CI starts without): the user commits it with the content. Only
`broadsheet publish` writes it (`publish/history.py`); a build reads it and changes nothing.

Paths are site-relative, as `article_url` is written: `/2025/06/19/slug/`, without
base_url's path, so moving the site to another base_url keeps its record and aliases true.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from broadsheet.build import sitefiles
from broadsheet.build.slugs import name_flaw
from broadsheet.problems import Problem

RECORD = "published-urls.json"
MAX_RECORD = 64 * 1024 * 1024  # 100,000 URLs take ~8 MB; past this it is not our file
PATH_EXPECTED = (
    "expected a path of this site such as /2025/06/19/old-slug/ (without base_url's path, host, query or #fragment)"
)
_KEY_LINE = re.compile(r'\s*("(?:[^"\\]|\\.)*")\s*:')


def old_path_problem(value: object) -> str | None:
    """Why `value` is not an old path of this site, or None. A path, never a URL: a scheme or
    host would redirect a page of ours to wherever the text says; `..` would leave the output."""
    if not isinstance(value, str) or not value:
        return f"{PATH_EXPECTED}, got {value!r}"
    if not value.startswith("/") or value.startswith("//") or "://" in value:
        return f"{value!r} is not a path starting with / ({PATH_EXPECTED})"
    if any(c in value for c in "?#\\%") or any(c.isspace() or not c.isprintable() for c in value):
        return f"{value!r} holds a character a path of ours never has (?, #, \\, %, a space or a control character; write accented letters as they are)"
    parts = value.strip("/").split("/")
    if value == "/" or any(part in ("", ".", "..") for part in parts):
        return f"{value!r} is the front page or has an empty, '.' or '..' part ({PATH_EXPECTED})"
    for part in parts:
        flaw = name_flaw(part)
        if flaw:
            return f"{value!r}: {part!r} {flaw}"
    return None


def normalise(path: str) -> str:
    """`/a/b` -> `/a/b/`: a pretty URL is a folder. A name with an extension (`/story.html`,
    an old site's page) stays a file."""
    last = path.rsplit("/", 1)[-1]
    return path if path.endswith("/") or "." in last else path + "/"


def output_file(path: str) -> str:
    """An old path -> the output file that answers it: `/a/b/` -> `a/b/index.html`."""
    rel = path.lstrip("/")
    return rel + "index.html" if rel.endswith("/") else rel


def read_record(site_dir: Path) -> tuple[dict[str, tuple[str, int]], list[Problem]]:
    """The record: old path -> (content file, its line in the record). No file is an empty
    record (no publish yet); a file that is not the record's shape is an error naming its line."""
    path = site_dir / RECORD
    if not path.exists() and not path.is_symlink():
        return {}, []
    refused = sitefiles.refusal(path, site_dir)
    if refused:
        return {}, [Problem(RECORD, 0, "", refused)]
    try:
        raw = sitefiles.read_regular(path, MAX_RECORD)
    except sitefiles.TooLarge:
        return {}, [Problem(RECORD, 0, "", f"over the {MAX_RECORD // 2**20} MiB limit")]
    except sitefiles.NotRegular:
        return {}, [Problem(RECORD, 0, "", sitefiles.NOT_REGULAR)]
    except OSError as exc:
        return {}, [Problem(RECORD, 0, "", f"cannot be read: {exc.strerror}")]
    return parse_record(raw)


def parse_record(raw: bytes) -> tuple[dict[str, tuple[str, int]], list[Problem]]:
    fix = f"(it is written by broadsheet publish; fix it, or delete {RECORD} to start a new record)"
    try:
        text = raw.decode("utf-8")
        data = json.loads(text)
    except UnicodeDecodeError as exc:
        return {}, [Problem(RECORD, raw.count(b"\n", 0, exc.start) + 1, "", f"not UTF-8 {fix}")]
    except json.JSONDecodeError as exc:
        return {}, [Problem(RECORD, exc.lineno, "", f"not valid JSON: {exc.msg} {fix}")]
    if not isinstance(data, dict):
        return {}, [Problem(RECORD, 1, "", f"expected a JSON object of old path -> content file {fix}")]
    lines = _key_lines(text)
    record, problems = {}, []
    for url, source in data.items():
        line = lines.get(url, 0)
        flaw = old_path_problem(url)
        if flaw is None and not (isinstance(source, str) and source.startswith("content/")):
            flaw = f"{url!r}: expected the content file of its article (content/...), got {source!r}"
        if flaw:
            problems.append(Problem(RECORD, line, "", f"{flaw} {fix}"))
        else:
            record[normalise(url)] = (source, line)
    return record, problems


def record_text(urls: dict[str, str]) -> str:
    """The record's bytes: sorted keys, one entry a line, so a publish changes only the lines
    of URLs it added or moved, and the same record is the same file everywhere."""
    return json.dumps(dict(sorted(urls.items())), indent=2, ensure_ascii=False) + "\n"


def _key_lines(text: str) -> dict[str, int]:
    """The line of each key, as the record is written (one entry a line)."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        match = _KEY_LINE.match(line)
        if match:
            try:
                lines.setdefault(json.loads(match.group(1)), number)
            except json.JSONDecodeError:
                pass
    return lines
