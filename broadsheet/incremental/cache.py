"""The persistent build cache: what one run of `broadsheet build` leaves for the next.

Where: inside the site folder, `.broadsheet/cache/<output name>-<hash>/`, one folder per
output (the hash is of the output's path), so two outputs of one site keep their own;
resized images, the same for every output, in `.broadsheet/cache/images/`.
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
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, BinaryIO

import msgpack

from broadsheet import __version__
from broadsheet.build.collector import cycle_collector_paused
from broadsheet.incremental import codec
from broadsheet.incremental.state import BuildState
from broadsheet.outputs.images import CopyCache
from broadsheet.problems import display_path

ROOT = Path(".broadsheet") / "cache"  # in the site folder
STATE_FILE = "state.msgpack"
MAGIC = "broadsheet build cache"
FORMAT = 1  # how the file is laid out (see FIELDS); the fields of the records are in the label apart (codec.layout)


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


def images_folder(site_dir: Path) -> Path:
    """Resized copies of bundle photos, files of their own, named by the source's digest
    and the width: the same for every output, so shared by all of them."""
    return site_dir.absolute() / ROOT / "images"


def _label(output: Path) -> dict[str, Any]:
    """What the file says it is, first: a cache of another version, layout or output is
    told at once, without reading the rest."""
    return {
        "magic": MAGIC, "format": FORMAT, "broadsheet": __version__, "fields": FIELDS, "layout": codec.layout(),
        "output": str(output_key(output)),
    }  # fmt: skip


def load(site_dir: Path, output: Path) -> tuple[BuildState, str | None]:
    """The state the last build of this output left, or a fresh one when there is none to
    trust; with a one-line note saying why a cache that is there was not used."""
    path = cache_file(site_dir, output)
    fresh = BuildState(image_copies=CopyCache(images_folder(site_dir)))
    try:
        with open(path, "rb") as file, cycle_collector_paused():
            state = _read(file, output)
    except FileNotFoundError:
        return fresh, None  # the first build: nothing to say
    except OSError as exc:
        return fresh, _note(path, exc.strerror or str(exc))
    except codec.Unreadable as exc:
        return fresh, _note(path, str(exc))
    except Exception as exc:  # anything at all in bytes from outside: the cache is a short cut, never a reason to fail
        return fresh, _note(path, f"{type(exc).__name__}: {exc}"[:200])
    state.image_copies = fresh.image_copies
    return state, None


def _note(path: Path, reason: str) -> str:
    return f"build cache at {display_path(path)} unreadable ({reason}); building from scratch"


# The file is a sequence of MessagePack values: the label, then the state's fields in this
# order; the articles and search documents (nearly all of it) are read and checked one at
# a time, so their plain form never piles up in memory beside the records.
FIELDS = ("files", "settled_before", "fingerprints", "stamps", "produced", "outcome", "parsed", "search documents")
WHOLE: dict[str, Callable[[Any], Any]] = {  # each decoder checks its field and returns its own type
    "files": codec.decode_files,
    "settled_before": lambda v: codec.decode_int(v, "settled_before"),
    "fingerprints": codec.decode_fingerprints,
    "stamps": codec.decode_stamps,
    "produced": codec.decode_produced,
    "outcome": codec.decode_outcome,
}


def _read(file: BinaryIO, output: Path) -> BuildState:
    size = os.fstat(file.fileno()).st_size
    # Without an ext_hook nothing but plain values can come out; the limits keep a forged
    # length from making it allocate more than the file could hold.
    reader = msgpack.Unpacker(
        file,
        raw=False,
        use_list=False,
        strict_map_key=True,
        max_buffer_size=max(size, 1),
        read_size=min(max(size, 1), 1 << 20),
    )
    try:
        _check_label(reader.unpack(), output)
        state = BuildState(**{name: decode(reader.unpack()) for name, decode in WHOLE.items()})
        for _ in range(reader.read_map_header()):
            key = reader.unpack()
            entry = codec.decode_parsed(key, reader.unpack())
            if entry is not None:
                state.parsed[key] = entry
        documents = {}
        for _ in range(reader.read_map_header()):
            fingerprint = reader.unpack()
            documents[("search document", fingerprint)] = codec.decode_search_document(fingerprint, reader.unpack())
    except msgpack.OutOfData:
        raise codec.Unreadable("cut short") from None
    except (ValueError, msgpack.UnpackException) as exc:
        if isinstance(exc, codec.Unreadable):
            raise
        raise codec.Unreadable("not a build cache file") from None
    if reader.tell() != size:
        raise codec.Unreadable("bytes after its end")
    state.memo.seed(documents)
    return state


def _check_label(label: Any, output: Path) -> None:
    expected = _label(output)
    if type(label) is not dict or label.get("magic") != MAGIC:
        raise codec.Unreadable("not a build cache file")
    for name, what in (("broadsheet", "written by broadsheet {}"), ("format", "cache format {}")):
        if label.get(name) != expected[name]:
            raise codec.Unreadable(what.format(label.get(name)))
    if label.get("fields") != expected["fields"] or label.get("layout") != expected["layout"]:
        raise codec.Unreadable("records of another layout")
    if label.get("output") != expected["output"]:
        raise codec.Unreadable(f"made for the output {label.get('output')}")


def _write(file: IO[bytes], output: Path, state: BuildState) -> None:
    # Tuples, bytes and maps of strings pack as they are; records go through the codec.
    # Written a value at a time: no copy of the whole cache is ever made in memory.
    packer = msgpack.Packer(use_bin_type=True)
    for value in (_label(output), state.files, state.settled_before, state.fingerprints, state.stamps, state.produced):
        file.write(packer.pack(value))
    file.write(packer.pack(codec.encode_outcome(state.outcome)))
    file.write(packer.pack_map_header(len(state.parsed)))
    for key, entry in state.parsed.items():
        file.write(packer.pack(key))
        file.write(packer.pack(codec.encode_parsed(entry)))
    # Search documents are slow to make (plain text and terms of every body) and small to
    # keep; feed items are quick to make and as big as the articles.
    documents = state.memo.kept(("search document",))
    file.write(packer.pack_map_header(len(documents)))
    for (_, fingerprint), document in documents.items():
        file.write(packer.pack(fingerprint))
        file.write(packer.pack(document))


def save(site_dir: Path, output: Path, state: BuildState) -> str | None:
    """Write the cache atomically: a killed build leaves the old cache or the new one.
    The cache is only a short cut, so a failure to save it (a full disk, a read-only
    folder) is no failure of the build: it is returned as a reason, and nothing half
    written is left behind."""
    path = cache_file(site_dir, output)
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as f:
            temporary = f.name
            _write(f, output, state)
        os.replace(temporary, path)
    except BaseException as exc:  # Ctrl-C too: no half-written file left behind
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        if not isinstance(exc, (OSError, TypeError, ValueError, OverflowError)):
            raise
        if not isinstance(exc, OSError):  # a value with no plain-data spelling: a bug, but only of a short cut
            return f"cannot store {type(exc).__name__}: {exc}"
        return f"{exc.strerror or exc} ({exc.filename or path.parent})"
    return None
