"""The persistent build cache: what one run of `broadsheet build` leaves for the next.

Where: inside the site folder, `.broadsheet/cache/<output name>-<hash>/`, one folder per
output (the hash is of the output's path), so two outputs of one site keep their own.
Not beside the output: an output in a shared folder such as /tmp would put the cache
where anyone may plant one. Not in the user's cache folder (XDG_CACHE_HOME) either: the
site folder is what its owner already controls and deletes, and a cache that follows the
site when it is copied or moved costs nothing (an entry for another path is not used).

What: plain data in MessagePack (lists, maps, strings, numbers, bytes), turned back into
records by `codec.py`, which checks every value; loading can never run code. A file from
another version, for another output, truncated or edited is not used: the caller is told
why in one line, and the build starts afresh. The cache is only a short cut, safe to
delete at any time.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import msgpack

from broadsheet import __version__
from broadsheet.incremental import codec
from broadsheet.incremental.state import BuildState
from broadsheet.outputs.images import CopyCache
from broadsheet.problems import display_path

ROOT = Path(".broadsheet") / "cache"  # in the site folder
STATE_FILE = "state.msgpack"
MAGIC = "broadsheet build cache"
FORMAT = 1  # the layout of the file below the stamp; records' fields are stamped apart (codec.layout)
FIELDS = ("parsed", "files", "settled_before", "fingerprints", "stamps", "produced", "outcome", "search documents")


def output_key(output: Path) -> Path:
    """The output as the cache knows it: its folder resolved, its own name as given. The
    output itself may be a symlink that each build points elsewhere: its target must not
    change which cache is used."""
    absolute = Path(os.path.abspath(output))
    return absolute.parent.resolve() / absolute.name


def folder(site_dir: Path, output: Path) -> Path:
    """This output's cache folder: a readable name, and a hash that keeps apart outputs of
    the same name in different places."""
    key = output_key(output)
    digest = hashlib.sha256(os.fsencode(key)).hexdigest()[:12]
    name = re.sub(r"[^A-Za-z0-9._-]", "_", key.name)[:40].lstrip(".") or "output"
    return site_dir.absolute() / ROOT / f"{name}-{digest}"


def cache_file(site_dir: Path, output: Path) -> Path:
    return folder(site_dir, output) / STATE_FILE


def _stamp(output: Path) -> dict[str, Any]:
    return {"magic": MAGIC, "format": FORMAT, "broadsheet": __version__, "layout": codec.layout(), "output": str(output_key(output))}


def load(site_dir: Path, output: Path) -> tuple[BuildState, str | None]:
    """The state the last build of this output left, or a fresh one when there is none to
    trust; with a one-line note saying why a cache that is there was not used."""
    path = cache_file(site_dir, output)
    fresh = BuildState(image_copies=CopyCache(path.parent / "images"))  # resized images: files of their own
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return fresh, None  # the first build: nothing to say
    except OSError as exc:
        return fresh, _note(path, exc.strerror or str(exc))
    try:
        state = _decode(data, output)
    except codec.Unreadable as exc:
        return fresh, _note(path, str(exc))
    except Exception as exc:  # anything at all in bytes from outside: the cache is a short cut, never a reason to fail
        return fresh, _note(path, f"{type(exc).__name__}: {exc}"[:200])
    state.image_copies = fresh.image_copies
    return state, None


def _note(path: Path, reason: str) -> str:
    return f"build cache at {display_path(path)} unreadable ({reason}); building from scratch"


def _decode(data: bytes, output: Path) -> BuildState:
    try:
        stamp, body = msgpack.unpackb(data, raw=False, strict_map_key=True, use_list=True)  # no ext_hook: no objects
    except (ValueError, msgpack.UnpackException):
        raise codec.Unreadable("not a complete cache file") from None
    expected = _stamp(output)
    if type(stamp) is not dict or stamp.get("magic") != MAGIC:
        raise codec.Unreadable("not a build cache")
    for name, what in (("broadsheet", "written by broadsheet {}"), ("format", "cache format {}"), ("layout", "records of another layout")):
        if stamp.get(name) != expected[name]:
            raise codec.Unreadable(what.format(stamp.get(name)))
    if stamp.get("output") != expected["output"]:
        raise codec.Unreadable(f"made for the output {stamp.get('output')}")
    if type(body) is not dict or set(body) != set(FIELDS):
        raise codec.Unreadable("unexpected contents")
    state = BuildState(
        parsed=codec.decode_parsed(body["parsed"]),
        files=codec.decode_files(body["files"]),
        settled_before=codec.decode_int(body["settled_before"], "settled_before"),
        fingerprints=codec.decode_fingerprints(body["fingerprints"]),
        stamps=codec.decode_stamps(body["stamps"]),
        produced=codec.decode_produced(body["produced"]),
        outcome=codec.decode_outcome(body["outcome"]),
    )
    state.memo.seed(codec.decode_search_documents(body["search documents"]))
    return state


def _encode(output: Path, state: BuildState) -> bytes:
    # Tuples, bytes and maps of strings pack as they are; records go through the codec.
    body = {
        "parsed": codec.encode_parsed(state.parsed),
        "files": state.files,
        "settled_before": state.settled_before,
        "fingerprints": state.fingerprints,
        "stamps": state.stamps,
        "produced": state.produced,
        "outcome": codec.encode_outcome(state.outcome),
        # Search documents are slow to make (plain text and terms of every body) and small
        # to keep; feed items are quick to make and as big as the articles.
        "search documents": {fingerprint: value for (_, fingerprint), value in state.memo.kept(("search document",)).items()},
    }
    return msgpack.packb([_stamp(output), body], use_bin_type=True)


def save(site_dir: Path, output: Path, state: BuildState) -> str | None:
    """Write the cache atomically: a killed build leaves the old cache or the new one.
    The cache is only a short cut, so a failure to save it (a full disk, a read-only
    folder) is no failure of the build: it is returned as a reason, and nothing half
    written is left behind."""
    path = cache_file(site_dir, output)
    try:
        data = _encode(output, state)
    except (TypeError, ValueError, OverflowError) as exc:  # a value with no plain-data spelling: a bug, but only of a short cut
        return f"cannot store {exc}"
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as f:
            temporary = f.name
            f.write(data)
        os.replace(temporary, path)
    except OSError as exc:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        return f"{exc.strerror or exc} ({exc.filename or path.parent})"
    return None
